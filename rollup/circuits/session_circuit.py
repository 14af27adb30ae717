"""The user-session circuit: one user's operations of one block, old leaf -> new leaf.

This is the in-circuit twin of ``rollup.witness.verify_session_trace`` (the
native executable specification), check for check, with mirrored names
(``verify_send`` <-> ``verify_send_circuit``, ``debit`` <-> ``debit_circuit``,
...). The digests are in :mod:`rollup.circuits.state_digests`, the scalar rules
in :mod:`rollup.circuits.rules`, the operation slots in
:mod:`rollup.circuits.operations`; this module assembles them.

**Start.** A boolean ``registers``. If 1: the old leaf is EMPTY (0,0,0,0),
deposit < 2^MAX_AMOUNT_BITS, and the session starts from
initial(deposit) = (deposit, 0, 0, Z_outbox, Z_claimed). If 0: the deposit is 0
and the old leaf is H(outbox_root, H(H(secret), private fields)) of old_state,
i.e. the prover knows the secret whose digest the leaf commits to (authorization).

**Slots.** The operation slots of a :class:`~rollup.slot_layout.SlotLayout`:
``any_slots`` of kind ``ANY``, then ``send_slots`` of kind ``SEND``. An ``ANY`` slot has booleans
``is_send`` and ``is_claim`` (at most one set; ``enabled`` = their sum), a
``SEND`` slot only ``is_send`` (``enabled`` = is_send; it has no claim inputs, so
no claim passes through a send slot). Enabled slots form a
prefix, and a session has at least one operation (registration or slot 0).
The old state's balance is not range-checked again: every balance in a leaf was
range-checked when it was written (by induction from the registration deposit).

**Public inputs** (in this order): level (= 0), user_id, old_leaf[4],
new_leaf[4], read_root[4], data_digest[4] -- 18 elements: the node statement of
the level-0 subtree at user_id (``rollup.block_plan.NodeStatement``), so
aggregation treats sessions and subtrees alike; built for a block tree, a
pass-through whitelist root (4) follows. The data digest binds exactly the
session's public data (``rollup.witness.SessionPublicData``): the user id, the
deposit, the new leaf's outbox root and opaque digest, and the running appends
digest over every record a send appended (EMPTY, then H(appends, record) per
send slot, in slot order).
Not checked here, and left to the aggregation circuit: the old leaf is the leaf
of user_id under the previous global root, and read_root is that root.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from circuits.builder import CircuitBuilder, DigestTarget
from circuits.gadgets import logical_not, select_digest
from circuits.witness import Target
from rollup.block_plan import SESSION_LEVEL, NodeStatement
from rollup.circuits.labels import mark, set_scope
from rollup.circuits.operations import (
    SendSlotTargets,
    add_virtual_slot_of,
    verify_register_circuit,
    verify_slot_circuit,
)
from rollup.circuits.rules import require_user_id_circuit
from rollup.circuits.state_digests import (
    StateTarget,
    add_virtual_state,
    key_digest_circuit,
    leaf_digest_circuit,
    opaque_digest_circuit,
    select_state,
    session_data_digest_circuit,
    user_leaf_circuit,
)
from rollup.params import SECRET_SIZE
from rollup.slot_layout import SlotLayout
from rollup.smt import EMPTY_LEAF


@dataclass(frozen=True)
class SessionTargets:
    """The inputs of a session circuit and its public outputs."""

    user_id: Target
    read_root: DigestTarget
    secret: list[Target]
    registers: Target
    deposit: Target
    old_state: StateTarget
    slots: Sequence[SendSlotTargets]
    """The operation slots in the layout's order (``SlotTargets`` for ``ANY`` slots)."""
    old_leaf: DigestTarget
    new_leaf: DigestTarget
    data_digest: DigestTarget

    level: Target
    """The constant 0: a session is the level-0 node at its user id."""

    def public_inputs(self) -> list[Target]:
        """The registration order of the public inputs (a level-0 ``NodeStatement``)."""
        node = NodeStatement(self.level, self.user_id, self.old_leaf, self.new_leaf, self.read_root, self.data_digest)
        return node.elements()


