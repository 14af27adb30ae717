"""Merkle path verification (verifier side, scalar).

A tree over 2^d leaves; node digests combine with ``compress(left, right)``.
Leaf index bits are read from the least significant: at level k (k = 0 at the
leaves), bit k of the index says whether the current node is a right child
(bit = 1: ``compress(sibling, node)``) or a left child (bit = 0:
``compress(node, sibling)``).
"""

from __future__ import annotations

from collections.abc import Sequence

from verifier.hashing import Digest, compress


def compute_root_from_path(leaf_digest: Digest, index: int, siblings: Sequence[Digest]) -> Digest:
    """Climb from a leaf digest to the node ``len(siblings)`` levels above it."""
    node = leaf_digest
    for level, sibling in enumerate(siblings):
        node = compress(sibling, node) if (index >> level) & 1 else compress(node, sibling)
    return node
