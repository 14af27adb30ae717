"""The user-session circuit: one user's operations of one block, old leaf -> new leaf.

This is the in-circuit twin of ``rollup.witness.verify_session_trace`` (the
native executable specification), check for check, with mirrored names
(``verify_send`` <-> :func:`verify_send_circuit`, ``debit`` <->
:func:`debit_circuit`, ...). It does not import ``rollup``: the sizes come in a
:class:`SessionCircuitShape` and the witness as plain ints and digests
(:class:`SessionWitness`); ``rollup.session_proving`` converts a trace.

Formulas (H = hash_elements, C = compress, climb = Merkle path climb)::

    key        = H(secret)
    state_root = H(balance, nonce, outbox_len, outbox_root[4], claimed_root[4])
    leaf       = H(key[4], state_root[4])
    record     = H(recipient, amount, index)
    data       = H(user_id, deposit, new_leaf[4])        (the session's block-data leaf)

**Start.** A boolean ``registers``. If 1: the old leaf is EMPTY (0,0,0,0),
deposit < 2^max_amount_bits, and the session starts from
initial(deposit) = (deposit, 0, 0, Z_outbox, Z_claimed). If 0: the deposit is 0
and the old leaf is H(H(secret), state_root(old_state)), i.e. the prover knows
the secret whose digest the leaf commits to (authorization).

**Slots.** ``num_slots`` operation slots, each with booleans ``is_send`` and
``is_claim`` (at most one set; ``enabled`` = their sum). Enabled slots form a
prefix, and a session has at least one operation (registration or slot 0).
Every slot, whatever its kind, range-checks amount (max_amount_bits), recipient
and sender id (global depth) and index (outbox depth), and computes

    record  = H(recipient, amount, index)
    written = is_claim ? CLAIMED_LEAF : record
    one path of claimed_depth = outbox_depth + global_depth levels, bits = bits(index) || bits(sender_id),
    climbed twice: from EMPTY (old nodes) and from ``written`` (new nodes).

A send uses the path's level outbox_depth (an update of the user's outbox at
slot ``index``); a claim uses level claimed_depth (an update of the claimed set
at claim_key(sender, index) = sender * 2^outbox_depth + index, whose bits are
exactly bits(index) || bits(sender)). Sharing the path is what keeps a slot at
about 120 rows whatever its kind.

    enabled:  op_nonce = nonce + 1;  nonce' = nonce + 1
    send:     index = outbox_len (< 2^outbox_depth: a full outbox cannot append);
              old_nodes[outbox_depth] = outbox_root;  outbox_root' = new_nodes[outbox_depth];
              outbox_len' = outbox_len + 1;  balance' = balance - amount
    claim:    recipient = user_id;
              climb(record, bits(index), sender_outbox_path) = sender_state.outbox_root;
              climb(H(sender_key, state_root(sender_state)), bits(sender), global_path) = read_root;
              old_nodes[claimed_depth] = claimed_root   (not claimed yet);
              claimed_root' = new_nodes[claimed_depth];  balance' = balance + amount
    always:   balance' < 2^max_amount_bits  (no overdraft: with a, b < 2^48, b - a wraps
              to >= p - 2^48 when a > b; and the credit bound)

A disabled slot leaves the state unchanged (its climbs are computed and ignored).
The old state's balance is not range-checked again: every balance in a leaf was
range-checked when it was written (by induction from the registration deposit).

**Rule labels.** The builder records which rule each witness generator checks
(:func:`mark`); a witness that breaks a rule raises :class:`SessionRuleError`
naming it. Labels are for error messages only and do not change the constraints.

**Public inputs** (in this order, :class:`SessionStatement`): level (= 0),
user_id, old_leaf[4], new_leaf[4], read_root[4], data_digest[4] -- 18 elements:
the node statement of the level-0 subtree at user_id (see
``circuits.block_circuits``); built for a block tree, a pass-through whitelist
root (4) follows.
Not checked here, and left to the aggregation circuit: the old leaf is the leaf
of user_id under the previous global root, and read_root is that root.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from circuits.builder import CircuitBuilder, DigestTarget
from circuits.circuit_data import CircuitData
from circuits.gadgets import (
    add_virtual_digests,
    assert_digest_equal_if,
    assert_equal_if,
    compute_root_from_path_circuit,
    logical_not,
    merkle_update_circuit,
    select_digest,
)
from circuits.generators import ConstantGenerator, Generator, generate_witness
from circuits.witness import Target, Witness
from verifier.config import STANDARD_CONFIG, ProofConfig
from verifier.hashing import ZERO_DIGEST, Digest, hash_elements
from verifier.merkle import default_digests
from verifier.proof import CommonData, ProofWithPublicInputs

OP_NOOP = 0
OP_SEND = 1
OP_CLAIM = 2
MAX_SPLIT_BITS = 63
"""split_le decomposes into at most 63 bits."""


# =============================================================== shape and plain data


@dataclass(frozen=True)
class SessionCircuitShape:
    """The sizes a session circuit is built for (rollup.params supplies them)."""

    num_slots: int
    global_tree_depth: int
    outbox_depth: int
    claimed_depth: int
    max_amount_bits: int
    secret_size: int
    claimed_leaf: Digest

    def __post_init__(self) -> None:
        if self.num_slots < 1:
            raise ValueError("a session circuit has at least one operation slot")
        if self.claimed_depth != self.global_tree_depth + self.outbox_depth:
            raise ValueError("claimed_depth must be global_tree_depth + outbox_depth (claim keys pack both)")
        if not 0 < self.global_tree_depth <= MAX_SPLIT_BITS or not 0 < self.outbox_depth <= MAX_SPLIT_BITS:
            raise ValueError("tree depths must lie in 1..63 (index bits come from one split_le)")
        if not 0 < self.max_amount_bits <= 62:
            raise ValueError("max_amount_bits must lie in 1..62 so that b + a never wraps modulo p")
        if self.secret_size < 1 or len(self.claimed_leaf) != 4 or tuple(self.claimed_leaf) == ZERO_DIGEST:
            raise ValueError("bad secret size or claimed leaf (it must differ from the empty leaf)")

    @property
    def empty_outbox_root(self) -> Digest:
        """Z_outbox_depth: the root of an empty outbox."""
        return default_digests(self.outbox_depth)[-1]

    @property
    def empty_claimed_root(self) -> Digest:
        """Z_claimed_depth: the root of an empty claimed set."""
        return default_digests(self.claimed_depth)[-1]


@dataclass(frozen=True)
class StateValues:
    """The fields a user's state root commits to (mirrors ``rollup.state.UserState``)."""

    balance: int
    nonce: int
    outbox_len: int
    outbox_root: Digest
    claimed_root: Digest

    def root(self) -> Digest:
        """H(balance, nonce, outbox_len, outbox_root, claimed_root)."""
        return hash_elements([self.balance, self.nonce, self.outbox_len, *self.outbox_root, *self.claimed_root])


