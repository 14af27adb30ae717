"""The full send session in the block tree: a circuit of send-only slots beside the full session and the small
one (docs/recursion.md, *Slot kinds*).

The chain: block 1 registers everyone; in block 2 SENDER sends four transfers to CLAIMER; block 3 (submitted,
then built by the fixture) has a session of each kind: CLAIMER claims the four (the full session, whose slots
take claims), SENDER sends four more (the full send session) and SMALL_USER sends one (the small session).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest
from keys_support import USER_KEYS
from tests_support import prover_without_self_checks

from prover.jobs import LocalExecutor
from rollup.block_plan import session_statement
from rollup.block_proving import RollupCircuits, prove_stored_block, rollup_circuits
from rollup.circuits.labels import SessionRuleError
from rollup.circuits.session import SessionCircuit
from rollup.errors import SessionTooLargeError
from rollup.operations import Claim, Register, Send
from rollup.params import SEND_SESSION_SLOTS, SESSION_SLOTS, SMALL_SESSION_SLOTS
from rollup.sequencer import Sequencer
from rollup.session import SessionBuilder, session_slots
from rollup.witness import ClaimStep, SendStep, SessionTrace
from rollup.workload import registration_sessions
from verifier.field import P
from verifier.light_client import verify_block
from verifier.plonk import VerificationError, verify_proof
from verifier.serialization import proof_from_bytes

SENDER, CLAIMER, SMALL_USER, RECIPIENT = 5, 9, 20, 12
TRANSFERS = 4
"""More operations than the small session holds."""


@pytest.fixture(scope="module")
def circuits() -> RollupCircuits:
    return rollup_circuits()


@pytest.fixture(scope="module")
def chain() -> Iterator[tuple[Sequencer, dict[int, SessionTrace]]]:
    """The module's chain with block 3 built (see the module docstring), and block 3's traces by user."""
    seq = Sequencer.in_memory()
    for session in registration_sessions(seq.state, [SENDER, CLAIMER, SMALL_USER, RECIPIENT], 1000, USER_KEYS):
        seq.submit(session)
    seq.build_block()
    builder = SessionBuilder(seq.state, SENDER, USER_KEYS.secret(SENDER))
    for amount in range(1, TRANSFERS + 1):
        builder.send(CLAIMER, amount)
    seq.submit(builder.build())
    seq.build_block()
    claims = SessionBuilder(seq.state, CLAIMER, USER_KEYS.secret(CLAIMER))
    for index in range(TRANSFERS):
        claims.claim(SENDER, index)
    sends = SessionBuilder(seq.state, SENDER, USER_KEYS.secret(SENDER))
    for amount in range(1, TRANSFERS + 1):
        sends.send(RECIPIENT, amount)
    one = SessionBuilder(seq.state, SMALL_USER, USER_KEYS.secret(SMALL_USER)).send(RECIPIENT, 7)
    for session in (claims.build(), sends.build(), one.build()):
        seq.submit(session)
    traces = {item.trace.user_id: item.trace for item in seq.build_block().sessions}
    yield seq, traces
    seq.close()


@pytest.fixture(scope="module")
def traces(chain: tuple[Sequencer, dict[int, SessionTrace]]) -> dict[int, SessionTrace]:
    return chain[1]


def with_steps(trace: SessionTrace, steps: tuple[object, ...]) -> SessionTrace:
    return dataclasses.replace(trace, steps=steps)  # type: ignore[arg-type]


# ----------------------------------------------------------------------------- the chooser and the shapes (fast)


def test_the_chooser_takes_the_cheapest_tree_circuit_holding_each_session(
    circuits: RollupCircuits, traces: dict[int, SessionTrace]
) -> None:
    small, send, full = circuits.sessions
    sends, claims = traces[SENDER], traces[CLAIMER]
    assert circuits.session_for(traces[SMALL_USER]) is small
    assert circuits.session_for(sends) is send
    assert circuits.session_for(claims) is full
    one_send, one_claim = sends.steps[0], claims.steps[0]
    assert isinstance(one_send, SendStep) and isinstance(one_claim, ClaimStep)
    cases: list[tuple[tuple[object, ...], SessionCircuit | None]] = [
        ((one_claim,), small),
        ((one_claim, one_send, one_send), small),
        ((one_send,) * (SMALL_SESSION_SLOTS + 1), send),
        ((one_send,) * SEND_SESSION_SLOTS, send),
        ((one_send,) * (SEND_SESSION_SLOTS + 1), None),
        ((one_claim, *(one_send,) * SMALL_SESSION_SLOTS), full),
        ((*(one_send,) * (SESSION_SLOTS - 1), one_claim), full),
        ((*(one_send,) * SESSION_SLOTS, one_claim), None),
    ]
    for steps, expected in cases:
        trace = with_steps(sends, steps)
        operations = tuple(step.op for step in steps)  # type: ignore[attr-defined]
        taken, capacity = session_slots(operations)
        assert (taken <= capacity) == (expected is not None)  # the native cap is the tree's
        if expected is None:
            what = "sends" if all(isinstance(op, Send) for op in operations) else "claims"
            with pytest.raises(SessionTooLargeError, match=f"holding {what} \\({capacity} slots\\): split it"):
                circuits.session_for(trace)
        else:
            assert circuits.session_for(trace) is expected
    # a registration takes no slot
    assert session_slots((Register(5), *(Send(1, (0, 0, 0, 0), 1, n) for n in range(3)))) == (3, SEND_SESSION_SLOTS)
    assert session_slots((Claim(1, 0, 1),)) == (1, SESSION_SLOTS)


def test_the_send_session_has_the_full_sessions_shape_and_statement_but_its_own_key(
    circuits: RollupCircuits,
) -> None:
    _, send, full = circuits.sessions
    assert send.data.common == full.data.common  # a leaf of the same shape: no new aggregation variant or lift
    assert len(send.targets.public_inputs()) == len(full.targets.public_inputs())
    assert send.whitelist_root is not None and full.whitelist_root is not None
    assert send.data.verifier_key.circuit_digest != full.data.verifier_key.circuit_digest
    assert send.data.verifier_key.circuit_digest in circuits.blocks.whitelist.digests
    assert circuits.key(send.data.verifier_key.circuit_digest) == send.data.verifier_key


def test_a_claim_is_refused_by_the_send_session_before_any_witness(
    circuits: RollupCircuits, traces: dict[int, SessionTrace]
) -> None:
    _, send, _ = circuits.sessions
    claims = traces[CLAIMER]
    with pytest.raises(SessionTooLargeError, match="send-only"):
        send.generate_witness(claims, session_statement(claims), circuits.blocks.whitelist.root)


# ----------------------------------------------------------------------------- proofs (slow)


@pytest.mark.slow
def test_a_block_of_every_session_kind_proves_and_verifies_as_a_light_client(
    circuits: RollupCircuits, chain: tuple[Sequencer, dict[int, SessionTrace]]
) -> None:
    """The send session aggregates with a full session and a small one in one block; each 2^13 session proof
    verifies under its own key only (both keys are of one shape)."""
    seq = chain[0]
    result = prove_stored_block(seq.storage, 3, LocalExecutor(1, in_process=True))
    statement = verify_block(circuits.block_verifier_key, result.proof, seq.storage.block(3).prev_root)
    assert statement.new_root == seq.storage.block(3).new_root
    small, send, full = circuits.sessions
    for user, expected, other in ((SMALL_USER, small, send), (SENDER, send, full), (CLAIMER, full, send)):
        proof = proof_from_bytes(result.proofs[f"session/{user}"])
        assert circuits.child(proof).vk == expected.data.verifier_key
        with pytest.raises(VerificationError):
            verify_proof(other.data.verifier_key, proof.proof, proof.public_inputs)


@pytest.mark.slow
def test_malicious_send_session_witnesses_give_no_accepted_proof(
    circuits: RollupCircuits, traces: dict[int, SessionTrace]
) -> None:
    """Built directly, without the native checks: an overspend, a wrong nonce, an append at another slot than
    outbox_len or along a wrong path, another secret (a wrong key digest) and a claim smuggled in are each
    refused by the circuit's own rules; a cheating prover forcing the wires is rejected by the verifier."""
    _, send, _ = circuits.sessions
    root = circuits.blocks.whitelist.root
    honest = traces[SENDER]
    first = honest.steps[0]
    assert isinstance(first, SendStep)
    send.generate_witness(honest, session_statement(honest), root)

    def with_first(step: SendStep) -> SessionTrace:
        """A session of one forged send (a later honest send's path would fail first, at its own slot)."""
        return with_steps(honest, (step,))

    balance = first.old.balance
    path = list(first.outbox_path)
    path[3] = ((path[3][0] + 1) % P, *path[3][1:])
    forged = {
        "slot 0: new balance": with_first(
            dataclasses.replace(first, op=dataclasses.replace(first.op, amount=balance + 1))
        ),
        "slot 0: nonce": with_first(
            dataclasses.replace(first, op=dataclasses.replace(first.op, nonce=first.op.nonce + 1))
        ),
        "slot 0: send: index = outbox_len": with_first(
            dataclasses.replace(first, old=dataclasses.replace(first.old, outbox_len=first.old.outbox_len + 1))
        ),
        "slot 0: send: the outbox slot is empty": with_first(dataclasses.replace(first, outbox_path=tuple(path))),
    }
    for rule, trace in forged.items():
        with pytest.raises(SessionRuleError) as info:
            send.generate_witness(trace, None, root)
        assert info.value.rule is not None and rule in info.value.rule, info.value
    # another secret opens another leaf (a wrong key digest): it cannot prove the honest statement
    wrong_key = dataclasses.replace(honest, secret=USER_KEYS.secret(RECIPIENT))
    with pytest.raises(SessionRuleError):
        send.generate_witness(wrong_key, session_statement(honest), root)
    with pytest.raises(SessionTooLargeError, match="send-only"):
        send.generate_witness(traces[CLAIMER], None, root)
    # a cheating prover: the amount of slot 0 raised past the balance in every copy, the old leaf of another
    # user (a wrong key digest opening it), the new leaf of CLAIMER's claims (a credit through send slots)
    targets = send.targets
    num_wires = send.data.common.config.num_wires
    claimed = session_statement(traces[CLAIMER])
    for target, value in (
        (targets.slots[0].amount, balance + 1),
        (targets.old_leaf[0], claimed.old_root[0]),
        (targets.new_leaf[0], claimed.new_root[0]),
    ):
        w = send.generate_witness(honest, None, root)
        cells = next((m for m in send.data.copy_classes.values() if target in m), [target])
        for cell in cells:
            if cell >= 0:
                row, column = divmod(cell, num_wires)
                w.wires[column, row] = value % P
        with prover_without_self_checks(send.data.common.config):
            proof = send.data.prove_witness(w)
        with pytest.raises(VerificationError):
            send.verify(proof)
