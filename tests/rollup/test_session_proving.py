"""Session proving: honest traces prove, verify, and carry exactly the native statement."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest

from circuits.session import (
    OP_CLAIM,
    OP_SEND,
    SessionCircuit,
    SessionRuleError,
    SessionStatement,
    StateValues,
    session_data_digest,
)
from rollup.block import ExecutedBlock
from rollup.errors import OverdraftError
from rollup.params import CLAIMED_DEPTH, GLOBAL_TREE_DEPTH, MAX_AMOUNT_BITS, OUTBOX_DEPTH, SECRET_SIZE
from rollup.seed import SEED_USERS, demo_secret, run_seed_scenario
from rollup.sequencer import Sequencer
from rollup.session import SessionBuilder
from rollup.session_proving import (
    SESSION_SLOT_COUNTS,
    SessionTooLargeError,
    operation_count,
    prove_session,
    session_circuit,
    session_circuit_for,
    session_circuits,
    session_shape,
    session_slot_count,
    session_statement,
    session_witness,
)
from rollup.smt import DEFAULT_DIGESTS
from rollup.state import CLAIMED_LEAF, UserState
from rollup.witness import SendStep, SessionPublicData, SessionTrace, verify_session_trace
from verifier.field import P
from verifier.plonk import VerificationError

SAM, JACK, KATE, KIM = (SEED_USERS[name] for name in ("Sam", "Jack", "Kate", "Kim"))
DAN = 5


@pytest.fixture(scope="module")
def blocks() -> Iterator[list[ExecutedBlock]]:
    """The seed scenario (blocks 0-2), then block 3 (Dan registers and sends; Jack sends four
    transfers) and block 4 (Sam claims, sends 50 -- affordable only after that claim -- and claims)."""
    sequencer = Sequencer.in_memory()
    executed = run_seed_scenario(sequencer)
    dan, jack, sam = demo_secret("Dan"), demo_secret("Jack"), demo_secret("Sam")
    sequencer.submit(SessionBuilder(sequencer.state, DAN, dan).register(40).send(SAM, 15).build())
    jack_sends = SessionBuilder(sequencer.state, JACK, jack).send(KIM, 30).send(KATE, 20).send(DAN, 1).send(SAM, 2)
    sequencer.submit(jack_sends.build())
    executed.append(sequencer.build_block())
    sequencer.submit(SessionBuilder(sequencer.state, SAM, sam).claim(DAN, 0).send(KATE, 50).claim(JACK, 4).build())
    executed.append(sequencer.build_block())
    yield executed
    sequencer.close()


def trace_of(blocks: list[ExecutedBlock], block: int, user_id: int) -> SessionTrace:
    return next(item.trace for item in blocks[block].sessions if item.trace.user_id == user_id)


def test_shape_follows_rollup_params() -> None:
    shape = session_shape(4)
    assert (shape.global_tree_depth, shape.outbox_depth, shape.claimed_depth) == (
        GLOBAL_TREE_DEPTH,
        OUTBOX_DEPTH,
        CLAIMED_DEPTH,
    )
    assert (shape.max_amount_bits, shape.secret_size, shape.claimed_leaf) == (
        MAX_AMOUNT_BITS,
        SECRET_SIZE,
        CLAIMED_LEAF,
    )
    assert shape.empty_outbox_root == DEFAULT_DIGESTS[OUTBOX_DEPTH]
    assert shape.empty_claimed_root == DEFAULT_DIGESTS[CLAIMED_DEPTH]
    state = UserState(7, 3, 2, DEFAULT_DIGESTS[1], DEFAULT_DIGESTS[2])
    assert StateValues(7, 3, 2, DEFAULT_DIGESTS[1], DEFAULT_DIGESTS[2]).root() == state.root()
    public = SessionPublicData(9, 40, DEFAULT_DIGESTS[3])
    assert session_data_digest(9, 40, DEFAULT_DIGESTS[3]) == public.digest()


def test_slot_counts() -> None:
    assert tuple(sorted(SESSION_SLOT_COUNTS)) == SESSION_SLOT_COUNTS
    assert [session_slot_count(n) for n in (0, 1, 2, 4, 5, 8, 9, 16, 17, 32)] == [1, 1, 4, 4, 8, 8, 16, 16, 32, 32]
    with pytest.raises(SessionTooLargeError, match="split it"):
        session_slot_count(SESSION_SLOT_COUNTS[-1] + 1)


def test_witness_conversion(blocks: list[ExecutedBlock]) -> None:
    registration = trace_of(blocks, 3, DAN)
    witness = session_witness(registration, session_shape(1))
    assert witness.registers and witness.deposit == 40 and len(witness.slots) == 1
    assert witness.slots[0].kind == OP_SEND and witness.slots[0].index == 0 and witness.slots[0].nonce == 1
    assert operation_count(registration) == 1
    mixed = trace_of(blocks, 4, SAM)
    witness = session_witness(mixed, session_shape(4))
    assert not witness.registers and witness.deposit == 0
    assert [slot.kind for slot in witness.slots] == [OP_CLAIM, OP_SEND, OP_CLAIM]
    assert witness.slots[0].recipient == SAM and witness.slots[0].amount == 15
    with pytest.raises(SessionTooLargeError):
        session_witness(mixed, session_shape(2))


HONEST = [
    pytest.param(0, KIM, 1, id="register"),
    pytest.param(3, DAN, 1, id="register-then-send"),
    pytest.param(1, SAM, 4, id="two-sends"),
    pytest.param(3, JACK, 4, id="four-sends"),
    pytest.param(2, JACK, 4, id="two-claims"),
    pytest.param(4, SAM, 4, id="claim-send-claim"),
]


@pytest.mark.parametrize(("block", "user", "slots"), HONEST)
def test_honest_sessions_prove_with_the_native_statement(
    blocks: list[ExecutedBlock], block: int, user: int, slots: int
) -> None:
    trace = trace_of(blocks, block, user)
    circuit = session_circuit_for(trace)
    assert circuit.shape.num_slots == slots
    proof = prove_session(trace, circuit)
    statement = circuit.verify(proof)
    expected = session_statement(trace)
    assert statement == expected
    assert proof.public_inputs == expected.to_public_inputs()
    public = verify_session_trace(trace)
    assert (statement.user_id, statement.new_leaf) == (public.user_id, public.new_leaf)
    assert statement.data_digest == public.digest()
    assert statement.old_leaf == trace.old_leaf and statement.read_root == trace.read_root


def test_a_session_proves_in_a_larger_shape_too(blocks: list[ExecutedBlock]) -> None:
    trace = trace_of(blocks, 0, KIM)
    circuit = session_circuit(4)
    assert circuit.verify(prove_session(trace, circuit)) == session_statement(trace)


def test_prove_session_checks_natively_first(blocks: list[ExecutedBlock]) -> None:
    trace = trace_of(blocks, 1, KIM)
    step = trace.steps[0]
    assert isinstance(step, SendStep)
    forged = dataclasses.replace(trace, steps=(dataclasses.replace(step, op=dataclasses.replace(step.op, amount=101)),))
    with pytest.raises(OverdraftError):
        prove_session(forged)
    with pytest.raises(SessionRuleError, match="new balance"):  # the circuit's own check
        prove_session(forged, check=False)


def test_trace_with_a_wrong_new_leaf_cannot_be_proven(blocks: list[ExecutedBlock]) -> None:
    trace = trace_of(blocks, 1, KIM)
    forged = dataclasses.replace(trace, new_leaf=trace_of(blocks, 1, SAM).new_leaf)
    with pytest.raises(SessionRuleError, match="new leaf"):
        prove_session(forged, check=False)


def test_statement_is_bound_to_the_proof(blocks: list[ExecutedBlock]) -> None:
    trace = trace_of(blocks, 1, KIM)
    circuit = session_circuit_for(trace)
    proof = prove_session(trace, circuit)
    for position in range(SessionStatement.NUM_PUBLIC_INPUTS):
        values = list(proof.public_inputs)
        values[position] = (values[position] + 1) % P
        with pytest.raises(VerificationError):
            circuit.verify(dataclasses.replace(proof, public_inputs=tuple(values)))


def test_verifier_keys_are_deterministic_and_distinct_per_shape() -> None:
    again = SessionCircuit.build(session_shape(1))
    assert again.data.verifier_key.circuit_digest == session_circuit(1).data.verifier_key.circuit_digest
    assert session_circuit(4).data.verifier_key.circuit_digest != again.data.verifier_key.circuit_digest


@pytest.mark.slow
def test_every_session_of_the_scenario_proves(blocks: list[ExecutedBlock]) -> None:
    for executed in blocks:
        for item in executed.sessions:
            circuit = session_circuit_for(item.trace)
            assert circuit.verify(prove_session(item.trace, circuit)) == session_statement(item.trace)


@pytest.mark.slow
def test_large_shapes_prove() -> None:
    """Sessions filling the 8-, 16- and 32-slot circuits."""
    x, y = 10, 11
    secrets = {x: demo_secret("X"), y: demo_secret("Y")}
    with Sequencer.in_memory() as sequencer:
        for user in (x, y):
            sequencer.submit(SessionBuilder(sequencer.state, user, secrets[user]).register(1000).build())
        sequencer.build_block()
        sends = SessionBuilder(sequencer.state, y, secrets[y])
        for amount in range(1, 33):
            sends.send(x, amount)
        sequencer.submit(sends.build())
        traces = [sequencer.build_block().sessions[0].trace]
        claims = SessionBuilder(sequencer.state, x, secrets[x])
        for index in range(16):
            claims.claim(y, index)
        sequencer.submit(claims.build())
        more = SessionBuilder(sequencer.state, y, secrets[y])
        for amount in range(8):
            more.send(x, amount)
        sequencer.submit(more.build())
        traces += [item.trace for item in sequencer.build_block().sessions]
    assert sorted(session_circuit_for(t).shape.num_slots for t in traces) == [8, 16, 32]
    digests = {circuit.data.verifier_key.circuit_digest for circuit in session_circuits()}
    assert len(digests) == len(SESSION_SLOT_COUNTS)
    for trace in traces:
        circuit = session_circuit_for(trace)
        assert circuit.gate_rows <= 1 << circuit.degree_bits
        assert circuit.verify(prove_session(trace, circuit)) == session_statement(trace)