EMPTY_STATE = StateValues(0, 0, 0, ZERO_DIGEST, ZERO_DIGEST)
"""Padding for unused state inputs (a registering session's old state, a non-claim slot's sender state)."""


@dataclass(frozen=True)
class SlotWitness:
    """One operation slot. Unused fields are padding (zeros) and do not matter.

    * ``kind``: OP_NOOP, OP_SEND or OP_CLAIM.
    * ``recipient, amount, index``: the transfer record (a send writes it at
      ``index`` = outbox_len of its own outbox; a claim reads it at ``index`` of
      the sender's outbox, and its recipient must be the session user).
    * ``own_path``: siblings of the slot being written in the user's own tree,
      ``claimed_depth`` of them: a send's outbox path (outbox_depth siblings,
      the rest padding), a claim's claimed-set path. Missing siblings are zeros.
    * ``sender_*``: a claim's evidence: the sender's key digest and state, the
      record's path in the sender's outbox, the sender's path in the global tree.
    """

    kind: int = OP_NOOP
    nonce: int = 0
    recipient: int = 0
    amount: int = 0
    index: int = 0
    sender_id: int = 0
    own_path: tuple[Digest, ...] = ()
    sender_key: Digest = ZERO_DIGEST
    sender_state: StateValues = EMPTY_STATE
    sender_outbox_path: tuple[Digest, ...] = ()
    sender_global_path: tuple[Digest, ...] = ()


@dataclass(frozen=True)
class SessionWitness:
    """Everything the prover supplies. ``secret`` is the private authorization witness."""

    user_id: int
    read_root: Digest
    secret: tuple[int, ...]
    registers: bool
    deposit: int
    old_state: StateValues
    slots: tuple[SlotWitness, ...] = field(default=())


PUBLIC_INPUT_LAYOUT: dict[str, tuple[int, int]] = {
    "level": (0, 1),
    "user_id": (1, 1),
    "old_leaf": (2, 4),
    "new_leaf": (6, 4),
    "read_root": (10, 4),
    "data_digest": (14, 4),
}
"""Field -> (offset, length) in a session proof's public inputs: the node statement of the level-0
subtree at ``user_id`` (``circuits.block_circuits.NodeStatement``), so aggregation treats sessions and
subtrees alike. The deposit is bound inside the data digest (and listed in the block's public data)."""

