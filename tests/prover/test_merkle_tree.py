"""The prover's batch Merkle tree: same commitments as the scalar definition, openings verify."""

from __future__ import annotations

import numpy as np
import pytest

from prover.merkle_tree import MerkleTree
from prover.ntt import bit_reverse_indices
from verifier.field import P
from verifier.hashing import compress, hash_elements
from verifier.merkle import MerkleError, MerkleProof, verify_merkle_proof


def _leaves(log_n: int, width: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, P, size=(1 << log_n, width), dtype=np.uint64)


@pytest.mark.parametrize(("log_n", "cap_height"), [(0, 0), (1, 1), (2, 0), (4, 2), (5, 5), (8, 3)])
def test_every_opening_verifies(log_n: int, cap_height: int) -> None:
    leaves = _leaves(log_n, 9, seed=log_n)
    tree = MerkleTree(leaves, cap_height)
    assert len(tree.cap) == 1 << cap_height
    for index in range(1 << log_n):
        leaf, proof = tree.leaf(index), tree.prove(index)
        assert leaf == leaves[index].tolist()
        assert len(proof.siblings) == log_n - cap_height
        verify_merkle_proof(leaf, index, proof, tree.cap, log_n=log_n)


def test_cap_matches_scalar_definition() -> None:
    leaves = _leaves(3, 17, seed=7)
    level = [hash_elements(row) for row in leaves.tolist()]
    caps = {3: level}
    for height in (2, 1, 0):
        level = [compress(level[2 * j], level[2 * j + 1]) for j in range(len(level) // 2)]
        caps[height] = level
    for cap_height, expected in caps.items():
        assert MerkleTree(leaves, cap_height).cap == expected


def test_wrong_openings_rejected() -> None:
    tree = MerkleTree(_leaves(6, 4, seed=1), 2)
    leaf, proof = tree.leaf(37), tree.prove(37)
    with pytest.raises(MerkleError):
        verify_merkle_proof(tree.leaf(36), 37, proof, tree.cap)
    with pytest.raises(MerkleError):
        verify_merkle_proof(leaf, 37, tree.prove(38), tree.cap)
    with pytest.raises(MerkleError):
        verify_merkle_proof(leaf, 37, MerkleProof(proof.siblings[::-1]), tree.cap)
    with pytest.raises(MerkleError):
        verify_merkle_proof(leaf, 37, proof, MerkleTree(_leaves(6, 4, seed=2), 2).cap)


def test_invalid_trees_and_indices() -> None:
    with pytest.raises(ValueError, match="power of two"):
        MerkleTree(np.zeros((3, 2), dtype=np.uint64), 0)
    with pytest.raises(ValueError, match="power of two"):
        MerkleTree(np.zeros((0, 2), dtype=np.uint64), 0)
    with pytest.raises(ValueError, match="cap height"):
        MerkleTree(np.zeros((4, 2), dtype=np.uint64), 3)
    with pytest.raises(ValueError, match="cap height"):
        MerkleTree(np.zeros((4, 2), dtype=np.uint64), -1)
    with pytest.raises(ValueError, match="shape"):
        MerkleTree(np.zeros(4, dtype=np.uint64), 0)
    tree = MerkleTree(np.zeros((4, 2), dtype=np.uint64), 1)
    for index in (-1, 4):
        with pytest.raises(IndexError):
            tree.prove(index)
        with pytest.raises(IndexError):
            tree.leaf(index)


@pytest.mark.parametrize(("log_n", "cap_height"), [(0, 0), (3, 1), (8, 3)])
def test_tree_from_bit_reversed_columns_is_the_tree_of_the_gathered_rows(log_n: int, cap_height: int) -> None:
    """Leaf j = column rev(j): same cap, leaves and paths as the rows gathered into that order."""
    columns = _leaves(log_n, 11, seed=40 + log_n).T.copy()
    rows = columns.T[bit_reverse_indices(log_n)]
    direct, gathered = MerkleTree.from_bit_reversed_columns(columns, cap_height), MerkleTree(rows, cap_height)
    assert direct.cap == gathered.cap
    for index in range(1 << log_n):
        assert direct.leaf(index) == gathered.leaf(index) == rows[index].tolist()
        assert direct.prove(index) == gathered.prove(index)


def test_batched_openings_are_the_single_ones_in_order() -> None:
    """Several leaves at once (repeats and any order, as FRI queries come): each verifies, as opened alone."""
    leaves = _leaves(6, 10, seed=61)
    tree = MerkleTree(leaves, 2)
    indices = [5, 63, 0, 5, 17]
    proofs, rows = tree.prove_many(indices), tree.leaves(indices)
    for index, proof, row in zip(indices, proofs, rows, strict=True):
        assert list(row) == leaves[index].tolist() == tree.leaf(index)
        assert proof == tree.prove(index)
        verify_merkle_proof(list(row), index, proof, tree.cap, log_n=6)
    assert tree.prove_many([]) == [] and tree.leaves([]) == []
    with pytest.raises(IndexError):
        tree.prove_many([3, 64])
    with pytest.raises(IndexError):
        tree.leaves([-1, 2])
