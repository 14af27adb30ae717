"""The medium and full send sessions, the medium session and the mixed full session in the block tree: circuits of
send-only slots (2^11 and 2^13 rows), of slots of any kind (2^11 rows), and of MIXED_ANY_SLOTS slots of any kind then
send-only ones, beside the full session and the small one (docs/recursion.md, *Slot kinds*).

The chain: block 1 registers everyone; in block 2 SENDER sends four transfers to CLAIMER, RECIPIENT one to FULL_USER
and one to MEDIUM_CLAIMER; block 3 (submitted, then built by the fixture) has a session of each circuit: CLAIMER
claims the four and sends enough for a session the medium one does not hold (the mixed session: its claims are among
its first MIXED_ANY_SLOTS operations), MEDIUM_CLAIMER claims its one and sends three (the medium session), FULL_USER
sends MIXED_ANY_SLOTS + 1 times and then claims (the full session: its claim is past the mixed session's prefix),
SENDER sends four more (the medium send session), BIG_SENDER one more than the medium send session holds (the full
send session) and SMALL_USER sends one (the small session).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest
from keys_support import USER_KEYS
from tests_support import cheating_prove, set_everywhere

from prover.jobs import LocalExecutor
from rollup.block_plan import session_statement
from rollup.block_proving import RollupCircuits, prove_stored_block, rollup_circuits
from rollup.circuits.labels import SessionRuleError
from rollup.circuits.operations import SlotTargets
from rollup.circuits.session import SessionCircuit
from rollup.errors import SessionTooLargeError
from rollup.operations import Claim, Register, Send
from rollup.params import (
    MEDIUM_SEND_SESSION_SLOTS,
    MEDIUM_SESSION_SLOTS,
    MIXED_ANY_SLOTS,
    MIXED_SESSION_SLOTS,
    SEND_SESSION_SLOTS,
    SESSION_SLOTS,
    SMALL_SESSION_SLOTS,
)
from rollup.sequencer import Sequencer
from rollup.session import SessionBuilder, session_fits, slots_taken
from rollup.slot_layout import (
    FULL_SESSION_LAYOUT,
    MEDIUM_SEND_SESSION_LAYOUT,
    MEDIUM_SESSION_LAYOUT,
    MIXED_SESSION_LAYOUT,
    SEND_SESSION_LAYOUT,
    SMALL_SESSION_LAYOUT,
    SlotLayout,
)
from rollup.witness import ClaimStep, SendStep, SessionTrace
from rollup.workload import register_users
from verifier.field import P
from verifier.light_client import verify_block
from verifier.plonk import VerificationError, verify_proof
from verifier.serialization import proof_from_bytes

SENDER, CLAIMER, SMALL_USER, RECIPIENT, FULL_USER, BIG_SENDER, MEDIUM_CLAIMER = 5, 9, 20, 12, 30, 40, 50
TRANSFERS = 4
"""More operations than the small session holds."""
FULL_USER_SENDS = MIXED_ANY_SLOTS + 1
"""FULL_USER's sends before its claim: the claim is past the mixed session's slots of any kind, and so is the last
send (a send in a send-only slot of the mixed session, for the malicious witnesses)."""
BIG_SENDS = MEDIUM_SEND_SESSION_SLOTS + 1
"""BIG_SENDER's sends: one more than the medium send session holds."""
CLAIMER_SENDS = MEDIUM_SESSION_SLOTS + 1 - TRANSFERS
"""CLAIMER's sends after its claims: one operation more than the medium session holds."""
MEDIUM_CLAIMER_SENDS = 3
"""MEDIUM_CLAIMER's sends after its claim: one operation more than the small session holds."""


@pytest.fixture(scope="module")
def circuits() -> RollupCircuits:
    return rollup_circuits()