SESSION_LEVEL = 0


@dataclass(frozen=True)
class SessionStatement:
    """The public inputs of a session proof, in order."""

    user_id: int
    old_leaf: Digest
    new_leaf: Digest
    read_root: Digest
    data_digest: Digest

    NUM_PUBLIC_INPUTS = 18

    def to_public_inputs(self) -> tuple[int, ...]:
        """(level 0, user_id, *old_leaf, *new_leaf, *read_root, *data_digest)."""
        return (
            SESSION_LEVEL,
            self.user_id,
            *self.old_leaf,
            *self.new_leaf,
            *self.read_root,
            *self.data_digest,
        )

    @classmethod
    def from_public_inputs(cls, values: Sequence[int]) -> SessionStatement:
        """Parse the 18 public inputs of a session proof."""
        if len(values) < cls.NUM_PUBLIC_INPUTS:
            raise ValueError(f"a session statement has {cls.NUM_PUBLIC_INPUTS} public inputs, got {len(values)}")
        v = [int(x) for x in values]
        if v[0] != SESSION_LEVEL:
            raise ValueError(f"a session statement is at level {SESSION_LEVEL}, got {v[0]}")

        def digest(start: int) -> Digest:
            return v[start], v[start + 1], v[start + 2], v[start + 3]

        return cls(v[1], digest(2), digest(6), digest(10), digest(14))


def session_data_digest(user_id: int, deposit: int, new_leaf: Digest) -> Digest:
    """H(user_id, deposit, new_leaf): the session's leaf in the block data tree (native twin)."""
    return hash_elements([user_id, deposit, *new_leaf])


# =============================================================== targets


@dataclass(frozen=True)
class StateTarget:
    """In-circuit user state."""

    balance: Target
    nonce: Target
    outbox_len: Target
    outbox_root: DigestTarget
    claimed_root: DigestTarget

    def elements(self) -> list[Target]:
        """The 11 elements state_root hashes, in order."""
        return [self.balance, self.nonce, self.outbox_len, *self.outbox_root, *self.claimed_root]


@dataclass(frozen=True)
class SlotTargets:
    """The inputs of one operation slot."""

    is_send: Target
    is_claim: Target
    nonce: Target
    recipient: Target
    amount: Target
    index: Target
    sender_id: Target
    own_path: list[DigestTarget]
    sender_key: DigestTarget
    sender_state: StateTarget
    sender_outbox_path: list[DigestTarget]
    sender_global_path: list[DigestTarget]


@dataclass(frozen=True)
class SessionTargets:
    """The inputs of a session circuit and its public outputs."""

    user_id: Target
    read_root: DigestTarget
    secret: list[Target]
    registers: Target
    deposit: Target
    old_state: StateTarget
    slots: list[SlotTargets]
    old_leaf: DigestTarget
    new_leaf: DigestTarget
    data_digest: DigestTarget

    level: Target
    """The constant 0: a session is the level-0 node at its user id."""

    def public_inputs(self) -> list[Target]:
        """The registration order of the public inputs (see :class:`SessionStatement`)."""
        return [
            self.level,
            self.user_id,
            *self.old_leaf,
            *self.new_leaf,
            *self.read_root,
            *self.data_digest,
        ]


def add_virtual_state(b: CircuitBuilder) -> StateTarget:
    """Fresh inputs for a user state."""
    balance, nonce, outbox_len = b.add_virtual_targets(3)
    return StateTarget(balance, nonce, outbox_len, b.add_virtual_digest(), b.add_virtual_digest())


def add_virtual_slot(b: CircuitBuilder, shape: SessionCircuitShape) -> SlotTargets:
    """Fresh inputs for one operation slot."""
    is_send, is_claim, nonce, recipient, amount, index, sender_id = b.add_virtual_targets(7)
    return SlotTargets(
        is_send=is_send,
        is_claim=is_claim,
        nonce=nonce,
        recipient=recipient,
        amount=amount,
        index=index,
        sender_id=sender_id,
        own_path=add_virtual_digests(b, shape.claimed_depth),
        sender_key=b.add_virtual_digest(),
        sender_state=add_virtual_state(b),
        sender_outbox_path=add_virtual_digests(b, shape.outbox_depth),
        sender_global_path=add_virtual_digests(b, shape.global_tree_depth),
    )


# =============================================================== rule labels (diagnostics)


class SessionRuleError(ValueError):
    """A session witness breaks a rule of the circuit; ``rule`` names the check that failed (when known)."""

    def __init__(self, rule: str | None, detail: str) -> None:
        super().__init__(f"{rule or 'session circuit'}: {detail}")
        self.rule = rule


