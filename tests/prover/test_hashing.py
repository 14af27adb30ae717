"""Batch hashing kernels against the scalar definitions in verifier.hashing, row by row."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from prover.hashing import compress_batch, compress_pairs, hash_columns_bit_reversed, hash_rows, permute_batch
from prover.ntt import bit_reverse_indices
from verifier.field import P
from verifier.hashing import compress, hash_elements
from verifier.poseidon2 import WIDTH, permute_reference
from verifier.poseidon2_jit import BLOCK


def _random(shape: tuple[int, int], seed: int) -> np.ndarray:
    out = np.random.default_rng(seed).integers(0, P, size=shape, dtype=np.uint64)
    out[:1] = P - 1
    out[1:2] = 0
    return out


def _digest(row: np.ndarray) -> tuple[int, ...]:
    return tuple(row.tolist())


@pytest.mark.parametrize("width", [*range(21), 135])
def test_hash_rows_matches_hash_elements(width: int) -> None:
    rows = _random((6, width), seed=width)
    digests = hash_rows(rows)
    assert digests.shape == (6, 4) and digests.dtype == np.uint64
    for row, digest in zip(rows, digests, strict=True):
        assert _digest(digest) == hash_elements(row.tolist())


@settings(max_examples=15, deadline=None)
@given(st.lists(st.lists(st.integers(0, P - 1), min_size=3, max_size=3), min_size=1, max_size=5))
def test_hash_rows_from_python_ints(rows: list[list[int]]) -> None:
    assert [_digest(d) for d in hash_rows(rows)] == [hash_elements(r) for r in rows]


@pytest.mark.parametrize("n", [0, 1, BLOCK - 1, BLOCK + 1])
def test_block_boundaries_and_layouts(n: int) -> None:
    rows = _random((n, 11), seed=n)
    digests = hash_rows(rows)
    assert digests.shape == (n, 4)
    assert np.array_equal(hash_rows(np.asfortranarray(rows)), digests)
    if n:
        assert _digest(digests[-1]) == hash_elements(rows[-1].tolist())


@pytest.mark.parametrize("log_n", [0, 1, 7, 9])
def test_hash_columns_bit_reversed_hashes_the_columns_in_bit_reversed_order(log_n: int) -> None:
    """Row j of the digests is hash_elements of column rev(j), across block boundaries (2^9 > BLOCK)."""
    columns = np.random.default_rng(log_n).integers(0, P, size=(13, 1 << log_n), dtype=np.uint64)
    rev = bit_reverse_indices(log_n)
    digests = hash_columns_bit_reversed(columns)
    assert digests.tolist() == [list(hash_elements(columns[:, rev[j]].tolist())) for j in range(1 << log_n)]


def test_compress_batch_and_pairs_match_compress() -> None:
    left, right = _random((BLOCK + 5, 4), seed=1), _random((BLOCK + 5, 4), seed=2)
    out = compress_batch(left, right)
    for i in (0, 1, 7, BLOCK, BLOCK + 4):
        assert _digest(out[i]) == compress(_digest(left[i]), _digest(right[i]))  # type: ignore[arg-type]
    interleaved = np.empty((2 * left.shape[0], 4), dtype=np.uint64)
    interleaved[0::2], interleaved[1::2] = left, right
    assert np.array_equal(compress_pairs(interleaved), out)


def test_permute_batch_matches_reference_and_keeps_input() -> None:
    states = _random((BLOCK + 2, WIDTH), seed=3)
    before = states.copy()
    out = permute_batch(states)
    assert np.array_equal(states, before)
    for i in (0, 1, BLOCK + 1):
        assert out[i].tolist() == permute_reference(states[i].tolist())


def test_shape_validation() -> None:
    with pytest.raises(ValueError, match="rows"):
        hash_rows(np.zeros(4, dtype=np.uint64))
    with pytest.raises(ValueError, match="left"):
        compress_batch(np.zeros((2, 3), dtype=np.uint64), np.zeros((2, 4), dtype=np.uint64))
    with pytest.raises(ValueError, match="differ"):
        compress_batch(np.zeros((2, 4), dtype=np.uint64), np.zeros((3, 4), dtype=np.uint64))
    with pytest.raises(ValueError, match="even"):
        compress_pairs(np.zeros((3, 4), dtype=np.uint64))
    with pytest.raises(ValueError, match="states"):
        permute_batch(np.zeros((2, 11), dtype=np.uint64))
