"""Persistence: reopening reproduces every root; a crash while writing a block loses nothing finalized or submitted."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from keys_support import NAMED_KEYS, SEED_KEYS

from rollup.errors import SchemaVersionError, StorageError
from rollup.params import DATABASE_FILENAME, SCHEMA_VERSION
from rollup.reexecute import reexecute_block
from rollup.seed import SEED_USERS, run_seed_scenario
from rollup.sequencer import Sequencer
from rollup.session import SessionBuilder
from rollup.storage import Storage, decode_digest, encode_digest
from verifier.chain import GENESIS_HEIGHT


def test_reopen_gives_the_same_roots_and_state(tmp_path: Path) -> None:
    with Sequencer.open(tmp_path) as sequencer:
        blocks = [executed.block for executed in run_seed_scenario(sequencer, SEED_KEYS)]
        balances = {user: tree.balance for user, tree in sequencer.state.users.items()}
    assert (tmp_path / DATABASE_FILENAME).is_file()
    with Sequencer.open(tmp_path) as reopened:
        assert reopened.state.block_number == 3 and reopened.state.root == blocks[-1].new_root
        assert reopened.storage.blocks() == blocks
        assert {user: tree.balance for user, tree in reopened.state.users.items()} == balances
        for block in blocks:
            assert reopened.storage.load_state(block.number).root == block.new_root
            assert len(reopened.storage.block_sessions(block.number)) == len(block.public_data)
        assert reopened.storage.load_state(GENESIS_HEIGHT).root == Storage.open(":memory:").load_state().root
        assert reopened.state.known_supply() == 400
        # the reloaded trees are complete: a new block built on them matches one built in memory
        session = SessionBuilder(reopened.state, SEED_USERS["Kim"], NAMED_KEYS.secret("Kim")).send(1, 35).build()
        expected = reexecute_block(reopened.state, [session])
        reopened.submit(session)
        assert reopened.build_block().block.new_root == expected


def test_pending_sessions_survive_a_restart(tmp_path: Path) -> None:
    with Sequencer.open(tmp_path) as sequencer:
        run_seed_scenario(sequencer, SEED_KEYS)
        session = SessionBuilder(sequencer.state, SEED_USERS["Jack"], NAMED_KEYS.secret("Jack")).send(3, 150).build()
        expected = reexecute_block(sequencer.state, [session])
        sequencer.submit(session)
    with Sequencer.open(tmp_path) as reopened:
        assert reopened.pending_user_ids == [SEED_USERS["Jack"]]
        assert reopened.storage.pending_sessions() == [session]
        assert reopened.build_block().block.new_root == expected
        assert reopened.pending_user_ids == [] and reopened.storage.pending_sessions() == []


def test_exception_inside_the_block_transaction(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, db_dump: Callable[[Path], str]
) -> None:
    sequencer = Sequencer.open(tmp_path)
    run_seed_scenario(sequencer, SEED_KEYS)
    session = SessionBuilder(sequencer.state, SEED_USERS["Sam"], NAMED_KEYS.secret("Sam")).send(2, 5).build()
    expected = reexecute_block(sequencer.state, [session])
    sequencer.submit(session)
    path = Path(sequencer.storage.location)
    before = db_dump(path)
    root, number = sequencer.state.root, sequencer.state.block_number

    def crash(*args: object) -> None:
        raise RuntimeError("simulated crash while writing tree nodes")

    monkeypatch.setattr(Storage, "_write_nodes", crash)
    with pytest.raises(RuntimeError, match="simulated crash"):
        sequencer.build_block()
    assert db_dump(path) == before
    assert (sequencer.state.root, sequencer.state.block_number) == (root, number)
    assert sequencer.pending_user_ids == [SEED_USERS["Sam"]]
    sequencer.close()
    monkeypatch.undo()
    with Sequencer.open(tmp_path) as reopened:
        assert reopened.storage.latest_block_number() == number and reopened.state.root == root
        assert reopened.storage.pending_sessions() == [session]
        assert reopened.build_block().block.new_root == expected


def test_process_killed_inside_the_block_transaction(tmp_path: Path, db_dump: Callable[[Path], str]) -> None:
    """A hard kill (no rollback, no close) mid-transaction: SQLite's journal restores the previous block."""
    with Sequencer.open(tmp_path) as sequencer:
        run_seed_scenario(sequencer, SEED_KEYS)
        session = SessionBuilder(sequencer.state, SEED_USERS["Kate"], NAMED_KEYS.secret("Kate")).send(4, 1).build()
        expected = reexecute_block(sequencer.state, [session])
        sequencer.submit(session)
        root = sequencer.state.root
    before = db_dump(tmp_path / DATABASE_FILENAME)
    script = textwrap.dedent(
        f"""
        import os
        from rollup.sequencer import Sequencer
        from rollup.storage import Storage
        original = Storage._write_nodes
        def write_then_die(self, *args):
            original(self, *args)
            os._exit(17)
        Storage._write_nodes = write_then_die
        Sequencer.open({str(tmp_path)!r}).build_block()
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 17, result.stderr
    with Sequencer.open(tmp_path) as reopened:
        assert reopened.storage.latest_block_number() == 3 and reopened.state.root == root
        assert reopened.storage.pending_sessions() == [session]
        assert db_dump(tmp_path / DATABASE_FILENAME) == before
        assert reopened.build_block().block.new_root == expected


def test_unknown_schema_version(tmp_path: Path) -> None:
    Storage.open(tmp_path / "chain.sqlite").close()
    connection = sqlite3.connect(tmp_path / "chain.sqlite")
    connection.execute("UPDATE schema_version SET version = ?", (SCHEMA_VERSION + 98,))
    connection.commit()
    connection.close()
    with pytest.raises(SchemaVersionError, match=str(SCHEMA_VERSION + 98)):
        Storage.open(tmp_path / "chain.sqlite")


def test_not_a_chain_database(tmp_path: Path) -> None:
    connection = sqlite3.connect(tmp_path / "other.sqlite")
    connection.execute("CREATE TABLE things (x INTEGER)")
    connection.commit()
    connection.close()
    with pytest.raises(StorageError, match="not a rollup chain database"):
        Storage.open(tmp_path / "other.sqlite")
    (tmp_path / "garbage.sqlite").write_bytes(b"definitely not sqlite" * 100)
    with pytest.raises(StorageError, match="not a usable SQLite database"):
        Storage.open(tmp_path / "garbage.sqlite")


def test_corrupted_tree_is_detected_on_load(tmp_path: Path) -> None:
    with Sequencer.open(tmp_path) as sequencer:
        run_seed_scenario(sequencer, SEED_KEYS)
    connection = sqlite3.connect(tmp_path / DATABASE_FILENAME)
    connection.execute("UPDATE outbox_records SET amount = 49 WHERE block = 2 AND amount = 50")
    connection.commit()
    connection.close()
    with Storage.open(tmp_path / DATABASE_FILENAME) as storage:
        assert storage.load_state(1).block_number == 1
        with pytest.raises(StorageError, match=r"block 2.*outbox records and outbox tree"):
            storage.load_state(2)
        assert storage.load_state(2, verify=False).block_number == 2
        with pytest.raises(StorageError, match="no block 7"):
            storage.load_state(7)
        with pytest.raises(StorageError, match="block 9"):
            storage.block(9)


@pytest.mark.parametrize(
    ("statement", "message"),
    [
        ("UPDATE tree_nodes SET digest = ? WHERE tree = 0 AND level = 0 AND block = 3", "global tree"),
        ("UPDATE tree_nodes SET digest = ? WHERE tree = 2 AND level = 3 AND block = 3", "claimed set"),
        ("UPDATE tree_nodes SET digest = ? WHERE tree = 0 AND level = 20 AND block = 3", "reproduce the root"),
    ],
)
def test_corrupted_nodes_are_detected_on_load(tmp_path: Path, statement: str, message: str) -> None:
    with Sequencer.open(tmp_path) as sequencer:
        run_seed_scenario(sequencer, SEED_KEYS)
    connection = sqlite3.connect(tmp_path / DATABASE_FILENAME)
    assert connection.execute(statement, (encode_digest((1, 2, 3, 4)),)).rowcount > 0
    connection.commit()
    connection.close()
    with Storage.open(tmp_path / DATABASE_FILENAME) as storage, pytest.raises(StorageError, match=message):
        storage.load_state()
    with pytest.raises(StorageError):
        Sequencer.open(tmp_path)


def test_digest_encoding() -> None:
    digest = (0, 1, 2**64 - 2**32, 12345)
    assert decode_digest(encode_digest(digest)) == digest
    with pytest.raises(StorageError):
        decode_digest(b"\xff" * 32)
    with pytest.raises(StorageError):
        decode_digest(bytes(31))
