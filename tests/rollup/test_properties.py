"""Property tests over random users and transfer sequences.

For every block of a random run: the new root equals the re-execution
baseline and does not depend on the order of sessions (neither in the block
function nor in submission order); total supply (balances + sent-but-unclaimed)
equals the public deposits; balances follow a simple model; every trace
verifies on its own; the stored state reproduces the in-memory one.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from keys_support import USER_KEYS

from rollup.block import execute_block
from rollup.params import MAX_USERS
from rollup.reexecute import reexecute_block
from rollup.sequencer import Sequencer
from rollup.session import Session, SessionBuilder
from rollup.witness import verify_session_trace
from verifier.chain import GENESIS_HEIGHT

Intent = tuple[int, int, int]
Round = tuple[list[Intent], set[int]]


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[list[int], list[int], list[Round]]:
    users = draw(st.lists(st.integers(0, MAX_USERS - 1), min_size=2, max_size=5, unique=True))
    deposits = draw(st.lists(st.integers(0, 200), min_size=len(users), max_size=len(users)))
    member = st.sampled_from(users)
    rounds = draw(
        st.lists(
            st.tuples(st.lists(st.tuples(member, member, st.integers(0, 150)), max_size=6), st.sets(member)),
            min_size=1,
            max_size=4,
        )
    )
    return users, deposits, rounds


def round_sessions(
    sequencer: Sequencer, intents: list[Intent], claimers: set[int]
) -> tuple[list[Session], dict[int, int]]:
    """Claims by ``claimers`` first, then the affordable intents; returns the sessions and the model balances."""
    state = sequencer.state
    balances = {user: tree.balance for user, tree in state.users.items()}
    builders: dict[int, SessionBuilder] = {}

    def builder(user: int) -> SessionBuilder:
        return builders.setdefault(user, SessionBuilder(state, user, USER_KEYS.secret(user)))

    for transfer in list(state.unclaimed_transfers()):
        if transfer.record.recipient in claimers:
            builder(transfer.record.recipient).claim(transfer.sender_id, transfer.record.index)
            balances[transfer.record.recipient] += transfer.record.amount
    for sender, recipient, amount in intents:
        if amount <= balances[sender]:
            builder(sender).send(recipient, amount)
            balances[sender] -= amount
    return [b.build() for b in builders.values()], balances


@settings(max_examples=20, deadline=None)
@given(scenario=scenarios(), data=st.data())
def test_random_runs(scenario: tuple[list[int], list[int], list[Round]], data: st.DataObject) -> None:
    users, deposits, rounds = scenario
    with Sequencer.in_memory() as sequencer:
        supply = sum(deposits)
        sessions = [
            SessionBuilder(sequencer.state, user, USER_KEYS.secret(user)).register(deposit).build()
            for user, deposit in zip(users, deposits, strict=True)
        ]
        expected = dict(zip(users, deposits, strict=True))
        published_deposits = 0
        for intents, claimers in [([], set()), *rounds]:
            if sequencer.state.block_number > GENESIS_HEIGHT:
                sessions, expected = round_sessions(sequencer, intents, claimers)
            state = sequencer.state
            baseline = reexecute_block(state, sessions)
            permuted = execute_block(state, data.draw(st.permutations(sessions))).block
            for session in data.draw(st.permutations(sessions)):
                sequencer.submit(session)
            executed = sequencer.build_block()
            block = executed.block
            assert block.new_root == baseline == permuted.new_root
            assert block.data_digest == permuted.data_digest and block.public_data == permuted.public_data
            assert block.user_ids == tuple(sorted(s.user_id for s in sessions))
            for item in executed.sessions:
                assert verify_session_trace(item.trace) == item.trace.public_data()
            published_deposits += sum(entry.deposit for entry in block.public_data)
            assert sequencer.state.known_supply() == supply == published_deposits
            assert {user: tree.balance for user, tree in sequencer.state.users.items()} == expected
        reloaded = sequencer.storage.load_state()
        assert reloaded.root == sequencer.state.root
        assert {u: t.balance for u, t in reloaded.users.items()} == expected
        assert reloaded.known_supply() == supply
