"""Session traces (the witness a session circuit consumes) and their native verification.

A trace records, for each operation of one user's session, the old and new
user state and every Merkle path the operation relied on. The verification
functions here use nothing but the trace: scalar rules from :mod:`rollup.rules`
and path climbs through :func:`verifier.merkle.compute_root_from_path`. They are
the executable specification of the session circuit, check for check:

register    deposit < 2^48;  new = UserState.initial(deposit);  old leaf = EMPTY_LEAF
send        nonce' = nonce + 1;  recipient < 2^20;  b' = b - a >= 0;  len < 2^16;
            climb(EMPTY_LEAF, len, path) = outbox_root;
            outbox_root' = climb(H(recipient, a, len), len, path);  len' = len + 1
claim       nonce' = nonce + 1;  sender < 2^20;  j < 2^16;  record.index = j;
            record.recipient = claimant;  record.address = H(secret);
            climb(H(record), j, outbox_path) = sender.outbox_root;
            climb(H(sender.outbox_root, sender.opaque), sender_id, global_path) = read_root;
            climb(EMPTY_LEAF, k, claimed_path) = claimed_root  (k = claim_key(sender, j));
            claimed_root' = climb(CLAIMED_LEAF, k, claimed_path);  b' = b + a < 2^48
session     the old leaf is H(outbox_root, opaque(H(secret), old state)), so the
            prover knows the secret the leaf commits to (authorization); the steps
            chain (each old state is the previous new state); new leaf =
            leaf(H(secret), last state).

A claim sees nothing of the sender but its outbox root and opaque digest (the
two public parts of its leaf): never its balance, nonce, key or claimed set.

public data (user_id, deposit, new outbox_root, new opaque digest, appended records); its
            digest H(user_id, deposit, outbox_root, opaque, appends_digest(records)) is
            the session statement's data digest (:class:`SessionPublicData`).

Membership of the old leaf at ``user_id`` under the read root is not checked
here: it is the aggregation's job, which recomputes the previous global root
from the old leaves of all sessions of the block.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rollup.errors import (
    AlreadyRegisteredError,
    AuthorizationError,
    DoubleClaimError,
    InvalidWitnessError,
    MalformedSessionError,
    OutboxFullError,
    UnknownUserError,
)
from rollup.operations import Claim, Register, Send
from rollup.outbox import TransferRecord, appends_digest
from rollup.params import CLAIMED_DEPTH, GLOBAL_TREE_DEPTH, OUTBOX_CAPACITY, OUTBOX_DEPTH
from rollup.rules import (
    credit,
    debit,
    require_amount,
    require_next_nonce,
    require_outbox_index,
    require_recipient,
    require_secret,
    require_user_id,
)
from rollup.smt import EMPTY_LEAF
from rollup.state import CLAIMED_LEAF, Secret, UserState, claim_key, key_digest, leaf_digest
from verifier.hashing import Digest, hash_elements
from verifier.merkle import compute_root_from_path

Path = tuple[Digest, ...]


@dataclass(frozen=True)
class RegisterStep:
    """Witness of a registration: the state it creates."""

    op: Register
    new: UserState


@dataclass(frozen=True)
class SendStep:
    """Witness of a send: old/new state and the path of the written outbox slot."""

    op: Send
    old: UserState
    new: UserState
    outbox_path: Path


@dataclass(frozen=True)
class SenderProof:
    """Evidence that a record is in the sender's outbox under the read root: the public parts of the
    sender's leaf (its outbox root and opaque digest) and the two paths."""

    outbox_root: Digest
    opaque_digest: Digest
    outbox_path: Path
    global_path: Path


@dataclass(frozen=True)
class ClaimStep:
    """Witness of a claim: the record, its sender proof, old/new state and the claimed-set path."""

    op: Claim
    record: TransferRecord
    sender: SenderProof
    old: UserState
    new: UserState
    claimed_path: Path


Step = RegisterStep | SendStep | ClaimStep