class LabellingBuilder(CircuitBuilder):
    """A CircuitBuilder that remembers which rule each generator belongs to (for error messages only)."""

    def __init__(self, config: ProofConfig = STANDARD_CONFIG) -> None:
        super().__init__(config)
        self.sections: list[tuple[int, str]] = []
        self.scope = ""


def mark(b: CircuitBuilder, rule: str) -> None:
    """Start a labelled section: generators created from now on check ``rule`` (no effect on constraints)."""
    if isinstance(b, LabellingBuilder):
        b.sections.append((len(b.generators), b.scope + rule))


def set_scope(b: CircuitBuilder, scope: str) -> None:
    """Prefix the following labels (e.g. ``"slot 2: "``)."""
    if isinstance(b, LabellingBuilder):
        b.scope = scope


class _Labelled(Generator):
    """Runs a generator; a failure is re-raised naming the rule it checks."""

    def __init__(self, inner: Generator, rule: str) -> None:
        self.inner = inner
        self.rule = rule

    def dependencies(self) -> Sequence[Target]:
        return self.inner.dependencies()

    def run(self, w: Witness) -> None:
        try:
            self.inner.run(w)
        except ValueError as exc:
            raise SessionRuleError(self.rule, str(exc)) from exc


# =============================================================== formulas (twins of rollup.state / rollup.outbox)


def key_digest_circuit(b: CircuitBuilder, secret: Sequence[Target]) -> DigestTarget:
    """Twin of ``rollup.state.key_digest``: H(secret)."""
    return b.hash_elements(secret)


def state_root_circuit(b: CircuitBuilder, state: StateTarget) -> DigestTarget:
    """Twin of ``UserState.root``: H(balance, nonce, outbox_len, outbox_root, claimed_root)."""
    return b.hash_elements(state.elements())


def leaf_digest_circuit(b: CircuitBuilder, key: Sequence[Target], state_root: Sequence[Target]) -> DigestTarget:
    """Twin of ``rollup.state.leaf_digest``: H(key, state_root)."""
    return b.hash_elements([*key, *state_root])


def record_digest_circuit(b: CircuitBuilder, recipient: Target, amount: Target, index: Target) -> DigestTarget:
    """Twin of ``TransferRecord.digest``: H(recipient, amount, index)."""
    return b.hash_elements([recipient, amount, index])


def session_data_digest_circuit(
    b: CircuitBuilder, user_id: Target, deposit: Target, new_leaf: Sequence[Target]
) -> DigestTarget:
    """Twin of ``SessionPublicData.digest``: H(user_id, deposit, new_leaf)."""
    return b.hash_elements([user_id, deposit, *new_leaf])


def initial_state_circuit(b: CircuitBuilder, shape: SessionCircuitShape, deposit: Target) -> StateTarget:
    """Twin of ``UserState.initial``: (deposit, 0, 0, Z_outbox, Z_claimed)."""
    return StateTarget(
        deposit,
        b.zero(),
        b.zero(),
        b.constant_digest(shape.empty_outbox_root),
        b.constant_digest(shape.empty_claimed_root),
    )


def select_state(b: CircuitBuilder, bit: Target, if_zero: StateTarget, if_one: StateTarget) -> StateTarget:
    """bit ? if_one : if_zero, field by field."""
    return StateTarget(
        b.select(bit, if_zero.balance, if_one.balance),
        b.select(bit, if_zero.nonce, if_one.nonce),
        b.select(bit, if_zero.outbox_len, if_one.outbox_len),
        select_digest(b, bit, if_zero.outbox_root, if_one.outbox_root),
        select_digest(b, bit, if_zero.claimed_root, if_one.claimed_root),
    )


# =============================================================== scalar rules (twins of rollup.rules)


def require_user_id_circuit(b: CircuitBuilder, shape: SessionCircuitShape, value: Target) -> list[Target]:
    """Twin of ``require_user_id``: value < 2^global_tree_depth; returns its bits (a global-tree path)."""
    return b.split_le(value, shape.global_tree_depth)


def require_outbox_index_circuit(b: CircuitBuilder, shape: SessionCircuitShape, value: Target) -> list[Target]:
    """Twin of ``require_outbox_index``: value < 2^outbox_depth; returns its bits (an outbox path)."""
    return b.split_le(value, shape.outbox_depth)


def require_amount_circuit(b: CircuitBuilder, shape: SessionCircuitShape, value: Target) -> None:
    """Twin of ``require_amount``: value < 2^max_amount_bits."""
    b.range_check(value, shape.max_amount_bits)


