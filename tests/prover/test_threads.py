"""Proof threads: a kernel's range split into parts covers it exactly once, and the results do not change."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

from prover.hashing import hash_columns_bit_reversed, hash_rows
from prover.ntt import lde
from prover.threads import proof_threads, run_in_parts, set_proof_threads


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


def test_hashing_and_the_ntt_give_the_same_results_on_several_threads(restore_threads: None) -> None:
    rng = np.random.default_rng(5)
    columns = rng.integers(0, 2**63, size=(20, 1 << 11), dtype=np.uint64)
    coeffs = rng.integers(0, 2**63, size=(5, 1 << 8), dtype=np.uint64)
    results = []
    for threads in (1, 3):
        set_proof_threads(threads)
        results.append((hash_columns_bit_reversed(columns), hash_rows(columns.T.copy()), lde(coeffs, 3)))
    for one, three in zip(*results, strict=True):
        assert np.array_equal(one, three)
