"""Proving sessions: from a ``SessionTrace`` to a session-circuit proof.

The session circuit (:mod:`circuits.session`) is the in-circuit twin of
:func:`rollup.witness.verify_session_trace`. This module supplies it with the
rollup's sizes (:func:`session_shape`) and turns a trace into the circuit's
plain witness (:func:`session_witness`) and expected public statement
(:func:`session_statement`):

    statement = (0, user_id, old_leaf, new_leaf, read_root, H(user_id, deposit, new_leaf))

Circuits come in a few sizes, by number of operation slots
(:data:`SESSION_SLOT_COUNTS`; registration takes no slot). A session uses the
smallest that fits (:func:`session_circuit_for`); every size's verifier key
belongs in the aggregation whitelist. Building a circuit takes a moment, so each
size is built once per process and cached.

Proving jobs are pure functions of picklable data: ``prove_session(trace)``
can run in any worker process.
"""

from __future__ import annotations

from functools import cache

from circuits.session import (
    EMPTY_STATE,
    OP_CLAIM,
    OP_SEND,
    SessionCircuit,
    SessionCircuitShape,
    SessionStatement,
    SessionWitness,
    SlotWitness,
    StateValues,
)
from rollup.errors import MalformedSessionError
from rollup.params import CLAIMED_DEPTH, GLOBAL_TREE_DEPTH, MAX_AMOUNT_BITS, OUTBOX_DEPTH, SECRET_SIZE
from rollup.state import CLAIMED_LEAF, UserState
from rollup.witness import ClaimStep, RegisterStep, SendStep, SessionTrace, Step, verify_session_trace
from verifier.proof import ProofWithPublicInputs

SESSION_SLOT_COUNTS: tuple[int, ...] = (1, 4, 8, 16, 32)
"""Operation slots of each session circuit size (2^8, 2^9, 2^10, 2^11 and 2^12 rows; about 121 rows per slot)."""


class SessionTooLargeError(MalformedSessionError):
    """A session has more operations than the largest session circuit holds."""


def session_shape(num_slots: int) -> SessionCircuitShape:
    """The circuit shape for ``num_slots`` operation slots with the rollup's fixed sizes."""
    return SessionCircuitShape(
        num_slots=num_slots,
        global_tree_depth=GLOBAL_TREE_DEPTH,
        outbox_depth=OUTBOX_DEPTH,
        claimed_depth=CLAIMED_DEPTH,
        max_amount_bits=MAX_AMOUNT_BITS,
        secret_size=SECRET_SIZE,
        claimed_leaf=CLAIMED_LEAF,
    )


@cache
def session_circuit(num_slots: int) -> SessionCircuit:
    """The session circuit with ``num_slots`` slots (built once per process)."""
    return SessionCircuit.build(session_shape(num_slots))


def session_circuits() -> tuple[SessionCircuit, ...]:
    """Every session circuit size, in :data:`SESSION_SLOT_COUNTS` order (their keys form the whitelist)."""
    return tuple(session_circuit(count) for count in SESSION_SLOT_COUNTS)


def operation_count(trace: SessionTrace) -> int:
    """Slots a trace needs: its sends and claims (a registration takes none)."""
    return sum(1 for step in trace.steps if not isinstance(step, RegisterStep))


def session_slot_count(num_operations: int) -> int:
    """The smallest slot count in :data:`SESSION_SLOT_COUNTS` holding ``num_operations``."""
    for count in SESSION_SLOT_COUNTS:
        if num_operations <= count:
            return count
    raise SessionTooLargeError(
        f"a session of {num_operations} operations exceeds the largest session circuit "
        f"({SESSION_SLOT_COUNTS[-1]} slots): split it over several blocks"
    )


def session_circuit_for(trace: SessionTrace) -> SessionCircuit:
    """The smallest session circuit that holds ``trace``."""
    return session_circuit(session_slot_count(operation_count(trace)))


def state_values(state: UserState) -> StateValues:
    """A rollup user state as the circuit's plain state."""
    return StateValues(state.balance, state.nonce, state.outbox_len, state.outbox_root, state.claimed_root)


def _slot(step: Step) -> SlotWitness:
    if isinstance(step, SendStep):
        op = step.op
        return SlotWitness(
            kind=OP_SEND,
            nonce=op.nonce,
            recipient=op.recipient,
            amount=op.amount,
            index=step.old.outbox_len,
            own_path=step.outbox_path,
        )
    if isinstance(step, ClaimStep):
        sender = step.sender
        return SlotWitness(
            kind=OP_CLAIM,
            nonce=step.op.nonce,
            recipient=step.record.recipient,
            amount=step.record.amount,
            index=step.op.outbox_index,
            sender_id=step.op.sender_id,
            own_path=step.claimed_path,
            sender_key=sender.key_digest,
            sender_state=state_values(sender.state),
            sender_outbox_path=sender.outbox_path,
            sender_global_path=sender.global_path,
        )
    raise MalformedSessionError("registration must be the first operation of a session")


def session_witness(trace: SessionTrace, shape: SessionCircuitShape) -> SessionWitness:
    """The circuit witness of ``trace``, without checking it (the circuit does).

    The slots are the trace's sends and claims in order; a leading registration
    sets ``registers`` and the deposit. The recorded intermediate states are
    not used: the circuit recomputes them.
    """
    steps = trace.steps
    registers = bool(steps) and isinstance(steps[0], RegisterStep)
    if registers:
        steps = steps[1:]
    if len(steps) > shape.num_slots:
        raise SessionTooLargeError(f"{len(steps)} operations do not fit in {shape.num_slots} slots")
    old_state = EMPTY_STATE if registers or trace.old_state is None else state_values(trace.old_state)
    return SessionWitness(
        user_id=trace.user_id,
        read_root=trace.read_root,
        secret=tuple(trace.secret),
        registers=registers,
        deposit=trace.deposit,
        old_state=old_state,
        slots=tuple(_slot(step) for step in steps),
    )


def session_statement(trace: SessionTrace) -> SessionStatement:
    """The public statement a proof of ``trace`` must carry (from the trace's own fields)."""
    public = trace.public_data()
    return SessionStatement(
        user_id=trace.user_id,
        old_leaf=trace.old_leaf,
        new_leaf=trace.new_leaf,
        read_root=trace.read_root,
        data_digest=public.digest(),
    )


def prove_session(
    trace: SessionTrace, circuit: SessionCircuit | None = None, *, check: bool = True
) -> ProofWithPublicInputs:
    """Prove ``trace`` with ``circuit`` (default: the smallest that fits).

    With ``check`` (the default) the trace is first verified natively, so an
    invalid session fails fast with its specific ``RollupError``. The circuit
    enforces every rule by itself: ``check=False`` skips the native pass (the
    soundness tests use it to feed forged traces). The claimed statement is
    bound into witness generation, so a trace whose old or new leaf does not
    follow from its data cannot be proven.
    """
    if check:
        verify_session_trace(trace)
    circuit = circuit if circuit is not None else session_circuit_for(trace)
    return circuit.prove(session_witness(trace, circuit.shape), session_statement(trace))


def verify_session_proof(proof: ProofWithPublicInputs, circuit: SessionCircuit) -> SessionStatement:
    """Verify a session proof against ``circuit``'s verifier key and return its statement."""
    return circuit.verify(proof)