@dataclass(frozen=True)
class SessionPublicData:
    """What a session publishes in its block: everything another party needs to go on without the operator.

    The user id, the public deposit, the two public parts of the new leaf (outbox root and opaque digest)
    and every record the session appended to the user's outbox, in order. A claimer of one of those
    records needs nothing else of the sender; a rebuild of the chain replays the appends into the outbox.
    """

    user_id: int
    deposit: int
    outbox_root: Digest
    opaque_digest: Digest
    appends: tuple[TransferRecord, ...]

    @property
    def new_leaf(self) -> Digest:
        """leaf_digest(outbox_root, opaque_digest): the user's leaf after the block."""
        return leaf_digest(self.outbox_root, self.opaque_digest)

    def digest(self) -> Digest:
        """hash_elements([user_id, deposit, *outbox_root, *opaque_digest, *appends_digest(appends)]): this
        session's leaf in the block data tree (its statement's data digest)."""
        appends = appends_digest(self.appends)
        return hash_elements([self.user_id, self.deposit, *self.outbox_root, *self.opaque_digest, *appends])


@dataclass(frozen=True)
class SessionTrace:
    """Everything one session read and wrote; ``secret`` is the private witness of authorization."""

    user_id: int
    read_root: Digest
    secret: Secret
    old_leaf: Digest
    old_state: UserState | None
    steps: tuple[Step, ...]
    new_outbox_root: Digest
    new_opaque_digest: Digest

    @property
    def new_leaf(self) -> Digest:
        """The user's leaf after the session, from its two public parts."""
        return leaf_digest(self.new_outbox_root, self.new_opaque_digest)

    @property
    def appends(self) -> tuple[TransferRecord, ...]:
        """The records the session's sends append, in order (a send's slot is its old outbox length)."""
        return tuple(step_record(step) for step in self.steps if isinstance(step, SendStep))

    @property
    def deposit(self) -> int:
        """The registration deposit, 0 when the session does not register."""
        first = self.steps[0] if self.steps else None
        return first.op.deposit if isinstance(first, RegisterStep) else 0

    def public_data(self) -> SessionPublicData:
        """The session's entry in the block's public data."""
        return SessionPublicData(self.user_id, self.deposit, self.new_outbox_root, self.new_opaque_digest, self.appends)


def step_record(step: SendStep) -> TransferRecord:
    """The record a send step appends: (recipient, address, amount) of its operation at slot old.outbox_len."""
    return TransferRecord(step.op.recipient, step.op.address, step.op.amount, step.old.outbox_len)


def _require_path(
    leaf: Digest,
    index: int,
    path: Path,
    depth: int,
    root: Digest,
    what: str,
    error: type[Exception] = InvalidWitnessError,
) -> None:
    """climb(leaf, index, path) = root over a tree of ``depth``, else ``error`` naming ``what``."""
    if len(path) != depth:
        raise InvalidWitnessError(f"{what}: path has {len(path)} siblings, the tree has depth {depth}")
    if compute_root_from_path(leaf, index, path) != root:
        raise error(f"{what}: the Merkle path does not lead to the expected root")


def _require_equal(claimed: UserState, computed: UserState, what: str) -> None:
    if claimed != computed:
        raise InvalidWitnessError(f"{what} recorded in the trace differs from the recomputed one")


def verify_register(step: RegisterStep) -> UserState:
    """Check a registration step and return the state it creates."""
    require_amount(step.op.deposit, "deposit")
    new = UserState.initial(step.op.deposit)
    _require_equal(step.new, new, "state after registration")
    return new


def verify_send(step: SendStep, old: UserState) -> UserState:
    """Check a send step applied to ``old`` and return the new state."""
    _require_equal(step.old, old, "state before send")
    op = step.op
    require_next_nonce(old.nonce, op.nonce)
    require_user_id(op.recipient, "recipient")
    balance = debit(old.balance, op.amount)
    if old.outbox_len >= OUTBOX_CAPACITY:
        raise OutboxFullError(f"the outbox is full ({OUTBOX_CAPACITY} records)")
    slot = old.outbox_len
    _require_path(
        EMPTY_LEAF,
        slot,
        step.outbox_path,
        OUTBOX_DEPTH,
        old.outbox_root,
        f"outbox slot {slot} empty",
    )
    record = step_record(step)
    outbox_root = compute_root_from_path(record.digest(), slot, step.outbox_path)
    new = UserState(balance, op.nonce, slot + 1, outbox_root, old.claimed_root)
    _require_equal(step.new, new, "state after send")
    return new


