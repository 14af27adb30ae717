"""Session building (nonce numbering, claims of pending transfers) and the JSON codec for untrusted input."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from keys_support import NAMED_KEYS

from rollup.block import ExecutedBlock
from rollup.errors import MalformedSessionError
from rollup.operations import Claim, Register, Send
from rollup.seed import SEED_USERS
from rollup.sequencer import Sequencer
from rollup.session import Session, SessionBuilder, claim_sessions, session_from_json, session_to_json
from rollup.state import ChainState

ints = st.integers(0, 2**64)
operations = st.one_of(
    st.builds(Register, ints),
    st.builds(Send, ints, st.tuples(ints, ints, ints, ints), ints, ints),
    st.builds(Claim, ints, ints, ints),
)
sessions = st.builds(
    Session,
    ints,
    st.tuples(ints, ints, ints, ints),
    st.lists(ints, max_size=5).map(tuple),
    st.lists(operations, max_size=5).map(tuple),
)


@settings(max_examples=30, deadline=None)
@given(session=sessions)
def test_json_round_trip(session: Session) -> None:
    text = session_to_json(session)
    assert session_from_json(text) == session
    assert session_to_json(session_from_json(text)) == text


@pytest.mark.parametrize(
    "mutate",
    [
        lambda d: d.pop("secret"),
        lambda d: d.update(extra=1),
        lambda d: d.update(user_id="5"),
        lambda d: d.update(user_id=True),
        lambda d: d.update(read_root=[1, 2, 3]),
        lambda d: d.update(read_root="abcd"),
        lambda d: d.update(operations={"op": "send"}),
        lambda d: d["operations"].append({"op": "mint", "amount": 5}),
        lambda d: d["operations"].append({"op": "send", "recipient": 1, "amount": 5}),
        lambda d: d["operations"].append({"op": "send", "recipient": 1, "amount": 5.0, "nonce": 1}),
        lambda d: d["operations"].append({"op": "claim", "sender_id": 1, "outbox_index": 0, "nonce": 1, "x": 0}),
    ],
)
def test_malformed_json_is_rejected(mutate: object) -> None:
    document = json.loads(session_to_json(Session(1, (1, 2, 3, 4), (5, 6, 7, 8), (Register(3),))))
    mutate(document)  # type: ignore[operator]
    with pytest.raises(MalformedSessionError):
        session_from_json(json.dumps(document))


def test_garbage_json_is_rejected() -> None:
    for text in ["", "{", "[]", "null", '"session"']:
        with pytest.raises(MalformedSessionError):
            session_from_json(text)


def test_builder_numbers_nonces_from_the_finalized_state(seed_run: tuple[Sequencer, list[ExecutedBlock]]) -> None:
    sequencer, _ = seed_run
    sam = SEED_USERS["Sam"]
    current = sequencer.state.user(sam).nonce
    session = SessionBuilder(sequencer.state, sam, NAMED_KEYS.secret("Sam")).send(2, 1).claim(3, 0).send(4, 1).build()
    assert [op.nonce for op in session.operations if not isinstance(op, Register)] == [
        current + 1,
        current + 2,
        current + 3,
    ]
    assert session.read_root == sequencer.state.root and session.user_id == sam


def test_builder_for_a_new_user_starts_at_nonce_one() -> None:
    address = (5, 6, 7, 8)
    session = SessionBuilder(ChainState(), 3, (1, 2, 3, 4)).register(10).send(4, 5, address).build()
    assert session.operations == (Register(10), Send(4, address, 5, 1))
    with pytest.raises(MalformedSessionError):
        SessionBuilder(ChainState(), 3, (1, 2, 3, 4)).build()


def test_claim_sessions_only_for_known_secrets(seed_run: tuple[Sequencer, list[ExecutedBlock]]) -> None:
    sequencer, blocks = seed_run
    after_sends = sequencer.storage.load_state(2)
    all_users = {user: NAMED_KEYS.secret(name) for name, user in SEED_USERS.items()}
    claims = claim_sessions(after_sends, all_users)
    assert [s.user_id for s in claims] == sorted(all_users)
    assert sum(len(s.operations) for s in claims) == 6
    only_jack = claim_sessions(after_sends, {SEED_USERS["Jack"]: NAMED_KEYS.secret("Jack")})
    assert [s.user_id for s in only_jack] == [SEED_USERS["Jack"]]
    assert {(op.sender_id, op.outbox_index) for op in only_jack[0].operations if isinstance(op, Claim)} == {
        (SEED_USERS["Sam"], 0),
        (SEED_USERS["Kate"], 0),
    }
    assert claim_sessions(sequencer.state, all_users) == []
    assert [s.user_id for s in claims] == list(blocks[2].block.user_ids)
