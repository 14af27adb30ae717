"""Native execution of sessions: apply the rules, update a copy of the user tree, record the trace.

``execute_session(state, session)`` reads only the finalized ``state`` (the
read root, the session user's own tree, and for claims the senders' trees and
global paths) and writes only a private copy of the session user's tree, so
the sessions of a block are independent and their order is irrelevant. The
rules are the scalar checks of :mod:`rollup.rules`; tree lookups replace the
path checks that :mod:`rollup.witness` (and later the circuit) performs on the
recorded trace, so execution costs what a full node pays: one tree update per
operation, no path verification.
"""

from __future__ import annotations

from dataclasses import dataclass

from rollup.errors import (
    AlreadyRegisteredError,
    AuthorizationError,
    DoubleClaimError,
    MalformedSessionError,
    StaleRootError,
)
from rollup.operations import Claim, Register, Send
from rollup.rules import (
    credit,
    debit,
    require_amount,
    require_next_nonce,
    require_recipient,
    require_user_id,
)
from rollup.session import Session
from rollup.smt import EMPTY_LEAF
from rollup.state import CLAIMED_LEAF, ChainState, UserState, UserTree, claim_key, key_digest
from rollup.witness import ClaimStep, RegisterStep, SenderProof, SendStep, SessionPublicData, SessionTrace, Step
from verifier.hashing import Digest


@dataclass(frozen=True)
class ExecutedSession:
    """A session, the user tree it produces and the trace of what it read and wrote."""

    session: Session
    tree: UserTree
    trace: SessionTrace

    @property
    def user_id(self) -> int:
        """The session's user."""
        return self.trace.user_id

    @property
    def read_root(self) -> Digest:
        """The root the session read."""
        return self.trace.read_root

    @property
    def public_data(self) -> SessionPublicData:
        """The session's entry in the block's public data."""
        return self.trace.public_data()

    @property
    def account(self) -> UserTree:
        """The user's account after the block: its full state (the operator executed the session)."""
        return self.tree


def execute_send(tree: UserTree, op: Send) -> SendStep:
    """Debit and append to the outbox of ``tree`` (mutated), returning the witness."""
    require_next_nonce(tree.nonce, op.nonce)
    require_user_id(op.recipient, "recipient")
    balance = debit(tree.balance, op.amount)
    record = tree.outbox.next_record(op.recipient, op.address, op.amount)
    old = tree.state()
    path = tree.outbox.tree.siblings(record.index)
    tree.outbox.append(record)
    tree.balance, tree.nonce = balance, op.nonce
    return SendStep(op, old, tree.state(), path)


def execute_claim(tree: UserTree, claimant_id: int, op: Claim, state: ChainState) -> ClaimStep:
    """Credit ``tree`` (mutated) with a finalized transfer from ``state``, returning the witness."""
    require_next_nonce(tree.nonce, op.nonce)
    sender = state.user(op.sender_id)
    record = sender.outbox.record(op.outbox_index)
    require_recipient(record.recipient, record.address, claimant_id, tree.key_digest)
    if tree.has_claimed(op.sender_id, op.outbox_index):
        raise DoubleClaimError(f"user {claimant_id} already claimed transfer {op.outbox_index} of user {op.sender_id}")
    balance = credit(tree.balance, record.amount)
    proof = SenderProof(
        sender.outbox.root,
        sender.opaque_digest(),
        sender.outbox.tree.siblings(op.outbox_index),
        state.global_tree.siblings(op.sender_id),
    )
    key = claim_key(op.sender_id, op.outbox_index)
    old = tree.state()
    path = tree.claimed.siblings(key)
    tree.claimed.set_leaf(key, CLAIMED_LEAF)
    tree.balance, tree.nonce = balance, op.nonce
    return ClaimStep(op, record, proof, old, tree.state(), path)


def _start(state: ChainState, session: Session, key: Digest) -> tuple[UserTree, UserState | None, list[Step]]:
    """The working tree after authorization (and registration, if the session starts with one).

    Executing needs the user's full state (:meth:`ChainState.tree`): its owner's wallet has it, and the
    operator only for a user whose proving is delegated to it.
    """
    first = session.operations[0]
    if isinstance(first, Register):
        if state.leaf(session.user_id) != EMPTY_LEAF:
            raise AlreadyRegisteredError(f"user {session.user_id} is already registered")
        require_amount(first.deposit, "deposit")
        tree = UserTree.registered(key, first.deposit)
        return tree, None, [RegisterStep(first, tree.state())]
    existing = state.tree(session.user_id)
    if existing.key_digest != key:
        raise AuthorizationError(f"the session's secret is not the key of user {session.user_id}")
    return existing.copy(), existing.state(), []


def execute_session(state: ChainState, session: Session) -> ExecutedSession:
    """Run ``session`` against the finalized ``state`` (unchanged) and return the new tree and trace."""
    require_user_id(session.user_id, "user")
    key = key_digest(session.secret)
    if not session.operations:
        raise MalformedSessionError(f"the session of user {session.user_id} has no operations")
    if session.read_root != state.root:
        raise StaleRootError(
            f"user {session.user_id}'s session reads root {session.read_root}, "
            f"but the finalized root after block {state.block_number} is {state.root}"
        )
    tree, old_state, steps = _start(state, session, key)
    for op in session.operations[len(steps) :]:
        if isinstance(op, Register):
            raise MalformedSessionError("registration must be the first operation of a session")
        if isinstance(op, Send):
            steps.append(execute_send(tree, op))
        else:
            steps.append(execute_claim(tree, session.user_id, op, state))
    trace = SessionTrace(
        session.user_id,
        state.root,
        session.secret,
        state.leaf(session.user_id),
        old_state,
        tuple(steps),
        tree.outbox.root,
        tree.opaque_digest(),
    )
    return ExecutedSession(session, tree, trace)
