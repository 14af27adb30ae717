"""Merkle path verification: honest openings verify, every tampering and malformation is rejected.

Trees are built here with the scalar hash and compression (independent of the
prover's batch tree, which tests/prover/test_merkle_tree.py checks against this).
"""

from __future__ import annotations

import random

import pytest

from verifier.field import P
from verifier.hashing import Digest, compress, hash_elements
from verifier.merkle import MerkleError, MerkleProof, compute_root_from_path, verify_merkle_proof

LEAF_WIDTH = 3


def build(leaves: list[list[int]], cap_height: int) -> tuple[list[Digest], list[list[Digest]]]:
    """(cap, levels) of the tree over ``leaves``, levels[0] being the leaf digests."""
    levels = [[hash_elements(leaf) for leaf in leaves]]
    while len(levels[-1]) > 1 << cap_height:
        below = levels[-1]
        levels.append([compress(below[2 * j], below[2 * j + 1]) for j in range(len(below) // 2)])
    return levels[-1], levels


def prove(levels: list[list[Digest]], index: int) -> MerkleProof:
    return MerkleProof(tuple(level[(index >> k) ^ 1] for k, level in enumerate(levels[:-1])))


def make_tree(log_n: int, cap_height: int, seed: int = 0) -> tuple[list[list[int]], list[Digest], list[list[Digest]]]:
    rng = random.Random(seed)
    leaves = [[rng.randrange(P) for _ in range(LEAF_WIDTH)] for _ in range(1 << log_n)]
    cap, levels = build(leaves, cap_height)
    return leaves, cap, levels


def _bump(digest: Digest, position: int) -> Digest:
    values = list(digest)
    values[position] = (values[position] + 1) % P
    return (values[0], values[1], values[2], values[3])


@pytest.mark.parametrize(("log_n", "cap_height"), [(0, 0), (1, 0), (1, 1), (3, 0), (3, 2), (3, 3), (4, 1)])
def test_every_leaf_verifies(log_n: int, cap_height: int) -> None:
    leaves, cap, levels = make_tree(log_n, cap_height)
    for index, leaf in enumerate(leaves):
        proof = prove(levels, index)
        assert len(proof.siblings) == log_n - cap_height
        verify_merkle_proof(leaf, index, proof, cap)
        verify_merkle_proof(leaf, index, proof, cap, log_n=log_n)


def test_root_is_climbed_path() -> None:
    leaves, cap, levels = make_tree(3, 0)
    assert compute_root_from_path(hash_elements(leaves[5]), 5, prove(levels, 5).siblings) == cap[0]


@pytest.mark.parametrize(("log_n", "cap_height"), [(3, 0), (3, 1), (4, 2)])
def test_tampering_is_rejected(log_n: int, cap_height: int) -> None:
    leaves, cap, levels = make_tree(log_n, cap_height, seed=log_n + cap_height)
    index = 5
    leaf, proof = leaves[index], prove(levels, index)
    for position in range(LEAF_WIDTH):
        changed = list(leaf)
        changed[position] = (changed[position] + 1) % P
        with pytest.raises(MerkleError, match="does not lead"):
            verify_merkle_proof(changed, index, proof, cap)
    for level in range(len(proof.siblings)):
        for position in range(4):
            siblings = list(proof.siblings)
            siblings[level] = _bump(siblings[level], position)
            with pytest.raises(MerkleError, match="does not lead"):
                verify_merkle_proof(leaf, index, MerkleProof(tuple(siblings)), cap)
    for other in range(1 << log_n):
        if other != index:
            with pytest.raises(MerkleError, match="does not lead"):
                verify_merkle_proof(leaf, other, proof, cap)
    for entry in range(len(cap)):
        for position in range(4):
            bad_cap = list(cap)
            bad_cap[entry] = _bump(bad_cap[entry], position)
            if entry == index >> len(proof.siblings):
                with pytest.raises(MerkleError, match="does not lead"):
                    verify_merkle_proof(leaf, index, proof, bad_cap)
            else:  # entries the path does not select are not checked by this opening
                verify_merkle_proof(leaf, index, proof, bad_cap)


def test_malformed_openings_are_rejected() -> None:
    leaves, cap, levels = make_tree(4, 2)
    leaf, proof = leaves[6], prove(levels, 6)
    cases: list[tuple[str, list[int], int, MerkleProof, list[Digest], int | None]] = [
        ("out of range", leaf, 16, proof, cap, None),
        ("out of range", leaf, -1, proof, cap, None),
        ("expected 2", leaf, 6, MerkleProof(proof.siblings[:1]), cap, 4),
        ("expected 2", leaf, 6, MerkleProof((*proof.siblings, proof.siblings[0])), cap, 4),
        ("expected 2", leaf, 6, MerkleProof(()), cap, 4),
        ("exceeds", leaf, 0, MerkleProof(()), cap, 1),
        ("power of two", leaf, 6, proof, cap[:3], None),
        ("power of two", leaf, 6, proof, [], None),
        ("sibling 1", leaf, 6, MerkleProof((proof.siblings[0], proof.siblings[1][:3])), cap, None),  # type: ignore[arg-type]
        ("non-canonical", [leaf[0] + P, *leaf[1:]], 6, proof, cap, None),
        ("does not lead", leaf, 6, MerkleProof(proof.siblings[:1]), cap, None),
    ]
    bad_sibling = (proof.siblings[0][0] + P, *proof.siblings[0][1:])
    cases.append(("sibling 0", leaf, 6, MerkleProof((bad_sibling, proof.siblings[1])), cap, None))  # type: ignore[arg-type]
    for message, bad_leaf, index, bad_proof, bad_cap, log_n in cases:
        with pytest.raises(MerkleError, match=message):
            verify_merkle_proof(bad_leaf, index, bad_proof, bad_cap, log_n=log_n)