def verify_start_circuit(
    b: CircuitBuilder,
    key: DigestTarget,
    registers: Target,
    deposit: Target,
    old_state: StateTarget,
) -> tuple[StateTarget, DigestTarget]:
    """Twin of ``_verify_start``: the state the slots start from, and the old leaf.

    Registering: old leaf EMPTY, state initial(deposit). Otherwise: deposit 0 and
    old leaf = leaf(H(secret), old_state), which is the authorization.
    """
    mark(b, "registration flag; a deposit only when registering")
    b.assert_bool(registers)
    b.connect(b.mul(registers, deposit), deposit)
    registered = verify_register_circuit(b, deposit)
    mark(b, "old leaf = leaf(H(secret), old_state) (authorization), or EMPTY when registering")
    existing_leaf = user_leaf_circuit(b, key, old_state)
    old_leaf = select_digest(b, registers, existing_leaf, b.constant_digest(EMPTY_LEAF))
    return select_state(b, registers, old_state, registered), old_leaf


def verify_session_trace_circuit(b: CircuitBuilder, layout: SlotLayout) -> SessionTargets:
    """Twin of ``verify_session_trace``: the whole session circuit with the slots of ``layout``
    (:func:`verify_session_circuit`, reading a read root of its own), and its public inputs (the same whatever
    the layout)."""
    targets = verify_session_circuit(b, layout)
    b.register_public_inputs(targets.public_inputs())
    mark(b, "public-input hash")
    return targets


def verify_session_circuit(
    b: CircuitBuilder, layout: SlotLayout, read_root: DigestTarget | None = None, entry: Target | None = None
) -> SessionTargets:
    """The rules of one session with the slots of ``layout``, each verified by the function of its kind
    (``verify_slot_circuit``), reading ``read_root`` (a fresh input when None); registers no public input.

    "At least one operation" is (1 - registers)(1 - enabled_0) = 0; with ``entry`` (a batch entry's flag) it is
    entry (1 - registers)(1 - enabled_0) = 0, binding only an enabled entry.
    """
    user_id = b.add_virtual_target()
    mark(b, "user id < 2^global_tree_depth")
    require_user_id_circuit(b, user_id)
    read_root = b.add_virtual_digest() if read_root is None else read_root
    secret = b.add_virtual_targets(SECRET_SIZE)
    registers, deposit = b.add_virtual_targets(2)
    old_state = add_virtual_state(b)
    slots = [add_virtual_slot_of(b, kind) for kind in layout.kinds()]

    mark(b, "key digest H(secret)")
    key = key_digest_circuit(b, secret)
    state, old_leaf = verify_start_circuit(b, key, registers, deposit, old_state)
    appends = b.constant_digest(EMPTY_LEAF)
    previous: Target | None = None
    for position, slot in enumerate(slots):
        set_scope(b, f"slot {position}: ")
        outcome = verify_slot_circuit(b, slot, state, appends, user_id, key, read_root)
        state, appends, enabled = outcome.state, outcome.appends, outcome.enabled
        mark(b, "at least one operation; enabled slots form a prefix")
        if previous is None:
            # at least one operation: a registration or an enabled first slot
            no_operation = b.mul(logical_not(b, registers), logical_not(b, enabled))
            b.assert_zero(no_operation if entry is None else b.mul(entry, no_operation))
        else:
            # enabled slots form a prefix
            b.assert_zero(b.mul(enabled, logical_not(b, previous)))
        previous = enabled
    set_scope(b, "")
    mark(b, "new leaf = leaf(H(secret), final state)")
    opaque = opaque_digest_circuit(b, key, state)
    new_leaf = leaf_digest_circuit(b, state.outbox_root, opaque)
    mark(b, "data digest = H(user_id, deposit, outbox_root, opaque, appends)")
    data_digest = session_data_digest_circuit(b, user_id, deposit, state.outbox_root, opaque, appends)
    return SessionTargets(
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
