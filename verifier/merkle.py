"""Merkle path verification (verifier side, scalar).

A tree over 2^d leaves; a leaf's digest is ``hash_elements(leaf)`` and node
digests combine with ``compress(left, right)``. Leaf index bits are read from
the least significant: at level k (k = 0 at the leaves), bit k of the index
says whether the current node is a right child (bit = 1:
``compress(sibling, node)``) or a left child (bit = 0: ``compress(node, sibling)``).

A tree is committed by its *cap*: the 2^h nodes at height d - h (cap height h,
0 <= h <= d; h = 0 is the root), in index order. A proof for leaf i carries the
d - h siblings from the leaf up to that level, and the node reached must equal
cap[i >> (d - h)] (the high h bits of the index pick the cap entry).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from verifier.field import P
from verifier.hashing import ZERO_DIGEST, Digest, compress, hash_elements
from verifier.poseidon2 import DIGEST_SIZE


class MerkleError(ValueError):
    """A Merkle opening is malformed or does not match the committed cap."""


@dataclass(frozen=True)
class MerkleProof:
    """The sibling digests on the path from a leaf up to the cap, bottom-up."""

    siblings: tuple[Digest, ...]


@cache
def default_digests(depth: int) -> tuple[Digest, ...]:
    """Roots of all-empty subtrees: Z_0 = (0,0,0,0), Z_{k+1} = compress(Z_k, Z_k), for k < depth.

    The defaults of every sparse tree (global tree, claimed sets, block data) and of
    their in-circuit twins.
    """
    digests = [ZERO_DIGEST]
    for _ in range(depth):
        digests.append(compress(digests[-1], digests[-1]))
    return tuple(digests)


def compute_root_from_path(leaf_digest: Digest, index: int, siblings: Sequence[Digest]) -> Digest:
    """Climb from a leaf digest to the node ``len(siblings)`` levels above it."""
    node = leaf_digest
    for level, sibling in enumerate(siblings):
        node = compress(sibling, node) if (index >> level) & 1 else compress(node, sibling)
    return node


def _check_digest(digest: Sequence[int], what: str) -> None:
    if len(digest) != DIGEST_SIZE or not all(0 <= v < P for v in digest):
        raise MerkleError(f"{what} is not {DIGEST_SIZE} canonical field elements")


def _cap_height(cap: Sequence[Digest]) -> int:
    """h with len(cap) = 2^h; raises MerkleError if the cap size is not a power of two."""
    size = len(cap)
    if size == 0 or size & (size - 1):
        raise MerkleError(f"a Merkle cap must have a power of two number of entries, got {size}")
    return size.bit_length() - 1


def verify_merkle_proof(
    leaf: Sequence[int], index: int, proof: MerkleProof, cap: Sequence[Digest], log_n: int | None = None
) -> None:
    """Check that ``leaf`` is leaf number ``index`` of the tree committed by ``cap``.

        The tree has 2^d leaves with d = len(siblings) + cap height, or d = ``log_n``
        when given (then the cap height must be <= log_n and the path must have
        exactly log_n - cap height siblings). Leaf and sibling elements must be
    canonical (so an opening has exactly one valid encoding).
        Returns None on success; raises MerkleError saying what failed.
    """
    height = _cap_height(cap)
    path_length = len(proof.siblings)
    if log_n is not None:
        if height > log_n:
            raise MerkleError(f"cap height {height} exceeds the tree height {log_n}")
        if path_length != log_n - height:
            raise MerkleError(
                f"path has {path_length} siblings, expected {log_n - height} (2^{log_n} leaves, cap height {height})"
            )
    if not 0 <= index < 1 << (path_length + height):
        raise MerkleError(f"leaf index {index} out of range for a tree of 2^{path_length + height} leaves")
    if not all(0 <= v < P for v in leaf):
        raise MerkleError("leaf has a non-canonical field element")
    for level, sibling in enumerate(proof.siblings):
        _check_digest(sibling, f"sibling {level}")
    node = compute_root_from_path(hash_elements(leaf), index, proof.siblings)
    if node != tuple(cap[index >> path_length]):
        raise MerkleError(f"Merkle path for leaf {index} does not lead to cap entry {index >> path_length}")
