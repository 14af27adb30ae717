"""The operation slots of the session circuit: register, send and claim (twins of ``rollup.witness``).

Slots come in two kinds (:class:`~rollup.slot_layout.SlotKind`). A slot of kind ``ANY`` holds a send, a claim
or nothing; a slot of kind ``SEND`` holds a send or nothing, and has no claim inputs at all. A session circuit's
slots follow its :class:`~rollup.slot_layout.SlotLayout`: slots of kind ANY, then slots of kind SEND.

Every slot, whatever its kind, range-checks amount (MAX_AMOUNT_BITS), recipient
id (GLOBAL_TREE_DEPTH) and index (OUTBOX_DEPTH), and computes

    record  = H(recipient, address, amount, index)

An ``ANY`` slot also range-checks the sender id (GLOBAL_TREE_DEPTH) and climbs

    written = is_claim ? CLAIMED_LEAF : record
    one path of CLAIMED_DEPTH = OUTBOX_DEPTH + GLOBAL_TREE_DEPTH levels, bits = bits(index) || bits(sender_id),
    climbed twice: from EMPTY (old nodes) and from ``written`` (new nodes).

A send uses the path's level OUTBOX_DEPTH (an update of the user's outbox at
slot ``index``); a claim uses level CLAIMED_DEPTH (an update of the claimed set
at claim_key(sender, index) = sender * 2^OUTBOX_DEPTH + index, whose bits are
exactly bits(index) || bits(sender)). Sharing the path is what keeps an ``ANY``
slot at about 120 rows whatever it holds. A ``SEND`` slot climbs only the
OUTBOX_DEPTH levels of its outbox path from EMPTY and from ``record`` (2 * 16
Poseidon2 rows instead of 2 * 36, and none of a claim's 36 rows of sender
paths), about 40 rows in all (8,127 rows for 204 slots).

    enabled:  op_nonce = nonce + 1;  nonce' = nonce + 1
    send:     index = outbox_len (< 2^OUTBOX_DEPTH: a full outbox cannot append);
              old_nodes[OUTBOX_DEPTH] = outbox_root;  outbox_root' = new_nodes[OUTBOX_DEPTH];
              outbox_len' = outbox_len + 1;  balance' = balance - amount
    claim:    recipient = user_id;  address = key = H(secret)  (the record names the claimant's key);
              climb(record, bits(index), sender_outbox_path) = sender_outbox_root;
              climb(H(sender_outbox_root, sender_opaque), bits(sender), global_path) = read_root
              (the sender's leaf from its two public parts: nothing else of the sender is read);
              old_nodes[CLAIMED_DEPTH] = claimed_root   (not claimed yet);
              claimed_root' = new_nodes[CLAIMED_DEPTH];  balance' = balance + amount
    always:   balance' < 2^MAX_AMOUNT_BITS  (no overdraft: with a, b < 2^48, b - a wraps
              to >= p - 2^48 when a > b; and the credit bound)

    send:     appends' = H(appends, record)   (the record is published in the block data)

A disabled slot leaves the state and the appends digest unchanged (its climbs are computed and ignored).
The send rules are one function (:func:`verify_send_circuit`, twin of ``verify_send``) used by both kinds,
and the checks every slot makes are :func:`verify_slot_start_circuit` and :func:`verify_slot_end_circuit`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields

from circuits.builder import CircuitBuilder, DigestTarget
from circuits.gadgets import (
    add_virtual_digests,
    assert_digest_equal_if,
    assert_equal_if,
    compute_root_from_path_circuit,
    merkle_update_circuit,
    select_digest,
)
from circuits.witness import Target
from rollup.circuits.labels import mark
from rollup.circuits.rules import (
    credit_circuit,
    debit_circuit,
    require_amount_circuit,
    require_next_nonce_circuit,
    require_outbox_index_circuit,
    require_recipient_circuit,
    require_user_id_circuit,
)
from rollup.circuits.state_digests import (
    StateTarget,
    append_digest_circuit,
    initial_state_circuit,
    leaf_digest_circuit,
    record_digest_circuit,
)
from rollup.params import CLAIMED_DEPTH, GLOBAL_TREE_DEPTH, OUTBOX_DEPTH
from rollup.slot_layout import SlotKind
from rollup.smt import EMPTY_LEAF
from rollup.state import CLAIMED_LEAF


@dataclass(frozen=True)
class SendSlotTargets:
    """The inputs of a send-only slot; ``own_path`` is the path of the written outbox slot."""

    is_send: Target
    nonce: Target
    recipient: Target
    address: DigestTarget
    amount: Target
    index: Target
    own_path: list[DigestTarget]


@dataclass(frozen=True)
class SlotTargets(SendSlotTargets):
    """The inputs of a slot of any kind: a send's inputs with ``own_path`` over the claimed-set depth (shared by
    both kinds), and what a claim reads of its sender."""

    is_claim: Target
    sender_id: Target
    sender_outbox_root: DigestTarget
    sender_opaque_digest: DigestTarget
    sender_outbox_path: list[DigestTarget]
    sender_global_path: list[DigestTarget]


def add_virtual_send_slot(b: CircuitBuilder, path_depth: int = OUTBOX_DEPTH) -> SendSlotTargets:
    """Fresh inputs for one send-only slot (``path_depth`` is the own path's, OUTBOX_DEPTH for a send slot)."""
    is_send, nonce, recipient, amount, index = b.add_virtual_targets(5)
    address = b.add_virtual_digest()
    return SendSlotTargets(is_send, nonce, recipient, address, amount, index, add_virtual_digests(b, path_depth))


def add_virtual_slot(b: CircuitBuilder) -> SlotTargets:
    """Fresh inputs for one slot of any kind."""
    send = add_virtual_send_slot(b, CLAIMED_DEPTH)
    is_claim, sender_id = b.add_virtual_targets(2)
    return SlotTargets(
        **{field.name: getattr(send, field.name) for field in fields(send)},
        is_claim=is_claim,
        sender_id=sender_id,
        sender_outbox_root=b.add_virtual_digest(),
        sender_opaque_digest=b.add_virtual_digest(),
        sender_outbox_path=add_virtual_digests(b, OUTBOX_DEPTH),
        sender_global_path=add_virtual_digests(b, GLOBAL_TREE_DEPTH),
    )


def add_virtual_slot_of(b: CircuitBuilder, kind: SlotKind) -> SendSlotTargets:
    """Fresh inputs for one slot of ``kind``."""
    return add_virtual_slot(b) if kind is SlotKind.ANY else add_virtual_send_slot(b)


def verify_register_circuit(b: CircuitBuilder, deposit: Target) -> StateTarget:
    """Twin of ``verify_register``: deposit in range, the new state is initial(deposit)."""
    mark(b, "deposit < 2^max_amount_bits")
    require_amount_circuit(b, deposit)
    return initial_state_circuit(b, deposit)


def verify_send_circuit(
    b: CircuitBuilder,
    enabled: Target,
    state: StateTarget,
    slot: SendSlotTargets,
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
    claimant_key: DigestTarget,
    read_root: DigestTarget,
) -> StateTarget:
    """Twin of ``verify_claim`` (nonce and range checks are done per slot by the caller).

    ``claimed_before`` / ``claimed_after`` are climb(EMPTY, k, path) and
    climb(CLAIMED_LEAF, k, path) over the claimed-set depth at
    k = claim_key(sender, index). Returns the state after the claim, or
    ``state`` itself when not enabled.
    """
    mark(b, "claim: the record's recipient and address are the claimant's id and key")
    require_recipient_circuit(b, slot.recipient, slot.address, claimant, claimant_key, enabled)
    mark(b, "claim: the record is in the sender's outbox")
    in_outbox = compute_root_from_path_circuit(b, record, index_bits, slot.sender_outbox_path)
    assert_digest_equal_if(b, enabled, in_outbox, slot.sender_outbox_root)
    mark(b, "claim: the sender's leaf is under the read root")
    sender_leaf = leaf_digest_circuit(b, slot.sender_outbox_root, slot.sender_opaque_digest)
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


@dataclass(frozen=True)
class SlotOutcome:
    """What one slot hands to the next: the state afterwards, the running appends digest afterwards, and
    whether the slot holds an operation."""

    state: StateTarget
    appends: DigestTarget
    enabled: Target


@dataclass(frozen=True)
class SlotStart:
    """What every slot computes first: the nonce afterwards, the index bits (an outbox path) and the record."""

    nonce: Target
    index_bits: list[Target]
    record: DigestTarget


def verify_slot_start_circuit(
    b: CircuitBuilder, slot: SendSlotTargets, state: StateTarget, enabled: Target
) -> SlotStart:
    """The checks every slot makes whatever its kind: op_nonce = nonce + 1 when enabled, amount < 2^MAX_AMOUNT_BITS,
    recipient < 2^GLOBAL_TREE_DEPTH, index < 2^OUTBOX_DEPTH; and record = H(recipient, address, amount, index)."""
    mark(b, "nonce = previous nonce + 1")
    nonce = require_next_nonce_circuit(b, state.nonce, slot.nonce, enabled)
    mark(b, "amount < 2^max_amount_bits")
    require_amount_circuit(b, slot.amount)
    mark(b, "recipient id < 2^global_tree_depth")
    require_user_id_circuit(b, slot.recipient)
    mark(b, "outbox index < 2^outbox_depth")
    index_bits = require_outbox_index_circuit(b, slot.index)
    mark(b, "record digest")
    record = record_digest_circuit(b, slot.recipient, slot.address, slot.amount, slot.index)
    return SlotStart(nonce, index_bits, record)


def verify_slot_end_circuit(
    b: CircuitBuilder,
    slot: SendSlotTargets,
    enabled: Target,
    state: StateTarget,
    start: SlotStart,
    appends: DigestTarget,
) -> SlotOutcome:
    """What every slot checks last: balance' < 2^MAX_AMOUNT_BITS (no overdraft, credit bound); a send's record
    extends the running appends digest (twin of ``append_digest``); the nonce afterwards."""
    mark(b, "new balance < 2^max_amount_bits (no overdraft, credit bound)")
    require_amount_circuit(b, state.balance)
    mark(b, "appends digest: a send's record is published")
    appended = select_digest(b, slot.is_send, appends, append_digest_circuit(b, appends, start.record))
    state = StateTarget(state.balance, start.nonce, state.outbox_len, state.outbox_root, state.claimed_root)
    return SlotOutcome(state, appended, enabled)


def verify_send_slot_circuit(
    b: CircuitBuilder, slot: SendSlotTargets, state: StateTarget, appends: DigestTarget
) -> SlotOutcome:
    """A send-only slot: a send or nothing, exactly the rules of ``verify_send`` over an own path of
    OUTBOX_DEPTH levels (bits = bits(index)). It has no claim inputs, so no witness makes it credit anything."""
    mark(b, "operation kind (boolean)")
    b.assert_bool(slot.is_send)
    start = verify_slot_start_circuit(b, slot, state, slot.is_send)
    mark(b, "outbox path")
    old_nodes, new_nodes = merkle_update_circuit(
        b, b.constant_digest(EMPTY_LEAF), start.record, start.index_bits, slot.own_path
    )
    state = verify_send_circuit(b, slot.is_send, state, slot, old_nodes[OUTBOX_DEPTH], new_nodes[OUTBOX_DEPTH])
    return verify_slot_end_circuit(b, slot, slot.is_send, state, start, appends)


def verify_operation_circuit(
    b: CircuitBuilder,
    slot: SlotTargets,
    state: StateTarget,
    appends: DigestTarget,
    claimant: Target,
    claimant_key: DigestTarget,
    read_root: DigestTarget,
) -> SlotOutcome:
    """A slot of any kind: a send, a claim or nothing (one path of CLAIMED_DEPTH levels serves both)."""
    mark(b, "operation kind (booleans, at most one set)")
    b.assert_bool(slot.is_send)
    b.assert_bool(slot.is_claim)
    enabled = b.add(slot.is_send, slot.is_claim)
    b.assert_bool(enabled)
    start = verify_slot_start_circuit(b, slot, state, enabled)
    mark(b, "sender id < 2^global_tree_depth")
    sender_bits = require_user_id_circuit(b, slot.sender_id)
    mark(b, "own-tree path")
    written = select_digest(b, slot.is_claim, start.record, b.constant_digest(CLAIMED_LEAF))
    old_nodes, new_nodes = merkle_update_circuit(
        b, b.constant_digest(EMPTY_LEAF), written, [*start.index_bits, *sender_bits], slot.own_path
    )
    level = OUTBOX_DEPTH
    state = verify_send_circuit(b, slot.is_send, state, slot, old_nodes[level], new_nodes[level])
    state = verify_claim_circuit(
        b,
        slot.is_claim,
        state,
        slot,
        start.record,
        start.index_bits,
        sender_bits,
        old_nodes[-1],
        new_nodes[-1],
        claimant,
        claimant_key,
        read_root,
    )
    return verify_slot_end_circuit(b, slot, enabled, state, start, appends)


def verify_slot_circuit(
    b: CircuitBuilder,
    slot: SendSlotTargets,
    state: StateTarget,
    appends: DigestTarget,
    claimant: Target,
    claimant_key: DigestTarget,
    read_root: DigestTarget,
) -> SlotOutcome:
    """One slot of the kind its targets were made for (:func:`add_virtual_slot_of`)."""
    if isinstance(slot, SlotTargets):
        return verify_operation_circuit(b, slot, state, appends, claimant, claimant_key, read_root)
    return verify_send_slot_circuit(b, slot, state, appends)
