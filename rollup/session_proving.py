"""Proving sessions: from a ``SessionTrace`` to a session-circuit proof.

The session circuit (:mod:`rollup.circuits.session`) is the in-circuit twin of
:func:`rollup.witness.verify_session_trace`; it takes the trace itself as its
witness, and a proof carries the trace's statement
(:func:`rollup.block_plan.session_statement`):

    statement = (0, user_id, old_leaf, new_leaf, read_root, H(user_id, deposit, new_leaf))

Circuits come in a few sizes, by number of operation slots
(:data:`SESSION_SLOT_COUNTS`; registration takes no slot). A session uses the
smallest that fits (:func:`session_circuit_for`). Building a circuit takes a
moment, so each size is built once per process and cached.

Proving jobs are pure functions of picklable data: ``prove_session(trace)``
can run in any worker process.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

from rollup.block_plan import session_statement
from rollup.circuits.assignment import session_operations
from rollup.circuits.session import SessionCircuit
from rollup.errors import SessionTooLargeError
from rollup.params import SESSION_SLOTS
from rollup.session import session_capacity_text
from rollup.slot_layout import SlotLayout
from rollup.witness import SessionTrace, verify_session_trace
from verifier.proof import ProofWithPublicInputs

SESSION_SLOT_COUNTS: tuple[int, ...] = (1, 3, 7, 16, 32, SESSION_SLOTS)
"""Operation slots of each standalone session circuit size (2^8 to 2^13 rows; 121 rows per slot), each the most
that fits its power of two beside the 61 zero-knowledge blinding rows (4 and 8 slots no longer do), but 32 (33
would fit 2^12)."""


@cache
def session_circuit(num_slots: int) -> SessionCircuit:
    """The session circuit with ``num_slots`` slots (built once per process)."""
    return SessionCircuit.build(SlotLayout.of_any(num_slots))


def operation_count(trace: SessionTrace) -> int:
    """Slots a trace needs: its sends and claims (a registration takes none)."""
    return len(session_operations(trace)[1])


def session_slot_count(num_operations: int, counts: tuple[int, ...] = SESSION_SLOT_COUNTS) -> int:
    """The smallest slot count in ``counts`` (ascending; default :data:`SESSION_SLOT_COUNTS`, the block
    tree passes its own) holding ``num_operations``."""
    for count in counts:
        if num_operations <= count:
            return count
    raise SessionTooLargeError(
        f"a session of {num_operations} operations exceeds the largest session circuit "
        f"({counts[-1]} slots): split it over several blocks"
    )


def cheapest_session_circuit(circuits: Sequence[SessionCircuit], trace: SessionTrace) -> SessionCircuit:
    """The first of ``circuits`` (ordered cheapest first) that holds ``trace`` (:meth:`SessionCircuit.holds`:
    the operations fit its slots, every claim among its slots of kind ANY).

    SessionTooLargeError when none does, naming what the block tree's session circuits hold.
    """
    for circuit in circuits:
        if circuit.holds(trace):
            return circuit
    operations = session_operations(trace)[1]
    raise SessionTooLargeError(
        f"a session of {len(operations)} operations fits no session circuit, which hold "
        f"{session_capacity_text()}: split it over several blocks"
    )


def session_circuit_for(trace: SessionTrace) -> SessionCircuit:
    """The smallest session circuit that holds ``trace``."""
    return session_circuit(session_slot_count(operation_count(trace)))


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
    return circuit.prove(trace, session_statement(trace))
