"""Session proving: honest traces prove, verify, and carry exactly the native statement.

The circuit-level checks run on small session circuits of slots of any kind (``session_circuit_of``); which
circuit the product proves a session with (the block tree's rule) is tested in tests/rollup/test_send_sessions.py
and tests/rollup/test_sized_sessions.py, and every session of the scenario is proven with it here (slow).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest
from keys_support import NAMED_KEYS, SEED_KEYS
from tests_support import session_circuit_of

from rollup.block import ExecutedBlock
from rollup.block_plan import NODE_STATEMENT_LEN, session_statement
from rollup.block_proving import rollup_circuits
from rollup.circuits.labels import SessionRuleError
from rollup.circuits.session import SessionCircuit
from rollup.errors import OverdraftError, SessionTooLargeError
from rollup.seed import SEED_USERS, run_seed_scenario
from rollup.sequencer import Sequencer
from rollup.session import SessionBuilder
from rollup.session_proving import operation_count, prove_session
from rollup.slot_layout import SlotLayout
from rollup.state import key_digest
from rollup.witness import SendStep, SessionTrace, verify_session_trace
from verifier.field import P
from verifier.plonk import VerificationError

SAM, JACK, KATE, KIM = (SEED_USERS[name] for name in ("Sam", "Jack", "Kate", "Kim"))
DAN = 5


@pytest.fixture(scope="module")
def blocks() -> Iterator[list[ExecutedBlock]]:
    """The seed scenario (blocks 0-2), then block 3 (Dan registers and sends; Jack sends four
    transfers) and block 4 (Sam claims, sends 50 -- affordable only after that claim -- and claims)."""
    sequencer = Sequencer.in_memory()
    executed = run_seed_scenario(sequencer, SEED_KEYS)
    dan, jack, sam = NAMED_KEYS.secret("Dan"), NAMED_KEYS.secret("Jack"), NAMED_KEYS.secret("Sam")
    sequencer.submit(SessionBuilder(sequencer.state, DAN, dan).register(40).send(SAM, 15).build())
    jack_sends = (
        SessionBuilder(sequencer.state, JACK, jack)
        .send(KIM, 30)
        .send(KATE, 20)
        .send(DAN, 1, key_digest(dan))
        .send(SAM, 2)
    )
    sequencer.submit(jack_sends.build())
    executed.append(sequencer.build_block())
    sequencer.submit(SessionBuilder(sequencer.state, SAM, sam).claim(DAN, 0).send(KATE, 50).claim(JACK, 4).build())
    executed.append(sequencer.build_block())
    yield executed
    sequencer.close()


def trace_of(blocks: list[ExecutedBlock], block: int, user_id: int) -> SessionTrace:
    return next(item.trace for item in blocks[block].sessions if item.trace.user_id == user_id)


def any_slots(num_slots: int) -> SessionCircuit:
    """The session circuit of ``num_slots`` slots of any kind."""
    return session_circuit_of(SlotLayout.of_any(num_slots))


def test_witness_assignment(blocks: list[ExecutedBlock]) -> None:
    registration = trace_of(blocks, 3, DAN)
    circuit = any_slots(1)
    t = circuit.targets
    inputs = circuit.inputs(registration)
    assert inputs[t.registers] == 1 and inputs[t.deposit] == 40
    slot = t.slots[0]
    assert (inputs[slot.is_send], inputs[slot.is_claim], inputs[slot.index], inputs[slot.nonce]) == (1, 0, 0, 1)
    assert operation_count(registration) == 1
    mixed = trace_of(blocks, 4, SAM)
    circuit = any_slots(4)
    t = circuit.targets
    inputs = circuit.inputs(mixed)
    assert inputs[t.registers] == 0 and inputs[t.deposit] == 0
    kinds = [(inputs[slot.is_send], inputs[slot.is_claim]) for slot in t.slots]
    assert kinds == [(0, 1), (1, 0), (0, 1), (0, 0)]
    assert inputs[t.slots[0].recipient] == SAM and inputs[t.slots[0].amount] == 15
    with pytest.raises(SessionTooLargeError):
        any_slots(1).inputs(mixed)


HONEST = [
    pytest.param(0, KIM, 1, id="register"),
    pytest.param(3, DAN, 1, id="register-then-send"),
    pytest.param(1, SAM, 3, id="two-sends"),
    pytest.param(3, JACK, 7, id="four-sends"),
    pytest.param(2, JACK, 3, id="two-claims"),
    pytest.param(4, SAM, 3, id="claim-send-claim"),
]


@pytest.mark.parametrize(("block", "user", "slots"), HONEST)
def test_honest_sessions_prove_with_the_native_statement(
    blocks: list[ExecutedBlock], block: int, user: int, slots: int
) -> None:
    """Each session proven on a circuit of ``slots`` slots of any kind."""
    trace = trace_of(blocks, block, user)
    circuit = any_slots(slots)
    assert circuit.holds(trace)
    proof = prove_session(trace, circuit)
    statement = circuit.verify(proof)
    expected = session_statement(trace)
    assert statement == expected
    assert proof.public_inputs == tuple(expected.elements())
    public = verify_session_trace(trace)
    assert (statement.position, statement.new_root) == (public.user_id, public.new_leaf)
    assert statement.data_root == public.digest()
    assert statement.old_root == trace.old_leaf and statement.read_root == trace.read_root


def test_a_session_proves_in_a_larger_shape_too(blocks: list[ExecutedBlock]) -> None:
    trace = trace_of(blocks, 0, KIM)
    circuit = any_slots(4)
    assert circuit.verify(prove_session(trace, circuit)) == session_statement(trace)


def test_prove_session_checks_natively_first(blocks: list[ExecutedBlock]) -> None:
    trace = trace_of(blocks, 1, KIM)
    step = trace.steps[0]
    assert isinstance(step, SendStep)
    forged = dataclasses.replace(trace, steps=(dataclasses.replace(step, op=dataclasses.replace(step.op, amount=101)),))
    with pytest.raises(OverdraftError):
        prove_session(forged, any_slots(1))
    with pytest.raises(SessionRuleError, match="new balance"):  # the circuit's own check
        prove_session(forged, any_slots(1), check=False)


def test_trace_with_a_wrong_new_leaf_cannot_be_proven(blocks: list[ExecutedBlock]) -> None:
    trace = trace_of(blocks, 1, KIM)
    sam = trace_of(blocks, 1, SAM)
    forged = dataclasses.replace(trace, new_outbox_root=sam.new_outbox_root, new_opaque_digest=sam.new_opaque_digest)
    with pytest.raises(SessionRuleError, match="new leaf"):
        prove_session(forged, any_slots(1), check=False)


def test_statement_is_bound_to_the_proof(blocks: list[ExecutedBlock]) -> None:
    trace = trace_of(blocks, 1, KIM)
    circuit = any_slots(1)
    proof = prove_session(trace, circuit)
    for position in range(NODE_STATEMENT_LEN):
        values = list(proof.public_inputs)
        values[position] = (values[position] + 1) % P
        with pytest.raises(VerificationError):
            circuit.verify(dataclasses.replace(proof, public_inputs=tuple(values)))


def test_verifier_keys_are_deterministic_and_distinct_per_shape() -> None:
    again = SessionCircuit.build(SlotLayout.of_any(1))
    assert again.data.verifier_key.circuit_digest == any_slots(1).data.verifier_key.circuit_digest
    assert any_slots(4).data.verifier_key.circuit_digest != again.data.verifier_key.circuit_digest


@pytest.mark.slow
def test_every_session_of_the_scenario_proves_in_the_block_trees_circuit(blocks: list[ExecutedBlock]) -> None:
    """The product's rule: each session is proven with the cheapest block-tree circuit holding it."""
    circuits = rollup_circuits()
    root = circuits.blocks.whitelist.root
    for executed in blocks:
        for item in executed.sessions:
            circuit = circuits.session_for(item.trace)
            proof = circuit.prove(item.trace, session_statement(item.trace), root)
            assert circuits.verify_session(proof) == session_statement(item.trace)