def require_next_nonce_circuit(b: CircuitBuilder, current: Target, given: Target, enabled: Target) -> Target:
    """Twin of ``require_next_nonce``: given = current + 1 when enabled; returns the nonce afterwards."""
    following = b.add(current, enabled)
    assert_equal_if(b, enabled, given, following)
    return following


def debit_circuit(b: CircuitBuilder, balance: Target, amount: Target, enabled: Target) -> Target:
    """Twin of ``debit`` (without its range check): balance - enabled * amount.

    The result is range-checked once per slot by the caller; with balance and
    amount below 2^max_amount_bits, an overdraft wraps to >= p - 2^max_amount_bits
    and fails that check.
    """
    return b.arithmetic(-1, 1, enabled, amount, balance)


def credit_circuit(b: CircuitBuilder, balance: Target, amount: Target, enabled: Target) -> Target:
    """Twin of ``credit`` (without its range check): balance + enabled * amount (< 2^(bits+1), no wrap)."""
    return b.mul_add(enabled, amount, balance)


def require_recipient_circuit(b: CircuitBuilder, recipient: Target, claimant: Target, enabled: Target) -> None:
    """Twin of ``require_recipient``: the record's recipient is the claimant (when enabled)."""
    assert_equal_if(b, enabled, recipient, claimant)


# =============================================================== operations (twins of rollup.witness)


def verify_register_circuit(b: CircuitBuilder, shape: SessionCircuitShape, deposit: Target) -> StateTarget:
    """Twin of ``verify_register``: deposit in range, the new state is initial(deposit)."""
    mark(b, "deposit < 2^max_amount_bits")
    require_amount_circuit(b, shape, deposit)
    return initial_state_circuit(b, shape, deposit)


def verify_send_circuit(
    b: CircuitBuilder,
    enabled: Target,
    state: StateTarget,
    slot: SlotTargets,
    outbox_before: DigestTarget,
    outbox_after: DigestTarget,
) -> StateTarget:
    """Twin of ``verify_send`` (nonce and range checks are done per slot by the caller).

    ``outbox_before`` / ``outbox_after`` are climb(EMPTY, index, path) and
    climb(record, index, path) over the outbox depth. Returns the state after
    the send, or ``state`` itself when not enabled.
    """
    mark(b, "send: index = outbox_len")
    assert_equal_if(b, enabled, slot.index, state.outbox_len)
    mark(b, "send: the outbox slot is empty (climb(EMPTY, index, path) = outbox_root)")
    assert_digest_equal_if(b, enabled, outbox_before, state.outbox_root)
    mark(b, "send: state update")
    return StateTarget(
        debit_circuit(b, state.balance, slot.amount, enabled),
        state.nonce,
        b.add(state.outbox_len, enabled),
        select_digest(b, enabled, state.outbox_root, outbox_after),
        state.claimed_root,
    )


def verify_claim_circuit(
    b: CircuitBuilder,
    enabled: Target,
    state: StateTarget,
    slot: SlotTargets,
    record: DigestTarget,
    index_bits: Sequence[Target],
    sender_bits: Sequence[Target],
    claimed_before: DigestTarget,
    claimed_after: DigestTarget,
    claimant: Target,
    read_root: DigestTarget,
) -> StateTarget:
    """Twin of ``verify_claim`` (nonce and range checks are done per slot by the caller).

    ``claimed_before`` / ``claimed_after`` are climb(EMPTY, k, path) and
    climb(CLAIMED_LEAF, k, path) over the claimed-set depth at
    k = claim_key(sender, index). Returns the state after the claim, or
    ``state`` itself when not enabled.
    """
    mark(b, "claim: the record's recipient is the claimant")
    require_recipient_circuit(b, slot.recipient, claimant, enabled)
    mark(b, "claim: the record is in the sender's outbox")
    in_outbox = compute_root_from_path_circuit(b, record, index_bits, slot.sender_outbox_path)
    assert_digest_equal_if(b, enabled, in_outbox, slot.sender_state.outbox_root)
    mark(b, "claim: the sender's leaf is under the read root")
    sender_leaf = leaf_digest_circuit(b, slot.sender_key, state_root_circuit(b, slot.sender_state))
    under_read_root = compute_root_from_path_circuit(b, sender_leaf, sender_bits, slot.sender_global_path)
    assert_digest_equal_if(b, enabled, under_read_root, read_root)
    mark(b, "claim: not claimed yet (climb(EMPTY, claim_key, path) = claimed_root)")
    assert_digest_equal_if(b, enabled, claimed_before, state.claimed_root)
    mark(b, "claim: state update")
    return StateTarget(
        credit_circuit(b, state.balance, slot.amount, enabled),
        state.nonce,
        state.outbox_len,
        state.outbox_root,
        select_digest(b, enabled, state.claimed_root, claimed_after),
    )


