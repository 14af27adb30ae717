"""Sparse Merkle trees of fixed depth over Poseidon2 (global tree, outboxes, claimed sets).

A tree of depth d has leaves indexed by i in [0, 2^d). Node (k, j) is at level
k (k = 0 leaves, k = d root) and position j, and

    node(0, i)     = leaf_i                       (EMPTY_LEAF if never set)
    node(k + 1, j) = compress(node(k, 2j), node(k, 2j + 1)).

A subtree that holds only empty leaves hashes to the default digest of its
height, DEFAULT_DIGESTS[k] = compress(DEFAULT_DIGESTS[k-1], DEFAULT_DIGESTS[k-1])
with DEFAULT_DIGESTS[0] = EMPTY_LEAF, so only non-default nodes are stored and
an empty tree of any depth costs nothing.

A path for leaf i lists the siblings node(k, (i >> k) ^ 1) for k = 0..d-1;
:func:`verifier.merkle.compute_root_from_path` climbs it (bit k of i = right
child at level k), exactly as the in-circuit Merkle gadget will. A
non-membership proof is the membership proof of EMPTY_LEAF.

Every node written since the tree was created or copied is remembered
(:meth:`SparseMerkleTree.dirty_nodes`) so storage persists exactly what a
block changed.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from rollup.errors import OutOfRangeError
from rollup.params import CLAIMED_DEPTH, GLOBAL_TREE_DEPTH, OUTBOX_DEPTH
from verifier.hashing import ZERO_DIGEST, Digest, compress
from verifier.merkle import default_digests

EMPTY_LEAF: Digest = ZERO_DIGEST
"""The leaf of an unused slot. A set leaf is a Poseidon2 output, equal to it only with a preimage of zero."""

NodeKey = tuple[int, int]
"""(level, position) of a node."""


DEFAULT_DIGESTS: tuple[Digest, ...] = default_digests(max(GLOBAL_TREE_DEPTH, OUTBOX_DEPTH, CLAIMED_DEPTH))
"""DEFAULT_DIGESTS[k] is the root of an all-empty subtree of height k."""


class SparseMerkleTree:
    """A depth-``depth`` Merkle tree storing only its non-default nodes."""

    __slots__ = ("_dirty", "_nodes", "depth")

    def __init__(self, depth: int, nodes: Mapping[NodeKey, Digest] | None = None) -> None:
        """An empty tree, or one rebuilt from stored non-default nodes (no hashing)."""
        if not 0 < depth < len(DEFAULT_DIGESTS):
            raise ValueError(f"tree depth {depth} outside 1..{len(DEFAULT_DIGESTS) - 1}")
        self.depth = depth
        self._nodes: dict[NodeKey, Digest] = {
            key: digest for key, digest in (nodes or {}).items() if digest != DEFAULT_DIGESTS[key[0]]
        }
        self._dirty: set[NodeKey] = set()

    @property
    def root(self) -> Digest:
        """node(depth, 0)."""
        return self.node(self.depth, 0)

    def node(self, level: int, position: int) -> Digest:
        """node(level, position), the default digest of that height when never written."""
        return self._nodes.get((level, position), DEFAULT_DIGESTS[level])

    def leaf(self, index: int) -> Digest:
        """node(0, index)."""
        self._check_index(index)
        return self.node(0, index)

    def contains(self, index: int) -> bool:
        """True when leaf ``index`` is set (not EMPTY_LEAF)."""
        return self.leaf(index) != EMPTY_LEAF

    def siblings(self, index: int) -> tuple[Digest, ...]:
        """The authentication path of leaf ``index``, bottom-up."""
        self._check_index(index)
        return tuple(self.node(level, (index >> level) ^ 1) for level in range(self.depth))

    def set_leaf(self, index: int, digest: Digest) -> None:
        """Write one leaf and rehash its path (depth compressions)."""
        self.set_leaves({index: digest})

    def set_leaves(self, leaves: Mapping[int, Digest]) -> None:
        """Write several leaves, rehashing every affected node once, level by level.

        For m leaves this costs at most m * depth compressions and fewer when
        paths share ancestors; the result does not depend on the order of ``leaves``.
        """
        for index, digest in leaves.items():
            self._check_index(index)
            self._write(0, index, digest)
        positions = set(leaves)
        for level in range(self.depth):
            positions = {position >> 1 for position in positions}
            for parent in positions:
                left = self.node(level, 2 * parent)
                right = self.node(level, 2 * parent + 1)
                self._write(level + 1, parent, compress(left, right))

    def leaves(self) -> Iterator[tuple[int, Digest]]:
        """The set leaves as (index, digest), in no particular order."""
        return ((position, digest) for (level, position), digest in self._nodes.items() if level == 0)

    def is_consistent(self) -> bool:
        """True when every stored node and every parent of one equals the compression of its children.

        Rehashes about as many nodes as are stored; used to check trees rebuilt from storage.
        """
        parents = {(level + 1, position >> 1) for level, position in self._nodes if level < self.depth}
        inner = parents | {(level, position) for level, position in self._nodes if level > 0}
        return all(
            self.node(level, position)
            == compress(self.node(level - 1, 2 * position), self.node(level - 1, 2 * position + 1))
            for level, position in inner
        )

    def copy(self) -> SparseMerkleTree:
        """An independent copy with no dirty nodes."""
        clone = SparseMerkleTree(self.depth)
        clone._nodes = dict(self._nodes)
        return clone

    def dirty_nodes(self) -> dict[NodeKey, Digest]:
        """Every node written since creation or copy, with its current digest."""
        return {key: self.node(*key) for key in self._dirty}

    def _write(self, level: int, position: int, digest: Digest) -> None:
        key = (level, position)
        if digest == DEFAULT_DIGESTS[level]:
            self._nodes.pop(key, None)
        else:
            self._nodes[key] = digest
        self._dirty.add(key)

    def _check_index(self, index: int) -> None:
        if not 0 <= index < 1 << self.depth:
            raise OutOfRangeError(f"leaf index {index} outside [0, 2^{self.depth})")
