"""prover.field_kernels against galois GF(p), Python ints and the verifier's Ext, on edge and random arrays."""

from __future__ import annotations

import galois
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from prover import field_kernels as fk
from prover.field_kernels import ExtArray
from verifier.extension import Ext
from verifier.field import NonCanonicalError, P

GF = galois.GF(P)
EDGES = [0, 1, 2, P - 1, P - 2, 2**32, 2**32 - 1, 2**32 + 1, 2**63, 2**63 - 1, P - 2**32, 2**64 - 2**33 + 2]
elements = st.one_of(st.sampled_from(EDGES), st.integers(0, P - 1))
element_lists = st.lists(elements, min_size=1, max_size=64)
RNG = np.random.default_rng(2024)


def rand(*shape: int) -> fk.FieldArray:
    return RNG.integers(0, P, size=shape, dtype=np.uint64)


def rand_ext(*shape: int) -> ExtArray:
    return ExtArray(rand(*shape), rand(*shape))


def edge_pairs() -> tuple[fk.FieldArray, fk.FieldArray]:
    a = np.array([x for x in EDGES for _ in EDGES], dtype=np.uint64)
    b = np.array([y for _ in EDGES for y in EDGES], dtype=np.uint64)
    return a, b


def test_edge_pairs_match_galois() -> None:
    a, b = edge_pairs()
    ga, gb = GF(a), GF(b)
    assert np.array_equal(fk.add(a, b), ga + gb)
    assert np.array_equal(fk.sub(a, b), ga - gb)
    assert np.array_equal(fk.mul(a, b), ga * gb)
    assert np.array_equal(fk.neg(a), -ga)


@settings(deadline=None)  # the first example may include numba compilation
@given(st.lists(st.tuples(elements, elements), min_size=1, max_size=64))
def test_random_ops_match_python(pairs: list[tuple[int, int]]) -> None:
    a = fk.from_ints([x for x, _ in pairs])
    b = fk.from_ints([y for _, y in pairs])
    assert fk.to_ints(fk.add(a, b)) == [(x + y) % P for x, y in pairs]
    assert fk.to_ints(fk.sub(a, b)) == [(x - y) % P for x, y in pairs]
    assert fk.to_ints(fk.mul(a, b)) == [x * y % P for x, y in pairs]


def test_large_random_arrays_match_galois() -> None:
    a, b = rand(300), rand(300)
    assert np.array_equal(fk.mul(a, b), GF(a) * GF(b))
    assert np.array_equal(fk.add(a, b), GF(a) + GF(b))


def test_two_dimensional_and_broadcasting() -> None:
    m, row = rand(5, 33), rand(33)
    full = np.tile(row, (5, 1))
    expected = np.array(GF(m) * GF(full))
    assert np.array_equal(fk.mul(m, m), np.array(GF(m) * GF(m)))
    assert np.array_equal(fk.mul(m, row), expected)
    assert np.array_equal(fk.mul(row, m), expected)
    assert np.array_equal(fk.sub(row, m), np.array(GF(full) - GF(m)))
    assert np.array_equal(fk.mul(m, P - 1), np.array(-GF(m)))  # scalar on the right
    assert np.array_equal(fk.sub(3, m), np.array(GF(3) - GF(m)))  # scalar on the left
    column = rand(5, 1)
    assert np.array_equal(fk.add(m, column), np.array(GF(m) + GF(np.tile(column, (1, 33)))))
    cube, partial = rand(2, 3, 4), rand(2, 1, 4)  # broadcast over a middle axis only
    assert np.array_equal(fk.mul(cube, partial), np.array(GF(cube) * GF(np.broadcast_to(partial, cube.shape))))
    assert fk.add(np.zeros((0, 7), dtype=np.uint64), 1).shape == (0, 7)
    assert int(fk.mul(np.array(5, dtype=np.uint64), 3)) == 15


def test_scalar_operands_must_be_canonical() -> None:
    for bad in (P, -1, 2**64):
        with pytest.raises(NonCanonicalError):
            fk.mul(rand(3), bad)


@settings(deadline=None)  # the first example may include numba compilation
@given(element_lists, st.integers(0, 2**70))
def test_power(values: list[int], e: int) -> None:
    assert fk.to_ints(fk.power(fk.from_ints(values), e)) == [pow(v, e, P) for v in values]