def verify_operation_circuit(
    b: CircuitBuilder,
    shape: SessionCircuitShape,
    slot: SlotTargets,
    state: StateTarget,
    claimant: Target,
    read_root: DigestTarget,
) -> tuple[StateTarget, Target]:
    """One slot: a send, a claim or nothing. Returns the state afterwards and the slot's ``enabled`` bit."""
    mark(b, "operation kind (booleans, at most one set)")
    b.assert_bool(slot.is_send)
    b.assert_bool(slot.is_claim)
    enabled = b.add(slot.is_send, slot.is_claim)
    b.assert_bool(enabled)
    mark(b, "nonce = previous nonce + 1")
    nonce = require_next_nonce_circuit(b, state.nonce, slot.nonce, enabled)
    mark(b, "amount < 2^max_amount_bits")
    require_amount_circuit(b, shape, slot.amount)
    mark(b, "recipient id < 2^global_tree_depth")
    require_user_id_circuit(b, shape, slot.recipient)
    mark(b, "outbox index < 2^outbox_depth")
    index_bits = require_outbox_index_circuit(b, shape, slot.index)
    mark(b, "sender id < 2^global_tree_depth")
    sender_bits = require_user_id_circuit(b, shape, slot.sender_id)
    mark(b, "record digest and own-tree path")
    record = record_digest_circuit(b, slot.recipient, slot.amount, slot.index)
    written = select_digest(b, slot.is_claim, record, b.constant_digest(shape.claimed_leaf))
    old_nodes, new_nodes = merkle_update_circuit(
        b, b.constant_digest(ZERO_DIGEST), written, [*index_bits, *sender_bits], slot.own_path
    )
    level = shape.outbox_depth
    state = verify_send_circuit(b, slot.is_send, state, slot, old_nodes[level], new_nodes[level])
    state = verify_claim_circuit(
        b,
        slot.is_claim,
        state,
        slot,
        record,
        index_bits,
        sender_bits,
        old_nodes[-1],
        new_nodes[-1],
        claimant,
        read_root,
    )
    mark(b, "new balance < 2^max_amount_bits (no overdraft, credit bound)")
    require_amount_circuit(b, shape, state.balance)
    return StateTarget(state.balance, nonce, state.outbox_len, state.outbox_root, state.claimed_root), enabled


def verify_start_circuit(
    b: CircuitBuilder,
    shape: SessionCircuitShape,
    key: DigestTarget,
    registers: Target,
    deposit: Target,
    old_state: StateTarget,
) -> tuple[StateTarget, DigestTarget]:
    """Twin of ``_verify_start``: the state the slots start from, and the old leaf.

    Registering: old leaf EMPTY, state initial(deposit). Otherwise: deposit 0 and
    old leaf H(H(secret), state_root(old_state)), which is the authorization.
    """
    mark(b, "registration flag; a deposit only when registering")
    b.assert_bool(registers)
    b.connect(b.mul(registers, deposit), deposit)
    registered = verify_register_circuit(b, shape, deposit)
    mark(b, "old leaf = H(H(secret), state_root(old_state)) (authorization), or EMPTY when registering")
    existing_leaf = leaf_digest_circuit(b, key, state_root_circuit(b, old_state))
    old_leaf = select_digest(b, registers, existing_leaf, b.constant_digest(ZERO_DIGEST))
    return select_state(b, registers, old_state, registered), old_leaf


def verify_session_trace_circuit(b: CircuitBuilder, shape: SessionCircuitShape) -> SessionTargets:
    """Twin of ``verify_session_trace``: the whole session circuit; registers the public inputs."""
    user_id = b.add_virtual_target()
    mark(b, "user id < 2^global_tree_depth")
    require_user_id_circuit(b, shape, user_id)
    read_root = b.add_virtual_digest()
    secret = b.add_virtual_targets(shape.secret_size)
    registers, deposit = b.add_virtual_targets(2)
    old_state = add_virtual_state(b)
    slots = [add_virtual_slot(b, shape) for _ in range(shape.num_slots)]

    mark(b, "key digest H(secret)")
    key = key_digest_circuit(b, secret)
    state, old_leaf = verify_start_circuit(b, shape, key, registers, deposit, old_state)
    previous: Target | None = None
    for position, slot in enumerate(slots):
        set_scope(b, f"slot {position}: ")
        state, enabled = verify_operation_circuit(b, shape, slot, state, user_id, read_root)
        mark(b, "at least one operation; enabled slots form a prefix")
        if previous is None:
            # at least one operation: a registration or an enabled first slot
            b.assert_zero(b.mul(logical_not(b, registers), logical_not(b, enabled)))
        else:
            # enabled slots form a prefix
            b.assert_zero(b.mul(enabled, logical_not(b, previous)))
        previous = enabled
    set_scope(b, "")
    mark(b, "new leaf = H(H(secret), state_root(final state))")
    new_leaf = leaf_digest_circuit(b, key, state_root_circuit(b, state))
    mark(b, "data digest = H(user_id, deposit, new_leaf)")
    data_digest = session_data_digest_circuit(b, user_id, deposit, new_leaf)
    targets = SessionTargets(
        user_id=user_id,
        read_root=read_root,
        secret=secret,
        registers=registers,
        deposit=deposit,
        old_state=old_state,
        slots=slots,
        old_leaf=old_leaf,
        new_leaf=new_leaf,
        data_digest=data_digest,
        level=b.constant(SESSION_LEVEL),
    )
    b.register_public_inputs(targets.public_inputs())
    mark(b, "public-input hash")
    return targets


