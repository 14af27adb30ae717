"""The re-execution baseline reproduces stored blocks and notices a stored root that it cannot reproduce."""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path

import pytest
from keys_support import SEED_KEYS, USER_KEYS

from rollup.params import DATABASE_FILENAME
from rollup.reexecute import reexecute_block, reexecute_stored_block
from rollup.seed import run_seed_scenario
from rollup.sequencer import Sequencer
from rollup.session import claim_sessions
from rollup.storage import Storage, encode_digest
from rollup.witness import verify_session_trace
from rollup.workload import random_send_sessions, register_users, registration_sessions


def test_stored_blocks_reexecute_to_their_roots(tmp_path: Path) -> None:
    with Sequencer.open(tmp_path) as sequencer:
        run_seed_scenario(sequencer, SEED_KEYS)
        for number in range(1, 4):
            report = reexecute_stored_block(sequencer.storage, number)
            assert report.matches and report.recomputed_root == sequencer.storage.block(number).new_root
    connection = sqlite3.connect(tmp_path / DATABASE_FILENAME)
    connection.execute("UPDATE blocks SET new_root = ? WHERE number = 3", (encode_digest((1, 2, 3, 4)),))
    connection.commit()
    connection.close()
    with Storage.open(tmp_path / DATABASE_FILENAME) as storage:
        report = reexecute_stored_block(storage, 3)
        assert not report.matches and report.stored_root == (1, 2, 3, 4)


def test_random_workload_baseline_matches_the_sequencer() -> None:
    rng = random.Random(5)
    with Sequencer.in_memory() as sequencer:
        users = rng.sample(range(1 << 20), 12)
        register_users(sequencer, users, 50, USER_KEYS)
        for _ in range(2):
            sends = random_send_sessions(sequencer.state, 20, rng, USER_KEYS)
            claims = claim_sessions(sequencer.state, {u: USER_KEYS.secret(u) for u in users})
            senders = {s.user_id for s in sends}
            sessions = sends + [c for c in claims if c.user_id not in senders]
            before = sequencer.state.root
            baseline = reexecute_block(sequencer.state, sessions)
            assert sequencer.state.root == before
            for session in sessions:
                sequencer.submit(session)
            assert sequencer.build_block().block.new_root == baseline
            assert sequencer.state.known_supply() == 12 * 50
            assert all(tree.balance >= 0 for tree in sequencer.state.users.values())


def test_workload_needs_two_users_and_funds() -> None:
    with Sequencer.in_memory() as sequencer:
        sequencer.submit(registration_sessions(sequencer.state, [1], 5, USER_KEYS)[0])
        sequencer.build_block()
        with pytest.raises(ValueError, match="at least two"):
            random_send_sessions(sequencer.state, 1, random.Random(0), USER_KEYS)
        sequencer.submit(registration_sessions(sequencer.state, [2], 0, USER_KEYS)[0])
        sequencer.build_block()
        with pytest.raises(ValueError, match="no funded user"):
            random_send_sessions(sequencer.state, 10, random.Random(0), USER_KEYS)


@pytest.mark.slow
def test_large_random_workload() -> None:
    """300 users, three blocks of 1000 random sends (with claims interleaved): every invariant and trace holds."""
    rng = random.Random(11)
    users = rng.sample(range(1 << 20), 300)
    secrets = {u: USER_KEYS.secret(u) for u in users}
    with Sequencer.in_memory() as sequencer:
        register_users(sequencer, users, 1000, USER_KEYS)
        for _ in range(3):
            sends = random_send_sessions(sequencer.state, 1000, rng, USER_KEYS)
            senders = {s.user_id for s in sends}
            sessions = sends + [c for c in claim_sessions(sequencer.state, secrets) if c.user_id not in senders]
            baseline = reexecute_block(sequencer.state, sessions)
            for session in sessions:
                sequencer.submit(session)
            executed = sequencer.build_block()
            assert executed.block.new_root == baseline
            for item in executed.sessions:
                verify_session_trace(item.trace)
            assert sequencer.state.known_supply() == 300 * 1000
        assert sequencer.storage.load_state().root == sequencer.state.root
