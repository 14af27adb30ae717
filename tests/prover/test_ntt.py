"""prover.ntt against naive O(n^2) evaluation with Python ints and the verifier's barycentric formula."""

from __future__ import annotations

import numpy as np
import pytest

from prover import ntt
from prover.field_kernels import FieldArray, powers
from verifier.field import MULTIPLICATIVE_GENERATOR, P, root_of_unity
from verifier.polynomial import Coset, barycentric_at

RNG = np.random.default_rng(7)
SIZES = [1 << k for k in range(13)]  # 1 .. 2^12


def rand(*shape: int) -> FieldArray:
    return RNG.integers(0, P, size=shape, dtype=np.uint64)


def naive_eval(coeffs: list[int], points: list[int]) -> list[int]:
    """sum_j c_j x^j at each point, by Horner with Python ints."""
    out = []
    for x in points:
        acc = 0
        for c in reversed(coeffs):
            acc = (acc * x + c) % P
        out.append(acc)
    return out


def coset_points(log_n: int, shift: int) -> list[int]:
    w = root_of_unity(log_n)
    return [shift * pow(w, i, P) % P for i in range(1 << log_n)]


@pytest.mark.parametrize("log_n", range(7))
@pytest.mark.parametrize("shift", [1, MULTIPLICATIVE_GENERATOR, P - 1, 2**32 + 12345])
def test_coset_ntt_matches_naive_evaluation(log_n: int, shift: int) -> None:
    c = rand(1 << log_n)
    expected = naive_eval(c.tolist(), coset_points(log_n, shift))
    assert ntt.coset_ntt(c, shift).tolist() == expected
    if shift == 1:
        assert ntt.ntt(c).tolist() == expected
    assert np.array_equal(ntt.coset_intt(np.array(expected, dtype=np.uint64), shift), c)


@pytest.mark.parametrize("n", SIZES)
def test_round_trip_batched(n: int) -> None:
    c = rand(3, n)
    assert np.array_equal(ntt.intt(ntt.ntt(c)), c)
    assert np.array_equal(ntt.coset_intt(ntt.coset_ntt(c, 5), 5), c)
    assert np.array_equal(ntt.ntt(ntt.intt(c)), c)


@pytest.mark.parametrize("n", [1, 16, 1 << 12])
def test_batched_rows_match_single_transforms(n: int) -> None:
    c = rand(4, n)
    evals = ntt.ntt(c)
    assert evals.shape == (4, n)
    for r in range(4):
        assert np.array_equal(evals[r], ntt.ntt(c[r]))


def test_special_inputs() -> None:
    n = 64
    assert ntt.ntt(np.zeros(n, dtype=np.uint64)).tolist() == [0] * n
    delta = np.zeros(n, dtype=np.uint64)
    delta[0] = 5
    assert ntt.ntt(delta).tolist() == [5] * n  # the constant polynomial 5
    x = np.zeros(n, dtype=np.uint64)
    x[1] = 1
    assert ntt.ntt(x).tolist() == coset_points(6, 1)  # the polynomial x
    assert ntt.intt(np.full(n, P - 1, dtype=np.uint64)).tolist() == [P - 1] + [0] * (n - 1)


@pytest.mark.parametrize("rate_bits", [0, 3])
def test_values_near_p_come_out_reduced(rate_bits: int) -> None:
    """Butterflies keep sums and differences unreduced between stages (in [0, 2^64)); a sum landing in
    [p, 2^64) without a carry (2^63 + (2^63 - 2^31)) and inputs just below p must still give the canonical
    values of the naive evaluation."""
    pair = np.array([2**63, 2**63 - 2**31], dtype=np.uint64)
    assert ntt.ntt(pair).tolist() == [(2**64 - 2**31) % P, 2**31]
    assert ntt.lde(pair, rate_bits).tolist() == naive_eval(
        pair.tolist(), coset_points(1 + rate_bits, MULTIPLICATIVE_GENERATOR)
    )
    c = (P - 1 - RNG.integers(0, 4, size=(2, 64), dtype=np.uint64)).astype(np.uint64)
    points = coset_points(6 + rate_bits, MULTIPLICATIVE_GENERATOR)
    got = ntt.lde(c, rate_bits)
    for r in range(2):
        assert got[r].tolist() == naive_eval(c[r].tolist(), points)
    assert ntt.ntt(c).tolist() == [naive_eval(row.tolist(), coset_points(6, 1)) for row in c]


def test_linearity() -> None:
    a, b = rand(256), rand(256)
    s = (a.astype(object) + b.astype(object)) % P
    lhs = ntt.ntt(np.array(s, dtype=np.uint64)).astype(object)
    rhs = (ntt.ntt(a).astype(object) + ntt.ntt(b).astype(object)) % P
    assert (lhs == rhs).all()


@pytest.mark.parametrize(("log_n", "rate_bits"), [(0, 0), (0, 3), (1, 1), (2, 3), (3, 2), (4, 3), (5, 1)])
def test_lde_matches_naive_evaluation(log_n: int, rate_bits: int) -> None:
    c = rand(2, 1 << log_n)
    got = ntt.lde(c, rate_bits)
    assert got.shape == (2, 1 << (log_n + rate_bits))
    points = coset_points(log_n + rate_bits, MULTIPLICATIVE_GENERATOR)
    for r in range(2):
        assert got[r].tolist() == naive_eval(c[r].tolist(), points)


