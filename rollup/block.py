"""Blocks: apply a set of independent sessions to the finalized state.

Block n takes the state after block n - 1 (global root R_{n-1}) and sessions of
distinct users u_1..u_m, each reading R_{n-1}. Session i yields its user's new
leaf L_i, and

    R_n  = root of the global tree with leaf(u_i) := L_i for all i
    data = [SessionPublicData of session i, sorted by u_i]      (public data)
    D_n  = root of a sparse tree of depth GLOBAL_TREE_DEPTH with leaf
           data_i.digest() at u_i and EMPTY_LEAF elsewhere

D_n (the block data digest) has the shape of the global tree, so the
aggregation circuits can combine the data digests of two disjoint subtrees
exactly as they combine their roots (compress, with default digests for
untouched siblings). Both R_n and D_n depend on the set of sessions, never on
their order.

A block is assembled from each session's public data alone (L_i is
leaf_digest(outbox root, opaque digest) of its entry), so it makes no
difference whether the operator executed the session (delegated proving, an
:class:`~rollup.execution.ExecutedSession` holding the user's full new state)
or admitted a session its user proved (a :class:`ProvenSession`, of which it
keeps only the public account: outbox and opaque digest).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rollup.errors import DuplicateUserError, OutboxMismatchError, StaleRootError, WrongOldLeafError
from rollup.execution import ExecutedSession, execute_session
from rollup.outbox import Outbox
from rollup.params import GLOBAL_TREE_DEPTH
from rollup.session import Session
from rollup.smt import SparseMerkleTree
from rollup.state import ChainState, PublicUser
from rollup.witness import SessionPublicData
from verifier.hashing import Digest


@dataclass(frozen=True)
class PublishedSession:
    """A session known from its public data alone: what it read, its published entry, and the user's public
    account after the block (the outbox extended by the appends, the new opaque digest). The operator knows
    nothing of it beyond this (no operation, no key digest, no balance). A session rebuilt from exported block
    files is one: the block's proof vouches for it."""

    read_root: Digest
    old_leaf: Digest
    public_data: SessionPublicData
    account: PublicUser

    @property
    def user_id(self) -> int:
        """The session's user."""
        return self.public_data.user_id


@dataclass(frozen=True)
class ProvenSession(PublishedSession):
    """A session its user proved, as the operator admitted it (:func:`proven_session`): with the user's proof,
    which becomes the block's proof of the session's node."""

    proof: bytes


PendingSession = ExecutedSession | PublishedSession
"""A session of the next block: executed by the operator (delegated proving), or known from its public data
(proven by its user, or rebuilt from block files)."""


def extended_outbox(state: ChainState, public: SessionPublicData) -> Outbox:
    """The user's finalized outbox (empty for an unregistered id) with ``public``'s appends at its next slots;
    OutboxMismatchError unless they are the next slots and give the published outbox root."""
    account = state.users.get(public.user_id)
    outbox = account.outbox.copy() if account is not None else Outbox()
    for record in public.appends:
        if record.index != outbox.length:
            raise OutboxMismatchError(
                f"user {public.user_id}'s appended record {record.index} is not its next outbox slot {outbox.length}"
            )
        outbox.append(record)
    if outbox.root != public.outbox_root:
        raise OutboxMismatchError(
            f"user {public.user_id}'s appends do not extend its finalized outbox to the published outbox root"
        )
    return outbox


def proven_session(
    state: ChainState, read_root: Digest, old_leaf: Digest, public: SessionPublicData, proof: bytes
) -> ProvenSession:
    """A session its user proved, checked against the finalized ``state``: it read ``state.root``
    (StaleRootError), its old leaf is the user's leaf (WrongOldLeafError), and its appends extend the user's
    outbox to the published root (OutboxMismatchError). That the proof verifies and states exactly these
    values is the caller's check (:mod:`rollup.session_submission`)."""
    return ProvenSession(**vars(published_session(state, read_root, old_leaf, public)), proof=proof)


def published_session(
    state: ChainState, read_root: Digest, old_leaf: Digest, public: SessionPublicData
) -> PublishedSession:
    """A session known from its public data, checked against the finalized ``state`` (see :func:`proven_session`)."""
    user = public.user_id
    if read_root != state.root:
        raise StaleRootError(
            f"user {user}'s session reads another root than the finalized root after block {state.block_number}"
        )
    if old_leaf != state.leaf(user):
        raise WrongOldLeafError(f"the session's old leaf is not user {user}'s leaf under the finalized root")
    account = PublicUser(extended_outbox(state, public), public.opaque_digest)
    return PublishedSession(read_root, old_leaf, public, account)


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
    sessions: tuple[PendingSession, ...]
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


def assemble_block(state: ChainState, pending: Sequence[PendingSession]) -> ExecutedBlock:
    """Combine independent sessions into the next block from their public data (``state`` is unchanged)."""
    number = state.block_number + 1
    require_distinct_users((item.user_id for item in pending), number)
    for item in pending:
        if item.read_root != state.root:
            raise StaleRootError(f"user {item.user_id}'s session read another root than the finalized one")
    ordered = tuple(sorted(pending, key=lambda item: item.user_id))
    block, global_tree = _block_of(state, [item.public_data for item in ordered])
    return ExecutedBlock(block, ordered, global_tree)


def _block_of(state: ChainState, public_data: Sequence[SessionPublicData]) -> tuple[Block, SparseMerkleTree]:
    """The next block after ``state`` with this public data (by user id), and the global tree after it."""
    entries = tuple(sorted(public_data, key=lambda e: e.user_id))
    global_tree = state.global_tree.copy()
    global_tree.set_leaves({entry.user_id: entry.new_leaf for entry in entries})
    block = Block(state.block_number + 1, state.root, global_tree.root, entries, block_data_digest(entries))
    return block, global_tree


def replay_block(state: ChainState, sessions: Sequence[Session], published: Iterable[SessionPublicData]) -> Block:
    """The block after ``state`` as a full node recomputes it: each of ``sessions`` (those the operator executed)
    executed again, and every other session's entry of ``published`` (sessions their users proved, whose
    operations nobody else has; their proofs vouch for them) taken as published."""
    executed = execute_block(state, sessions).block.public_data
    users = {entry.user_id for entry in executed}
    return _block_of(state, [*executed, *(e for e in published if e.user_id not in users)])[0]


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
        state.users[item.user_id] = item.account
    state.block_number = executed.block.number