@pytest.fixture(scope="module")
def chain() -> Iterator[tuple[Sequencer, dict[int, SessionTrace]]]:
    """The module's chain with block 3 built (see the module docstring), and block 3's traces by user."""
    seq = Sequencer.in_memory()
    users = [SENDER, CLAIMER, SMALL_USER, RECIPIENT, FULL_USER, BIG_SENDER, MEDIUM_CLAIMER]
    register_users(seq, users, 1000, USER_KEYS)
    builder = SessionBuilder(seq.state, SENDER, USER_KEYS.secret(SENDER))
    for amount in range(1, TRANSFERS + 1):
        builder.send(CLAIMER, amount)
    seq.submit(builder.build())
    to_claimers = SessionBuilder(seq.state, RECIPIENT, USER_KEYS.secret(RECIPIENT)).send(FULL_USER, 1)
    seq.submit(to_claimers.send(MEDIUM_CLAIMER, 1).build())
    seq.build_block()
    claims = SessionBuilder(seq.state, CLAIMER, USER_KEYS.secret(CLAIMER))
    for index in range(TRANSFERS):
        claims.claim(SENDER, index)
    for _ in range(CLAIMER_SENDS):
        claims.send(RECIPIENT, 1)
    medium_claim = SessionBuilder(seq.state, MEDIUM_CLAIMER, USER_KEYS.secret(MEDIUM_CLAIMER)).claim(RECIPIENT, 1)
    for _ in range(MEDIUM_CLAIMER_SENDS):
        medium_claim.send(RECIPIENT, 1)
    sends = SessionBuilder(seq.state, SENDER, USER_KEYS.secret(SENDER))
    for amount in range(1, TRANSFERS + 1):
        sends.send(RECIPIENT, amount)
    one = SessionBuilder(seq.state, SMALL_USER, USER_KEYS.secret(SMALL_USER)).send(RECIPIENT, 7)
    late_claim = SessionBuilder(seq.state, FULL_USER, USER_KEYS.secret(FULL_USER))
    for _ in range(FULL_USER_SENDS):
        late_claim.send(RECIPIENT, 1)
    late_claim.claim(RECIPIENT, 0)
    big = SessionBuilder(seq.state, BIG_SENDER, USER_KEYS.secret(BIG_SENDER))
    for _ in range(BIG_SENDS):
        big.send(RECIPIENT, 1)
    for session in (claims.build(), sends.build(), one.build(), late_claim.build(), big.build(), medium_claim.build()):
        seq.submit(session)
    traces = {item.trace.user_id: item.trace for item in seq.build_block().sessions}
    yield seq, traces
    seq.close()


@pytest.fixture(scope="module")
def traces(chain: tuple[Sequencer, dict[int, SessionTrace]]) -> dict[int, SessionTrace]:
    return chain[1]


def with_steps(trace: SessionTrace, steps: tuple[object, ...]) -> SessionTrace:
    return dataclasses.replace(trace, steps=steps)  # type: ignore[arg-type]


def tree_sessions(circuits: RollupCircuits) -> tuple[SessionCircuit, ...]:
    """The tree's small, medium send, medium, full send, mixed and full session circuits."""
    layouts = (
        SMALL_SESSION_LAYOUT,
        MEDIUM_SEND_SESSION_LAYOUT,
        MEDIUM_SESSION_LAYOUT,
        SEND_SESSION_LAYOUT,
        MIXED_SESSION_LAYOUT,
        FULL_SESSION_LAYOUT,
    )
    return tuple(circuits.session(layout) for layout in layouts)


# ----------------------------------------------------------------------------- the chooser and the shapes (fast)