def test_power_edge_exponents() -> None:
    a = np.array([0, 1, 5, P - 1], dtype=np.uint64)
    assert fk.to_ints(fk.power(a, 0)) == [1, 1, 1, 1]
    assert fk.to_ints(fk.power(a, P - 1)) == [0, 1, 1, 1]
    assert fk.to_ints(fk.power(a, 2**64 + 3)) == [pow(int(x), 2**64 + 3, P) for x in a]
    assert fk.to_ints(fk.power(a, (P - 1) * 2**10)) == [0, 1, 1, 1]
    with pytest.raises(ValueError):
        fk.power(a, -1)


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 7, 8, 9, 100])
def test_batch_inverse_matches_galois(n: int) -> None:
    a = rand(n)
    a[a == 0] = 1
    assert np.array_equal(fk.batch_inverse(a), GF(a) ** -1)


def test_batch_inverse_edges_and_2d() -> None:
    edges = np.array([x for x in EDGES if x], dtype=np.uint64)
    assert np.array_equal(fk.batch_inverse(edges), GF(edges) ** -1)
    m = rand(4, 9) | np.uint64(1)
    inv = fk.batch_inverse(m)
    assert inv.shape == (4, 9)
    assert (fk.mul(inv, m) == 1).all()
    assert fk.batch_inverse(np.zeros(0, dtype=np.uint64)).shape == (0,)


def test_batch_inverse_zero_names_index() -> None:
    m = rand(3, 4) | np.uint64(1)
    m[2, 1] = 0
    with pytest.raises(ValueError, match=r"\(2, 1\)"):
        fk.batch_inverse(m)
    with pytest.raises(ValueError, match=r"\(0,\)"):
        fk.batch_inverse(np.zeros(5, dtype=np.uint64))


@pytest.mark.parametrize("base", [0, 1, 7, P - 1, 2**32])
def test_powers(base: int) -> None:
    assert fk.to_ints(fk.powers(base, 10)) == [pow(base, i, P) for i in range(10)]
    assert fk.powers(base, 0).shape == (0,)


@settings(deadline=None)  # the first example may include numba compilation
@given(element_lists, element_lists)
def test_total_and_inner_product(a: list[int], b: list[int]) -> None:
    b = (b * len(a))[: len(a)]
    assert fk.total(fk.from_ints(a)) == sum(a) % P
    assert fk.inner_product(fk.from_ints(a), fk.from_ints(b)) == sum(x * y for x, y in zip(a, b, strict=True)) % P


def test_sums_of_many_large_values_and_shape_checks() -> None:
    big = np.full(10_000, P - 1, dtype=np.uint64)  # sums far beyond 2^64 in the accumulators
    assert fk.total(big) == 10_000 * (P - 1) % P
    assert fk.inner_product(big, big) == 10_000 % P
    a, b = rand(10_000), rand(10_000)
    assert fk.inner_product(a, b) == sum(x * y for x, y in zip(a.tolist(), b.tolist(), strict=True)) % P
    assert fk.total(np.full((3, 3), P - 1, dtype=np.uint64)) == 9 * (P - 1) % P
    with pytest.raises(ValueError):
        fk.inner_product(rand(3), rand(4))


# ---------------------------------------------------------------- conversions


def test_from_ints_round_trip_and_nesting() -> None:
    values = [0, 1, P - 1, 2**63, 2**32]
    arr = fk.from_ints(values)
    assert arr.dtype == np.uint64 and fk.to_ints(arr) == values
    assert fk.from_ints([[1, 2], [P - 1, 0]]).shape == (2, 2)
    assert fk.from_ints([]).dtype == np.uint64


@pytest.mark.parametrize("bad", [P, P + 1, 2**64 - 1, 2**64, 2**70, -1])
def test_from_ints_rejects_non_canonical(bad: int) -> None:
    with pytest.raises(NonCanonicalError, match=r"\(2,\)"):
        fk.from_ints([0, 1, bad, 3])


@pytest.mark.parametrize("bad", [[1.5], [True], ["1"]])
def test_from_ints_rejects_non_integers(bad: list[object]) -> None:
    with pytest.raises((TypeError, NonCanonicalError)):
        fk.from_ints(bad)  # type: ignore[arg-type]


