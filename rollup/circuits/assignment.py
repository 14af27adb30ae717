"""Witness assignment of the session circuit: a ``SessionTrace`` -> values of the circuit's input targets.

The slots take the trace's sends and claims in order; a leading registration
sets ``registers`` and the deposit. Nothing is checked here (the circuit does),
and the intermediate states a trace records are not used (the circuit
recomputes them) except a send's index, which is its old ``outbox_len``.

    send:   (nonce, recipient, address, amount, index = old.outbox_len) of the op; own path = outbox path
    claim:  nonce, sender id, index of the op; recipient, address and amount of the record;
            own path = claimed-set path; the sender's outbox root, opaque digest and paths from its SenderProof
    unused slots and inputs are padding (zeros), which the circuit ignores; a send-only slot has only a send's
    inputs (its own path is the outbox path) and takes no claim.
"""

from __future__ import annotations

from collections.abc import Sequence

from circuits.builder import DigestTarget
from circuits.witness import Target
from rollup.circuits.operations import SendSlotTargets, SlotTargets
from rollup.circuits.session_circuit import SessionTargets
from rollup.circuits.state_digests import StateTarget
from rollup.errors import MalformedSessionError, SessionTooLargeError
from rollup.params import SECRET_SIZE
from rollup.smt import EMPTY_LEAF
from rollup.state import UserState
from rollup.witness import ClaimStep, RegisterStep, SendStep, SessionTrace, Step
from verifier.hashing import Digest

PADDING_STATE = UserState(0, 0, 0, EMPTY_LEAF, EMPTY_LEAF)
"""Inputs of a state nothing reads (a registering session's old state)."""


def session_operations(trace: SessionTrace) -> tuple[bool, tuple[Step, ...]]:
    """(registers, the steps that take a slot): a leading registration takes none."""
    registers = bool(trace.steps) and isinstance(trace.steps[0], RegisterStep)
    return registers, trace.steps[1:] if registers else trace.steps


def set_digest(inputs: dict[Target, int], targets: Sequence[Target], values: Sequence[int]) -> None:
    """Assign ``values`` to ``targets`` (same length)."""
    if len(values) != len(targets):
        raise ValueError(f"expected {len(targets)} elements, got {len(values)}")
    inputs.update(zip(targets, (int(v) for v in values), strict=True))


def set_state(inputs: dict[Target, int], targets: StateTarget, state: UserState) -> None:
    """Assign a user state's fields."""
    inputs[targets.balance] = state.balance
    inputs[targets.nonce] = state.nonce
    inputs[targets.outbox_len] = state.outbox_len
    set_digest(inputs, targets.outbox_root, state.outbox_root)
    set_digest(inputs, targets.claimed_root, state.claimed_root)


def set_path(inputs: dict[Target, int], targets: Sequence[DigestTarget], path: Sequence[Digest], what: str) -> None:
    """Assign a path's siblings, padded with empty digests up to the circuit's depth."""
    if len(path) > len(targets):
        raise ValueError(f"{what} has {len(path)} siblings, the circuit expects at most {len(targets)}")
    for target, value in zip(targets, [*path, *[EMPTY_LEAF] * (len(targets) - len(path))], strict=True):
        set_digest(inputs, target, value)


def set_padding_slot(inputs: dict[Target, int], targets: SendSlotTargets) -> None:
    """A disabled slot of either kind: every input zero."""
    for target in (targets.is_send, targets.nonce, targets.recipient, targets.amount, targets.index):
        inputs[target] = 0
    set_path(inputs, targets.own_path, (), "own path")
    set_digest(inputs, targets.address, EMPTY_LEAF)
    if isinstance(targets, SlotTargets):
        inputs[targets.is_claim] = 0
        inputs[targets.sender_id] = 0
        set_digest(inputs, targets.sender_outbox_root, EMPTY_LEAF)
        set_digest(inputs, targets.sender_opaque_digest, EMPTY_LEAF)
        set_path(inputs, targets.sender_outbox_path, (), "sender outbox path")
        set_path(inputs, targets.sender_global_path, (), "sender global path")


def set_operation_slot(inputs: dict[Target, int], targets: SendSlotTargets, step: Step) -> None:
    """A slot holding a send or a claim step (a registration anywhere but first is malformed, a claim in a
    send-only slot does not fit)."""
    set_padding_slot(inputs, targets)
    if isinstance(step, SendStep):
        inputs[targets.is_send] = 1
        inputs[targets.nonce] = step.op.nonce
        inputs[targets.recipient] = step.op.recipient
        set_digest(inputs, targets.address, step.op.address)
        inputs[targets.amount] = step.op.amount
        inputs[targets.index] = step.old.outbox_len
        set_path(inputs, targets.own_path, step.outbox_path, "own path")
    elif isinstance(step, ClaimStep):
        if not isinstance(targets, SlotTargets):
            raise SessionTooLargeError(
                "a claim does not fit a send-only slot (a session circuit of any slots holds it)"
            )
        sender = step.sender
        inputs[targets.is_claim] = 1
        inputs[targets.nonce] = step.op.nonce
        inputs[targets.recipient] = step.record.recipient
        set_digest(inputs, targets.address, step.record.address)
        inputs[targets.amount] = step.record.amount
        inputs[targets.index] = step.op.outbox_index
        inputs[targets.sender_id] = step.op.sender_id
        set_path(inputs, targets.own_path, step.claimed_path, "own path")
        set_digest(inputs, targets.sender_outbox_root, sender.outbox_root)
        set_digest(inputs, targets.sender_opaque_digest, sender.opaque_digest)
        set_path(inputs, targets.sender_outbox_path, sender.outbox_path, "sender outbox path")
        set_path(inputs, targets.sender_global_path, sender.global_path, "sender global path")
    else:
        raise MalformedSessionError("registration must be the first operation of a session")


def session_inputs(targets: SessionTargets, trace: SessionTrace) -> dict[Target, int]:
    """The values of every input target of the session circuit for ``trace``.

    Values are taken modulo p by witness generation (a negative amount is a
    field element like any other: the circuit's range checks decide).
    """
    registers, operations = session_operations(trace)
    if len(operations) > len(targets.slots):
        raise SessionTooLargeError(f"{len(operations)} operations do not fit in {len(targets.slots)} slots")
    if len(trace.secret) != SECRET_SIZE:
        raise ValueError(f"a secret has {SECRET_SIZE} elements, got {len(trace.secret)}")
    inputs: dict[Target, int] = {targets.user_id: trace.user_id, targets.registers: int(registers)}
    inputs[targets.deposit] = trace.deposit
    set_digest(inputs, targets.read_root, trace.read_root)
    set_digest(inputs, targets.secret, trace.secret)
    set_state(inputs, targets.old_state, trace.old_state if trace.old_state is not None else PADDING_STATE)
    for position, slot in enumerate(targets.slots):
        if position < len(operations):
            set_operation_slot(inputs, slot, operations[position])
        else:
            set_padding_slot(inputs, slot)
    return inputs