def test_the_chooser_takes_the_cheapest_tree_circuit_holding_each_session(
    circuits: RollupCircuits, traces: dict[int, SessionTrace]
) -> None:
    """The chooser and the native rule agree on every case, including where a claim sits: the mixed session takes
    claims only in its first MIXED_ANY_SLOTS slots."""
    small, medium_send, medium, send, mixed, full = tree_sessions(circuits)
    sends, claims = traces[SENDER], traces[CLAIMER]
    assert circuits.session_for(traces[SMALL_USER]) is small
    assert circuits.session_for(sends) is medium_send
    assert circuits.session_for(traces[MEDIUM_CLAIMER]) is medium
    assert circuits.session_for(traces[BIG_SENDER]) is send
    assert circuits.session_for(claims) is mixed
    assert circuits.session_for(traces[FULL_USER]) is full
    one_send, one_claim = sends.steps[0], claims.steps[0]
    assert isinstance(one_send, SendStep) and isinstance(one_claim, ClaimStep)
    cases: list[tuple[tuple[object, ...], SessionCircuit | None]] = [
        ((one_claim,), small),
        ((one_claim, one_send, one_send), small),
        ((one_send,) * (SMALL_SESSION_SLOTS + 1), medium_send),
        ((one_send,) * MEDIUM_SEND_SESSION_SLOTS, medium_send),
        ((one_send,) * (MEDIUM_SEND_SESSION_SLOTS + 1), send),
        ((one_send,) * SEND_SESSION_SLOTS, send),
        ((one_send,) * (SEND_SESSION_SLOTS + 1), None),
        ((one_claim, *(one_send,) * SMALL_SESSION_SLOTS), medium),
        ((*(one_send,) * (MEDIUM_SESSION_SLOTS - 1), one_claim), medium),  # the medium session's last slot
        ((one_claim, *(one_send,) * MEDIUM_SESSION_SLOTS), mixed),  # one operation more than the medium session
        ((*(one_send,) * (MIXED_ANY_SLOTS - 1), one_claim, one_send), mixed),  # the last slot of any kind
        ((*(one_claim,) * MIXED_ANY_SLOTS, *(one_send,) * (MIXED_SESSION_SLOTS - MIXED_ANY_SLOTS)), mixed),
        ((*(one_send,) * MIXED_ANY_SLOTS, one_claim), full),  # the first send-only slot: past the prefix
        ((*(one_claim,) * (MIXED_ANY_SLOTS + 1),), full),
        ((*(one_send,) * (SESSION_SLOTS - 1), one_claim), full),
        ((*(one_send,) * SESSION_SLOTS, one_claim), None),
        ((one_claim, *(one_send,) * MIXED_SESSION_SLOTS), None),  # one operation more than the mixed session
    ]
    for steps, expected in cases:
        trace = with_steps(sends, steps)
        operations = tuple(step.op for step in steps)  # type: ignore[attr-defined]
        assert session_fits(operations) == (expected is not None)  # the native rule is the tree's
        if expected is None:
            with pytest.raises(SessionTooLargeError, match=r"fits no session circuit, which hold .*: split it"):
                circuits.session_for(trace)
        else:
            assert circuits.session_for(trace) is expected
    # a registration takes no slot
    assert slots_taken((Register(5), Claim(1, 0, 1), Send(1, (0, 0, 0, 0), 1, 2))) == [True, False]
    assert session_fits((Register(5), *(Send(1, (0, 0, 0, 0), 1, n) for n in range(SEND_SESSION_SLOTS))))


def test_the_send_and_mixed_sessions_have_the_full_sessions_shape_and_statement_but_their_own_keys(
    circuits: RollupCircuits,
) -> None:
    _, medium_send, medium, send, mixed, full = tree_sessions(circuits)
    # the medium session has the medium send session's shape: one key more, no aggregation variant or lift
    assert medium.data.common == medium_send.data.common != full.data.common
    assert medium.data.verifier_key != medium_send.data.verifier_key
    assert circuits.key(medium.data.verifier_key.circuit_digest) == medium.data.verifier_key
    for session in (send, mixed):
        assert session.data.common == full.data.common  # a leaf of the same shape: no new aggregation variant or lift
        assert len(session.targets.public_inputs()) == len(full.targets.public_inputs())
        assert session.whitelist_root is not None and full.whitelist_root is not None
        assert session.data.verifier_key.circuit_digest in circuits.blocks.whitelist.digests
        assert circuits.key(session.data.verifier_key.circuit_digest) == session.data.verifier_key
    digests = {session.data.verifier_key.circuit_digest for session in (send, mixed, full)}
    assert len(digests) == 3
    kinds = [isinstance(slot, SlotTargets) for slot in mixed.targets.slots]
    assert kinds == [True] * MIXED_ANY_SLOTS + [False] * (MIXED_SESSION_SLOTS - MIXED_ANY_SLOTS)