def verify_claim(
    step: ClaimStep, old: UserState, claimant_id: int, claimant_key: Digest, read_root: Digest
) -> UserState:
    """Check a claim step by ``claimant_id`` holding ``claimant_key`` reading ``read_root``, applied to ``old``.

    Returns the new state.
    """
    _require_equal(step.old, old, "state before claim")
    op, record, sender = step.op, step.record, step.sender
    require_next_nonce(old.nonce, op.nonce)
    require_user_id(op.sender_id, "sender")
    require_outbox_index(op.outbox_index)
    if record.index != op.outbox_index:
        raise InvalidWitnessError(f"record index {record.index} differs from the claimed slot {op.outbox_index}")
    require_recipient(record.recipient, record.address, claimant_id, claimant_key)
    _require_path(
        record.digest(),
        op.outbox_index,
        sender.outbox_path,
        OUTBOX_DEPTH,
        sender.outbox_root,
        f"record {op.outbox_index} in user {op.sender_id}'s outbox",
    )
    sender_leaf = leaf_digest(sender.outbox_root, sender.opaque_digest)
    _require_path(
        sender_leaf,
        op.sender_id,
        sender.global_path,
        GLOBAL_TREE_DEPTH,
        read_root,
        f"user {op.sender_id}'s leaf under the read root",
    )
    key = claim_key(op.sender_id, op.outbox_index)
    _require_path(
        EMPTY_LEAF,
        key,
        step.claimed_path,
        CLAIMED_DEPTH,
        old.claimed_root,
        f"transfer ({op.sender_id}, {op.outbox_index}) not yet claimed",
        DoubleClaimError,
    )
    balance = credit(old.balance, record.amount)
    claimed_root = compute_root_from_path(CLAIMED_LEAF, key, step.claimed_path)
    new = UserState(balance, op.nonce, old.outbox_len, old.outbox_root, claimed_root)
    _require_equal(step.new, new, "state after claim")
    return new


def _verify_start(trace: SessionTrace, key: Digest) -> tuple[UserState, Sequence[Step]]:
    """The state the session starts from (after registration, if any) and the remaining steps."""
    first = trace.steps[0]
    if isinstance(first, RegisterStep):
        if trace.old_leaf != EMPTY_LEAF:
            raise AlreadyRegisteredError(f"user {trace.user_id} cannot register: its leaf is not empty")
        if trace.old_state is not None:
            raise InvalidWitnessError("a registering session has no old state")
        return verify_register(first), trace.steps[1:]
    if trace.old_state is None or trace.old_leaf == EMPTY_LEAF:
        raise UnknownUserError(f"user {trace.user_id} is not registered (empty leaf)")
    if trace.old_state.leaf(key) != trace.old_leaf:
        raise AuthorizationError(f"the secret's key digest and the old state do not open user {trace.user_id}'s leaf")
    return trace.old_state, trace.steps


def verify_session_trace(trace: SessionTrace) -> SessionPublicData:
    """Check a whole session trace; return its public data (with the recomputed new leaf)."""
    require_user_id(trace.user_id, "user")
    require_secret(trace.secret)
    if not trace.steps:
        raise MalformedSessionError(f"the session of user {trace.user_id} has no operations")
    key = key_digest(trace.secret)
    state, steps = _verify_start(trace, key)
    appends: list[TransferRecord] = []
    for step in steps:
        if isinstance(step, RegisterStep):
            raise MalformedSessionError("registration must be the first operation of a session")
        if isinstance(step, SendStep):
            state = verify_send(step, state)
            appends.append(step_record(step))
        else:
            state = verify_claim(step, state, trace.user_id, key, trace.read_root)
    public = SessionPublicData(
        trace.user_id, trace.deposit, state.outbox_root, state.opaque_digest(key), tuple(appends)
    )
    if public.new_leaf != trace.new_leaf:
        raise InvalidWitnessError(f"user {trace.user_id}'s new leaf differs from the recomputed one")
    return public
