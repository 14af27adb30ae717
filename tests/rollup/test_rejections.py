"""Every broken rule is refused with its specific error, and neither the database nor the state changes.

The shared chain (file database): users A=5, B=9, C=1000 registered with 100 each
(block 0); block 1: A -> B 30, A -> C 20, B -> C 10; block 2: B claims (A, 0).
In flight afterwards: (A, 1) -> C and (B, 0) -> C.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from keys_support import USER_KEYS

from rollup.block import execute_block
from rollup.errors import (
    AlreadyRegisteredError,
    AuthorizationError,
    DoubleClaimError,
    DuplicateUserError,
    MalformedSessionError,
    NonceError,
    NotRecipientError,
    OutOfRangeError,
    OverdraftError,
    RollupError,
    StaleRootError,
    UnknownTransferError,
    UnknownUserError,
)
from rollup.operations import Claim, Register, Send
from rollup.params import AMOUNT_LIMIT, MAX_USERS
from rollup.sequencer import Sequencer
from rollup.session import Session, SessionBuilder
from rollup.state import key_digest
from verifier.field import P

A, B, C = 5, 9, 1000
ADDRESS_B = key_digest(USER_KEYS.secret(B))
SETTINGS = settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
field_elements = st.integers(0, P - 1)


def build_chain(sequencer: Sequencer) -> None:
    for user in (A, B, C):
        sequencer.submit(SessionBuilder(sequencer.state, user, USER_KEYS.secret(user)).register(100).build())
    sequencer.build_block()
    sequencer.submit(SessionBuilder(sequencer.state, A, USER_KEYS.secret(A)).send(B, 30).send(C, 20).build())
    sequencer.submit(SessionBuilder(sequencer.state, B, USER_KEYS.secret(B)).send(C, 10).build())
    sequencer.build_block()
    sequencer.submit(SessionBuilder(sequencer.state, B, USER_KEYS.secret(B)).claim(A, 0).build())
    sequencer.build_block()


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Sequencer, Path]]:
    directory = tmp_path_factory.mktemp("chain")
    sequencer = Sequencer.open(directory)
    build_chain(sequencer)
    yield sequencer, Path(sequencer.storage.location)
    sequencer.close()


def builder(sequencer: Sequencer, user: int) -> SessionBuilder:
    return SessionBuilder(sequencer.state, user, USER_KEYS.secret(user))


def assert_refused(
    chain: tuple[Sequencer, Path], db_dump: Callable[[Path], str], session: Session, error: type[RollupError]
) -> RollupError:
    """Submitting ``session`` raises ``error``; database, root and pending sessions are untouched."""
    sequencer, path = chain
    before = (db_dump(path), sequencer.state.root, sequencer.state.block_number, sequencer.pending_user_ids)
    balances = {user: tree.balance for user, tree in sequencer.state.users.items()}
    with pytest.raises(error) as info:
        sequencer.submit(session)
    with pytest.raises(error):
        execute_block(sequencer.state, [session])
    after = (db_dump(path), sequencer.state.root, sequencer.state.block_number, sequencer.pending_user_ids)
    assert after == before
    assert {user: tree.balance for user, tree in sequencer.state.users.items()} == balances
    return info.value


@SETTINGS
@given(excess=st.integers(1, AMOUNT_LIMIT - 71))
def test_overdraft(chain: tuple[Sequencer, Path], db_dump: Callable[[Path], str], excess: int) -> None:
    sequencer, _ = chain
    balance = sequencer.state.user(A).balance
    error = assert_refused(chain, db_dump, builder(sequencer, A).send(B, balance + excess).build(), OverdraftError)
    assert str(balance) in str(error)


def test_overdraft_across_operations_of_one_session(
    chain: tuple[Sequencer, Path], db_dump: Callable[[Path], str]
) -> None:
    sequencer, _ = chain
    balance = sequencer.state.user(A).balance
    assert_refused(chain, db_dump, builder(sequencer, A).send(B, balance).send(C, 1).build(), OverdraftError)


@SETTINGS
@given(amount=st.one_of(st.integers(AMOUNT_LIMIT, 2 * P), st.integers(-(2**64), -1)))
def test_amount_out_of_range(chain: tuple[Sequencer, Path], db_dump: Callable[[Path], str], amount: int) -> None:
    sequencer, _ = chain
    assert_refused(chain, db_dump, builder(sequencer, A).send(B, amount).build(), OutOfRangeError)


@SETTINGS
@given(recipient=st.one_of(st.integers(MAX_USERS, 2**70), st.integers(-(2**20), -1)))
def test_recipient_out_of_range(chain: tuple[Sequencer, Path], db_dump: Callable[[Path], str], recipient: int) -> None:
    sequencer, _ = chain
    assert_refused(chain, db_dump, builder(sequencer, A).send(recipient, 1, ADDRESS_B).build(), OutOfRangeError)


def test_double_claim_across_blocks(chain: tuple[Sequencer, Path], db_dump: Callable[[Path], str]) -> None:
    sequencer, _ = chain
    error = assert_refused(chain, db_dump, builder(sequencer, B).claim(A, 0).build(), DoubleClaimError)
    assert f"user {B}" in str(error) and f"user {A}" in str(error)


def test_double_claim_within_a_session(chain: tuple[Sequencer, Path], db_dump: Callable[[Path], str]) -> None:
    sequencer, _ = chain
    assert_refused(chain, db_dump, builder(sequencer, C).claim(A, 1).claim(A, 1).build(), DoubleClaimError)


@pytest.mark.parametrize(("claimant", "sender", "index"), [(B, A, 1), (A, A, 1), (A, B, 0), (C, A, 0)])
def test_claim_of_someone_elses_transfer(
    chain: tuple[Sequencer, Path], db_dump: Callable[[Path], str], claimant: int, sender: int, index: int
) -> None:
    sequencer, _ = chain
    session = builder(sequencer, claimant).claim(sender, index).build()
    error = assert_refused(chain, db_dump, session, NotRecipientError)
    assert f"user {claimant}" in str(error)


def test_a_transfer_names_the_recipients_key_not_only_its_id(tmp_path: Path, db_dump: Callable[[Path], str]) -> None:
    """Sent to id 50 at the address of a key K before anyone holds id 50: a different key registering
    id 50 later cannot claim it (not even with a fresh session that registers and claims at once); K can."""
    holder, squatter, late_id = USER_KEYS.secret(-1), USER_KEYS.secret(-2), 50
    with Sequencer.open(tmp_path) as sequencer:
        sequencer.submit(builder(sequencer, A).register(100).build())
        sequencer.build_block()
        sequencer.submit(builder(sequencer, A).send(late_id, 40, address=key_digest(holder)).build())
        sequencer.build_block()
        chain = (sequencer, Path(sequencer.storage.location))
        registering_claim = SessionBuilder(sequencer.state, late_id, squatter).register(0).claim(A, 0).build()
        assert_refused(chain, db_dump, registering_claim, NotRecipientError)
        sequencer.submit(SessionBuilder(sequencer.state, late_id, squatter).register(0).build())
        sequencer.build_block()
        error = assert_refused(
            chain, db_dump, SessionBuilder(sequencer.state, late_id, squatter).claim(A, 0).build(), NotRecipientError
        )
        assert "another key" in str(error)

    with Sequencer.open(tmp_path / "honest") as sequencer:
        sequencer.submit(builder(sequencer, A).register(100).build())
        sequencer.build_block()
        sequencer.submit(builder(sequencer, A).send(late_id, 40, address=key_digest(holder)).build())
        sequencer.build_block()
        sequencer.submit(SessionBuilder(sequencer.state, late_id, holder).register(0).claim(A, 0).build())
        sequencer.build_block()
        assert sequencer.state.user(late_id).balance == 40


def test_a_send_to_an_unregistered_id_needs_an_explicit_address(chain: tuple[Sequencer, Path]) -> None:
    sequencer, _ = chain
    with pytest.raises(UnknownUserError):
        builder(sequencer, A).send(77, 1)


@pytest.mark.parametrize(("sender", "index"), [(A, 2), (B, 5), (C, 0), (A, 1 << 20)])
def test_claim_of_a_missing_transfer(
    chain: tuple[Sequencer, Path], db_dump: Callable[[Path], str], sender: int, index: int
) -> None:
    sequencer, _ = chain
    assert_refused(chain, db_dump, builder(sequencer, C).claim(sender, index).build(), UnknownTransferError)


@SETTINGS
@given(root=st.tuples(field_elements, field_elements, field_elements, field_elements))
def test_session_reading_another_root(
    chain: tuple[Sequencer, Path], db_dump: Callable[[Path], str], root: tuple[int, int, int, int]
) -> None:
    sequencer, _ = chain
    session = replace(builder(sequencer, C).claim(A, 1).build(), read_root=root)
    assert_refused(chain, db_dump, session, StaleRootError)


def test_session_reading_an_older_finalized_root(chain: tuple[Sequencer, Path], db_dump: Callable[[Path], str]) -> None:
    sequencer, _ = chain
    old_root = sequencer.storage.block(1).new_root
    session = replace(builder(sequencer, C).claim(A, 1).build(), read_root=old_root)
    error = assert_refused(chain, db_dump, session, StaleRootError)
    assert f"after block {sequencer.state.block_number}" in str(error)


@SETTINGS
@given(nonce=st.integers(-5, 20))
def test_nonce_must_be_next(chain: tuple[Sequencer, Path], db_dump: Callable[[Path], str], nonce: int) -> None:
    sequencer, _ = chain
    current = sequencer.state.user(A).nonce
    session = Session(A, sequencer.state.root, USER_KEYS.secret(A), (Send(B, ADDRESS_B, 1, nonce),))
    if nonce == current + 1:
        execute_block(sequencer.state, [session])
    else:
        assert_refused(chain, db_dump, session, NonceError)


def test_nonce_replay_inside_a_session(chain: tuple[Sequencer, Path], db_dump: Callable[[Path], str]) -> None:
    sequencer, _ = chain
    nonce = sequencer.state.user(C).nonce + 1
    session = Session(C, sequencer.state.root, USER_KEYS.secret(C), (Claim(A, 1, nonce), Claim(B, 0, nonce)))
    assert_refused(chain, db_dump, session, NonceError)


@SETTINGS
@given(secret=st.tuples(field_elements, field_elements, field_elements, field_elements))
def test_wrong_key(chain: tuple[Sequencer, Path], db_dump: Callable[[Path], str], secret: tuple[int, ...]) -> None:
    sequencer, _ = chain
    if key_digest(secret) == sequencer.state.user(A).key_digest:
        return
    session = SessionBuilder(sequencer.state, A, secret).send(B, 1).build()
    assert_refused(chain, db_dump, session, AuthorizationError)


def test_another_users_key(chain: tuple[Sequencer, Path], db_dump: Callable[[Path], str]) -> None:
    sequencer, _ = chain
    session = SessionBuilder(sequencer.state, A, USER_KEYS.secret(B)).send(B, 1).build()
    assert_refused(chain, db_dump, session, AuthorizationError)


@pytest.mark.parametrize(
    ("operations", "error"),
    [
        ((Send(B, ADDRESS_B, 1, 1),), UnknownUserError),
        ((Register(10), Send(B, ADDRESS_B, 11, 1)), OverdraftError),
        ((Register(AMOUNT_LIMIT),), OutOfRangeError),
        ((Register(1), Register(1)), MalformedSessionError),
        ((), MalformedSessionError),
    ],
)
def test_unregistered_user(
    chain: tuple[Sequencer, Path],
    db_dump: Callable[[Path], str],
    operations: tuple[Register | Send, ...],
    error: type[RollupError],
) -> None:
    sequencer, _ = chain
    assert_refused(chain, db_dump, Session(77, sequencer.state.root, USER_KEYS.secret(77), operations), error)


def test_registering_a_registered_user(chain: tuple[Sequencer, Path], db_dump: Callable[[Path], str]) -> None:
    sequencer, _ = chain
    assert_refused(chain, db_dump, builder(sequencer, B).register(100).build(), AlreadyRegisteredError)


def test_registration_after_another_operation(chain: tuple[Sequencer, Path], db_dump: Callable[[Path], str]) -> None:
    sequencer, _ = chain
    nonce = sequencer.state.user(A).nonce + 1
    session = Session(A, sequencer.state.root, USER_KEYS.secret(A), (Send(B, ADDRESS_B, 1, nonce), Register(5)))
    assert_refused(chain, db_dump, session, MalformedSessionError)


@pytest.mark.parametrize("user", [-1, MAX_USERS])
def test_user_id_out_of_range(chain: tuple[Sequencer, Path], db_dump: Callable[[Path], str], user: int) -> None:
    sequencer, _ = chain
    session = SessionBuilder(sequencer.state, user, USER_KEYS.secret(1)).register(1).build()
    assert_refused(chain, db_dump, session, OutOfRangeError)


def test_duplicate_user_in_a_block(tmp_path: Path, db_dump: Callable[[Path], str]) -> None:
    with Sequencer.open(tmp_path) as sequencer:
        build_chain(sequencer)
        first = builder(sequencer, C).claim(A, 1).build()
        sequencer.submit(first)
        path = Path(sequencer.storage.location)
        before = db_dump(path)
        with pytest.raises(DuplicateUserError, match=f"user {C}"):
            sequencer.submit(builder(sequencer, C).claim(B, 0).build())
        assert db_dump(path) == before and sequencer.pending_user_ids == [C]
        assert sequencer.storage.pending_sessions() == [first]
        with pytest.raises(DuplicateUserError, match=str(C)):
            execute_block(sequencer.state, [first, builder(sequencer, C).claim(B, 0).build()])
        block = sequencer.build_block().block
        assert block.user_ids == (C,) and sequencer.state.user(C).balance == 120


def test_claim_of_a_transfer_not_yet_finalized(tmp_path: Path) -> None:
    """A transfer sent in the open block is invisible to claims, and a root including it is not finalized."""
    with Sequencer.open(tmp_path) as sequencer:
        build_chain(sequencer)
        send = builder(sequencer, A).send(C, 5).build()
        sequencer.submit(send)
        with pytest.raises(UnknownTransferError):
            sequencer.submit(builder(sequencer, C).claim(A, 2).build())
        tentative_root = execute_block(sequencer.state, [send]).block.new_root
        session = replace(builder(sequencer, C).claim(A, 2).build(), read_root=tentative_root)
        with pytest.raises(StaleRootError):
            sequencer.submit(session)
        assert sequencer.pending_user_ids == [A]
        sequencer.build_block()
        sequencer.submit(builder(sequencer, C).claim(A, 2).build())
        sequencer.build_block()
        assert sequencer.state.user(C).balance == 105