def test_a_claim_is_refused_by_the_send_session_and_past_the_mixed_sessions_prefix_before_any_witness(
    circuits: RollupCircuits, traces: dict[int, SessionTrace]
) -> None:
    _, medium, _, send, mixed, _ = tree_sessions(circuits)
    root = circuits.blocks.whitelist.root
    claims, late_claim = traces[CLAIMER], traces[FULL_USER]
    for sends_only in (medium, send):
        with pytest.raises(SessionTooLargeError, match="send-only"):
            sends_only.generate_witness(claims, session_statement(claims), root)
    with pytest.raises(SessionTooLargeError, match="send-only"):
        mixed.generate_witness(late_claim, session_statement(late_claim), root)


# ----------------------------------------------------------------------------- proofs (slow)


@pytest.mark.slow
def test_a_block_of_every_session_kind_proves_and_verifies_as_a_light_client(
    circuits: RollupCircuits, chain: tuple[Sequencer, dict[int, SessionTrace]]
) -> None:
    """The medium and full send sessions and the mixed session aggregate with a full session and a small one in one
    block; each session proof verifies under its own key only (the three 2^13 keys are of one shape)."""
    seq = chain[0]
    result = prove_stored_block(seq.storage, 3, LocalExecutor(1, in_process=True))
    statement = verify_block(circuits.block_verifier_key, result.proof, seq.storage.block(3).prev_root)
    assert statement.new_root == seq.storage.block(3).new_root
    users = (SMALL_USER, SENDER, MEDIUM_CLAIMER, BIG_SENDER, CLAIMER, FULL_USER)
    for user, expected in zip(users, tree_sessions(circuits), strict=True):
        proof = proof_from_bytes(result.proofs[f"session/{user}"])
        assert circuits.child(proof).vk == expected.data.verifier_key
        for other in circuits.sessions:
            if other is not expected:
                with pytest.raises(VerificationError):
                    verify_proof(other.data.verifier_key, proof.proof, proof.public_inputs)


@pytest.mark.slow
@pytest.mark.parametrize("layout", [MEDIUM_SEND_SESSION_LAYOUT, SEND_SESSION_LAYOUT], ids=["medium", "full"])
def test_malicious_send_session_witnesses_give_no_accepted_proof(
    circuits: RollupCircuits, traces: dict[int, SessionTrace], layout: SlotLayout
) -> None:
    """Built directly for the medium or the full send session, without the native checks: an overspend, a wrong
    nonce, an append at another slot than outbox_len or along a wrong path, another secret (a wrong key digest)
    and a claim smuggled in are each refused by the circuit's own rules; a cheating prover forcing the wires (a
    slot's amount, the old leaf, the new leaf) is rejected by the verifier."""
    send = circuits.session(layout)
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
    claimed = session_statement(traces[CLAIMER])
    for target, value in (
        (targets.slots[0].amount, balance + 1),
        (targets.old_leaf[0], claimed.old_root[0]),
        (targets.new_leaf[0], claimed.new_root[0]),
    ):
        w = send.generate_witness(honest, None, root)
        set_everywhere(send, w, target, value)
        with pytest.raises(VerificationError):
            send.verify(cheating_prove(send, w))


