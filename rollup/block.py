"""Blocks: apply a set of independent sessions to the finalized state.

Block n takes the state after block n - 1 (global root R_{n-1}) and sessions of
distinct users u_1..u_m, each reading R_{n-1}. Session i yields its user's new
leaf L_i, and

    R_n  = root of the global tree with leaf(u_i) := L_i for all i
    data = [(u_i, deposit_i, L_i) sorted by u_i]          (public data)
    D_n  = root of a sparse tree of depth GLOBAL_TREE_DEPTH with leaf
           hash_elements([u_i, deposit_i, *L_i]) at u_i and EMPTY_LEAF elsewhere

D_n (the block data digest) has the shape of the global tree, so the
aggregation circuits can combine the data digests of two disjoint subtrees
exactly as they combine their roots (compress, with default digests for
untouched siblings). Both R_n and D_n depend on the set of sessions, never on
their order.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rollup.errors import DuplicateUserError, StaleRootError
from rollup.execution import ExecutedSession, execute_session
from rollup.params import GLOBAL_TREE_DEPTH
from rollup.session import Session
from rollup.smt import SparseMerkleTree
from rollup.state import ChainState
from rollup.witness import SessionPublicData
from verifier.hashing import Digest


@dataclass(frozen=True)
class Block:
    """A finalized block's header and public data."""

    number: int
    prev_root: Digest
    new_root: Digest
    public_data: tuple[SessionPublicData, ...]
    data_digest: Digest

    @property
    def user_ids(self) -> tuple[int, ...]:
        """The users that ran a session in this block, ascending."""
        return tuple(entry.user_id for entry in self.public_data)


@dataclass(frozen=True)
class ExecutedBlock:
    """A block with the sessions that produced it and the new global tree (not yet committed)."""

    block: Block
    sessions: tuple[ExecutedSession, ...]
    global_tree: SparseMerkleTree


def block_data_digest(public_data: Iterable[SessionPublicData]) -> Digest:
    """D = root of the block data tree (see module docstring)."""
    tree = SparseMerkleTree(GLOBAL_TREE_DEPTH)
    tree.set_leaves({entry.user_id: entry.digest() for entry in public_data})
    return tree.root


def require_distinct_users(user_ids: Iterable[int], block_number: int) -> None:
    """DuplicateUserError naming every user that appears more than once."""
    repeated = sorted(user for user, count in Counter(user_ids).items() if count > 1)
    if repeated:
        raise DuplicateUserError(f"users {repeated} have more than one session in block {block_number}")


def assemble_block(state: ChainState, executed: Sequence[ExecutedSession]) -> ExecutedBlock:
    """Combine independently executed sessions into the next block (``state`` is unchanged)."""
    number = state.block_number + 1
    require_distinct_users((item.trace.user_id for item in executed), number)
    for item in executed:
        if item.trace.read_root != state.root:
            raise StaleRootError(f"user {item.trace.user_id}'s session was executed against another root")
    public_data = tuple(sorted((item.trace.public_data() for item in executed), key=lambda e: e.user_id))
    global_tree = state.global_tree.copy()
    global_tree.set_leaves({entry.user_id: entry.new_leaf for entry in public_data})
    block = Block(number, state.root, global_tree.root, public_data, block_data_digest(public_data))
    ordered = tuple(sorted(executed, key=lambda item: item.trace.user_id))
    return ExecutedBlock(block, ordered, global_tree)


def execute_block(state: ChainState, sessions: Sequence[Session]) -> ExecutedBlock:
    """Execute every session against ``state`` and assemble the next block (``state`` is unchanged)."""
    require_distinct_users((session.user_id for session in sessions), state.block_number + 1)
    return assemble_block(state, [execute_session(state, session) for session in sessions])


def commit_block(state: ChainState, executed: ExecutedBlock) -> None:
    """Make ``executed`` the finalized state (the only function that mutates a ChainState)."""
    if executed.block.prev_root != state.root or executed.block.number != state.block_number + 1:
        raise StaleRootError(f"block {executed.block.number} does not extend block {state.block_number}")
    state.global_tree = executed.global_tree
    for item in executed.sessions:
        state.users[item.trace.user_id] = item.tree
    state.block_number = executed.block.number
