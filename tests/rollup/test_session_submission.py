"""Client-side session proving: a user proves its own session, the operator admits it from public data only.

The chain: block 1 registers Sam and Jack (delegated, throw-away keys); Sam then proves, on its own,
a session sending 30 to Jack. The operator never executes it: after the block it holds only Sam's
outbox and opaque digest. Every refusal leaves the operator's database and pending set unchanged.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from keys_support import NAMED_KEYS
from tests_support import session_circuit_of

from rollup.balances import balance_rows
from rollup.block_proving import prove_session_job, prove_stored_block
from rollup.errors import DoubleClaimError, PrivateStateError
from rollup.execution import execute_session
from rollup.node.wallet_data import account_view
from rollup.outbox import TransferRecord
from rollup.sequencer import Sequencer
from rollup.session import SessionBuilder
from rollup.session_proof_file import SessionProofFile
from rollup.session_proving import prove_session
from rollup.session_submission import RefusalReason, SessionRefusedError, submit_session_proof
from rollup.slot_layout import SlotLayout
from rollup.state import PublicUser
from rollup.wallet_proving import prove_own_session
from verifier.serialization import proof_to_bytes

SAM, JACK = 1, 2
SAM_KEY, JACK_KEY = NAMED_KEYS.secret("Sam"), NAMED_KEYS.secret("Jack")


@pytest.fixture(scope="module")
def registered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A chain directory holding block 1 (Sam and Jack registered with 100 each)."""
    directory = tmp_path_factory.mktemp("chain")
    with Sequencer.open(directory, create=True) as sequencer:
        for user, key in ((SAM, SAM_KEY), (JACK, JACK_KEY)):
            sequencer.submit(SessionBuilder(sequencer.state, user, key).register(100).build())
        sequencer.build_block()
    return directory


@pytest.fixture(scope="module")
def sams_proof(registered: Path) -> SessionProofFile:
    """Sam's own proof of a session sending 30 to Jack, made from the finalized state after block 1."""
    with Sequencer.open(registered) as sequencer:
        session = SessionBuilder(sequencer.state, SAM, SAM_KEY).send(JACK, 30).build()
        return prove_own_session(sequencer.state, session).file


@pytest.fixture
def operator(registered: Path, tmp_path: Path) -> Iterator[Sequencer]:
    """A fresh copy of the registered chain, opened by the operator."""
    copy = tmp_path / "operator"
    copy.mkdir()
    (copy / "rollup.sqlite").write_bytes((registered / "rollup.sqlite").read_bytes())
    with Sequencer.open(copy) as sequencer:
        yield sequencer


def assert_refused(
    operator: Sequencer, db_dump: Callable[[Path], str], data: bytes, reason: RefusalReason
) -> SessionRefusedError:
    """Submitting ``data`` is refused for ``reason``; the database and the pending sessions are unchanged."""
    path = Path(operator.storage.location)
    before = (db_dump(path), operator.pending_user_ids, operator.state.root)
    with pytest.raises(SessionRefusedError) as info:
        submit_session_proof(operator, data)
    assert info.value.reason is reason, info.value
    assert (db_dump(path), operator.pending_user_ids, operator.state.root) == before
    return info.value


def test_the_file_holds_no_secret_and_no_balance(sams_proof: SessionProofFile) -> None:
    data = sams_proof.to_bytes()
    assert SessionProofFile.from_bytes(data) == sams_proof
    for element in SAM_KEY:
        assert f"{element:016x}".encode() not in data and str(element).encode() not in data
        assert element.to_bytes(8, "little") not in data
    assert b"balance" not in data and b"nonce" not in data and b"operations" not in data


def test_an_own_proof_is_admitted_from_public_data_only(operator: Sequencer, sams_proof: SessionProofFile) -> None:
    receipt = submit_session_proof(operator, sams_proof.to_bytes())
    assert (receipt.user_id, receipt.block_number) == (SAM, 2) and operator.pending_user_ids == [SAM]
    assert operator.storage.pending_sessions() == []
    (pending,) = operator.storage.pending_proven()
    assert (pending.public_data, pending.proof) == (sams_proof.public_data, sams_proof.proof)
    executed = operator.build_block()
    assert executed.block.public_data == (sams_proof.public_data,)
    assert receipt.new_leaf == operator.state.leaf(SAM)
    assert isinstance(operator.state.user(SAM), PublicUser)
    assert operator.state.user(SAM).outbox.records[-1].amount == 30
    assert operator.storage.block_proofs(2)[f"session/{SAM}"] == sams_proof.proof
    assert operator.storage.block_sessions(2) == []


