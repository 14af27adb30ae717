"""Sparse Merkle trees against a naive full-tree computation, and path checks through compute_root_from_path."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rollup.errors import OutOfRangeError
from rollup.params import CLAIMED_DEPTH, GLOBAL_TREE_DEPTH, OUTBOX_DEPTH
from rollup.smt import DEFAULT_DIGESTS, EMPTY_LEAF, SparseMerkleTree
from verifier.hashing import Digest, compress, hash_elements
from verifier.merkle import compute_root_from_path

DEPTH = 4


def naive_root(leaves: dict[int, Digest], depth: int) -> Digest:
    level = [leaves.get(i, EMPTY_LEAF) for i in range(1 << depth)]
    while len(level) > 1:
        level = [compress(level[i], level[i + 1]) for i in range(0, len(level), 2)]
    return level[0]


leaf_maps = st.dictionaries(
    st.integers(0, (1 << DEPTH) - 1), st.integers(1, 1000).map(lambda x: hash_elements([x])), max_size=6
)


def test_default_digests_chain() -> None:
    assert DEFAULT_DIGESTS[0] == EMPTY_LEAF
    assert len(DEFAULT_DIGESTS) == max(GLOBAL_TREE_DEPTH, OUTBOX_DEPTH, CLAIMED_DEPTH) + 1
    for k in range(1, 6):
        assert DEFAULT_DIGESTS[k] == compress(DEFAULT_DIGESTS[k - 1], DEFAULT_DIGESTS[k - 1])
    assert SparseMerkleTree(CLAIMED_DEPTH).root == DEFAULT_DIGESTS[CLAIMED_DEPTH]
    assert SparseMerkleTree(DEPTH).root == naive_root({}, DEPTH)


@settings(max_examples=15, deadline=None)
@given(leaves=leaf_maps)
def test_root_matches_naive_tree_and_paths_verify(leaves: dict[int, Digest]) -> None:
    tree = SparseMerkleTree(DEPTH)
    tree.set_leaves(leaves)
    assert tree.root == naive_root(leaves, DEPTH)
    for index in range(1 << DEPTH):
        assert compute_root_from_path(tree.leaf(index), index, tree.siblings(index)) == tree.root
        assert tree.contains(index) == (index in leaves)
    assert dict(tree.leaves()) == leaves


@settings(max_examples=10, deadline=None)
@given(leaves=leaf_maps, order=st.randoms(use_true_random=False))
def test_one_at_a_time_in_any_order_equals_batch(leaves: dict[int, Digest], order: object) -> None:
    items = list(leaves.items())
    order.shuffle(items)  # type: ignore[attr-defined]
    sequential = SparseMerkleTree(DEPTH)
    for index, digest in items:
        sequential.set_leaf(index, digest)
    batch = SparseMerkleTree(DEPTH)
    batch.set_leaves(leaves)
    assert sequential.root == batch.root


def test_non_membership_and_insert_share_one_path() -> None:
    tree = SparseMerkleTree(DEPTH)
    tree.set_leaf(3, hash_elements([1]))
    path = tree.siblings(9)
    assert compute_root_from_path(EMPTY_LEAF, 9, path) == tree.root
    new_leaf = hash_elements([2])
    tree.set_leaf(9, new_leaf)
    assert compute_root_from_path(new_leaf, 9, path) == tree.root
    assert compute_root_from_path(EMPTY_LEAF, 9, path) != tree.root


def test_copy_is_independent_and_tracks_its_own_writes() -> None:
    tree = SparseMerkleTree(DEPTH)
    tree.set_leaf(1, hash_elements([1]))
    clone = tree.copy()
    assert clone.root == tree.root and clone.dirty_nodes() == {}
    clone.set_leaf(2, hash_elements([2]))
    assert clone.root != tree.root
    assert tree.leaf(2) == EMPTY_LEAF
    written = clone.dirty_nodes()
    assert set(written) == {(level, 2 >> level) for level in range(DEPTH + 1)}


def test_rebuilding_from_nodes_needs_no_hashing_and_ignores_defaults() -> None:
    tree = SparseMerkleTree(DEPTH)
    tree.set_leaves({0: hash_elements([5]), 7: hash_elements([6])})
    nodes = tree.dirty_nodes()
    rebuilt = SparseMerkleTree(DEPTH, {**nodes, (0, 4): EMPTY_LEAF})
    assert rebuilt.root == tree.root and not rebuilt.contains(4)


@pytest.mark.parametrize("index", [-1, 1 << DEPTH])
def test_index_out_of_range(index: int) -> None:
    tree = SparseMerkleTree(DEPTH)
    with pytest.raises(OutOfRangeError, match=str(index)):
        tree.set_leaf(index, hash_elements([1]))
    with pytest.raises(OutOfRangeError):
        tree.siblings(index)