@pytest.mark.slow
def test_malicious_mixed_session_witnesses_give_no_accepted_proof(
    circuits: RollupCircuits, traces: dict[int, SessionTrace]
) -> None:
    """Built directly for the tree's mixed session, at its first send-only slot (MIXED_ANY_SLOTS honest sends of
    FULL_USER's before it): an overspend, a wrong nonce, an append at another slot than outbox_len or along a
    wrong path are refused by the circuit's own rules, and so is FULL_USER's claim past the prefix; a cheating
    prover forcing that slot's amount, or the new leaf of FULL_USER's session with its claim (a credit through a
    send-only slot), is rejected by the verifier."""
    mixed = circuits.session(MIXED_SESSION_LAYOUT)
    root = circuits.blocks.whitelist.root
    late_claim = traces[FULL_USER]
    prefix = late_claim.steps[: MIXED_ANY_SLOTS + 1]  # sends only: the last in the first send-only slot
    honest = with_steps(late_claim, prefix)
    last = prefix[-1]
    assert isinstance(last, SendStep) and all(isinstance(step, SendStep) for step in prefix)
    assert not isinstance(mixed.targets.slots[MIXED_ANY_SLOTS], SlotTargets)
    mixed.generate_witness(honest, None, root)

    def with_last(step: SendStep) -> SessionTrace:
        return with_steps(late_claim, (*prefix[:-1], step))

    path = list(last.outbox_path)
    path[3] = ((path[3][0] + 1) % P, *path[3][1:])
    slot = f"slot {MIXED_ANY_SLOTS}: "
    forged = {
        f"{slot}new balance": with_last(
            dataclasses.replace(last, op=dataclasses.replace(last.op, amount=last.old.balance + 1))
        ),
        f"{slot}nonce": with_last(dataclasses.replace(last, op=dataclasses.replace(last.op, nonce=last.op.nonce + 1))),
        f"{slot}send: index = outbox_len": with_last(
            dataclasses.replace(last, old=dataclasses.replace(last.old, outbox_len=last.old.outbox_len + 1))
        ),
        f"{slot}send: the outbox slot is empty": with_last(dataclasses.replace(last, outbox_path=tuple(path))),
    }
    for rule, trace in forged.items():
        with pytest.raises(SessionRuleError) as info:
            mixed.generate_witness(trace, None, root)
        assert info.value.rule is not None and rule in info.value.rule, info.value
    with pytest.raises(SessionTooLargeError, match="send-only"):
        mixed.generate_witness(late_claim, None, root)
    targets = mixed.targets
    claimed = session_statement(late_claim)
    for target, value in (
        (targets.slots[MIXED_ANY_SLOTS].amount, last.old.balance + 1),
        (targets.new_leaf[0], claimed.new_root[0]),
    ):
        w = mixed.generate_witness(honest, None, root)
        set_everywhere(mixed, w, target, value)
        with pytest.raises(VerificationError):
            mixed.verify(cheating_prove(mixed, w))


@pytest.mark.slow
def test_malicious_medium_session_witnesses_give_no_accepted_proof(
    circuits: RollupCircuits, traces: dict[int, SessionTrace]
) -> None:
    """Built directly for the tree's medium session (slots of any kind, 2^11 rows) from MEDIUM_CLAIMER's claim and
    sends: another secret cannot prove its statement; a cheating prover forcing the claim's amount (a larger
    credit), the new leaf or the data digest in every copy is rejected by the verifier."""
    medium = circuits.session(MEDIUM_SESSION_LAYOUT)
    root = circuits.blocks.whitelist.root
    honest = traces[MEDIUM_CLAIMER]
    claim = honest.steps[0]
    assert isinstance(claim, ClaimStep) and circuits.session_for(honest) is medium
    wrong_key = dataclasses.replace(honest, secret=USER_KEYS.secret(RECIPIENT))
    with pytest.raises(SessionRuleError):
        medium.generate_witness(wrong_key, session_statement(honest), root)
    targets, statement = medium.targets, session_statement(honest)
    for target, value in (
        (targets.slots[0].amount, claim.record.amount + 1000),
        (targets.new_leaf[0], statement.new_root[0] + 1),
        (targets.data_digest[0], statement.data_root[0] + 1),
    ):
        w = medium.generate_witness(honest, statement, root)
        set_everywhere(medium, w, target, value)
        with pytest.raises(VerificationError):
            medium.verify(cheating_prove(medium, w))
