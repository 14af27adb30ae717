"""Proof threads: a kernel's range split into parts covers it exactly once, and the results do not change."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

from bench.proof import merkle_workload
from prover.errors import ProvingError
from prover.field_kernels import ExtArray, matvec_ext, mul, powers, vecmat_ext
from prover.hashing import hash_columns_bit_reversed, hash_rows
from prover.ntt import bit_reverse_permutation, coset_intt, gather_columns, lde
from prover.plonk_prover import MIN_ROWS_PER_THREAD, permutation_columns
from prover.threads import follow_proof_threads, proof_threads, run_in_parts, set_proof_threads
from verifier.extension import Ext
from verifier.field import P, root_of_unity


@pytest.fixture
def restore_threads() -> Iterator[None]:
    before = proof_threads()
    yield
    set_proof_threads(before)


@pytest.mark.parametrize(("total", "threads", "min_part"), [(0, 3, 1), (1, 4, 1), (10, 3, 1), (10, 3, 4), (64, 2, 16)])
def test_parts_cover_the_range_once_in_order(total: int, threads: int, min_part: int) -> None:
    parts: list[tuple[int, int]] = []
    run_in_parts(total, lambda a, b: parts.append((a, b)), threads, min_part)
    covered = [i for a, b in sorted(parts) for i in range(a, b)]
    assert covered == list(range(total))
    assert len(parts) <= max(1, min(threads, total // min_part))
    assert all(b - a >= min(min_part, total) for a, b in parts)


def test_an_error_in_a_part_reaches_the_caller() -> None:
    def run(a: int, b: int) -> None:
        if a > 0:
            raise RuntimeError("part failed")

    with pytest.raises(RuntimeError, match="part failed"):
        run_in_parts(10, run, 2)


def test_a_proof_needs_a_thread(restore_threads: None) -> None:
    with pytest.raises(ValueError, match="at least one thread"):
        set_proof_threads(0)


def test_a_followed_count_is_read_at_every_call(restore_threads: None) -> None:
    counts = [1, 0]
    follow_proof_threads(counts, 0)
    assert proof_threads() == 1
    counts[0] = 3
    assert proof_threads() == 3
    follow_proof_threads(counts, 1)
    assert proof_threads() == 1, "a count below one reads as one"
    set_proof_threads(2)
    counts[1] = 5
    assert proof_threads() == 2, "a fixed count stops following"


def test_kernels_give_the_same_results_on_several_threads(restore_threads: None) -> None:
    """Hashing, the NTTs, gathers and the matrix-vector products: the one-thread results on 2 and 3 threads."""
    rng = np.random.default_rng(5)
    columns = rng.integers(0, P, size=(20, 1 << 11), dtype=np.uint64)
    coeffs = rng.integers(0, P, size=(5, 1 << 8), dtype=np.uint64)
    vector = ExtArray(*rng.integers(0, P, size=(2, 20), dtype=np.uint64))
    wide = ExtArray(*rng.integers(0, P, size=(2, 1 << 11), dtype=np.uint64))
    index = rng.integers(0, 1 << 11, size=300, dtype=np.int64)
    results = []
    for threads in (1, 2, 3):
        set_proof_threads(threads)
        results.append(
            (
                hash_columns_bit_reversed(columns),
                hash_rows(columns.T.copy()),
                lde(coeffs, 3),
                coset_intt(columns, 7),
                bit_reverse_permutation(columns),
                gather_columns(columns, index),
                *vecmat_ext(vector, columns),
                *matvec_ext(columns, wide),
            )
        )
    assert np.array_equal(results[0][5], columns[:, index])
    transposed = matvec_ext(np.ascontiguousarray(columns.T), vector)
    assert np.array_equal(results[0][6], transposed.c0) and np.array_equal(results[0][7], transposed.c1)
    for one, other in zip(results[0], results[1], strict=True):
        assert np.array_equal(one, other)
    for one, other in zip(results[0], results[2], strict=True):
        assert np.array_equal(one, other)


@pytest.fixture(scope="module")
def permutation_inputs() -> tuple:  # type: ignore[type-arg]
    """A 2^12-row circuit's routed wires and sigmas (two parts of MIN_ROWS_PER_THREAD rows on two threads)."""
    work = merkle_workload(12)
    assert work.circuit is not None
    key = work.circuit.prover_key
    assert key.common.degree >= 2 * MIN_ROWS_PER_THREAD
    wires = work.circuit.generate_witness(work.inputs).wires[: key.common.num_routed_wires]
    return key.common, np.ascontiguousarray(wires), key.sigma_values


def test_the_permutation_columns_do_not_depend_on_the_threads(permutation_inputs: tuple, restore_threads: None) -> None:  # type: ignore[type-arg]
    """Z starts at 1 and steps by the row ratios; every thread count gives the same Z and partial products."""
    common, wires, sigmas = permutation_inputs
    beta, gamma = Ext(12345, 678), Ext(999, 31)
    results = []
    for threads in (1, 2, 3):
        set_proof_threads(threads)
        results.append(permutation_columns(common, wires, sigmas, beta, gamma))
    assert results[0][0].c0[0] == 1 and results[0][0].c1[0] == 0
    assert len(results[0]) == -(-common.num_routed_wires // common.config.partial_product_chunk)
    for other in results[1:]:
        for a, b in zip(results[0], other, strict=True):
            assert np.array_equal(a.c0, b.c0) and np.array_equal(a.c1, b.c1)


@pytest.mark.parametrize("threads", [1, 2])
def test_a_broken_copy_constraint_is_refused_on_every_thread_count(
    permutation_inputs: tuple,  # type: ignore[type-arg]
    threads: int,
    restore_threads: None,
) -> None:
    common, wires, sigmas = permutation_inputs
    xs = powers(root_of_unity(common.degree_bits), common.degree)
    identity = np.stack([mul(xs, int(k)) for k in common.k_is[: sigmas.shape[0]]])
    cells = np.argwhere(sigmas != identity)  # the copied cells
    wire, row = cells[np.argmax(cells[:, 1])]  # the last row with one: in the last part on two threads
    assert row >= common.degree // 2
    broken = wires.copy()
    broken[wire, row] = (int(broken[wire, row]) + 1) % P
    set_proof_threads(threads)
    with pytest.raises(ProvingError, match="copy constraints are violated"):
        permutation_columns(common, broken, sigmas, Ext(12345, 678), Ext(999, 31))


def test_a_zero_permutation_denominator_is_refused(permutation_inputs: tuple, restore_threads: None) -> None:  # type: ignore[type-arg]
    """gamma = -(w + beta sigma) at one cell: one clear ProvingError, not a division by zero."""
    common, wires, sigmas = permutation_inputs
    beta = Ext(5)
    gamma = Ext((-(int(wires[3, 4000]) + 5 * int(sigmas[3, 4000]))) % P)
    set_proof_threads(2)
    with pytest.raises(ProvingError, match="denominator"):
        permutation_columns(common, wires, sigmas, beta, gamma)