def test_the_operator_cannot_answer_a_balance_query_for_an_own_prover(
    operator: Sequencer, sams_proof: SessionProofFile
) -> None:
    submit_session_proof(operator, sams_proof.to_bytes())
    operator.build_block()
    for state in (operator.state, operator.storage.load_state()):
        with pytest.raises(PrivateStateError):
            state.tree(SAM)
        assert state.tree(JACK).balance == 100  # delegated: the operator holds Jack's state
    rows = {row.user_id: row for row in balance_rows(operator.state, str)}
    assert rows[SAM].balance is None and rows[SAM].nonce is None and rows[SAM].sent == 30
    view = account_view(operator.state, SAM)
    assert view["private"] and (view["balance"], view["nonce"], view["claimed"], view["address"]) == (None,) * 4


def test_an_admitted_proof_survives_a_restart(registered: Path, tmp_path: Path, sams_proof: SessionProofFile) -> None:
    copy = tmp_path / "restart"
    copy.mkdir()
    (copy / "rollup.sqlite").write_bytes((registered / "rollup.sqlite").read_bytes())
    with Sequencer.open(copy) as sequencer:
        submit_session_proof(sequencer, sams_proof.to_bytes())
    with Sequencer.open(copy) as sequencer:
        assert sequencer.pending_user_ids == [SAM] and not sequencer.stale_pending
        assert sequencer.build_block().block.public_data == (sams_proof.public_data,)
    with Sequencer.open(copy) as sequencer:
        assert isinstance(sequencer.state.user(SAM), PublicUser) and sequencer.state.root == sequencer.state.root


@pytest.mark.slow
def test_the_operator_aggregates_a_proof_it_did_not_make(operator: Sequencer, sams_proof: SessionProofFile) -> None:
    submit_session_proof(operator, sams_proof.to_bytes())
    operator.submit(SessionBuilder(operator.state, JACK, JACK_KEY).send(SAM, 1).build())
    operator.build_block()
    proved = prove_stored_block(operator.storage, 2)
    assert proved.proofs[f"session/{SAM}"] == sams_proof.proof
    assert proved.plan.statement.new_root == operator.state.root


