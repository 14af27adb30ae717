"""Proving sessions: from a ``SessionTrace`` to a session-circuit proof.

The session circuit (:mod:`rollup.circuits.session`) is the in-circuit twin of
:func:`rollup.witness.verify_session_trace`; it takes the trace itself as its
witness, and a proof carries the trace's statement
(:func:`rollup.block_plan.session_statement`):

    statement = (0, user_id, old_leaf, new_leaf, read_root, H(user_id, deposit, new_leaf))

Which circuit proves a session is one rule, the block tree's: the first of its
session circuits (``rollup.slot_layout.BLOCK_TREE_LAYOUTS``, cheapest first)
whose slot layout holds the trace (:func:`cheapest_session_circuit`, used by
``rollup.block_proving.RollupCircuits.session_for``). A layout of ``a`` slots
of any kind then ``s`` send-only slots holds operations o_0 .. o_{n-1}
(registration takes no slot) iff n <= a + s and every claim o_i has i < a.

Proving jobs are pure functions of picklable data: ``prove_session(trace, circuit)``
can run in any worker process.
"""

from __future__ import annotations

from collections.abc import Sequence

from rollup.block_plan import session_statement
from rollup.circuits.assignment import session_operations
from rollup.circuits.session import SessionCircuit
from rollup.errors import SessionTooLargeError
from rollup.session import session_capacity_text
from rollup.witness import SessionTrace, verify_session_trace
from verifier.proof import ProofWithPublicInputs


def operation_count(trace: SessionTrace) -> int:
    """Slots a trace needs: its sends and claims (a registration takes none)."""
    return len(session_operations(trace)[1])


def cheapest_session_circuit(circuits: Sequence[SessionCircuit], trace: SessionTrace) -> SessionCircuit:
    """The first of ``circuits`` (ordered cheapest first) that holds ``trace`` (:meth:`SessionCircuit.holds`:
    the operations fit its slots, every claim among its slots of kind ANY).

    SessionTooLargeError when none does, naming what the block tree's session circuits hold.
    """
    for circuit in circuits:
        if circuit.holds(trace):
            return circuit
    raise SessionTooLargeError(
        f"a session of {operation_count(trace)} operations fits no session circuit, which hold "
        f"{session_capacity_text()}: split it over several blocks"
    )


def prove_session(trace: SessionTrace, circuit: SessionCircuit, *, check: bool = True) -> ProofWithPublicInputs:
    """Prove ``trace`` with ``circuit`` (the block tree's is ``cheapest_session_circuit`` of its circuits).

    With ``check`` (the default) the trace is first verified natively, so an
    invalid session fails fast with its specific ``RollupError``. The circuit
    enforces every rule by itself: ``check=False`` skips the native pass (the
    soundness tests use it to feed forged traces). The claimed statement is
    bound into witness generation, so a trace whose old or new leaf does not
    follow from its data cannot be proven.
    """
    if check:
        verify_session_trace(trace)
    return circuit.prove(trace, session_statement(trace))