def test_lde_extends_the_interpolant() -> None:
    """Interpolate values on H, extend 8x onto 7H', compare with the barycentric evaluation of the values."""
    values = rand(16)
    lde_values = ntt.lde(ntt.intt(values), 3).tolist()
    domain = Coset(4)
    for i in range(0, 128, 9):
        z = MULTIPLICATIVE_GENERATOR * pow(root_of_unity(7), i, P) % P
        assert barycentric_at(values.tolist(), domain, z) == lde_values[i]


@pytest.mark.parametrize("rate_bits", [1, 3])
def test_lde_equals_coset_ntt_of_zero_padding(rate_bits: int) -> None:
    c = rand(5, 1 << 10)
    padded = np.zeros((5, 1 << (10 + rate_bits)), dtype=np.uint64)
    padded[:, : 1 << 10] = c
    got = ntt.lde(c, rate_bits, 11)
    assert np.array_equal(got, ntt.coset_ntt(padded, 11))
    # coefficients back: c followed by zeros (the extension has the same degree)
    assert np.array_equal(ntt.coset_intt(got, 11), padded)


def test_lde_on_subgroup_contains_the_ntt() -> None:
    c = rand(256)
    ext = ntt.lde(c, 2, 1)
    assert np.array_equal(ext[::4], ntt.ntt(c))  # H is the subgroup of index 4 in H'


def test_parallel_matches_serial() -> None:
    c = rand(6, 512)
    assert np.array_equal(ntt.lde(c, 2, parallel=True), ntt.lde(c, 2))
    assert np.array_equal(ntt.intt(c, parallel=True), ntt.intt(c))


def test_input_not_modified_and_output_fresh() -> None:
    c = rand(2, 64)
    before = c.copy()
    out = ntt.coset_ntt(c, 3)
    assert np.array_equal(c, before)
    assert out.flags.c_contiguous and out.flags.writeable and not np.shares_memory(out, c)


@pytest.mark.parametrize("log_n", range(11))
def test_bit_reverse(log_n: int) -> None:
    n = 1 << log_n
    rev = ntt.bit_reverse_indices(log_n)
    expected = [int(format(i, f"0{log_n}b")[::-1], 2) if log_n else 0 for i in range(n)]
    assert rev.tolist() == expected
    a = rand(2, n)
    assert np.array_equal(ntt.bit_reverse_permutation(ntt.bit_reverse_permutation(a)), a)
    assert np.array_equal(ntt.bit_reverse_permutation(a)[:, rev], a)


def test_twiddle_tables_are_nested() -> None:
    table = ntt.twiddles(8)
    assert table.shape == (255,)
    assert np.array_equal(table[:127], ntt.twiddles(7))
    for m in (1, 4, 128):
        w = root_of_unity((2 * m).bit_length() - 1)
        assert np.array_equal(table[m - 1 : 2 * m - 1], powers(w, m))
    assert not table.flags.writeable


def test_cube_twiddle_tables_are_nested() -> None:
    """Entry m - 1 + j is omega_{4m}^(3j), the radix-4 steps' third twiddle, for m = 1 .. 2^(log_n - 2)."""
    table = ntt.cube_twiddles(8)
    assert table.shape == (127,)
    assert np.array_equal(table[:63], ntt.cube_twiddles(7))
    for m in (1, 2, 16, 64):
        w = root_of_unity((4 * m).bit_length() - 1)
        assert table[m - 1 : 2 * m - 1].tolist() == [pow(w, 3 * j, P) for j in range(m)]
    assert not table.flags.writeable
    assert ntt.cube_twiddles(1).shape == (0,)


@pytest.mark.parametrize("log_n", range(1, 9))
@pytest.mark.parametrize("rate_bits", [0, 1, 2, 3])
def test_odd_and_even_stage_counts(log_n: int, rate_bits: int) -> None:
    """Every pairing of the butterfly stages into radix-4 steps (an odd count from m = 1 or from
    m = 2^rate_bits, or an even one) gives the naive evaluation, on values just below p."""
    c = (P - 1 - RNG.integers(0, 2**20, size=(2, 1 << log_n), dtype=np.uint64)).astype(np.uint64)
    points = coset_points(log_n + rate_bits, MULTIPLICATIVE_GENERATOR)
    got = ntt.lde(c, rate_bits)
    for r in range(2):
        assert got[r].tolist() == naive_eval(c[r].tolist(), points)


@pytest.mark.parametrize("n", [0, 3, 12, 1000])
def test_bad_sizes_rejected(n: int) -> None:
    with pytest.raises(ValueError, match="power of two"):
        ntt.ntt(np.zeros(n, dtype=np.uint64))


@pytest.mark.parametrize("shift", [0, P, -3])
def test_bad_shift_rejected(shift: int) -> None:
    with pytest.raises(ValueError, match="shift"):
        ntt.coset_ntt(rand(8), shift)
    with pytest.raises(ValueError, match="shift"):
        ntt.coset_intt(rand(8), shift)


def test_bad_rate_rejected() -> None:
    with pytest.raises(ValueError):
        ntt.lde(rand(8), -1)
    with pytest.raises(ValueError):
        ntt.lde(rand(8), 30)  # 2^33 exceeds the two-adicity