@pytest.mark.parametrize(
    "mangle",
    [
        lambda data: b"garbage",
        lambda data: data[: len(data) // 2],
        lambda data: data.replace(b'"proof":"', b'"proof":"zz'),
        lambda data: data.replace(b'"version":2', b'"version":1'),
        lambda data: data.replace(b'"version":2', b'"version":3'),
    ],
    ids=["garbage", "truncated", "not hex", "old version", "unknown version"],
)
def test_garbage_and_truncated_files_are_refused(
    operator: Sequencer, sams_proof: SessionProofFile, db_dump: Callable[[Path], str], mangle: Callable[[bytes], bytes]
) -> None:
    assert_refused(operator, db_dump, mangle(sams_proof.to_bytes()), RefusalReason.MALFORMED)


def test_an_old_version_file_is_refused_with_its_reason(
    operator: Sequencer, sams_proof: SessionProofFile, db_dump: Callable[[Path], str]
) -> None:
    old = sams_proof.to_bytes().replace(b'"version":2', b'"version":1')
    assert "version 1 files carried the operations" in str(
        assert_refused(operator, db_dump, old, RefusalReason.MALFORMED)
    )


def test_a_truncated_proof_is_refused(
    operator: Sequencer, sams_proof: SessionProofFile, db_dump: Callable[[Path], str]
) -> None:
    cut = dataclasses.replace(sams_proof, proof=sams_proof.proof[:-100])
    assert_refused(operator, db_dump, cut.to_bytes(), RefusalReason.MALFORMED)


def test_a_proof_under_a_key_outside_the_whitelist_is_refused(
    operator: Sequencer, sams_proof: SessionProofFile, db_dump: Callable[[Path], str]
) -> None:
    """The same session proven with a one-slot session circuit outside the block tree: valid, but not of the tree."""
    session = SessionBuilder(operator.state, SAM, SAM_KEY).send(JACK, 30).build()

    proof = prove_session(execute_session(operator.state, session).trace, session_circuit_of(SlotLayout.of_any(1)))
    foreign = dataclasses.replace(sams_proof, proof=proof_to_bytes(proof))
    assert_refused(operator, db_dump, foreign.to_bytes(), RefusalReason.INVALID_PROOF)


def test_a_duplicate_is_refused(
    operator: Sequencer, sams_proof: SessionProofFile, db_dump: Callable[[Path], str]
) -> None:
    submit_session_proof(operator, sams_proof.to_bytes())
    assert_refused(operator, db_dump, sams_proof.to_bytes(), RefusalReason.DUPLICATE)


def test_a_proof_for_a_stale_root_is_refused(
    operator: Sequencer, sams_proof: SessionProofFile, db_dump: Callable[[Path], str]
) -> None:
    operator.submit(SessionBuilder(operator.state, JACK, JACK_KEY).send(SAM, 1).build())
    operator.build_block()
    error = assert_refused(operator, db_dump, sams_proof.to_bytes(), RefusalReason.STALE_ROOT)
    assert "prove it again" in str(error)


def test_public_data_that_is_not_the_proven_one_is_refused(
    operator: Sequencer, sams_proof: SessionProofFile, db_dump: Callable[[Path], str]
) -> None:
    public = sams_proof.public_data
    for forged in (
        dataclasses.replace(public, opaque_digest=(1, 2, 3, 4)),
        dataclasses.replace(public, deposit=5),
        dataclasses.replace(public, user_id=JACK),
    ):
        tampered = dataclasses.replace(sams_proof, public_data=forged)
        assert_refused(operator, db_dump, tampered.to_bytes(), RefusalReason.STATEMENT_MISMATCH)


def test_appends_that_do_not_extend_the_outbox_are_refused(
    operator: Sequencer, sams_proof: SessionProofFile, db_dump: Callable[[Path], str]
) -> None:
    public = sams_proof.public_data
    (record,) = public.appends
    for forged in (
        dataclasses.replace(public, appends=(dataclasses.replace(record, index=1),)),
        dataclasses.replace(public, appends=(dataclasses.replace(record, amount=1),)),
        dataclasses.replace(public, appends=(record, TransferRecord(JACK, record.address, 1, 1))),
        dataclasses.replace(public, appends=()),
    ):
        tampered = dataclasses.replace(sams_proof, public_data=forged)
        error = assert_refused(operator, db_dump, tampered.to_bytes(), RefusalReason.OUTBOX_MISMATCH)
        assert f"user {SAM}" in str(error)


def test_a_proof_about_another_users_leaf_is_refused(
    operator: Sequencer, sams_proof: SessionProofFile, db_dump: Callable[[Path], str]
) -> None:
    """Sam proves a session at Jack's position that opens Sam's own leaf: the circuit allows it (membership
    is the aggregation's job), the operator refuses it because Jack's leaf is another one."""

    session = SessionBuilder(operator.state, SAM, SAM_KEY).send(JACK, 30).build()
    trace = dataclasses.replace(execute_session(operator.state, session).trace, user_id=JACK)
    forged = SessionProofFile(sams_proof.read_root, trace.public_data(), prove_session_job(trace))
    assert_refused(operator, db_dump, forged.to_bytes(), RefusalReason.WRONG_OLD_LEAF)


def test_a_claim_of_something_already_claimed_cannot_be_proven(operator: Sequencer) -> None:
    operator.submit(SessionBuilder(operator.state, SAM, SAM_KEY).send(JACK, 5).build())
    operator.build_block()
    operator.submit(SessionBuilder(operator.state, JACK, JACK_KEY).claim(SAM, 0).build())
    operator.build_block()
    again = SessionBuilder(operator.state, JACK, JACK_KEY).claim(SAM, 0).build()
    with pytest.raises(DoubleClaimError):
        prove_own_session(operator.state, again)