# =============================================================== the built circuit


def _path_values(path: Sequence[Sequence[int]], depth: int, what: str) -> list[Sequence[int]]:
    """The siblings, padded with zero digests up to ``depth``."""
    if len(path) > depth:
        raise ValueError(f"{what} has {len(path)} siblings, the circuit expects at most {depth}")
    return [*path, *[ZERO_DIGEST] * (depth - len(path))]


def _set_digest(inputs: dict[Target, int], targets: Sequence[Target], values: Sequence[int]) -> None:
    if len(values) != len(targets):
        raise ValueError(f"expected {len(targets)} elements, got {len(values)}")
    inputs.update(zip(targets, (int(v) for v in values), strict=True))


def _set_state(inputs: dict[Target, int], targets: StateTarget, values: StateValues) -> None:
    inputs[targets.balance] = values.balance
    inputs[targets.nonce] = values.nonce
    inputs[targets.outbox_len] = values.outbox_len
    _set_digest(inputs, targets.outbox_root, values.outbox_root)
    _set_digest(inputs, targets.claimed_root, values.claimed_root)


def _set_path(inputs: dict[Target, int], targets: Sequence[DigestTarget], path: Sequence[Digest], what: str) -> None:
    for target, value in zip(targets, _path_values(path, len(targets), what), strict=True):
        _set_digest(inputs, target, value)


def _set_slot(inputs: dict[Target, int], targets: SlotTargets, slot: SlotWitness) -> None:
    if slot.kind not in (OP_NOOP, OP_SEND, OP_CLAIM):
        raise ValueError(f"unknown operation kind {slot.kind}")
    inputs[targets.is_send] = int(slot.kind == OP_SEND)
    inputs[targets.is_claim] = int(slot.kind == OP_CLAIM)
    inputs[targets.nonce] = slot.nonce
    inputs[targets.recipient] = slot.recipient
    inputs[targets.amount] = slot.amount
    inputs[targets.index] = slot.index
    inputs[targets.sender_id] = slot.sender_id
    _set_path(inputs, targets.own_path, slot.own_path, "own path")
    _set_digest(inputs, targets.sender_key, slot.sender_key)
    _set_state(inputs, targets.sender_state, slot.sender_state)
    _set_path(inputs, targets.sender_outbox_path, slot.sender_outbox_path, "sender outbox path")
    _set_path(inputs, targets.sender_global_path, slot.sender_global_path, "sender global path")


