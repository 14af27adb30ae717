"""A committed oracle: leaf j is the LDE row at bit-reversed position j, then (with zero knowledge) its salt."""

from __future__ import annotations

import numpy as np
import pytest

from prover import oracle
from prover.merkle_tree import MerkleTree
from prover.ntt import bit_reverse_indices, lde
from verifier.field import P
from verifier.proof import COSET_SHIFT


@pytest.mark.parametrize("salt_size", [0, 4])
def test_commitment_is_the_tree_of_the_gathered_rows_and_their_salts(
    salt_size: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = np.random.default_rng(salt_size)
    coeffs = rng.integers(0, P, size=(5, 1 << 6), dtype=np.uint64)
    salts = rng.integers(0, P, size=(1 << 9, salt_size), dtype=np.uint64)
    monkeypatch.setattr(oracle, "random_field_elements", lambda *shape: salts.reshape(shape))
    batch = oracle.PolynomialBatch.from_coeffs(coeffs, 3, 2, salt_size)
    rows = np.ascontiguousarray(lde(coeffs, 3, COSET_SHIFT).T)[bit_reverse_indices(9)]
    expected = MerkleTree(np.hstack([rows, salts]), 2)
    assert batch.cap == tuple(expected.cap)
    for position in (0, 1, 200, 511):
        values, path = batch.open(position)
        assert list(values) == expected.leaf(position)
        assert path == expected.prove(position)