def test_check_canonical() -> None:
    ok = np.array([0, P - 1], dtype=np.uint64)
    assert fk.check_canonical(ok) is ok
    assert fk.check_canonical(np.array([5, 6], dtype=np.int32)).dtype == np.uint64
    bad = np.array([[1, 2], [3, P]], dtype=np.uint64)
    with pytest.raises(NonCanonicalError, match=r"\(1, 1\)"):
        fk.check_canonical(bad)
    with pytest.raises(NonCanonicalError):
        fk.check_canonical(np.array([4, -2], dtype=np.int64))
    with pytest.raises(TypeError):
        fk.check_canonical(np.array([1.0]))


# ---------------------------------------------------------------- extension


def scalars(a: ExtArray) -> list[Ext]:
    return fk.ext_to_elements(ExtArray(a.c0.ravel(), a.c1.ravel()))


def test_ext_elements_round_trip() -> None:
    values = [Ext(1, 2), Ext(P - 1, 0), Ext(0, 2**63)]
    assert fk.ext_to_elements(fk.ext_from_elements(values)) == values


def test_ext_binary_ops_match_scalar_ext() -> None:
    edges = np.array(EDGES, dtype=np.uint64)
    a = ExtArray(np.repeat(edges, len(EDGES)), np.tile(edges, len(EDGES)))
    b = ExtArray(np.tile(edges, len(EDGES))[::-1].copy(), np.repeat(edges, len(EDGES)))
    xs, ys = scalars(a), scalars(b)
    assert scalars(fk.ext_mul(a, b)) == [x * y for x, y in zip(xs, ys, strict=True)]
    assert scalars(fk.ext_add(a, b)) == [x + y for x, y in zip(xs, ys, strict=True)]
    assert scalars(fk.ext_sub(a, b)) == [x - y for x, y in zip(xs, ys, strict=True)]


def test_ext_scalar_base_and_broadcast() -> None:
    a, s, base = rand_ext(3, 8), Ext(P - 2, 2**40 + 3), rand(8)
    xs = scalars(a)
    assert scalars(fk.ext_mul(a, s)) == [x * s for x in xs]
    assert scalars(fk.ext_add(a, s)) == [x + s for x in xs]
    assert scalars(fk.ext_sub(a, s)) == [x - s for x in xs]
    expected = [x * int(base[i % 8]) for i, x in enumerate(xs)]
    assert scalars(fk.ext_mul_base(a, base)) == expected
    row = rand_ext(8)
    row_elems = scalars(row)
    assert scalars(fk.ext_mul(a, row)) == [x * row_elems[i % 8] for i, x in enumerate(xs)]
    assert fk.ext_mul(a, row).shape == (3, 8)


def test_ext_batch_inverse() -> None:
    a = rand_ext(2, 7)
    a.c1[0, 3] = 0  # a base element
    a.c0[1, 2] = 0  # a pure X multiple
    inv = fk.ext_batch_inverse(a)
    assert inv.shape == (2, 7)
    assert scalars(inv) == [x.inverse() for x in scalars(a)]
    a.c0[1, 4] = 0
    a.c1[1, 4] = 0
    with pytest.raises(ValueError, match=r"\(1, 4\)"):
        fk.ext_batch_inverse(a)


def test_ext_powers_and_matvec() -> None:
    z = Ext(12345, P - 6789)
    pw = fk.ext_powers(z, 9)
    assert fk.ext_to_elements(pw) == [z**i for i in range(9)]
    m = rand(4, 9)
    got = fk.ext_to_elements(fk.matvec_ext(m, pw))
    assert got == [sum((z**j * int(m[r, j]) for j in range(9)), Ext(0)) for r in range(4)]
    with pytest.raises(ValueError):
        fk.matvec_ext(rand(4, 8), pw)


def test_inputs_are_not_modified() -> None:
    a, b = rand(4, 5), rand(4, 5)
    a0, b0 = a.copy(), b.copy()
    fk.mul(a, b)
    fk.batch_inverse(a | np.uint64(1))
    fk.ext_batch_inverse(ExtArray(a, b))
    assert np.array_equal(a, a0) and np.array_equal(b, b0)