class SessionCircuit:
    """A built session circuit of one shape: keys, targets and the witness mapping."""

    def __init__(
        self,
        shape: SessionCircuitShape,
        data: CircuitData,
        targets: SessionTargets,
        gate_rows: int,
        sections: Sequence[tuple[int, str]] = (),
        whitelist_root: DigestTarget | None = None,
    ) -> None:
        """Use :meth:`build`."""
        self.shape = shape
        self.data = data
        self.targets = targets
        self.whitelist_root = whitelist_root
        """Pass-through public input of a circuit built for a block tree (see ``build``)."""
        self.sections = list(sections)
        """(first generator index, rule): which rule each generator checks, for error messages."""
        self.gate_rows = gate_rows
        """Rows holding gates (public-input hashing included), before padding to a power of two."""

    @classmethod
    def build(
        cls, shape: SessionCircuitShape, config: ProofConfig = STANDARD_CONFIG, tree_shape: CommonData | None = None
    ) -> SessionCircuit:
        """Build the circuit and its keys (deterministic: the same shape gives the same verifier key).

        With ``tree_shape`` (the universal shape of a block's aggregation tree) the
        circuit is padded to it and its statement is followed by a pass-through
        whitelist root, so aggregation proofs can verify it.
        """
        b = LabellingBuilder(config)
        targets = verify_session_trace_circuit(b, shape)
        whitelist_root = None
        if tree_shape is not None:
            whitelist_root = b.add_virtual_digest()
            b.register_public_inputs(list(whitelist_root))
        data = b.build(tree_shape)
        sections = b.sections if len(data.generators) == len(b.generators) else []
        return cls(shape, data, targets, len(b.rows), sections, whitelist_root)

    @property
    def degree_bits(self) -> int:
        """log2 of the padded number of rows."""
        return self.data.common.degree_bits

    def inputs(
        self,
        witness: SessionWitness,
        statement: SessionStatement | None = None,
        whitelist_root: Digest | None = None,
    ) -> dict[Target, int]:
        """The values of every input target; with ``statement``, also the claimed public inputs.

        Values are taken modulo p by witness generation (a negative amount is a
        field element like any other: the circuit's range checks decide).
        """
        t = self.targets
        if len(witness.slots) > self.shape.num_slots:
            raise ValueError(f"{len(witness.slots)} operations do not fit in {self.shape.num_slots} slots")
        if len(witness.secret) != self.shape.secret_size:
            raise ValueError(f"a secret has {self.shape.secret_size} elements, got {len(witness.secret)}")
        inputs: dict[Target, int] = {t.user_id: witness.user_id, t.registers: int(witness.registers)}
        inputs[t.deposit] = witness.deposit
        _set_digest(inputs, t.read_root, witness.read_root)
        _set_digest(inputs, t.secret, witness.secret)
        _set_state(inputs, t.old_state, witness.old_state)
        slots = list(witness.slots) + [SlotWitness()] * (self.shape.num_slots - len(witness.slots))
        for targets, slot in zip(t.slots, slots, strict=True):
            _set_slot(inputs, targets, slot)
        if (whitelist_root is None) != (self.whitelist_root is None):
            raise ValueError("a whitelist root is required exactly for circuits built for a block tree")
        if self.whitelist_root is not None and whitelist_root is not None:
            _set_digest(inputs, self.whitelist_root, whitelist_root)
        if statement is not None:
            for target, value in zip(t.public_inputs(), statement.to_public_inputs(), strict=True):
                if target in inputs and inputs[target] != value:
                    raise ValueError("the witness contradicts the claimed statement")
                inputs[target] = value
        return inputs

    def generate_witness(
        self, witness: SessionWitness, statement: SessionStatement | None = None, whitelist_root: Digest | None = None
    ) -> Witness:
        """The full wire assignment; SessionRuleError when the witness breaks a rule (or contradicts ``statement``)."""
        inputs = self.inputs(witness, statement, whitelist_root)
        try:
            return self.data.generate_witness(inputs)
        except ValueError as exc:
            raise SessionRuleError(self.violated_rule(inputs), str(exc)) from exc

    def violated_rule(self, inputs: Mapping[Target, int]) -> str | None:
        """The rule a failing witness breaks first, found by re-running generation with labelled generators.

        Constants are set before anything runs, so an equality or range check
        fails in the generator that computes it (never in a constant's).
        """
        generators = self.data.generators
        if not self.sections or len(generators) < self.sections[-1][0]:
            return None
        starts = [start for start, _ in self.sections]
        labelled: list[Generator] = []
        preset = dict(inputs)
        for position, generator in enumerate(generators):
            section = bisect_right(starts, position) - 1
            labelled.append(_Labelled(generator, self.sections[section][1]) if section >= 0 else generator)
            if isinstance(generator, ConstantGenerator):
                preset.setdefault(generator.target, generator.value)
        common = self.data.common
        try:
            generate_witness(common.config.num_wires, common.degree, self.data.copy_classes, labelled, preset)
        except SessionRuleError as exc:
            return exc.rule
        except ValueError:
            return None
        return None

    def prove(
        self, witness: SessionWitness, statement: SessionStatement | None = None, whitelist_root: Digest | None = None
    ) -> ProofWithPublicInputs:
        """Prove the session; with ``statement``, the proof's public inputs must equal it."""
        return self.data.prove_witness(self.generate_witness(witness, statement, whitelist_root))

    def verify(self, proof: ProofWithPublicInputs) -> SessionStatement:
        """Verify a session proof (VerificationError on rejection) and return its statement."""
        self.data.verify(proof)
        return SessionStatement.from_public_inputs(proof.public_inputs)

    @staticmethod
    def statement(proof: ProofWithPublicInputs) -> SessionStatement:
        """The statement a proof claims (not verified)."""
        return SessionStatement.from_public_inputs(proof.public_inputs)
