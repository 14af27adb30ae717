"""Storage under faults: damaged, truncated, missing or locked databases, full disks, read-only files, crashes.

Every case works on a real chain directory (built with the ``rollup`` commands)
and asserts what an operator sees: no traceback, exit status 2 with one
``error:`` line naming the problem, or a repair with a warning; and that no
finalized data was lost or silently changed. The lock cases use a real second
process holding ``BEGIN EXCLUSIVE``; a full disk is simulated in-process (SQLite's
``max_page_count``, ``os.fsync`` failing with ENOSPC), a read-only file with
SQLite's ``query_only`` and, when not running as root, with ``chmod``.

One module on purpose (about 500 lines): it is the storage fault-injection
suite whose case counts docs/security.md reports.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from rollup.chain_dir import ChainDirectory
from rollup.chain_integrity import MIGRATED_USERS_FILE, PENDING_FILE, USERS_FILE
from rollup.cli import main
from rollup.errors import DatabaseBusyError, EmptyDatabaseError, StorageEnvironmentError, StorageError
from rollup.fault_injection import SimulatedCrash
from rollup.files import FileWriteError, write_atomic
from rollup.params import DATABASE_FILENAME, SCHEMA_VERSION, SPILLED_PROOFS_DIR
from rollup.session import session_to_json
from rollup.storage import Storage
from tests.fault_support import Captured, assert_clear_error, lock_holder, run_cli
from tests.verifier.test_light_client import StatementCircuit
from verifier.light_client import BlockStatement
from verifier.serialization import proof_to_bytes, verifier_key_to_bytes

DumpDatabase = Callable[[Path], str]


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A chain with blocks 1 (Sam 100, Jack 50) and 2 (Sam sends Jack 10), an exported proof file of
    block 2 (its content is irrelevant to storage) and nothing pending."""
    directory = tmp_path_factory.mktemp("template") / "chain"
    for argv in (
        ["init"],
        ["user", "add", "Sam", "--balance", "100"],
        ["user", "add", "Jack", "--balance", "50"],
        ["block", "build"],
        ["send", "Sam", "Jack", "10"],
        ["block", "build"],
    ):
        assert main(["--dir", str(directory), *argv]) == 0, argv
    write_atomic(directory / "proofs" / "block-0002.proof", b"an exported proof")
    return directory


@pytest.fixture
def chain(template: Path, tmp_path: Path) -> Path:
    """A fresh copy of the template chain (and of the wallets beside it, for delegated proving)."""
    shutil.copytree(template.parent / "chain-wallets", tmp_path / "chain-wallets")
    return Path(shutil.copytree(template, tmp_path / "chain"))


def database(chain: Path) -> Path:
    return chain / DATABASE_FILENAME


def execute(chain: Path, *statements: str) -> None:
    """Run SQL on the chain's database behind the rollup's back (foreign keys off, as in the sqlite3 shell)."""
    connection = sqlite3.connect(database(chain))
    try:
        for statement in statements:
            connection.execute(statement)
        connection.commit()
    finally:
        connection.close()


def finalized(dump: str) -> str:
    """A database dump without the submitted (not finalized) sessions."""
    return "\n".join(line for line in dump.splitlines() if not line.startswith('INSERT INTO "pending_sessions"'))


def balances(capsys: Captured, chain: Path) -> dict[str, int]:
    code, out, err = run_cli(capsys, chain, "balances", "--json")
    assert code == 0, err
    result: dict[str, int] = json.loads(out)["balances"]
    return result


# ----------------------------------------------------------------------------- empty, truncated, missing


def test_zero_byte_database_beside_proofs_is_refused_not_reinitialised(capsys: Captured, chain: Path) -> None:
    database(chain).write_bytes(b"")
    for argv in (["balances"], ["block", "show", "1"], ["send", "Sam", "Jack", "1"], ["init"]):
        code, _, err = run_cli(capsys, chain, *argv)
        assert_clear_error(code, err, str(database(chain)), "holds no chain", "block-0002.proof", "restore it")
    assert database(chain).stat().st_size == 0


def test_zero_byte_database_alone_is_not_initialised_by_a_reading_command(capsys: Captured, tmp_path: Path) -> None:
    tmp_path.joinpath(DATABASE_FILENAME).write_bytes(b"")
    code, _, err = run_cli(capsys, tmp_path, "balances")
    assert_clear_error(code, err, "holds no chain", "rollup init")
    assert tmp_path.joinpath(DATABASE_FILENAME).stat().st_size == 0
    with pytest.raises(EmptyDatabaseError):
        Storage.open(tmp_path / DATABASE_FILENAME, create=False)
    assert run_cli(capsys, tmp_path, "init")[0] == 0  # an explicit init may start a chain there


@pytest.mark.parametrize("keep", [0.5, 0.1, 100 / 4096])
def test_truncated_database_gives_a_clear_error(capsys: Captured, chain: Path, keep: float) -> None:
    data = database(chain).read_bytes()
    database(chain).write_bytes(data[: int(len(data) * keep)])
    for argv in (["balances"], ["block", "build"]):
        code, _, err = run_cli(capsys, chain, *argv)
        assert_clear_error(code, err, str(database(chain)))


def test_missing_database_beside_chain_files_is_refused(capsys: Captured, chain: Path) -> None:
    database(chain).unlink()
    for argv in (["balances"], ["init"]):
        code, _, err = run_cli(capsys, chain, *argv)
        assert_clear_error(code, err, "is missing", "block-0002.proof")
    assert not database(chain).exists()


def test_storage_open_never_creates_without_create(tmp_path: Path) -> None:
    with pytest.raises(StorageError, match="no chain database"):
        Storage.open(tmp_path / "absent.sqlite", create=False)
    assert not (tmp_path / "absent.sqlite").exists()


# ----------------------------------------------------------------------------- damaged contents


@pytest.mark.parametrize(
    ("statements", "message"),
    [
        (["DROP TABLE names"], "table names is missing"),
        (["DROP TABLE proofs"], "table proofs is missing"),
        (["ALTER TABLE accounts RENAME COLUMN nonce TO n"], "table accounts has columns"),
        (["DELETE FROM schema_version"], "schema version []"),
        (["UPDATE blocks SET public_data = 'not json' WHERE number = 2"], "public data of block 2"),
        (["UPDATE blocks SET public_data = '[[1, 2]]' WHERE number = 1"], "public data of block 1"),
        (["UPDATE blocks SET public_data = '[[1, 0, [1,2,3,4]]]' WHERE number = 1"], "public data"),
        (["UPDATE blocks SET new_root = x'00' WHERE number = 1"], "digest"),
        (["DELETE FROM block_sessions WHERE block = 1 AND user_id = 2"], "sessions of block 1 differ"),
        (["UPDATE blocks SET prev_root = new_root WHERE number = 2"], "does not extend the root of block 1"),
        (["DELETE FROM blocks WHERE number = 2"], "chain head is block 2 but the latest stored block is 1"),
        (["DELETE FROM chain_head"], "chain head is block missing"),
        (["UPDATE chain_head SET block = 5"], "chain head is block 5"),
        (["UPDATE accounts SET balance = 1000 WHERE user_id = 1"], "corrupt state"),
        (["UPDATE names SET name = 'S a m' WHERE user_id = 1"], "invalid user name"),
        (["INSERT INTO pending_sessions (user_id, session) VALUES (1, '[')"], "pending session of user 1"),
        (["UPDATE blocks SET public_data = '[[1, 0, [\"a\", 2, 3, 4]]]' WHERE number = 2"], "public data of block 2"),
        (["UPDATE accounts SET balance = 'x' WHERE user_id = 1"], "damaged accounts row"),
        (["UPDATE tree_nodes SET level = 'a' WHERE rowid = 3"], "damaged tree_nodes row"),
        (["UPDATE outbox_records SET recipient = -1"], "damaged outbox_records row"),
        (["DELETE FROM names"], "no name for the registered user ids [1, 2]"),
    ],
)
def test_damaged_database_gives_one_clear_error(
    capsys: Captured, chain: Path, statements: list[str], message: str
) -> None:
    execute(chain, *statements)
    for argv in (["balances"], ["block", "show", "1"], ["send", "Sam", "Jack", "1"]):
        code, _, err = run_cli(capsys, chain, *argv)
        assert_clear_error(code, err, message)


def test_undecodable_stored_session_is_named_where_it_is_read(capsys: Captured, chain: Path) -> None:
    execute(chain, "UPDATE block_sessions SET session = '{\"user_id\": 1}' WHERE block = 2")
    for argv in (["block", "show", "2"], ["reexecute", "2"]):
        code, _, err = run_cli(capsys, chain, *argv)
        assert_clear_error(code, err, "session of user 1 in block 2", "restore it from a backup")


def test_deleted_latest_block_with_its_head_is_caught_by_the_exported_proof(capsys: Captured, chain: Path) -> None:
    execute(
        chain,
        "DELETE FROM tree_nodes WHERE block = 2",
        "DELETE FROM accounts WHERE block = 2",
        "DELETE FROM outbox_records WHERE block = 2",
        "DELETE FROM block_sessions WHERE block = 2",
        "DELETE FROM blocks WHERE number = 2",
        "UPDATE chain_head SET block = 1",
    )
    code, _, err = run_cli(capsys, chain, "balances")
    assert_clear_error(code, err, "block-0002.proof proves block 2", "ends at block 1")


def test_intact_chain_still_opens(capsys: Captured, chain: Path) -> None:
    assert balances(capsys, chain) == {"Sam": 90, "Jack": 50}


def test_block_export_verifies_the_stored_proof_first(capsys: Captured, chain: Path) -> None:
    """A stored block proof is exported only if it verifies under DIR/block.vk and states the stored block.

    Proofs come from a circuit with 17 free public inputs (the block statement's layout), so any statement
    can be proven quickly; its key stands in for the block key.
    """
    circuit = StatementCircuit()
    write_atomic(chain / "block.vk", verifier_key_to_bytes(circuit.data.verifier_key))
    with Storage.open(database(chain)) as storage:
        stored = storage.block(2)
    whitelist = (17, 18, 19, 20)
    statement = BlockStatement(stored.prev_root, stored.new_root, 2, stored.data_digest, whitelist)
    valid = proof_to_bytes(circuit.prove(statement.elements()))
    other = BlockStatement(stored.prev_root, stored.prev_root, 2, stored.data_digest, whitelist)
    tampered = bytearray(valid)
    tampered[len(valid) // 2] ^= 1
    out = chain / "exported.proof"
    for proof, message in (
        (bytes(tampered), "fails its check"),
        (proof_to_bytes(circuit.prove(other.elements())), "states another block"),
        (b"garbage", "fails its check"),
    ):
        with Storage.open(database(chain)) as storage:
            storage.write_proof(2, "block", proof)
        code, _, err = run_cli(capsys, chain, "block", "export", "2", "--out", str(out))
        assert_clear_error(code, err, "the stored proof of block 2", message, "rollup block prove 2")
        assert not out.exists()
    with Storage.open(database(chain)) as storage:
        storage.write_proof(2, "block", valid)
    assert run_cli(capsys, chain, "block", "export", "2", "--out", str(out))[0] == 0
    assert out.read_bytes() == valid
    (chain / "block.vk").unlink()
    code, _, err = run_cli(capsys, chain, "block", "export", "2", "--out", str(chain / "again.proof"))
    assert_clear_error(code, err, "cannot read verifier key")


# ----------------------------------------------------------------------------- names move into the database


BLOCK_TABLES = ("block_sessions", "accounts", "outbox_records", "tree_nodes")


def renumber_blocks_from_0(chain: Path, *then: str) -> None:
    """Blocks numbered from 0, as schema versions 1 and 2 wrote them (no chain_proofs table, nor the tables of
    version 6); then the statements ``then``."""
    renumber = [
        f"UPDATE {table} SET {column} = {column} - 1"
        for table, column in (("blocks", "number"), *((t, "block") for t in (*BLOCK_TABLES, "proofs")))
    ]
    version_6 = ("DROP TABLE public_users", "DROP TABLE pending_proven")
    execute(chain, "DROP TABLE chain_proofs", *version_6, *renumber, *then)


def downgrade_to_version_1(chain: Path) -> dict[str, int]:
    """Make the chain look as version 1 wrote it: names in users.json, no names, chain_head or chain_proofs
    table, blocks numbered from 0."""
    with Storage.open(database(chain)) as storage:
        names = storage.names()
    (chain / USERS_FILE).write_text(json.dumps({"version": 1, "users": names}))
    renumber_blocks_from_0(chain, "DROP TABLE names", "DROP TABLE chain_head", "UPDATE schema_version SET version = 1")
    return names


def test_a_version_2_chain_is_numbered_from_1_when_opened(capsys: Captured, chain: Path) -> None:
    """Version 2 numbered blocks from 0: opening moves every block up by one, keeps the state, drops the
    stored proofs (each states its old number), and the chain goes on at block 3."""
    with Storage.open(database(chain)) as storage:
        storage.write_proof(2, "block", b"a proof stating block 2")
    renumber_blocks_from_0(chain, "UPDATE chain_head SET block = block - 1", "UPDATE schema_version SET version = 2")
    assert run_cli(capsys, chain, "send", "Sam", "Jack", "1")[0] == 0
    with Storage.open(database(chain)) as storage:
        assert storage._rows("SELECT version FROM schema_version") == [(SCHEMA_VERSION,)]
        assert [b.number for b in storage.blocks()] == [1, 2]
        assert storage.block(2).prev_root == storage.block(1).new_root
        assert storage.block_proofs(1) == storage.block_proofs(2) == {}
    assert balances(capsys, chain) == {"Sam": 90, "Jack": 50}
    code, out, _ = run_cli(capsys, chain, "block", "build")
    assert code == 0 and "block 3: 1 session" in out


def test_users_json_is_moved_into_the_database(capsys: Captured, chain: Path) -> None:
    names = downgrade_to_version_1(chain)
    assert balances(capsys, chain) == {"Sam": 90, "Jack": 50}  # a reading command uses the file as it is
    assert (chain / USERS_FILE).exists()
    code, _, err = run_cli(capsys, chain, "send", "Sam", "Jack", "1")
    assert code == 0 and "moved the names" in err
    assert not (chain / USERS_FILE).exists() and (chain / MIGRATED_USERS_FILE).exists()
    with Storage.open(database(chain)) as storage:
        assert storage.names() == names
        assert storage._rows("SELECT version FROM schema_version") == [(SCHEMA_VERSION,)]
    (chain / MIGRATED_USERS_FILE).unlink()  # the database is the only source of names now
    assert balances(capsys, chain) == {"Sam": 90, "Jack": 50}


def test_transfers_of_a_version_3_database_name_no_address_and_are_refused(capsys: Captured, chain: Path) -> None:
    execute(chain, "ALTER TABLE outbox_records DROP COLUMN address", "UPDATE schema_version SET version = 3")
    before = database(chain).read_bytes()
    code, _, err = run_cli(capsys, chain, "send", "Sam", "Jack", "1")
    assert_clear_error(code, err, "schema version 3", "no recipient address")
    assert database(chain).read_bytes() == before


def test_blocks_of_a_version_4_database_use_the_old_leaf_layout_and_are_refused(capsys: Captured, chain: Path) -> None:
    """Version 4 leaves were H(key, state root) and its public data [user id, deposit, new leaf] lists: a
    database holding such a block is refused, unchanged, with one clear error."""
    execute(
        chain,
        "UPDATE blocks SET public_data = '[[1, 100, [1, 2, 3, 4]]]' WHERE number = 1",
        "UPDATE schema_version SET version = 4",
    )
    before = database(chain).read_bytes()
    code, _, err = run_cli(capsys, chain, "send", "Sam", "Jack", "1")
    assert_clear_error(code, err, "schema version 4", "leaf layout before version 5")
    assert database(chain).read_bytes() == before


def test_an_edited_users_json_cannot_swap_names(capsys: Captured, chain: Path) -> None:
    (chain / USERS_FILE).write_text(json.dumps({"version": 1, "users": {"Sam": 2, "Jack": 1}}))
    code, out, err = run_cli(capsys, chain, "balances", "--json")
    assert code == 0 and f"{chain / USERS_FILE} is ignored" in err
    assert json.loads(out)["balances"] == {"Sam": 90, "Jack": 50}


# ----------------------------------------------------------------------------- crash recovery


def test_crash_inside_block_build_then_another_operation_does_not_stick_the_chain(
    capsys: Captured, chain: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The issue's stuck chain: a build crashes after submitting Sam's session, then Sam sends again."""
    from rollup.sequencer import Sequencer

    assert run_cli(capsys, chain, "send", "Sam", "Jack", "5")[0] == 0

    def crash(self: Sequencer) -> None:
        raise SimulatedCrash("simulated crash after the sessions were submitted")

    monkeypatch.setattr(Sequencer, "build_block", crash)
    with pytest.raises(SimulatedCrash, match="simulated crash"):
        main(["--dir", str(chain), "block", "build"])
    monkeypatch.undo()
    with Storage.open(database(chain)) as storage:
        assert [s.user_id for s in storage.pending_sessions()] == [1]  # the crash left Sam's session submitted
    assert run_cli(capsys, chain, "send", "Sam", "Jack", "7")[0] == 0
    code, out, err = run_cli(capsys, chain, "block", "build")
    assert code == 0, err
    assert "dropped the session of Sam" in err and "block 3: 1 session" in out
    assert "send 5 to Jack, send 7 to Jack" in out
    assert balances(capsys, chain) == {"Sam": 78, "Jack": 50}


def test_process_killed_inside_block_build_then_another_operation(capsys: Captured, chain: Path) -> None:
    """The same crash point as a real process killed (``os._exit``) right after submitting the sessions."""
    assert run_cli(capsys, chain, "send", "Sam", "Jack", "5")[0] == 0
    script = (
        "import os\n"
        "from rollup.cli import main\n"
        "from rollup.sequencer import Sequencer\n"
        "Sequencer.build_block = lambda self: os._exit(17)\n"
        f"main(['--dir', {str(chain)!r}, 'block', 'build'])\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 17, result.stderr
    assert run_cli(capsys, chain, "send", "Sam", "Jack", "7")[0] == 0
    code, out, err = run_cli(capsys, chain, "block", "build")
    assert code == 0 and "dropped the session of Sam" in err and "send 5 to Jack, send 7 to Jack" in out


def crash_after_submit(capsys: Captured, chain: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Sam sends 5 to Jack, and ``block build`` crashes after submitting the drafted session, before building."""
    from rollup.sequencer import Sequencer

    assert run_cli(capsys, chain, "send", "Sam", "Jack", "5")[0] == 0
    monkeypatch.setattr(Sequencer, "build_block", lambda self: (_ for _ in ()).throw(SimulatedCrash("crash")))
    with pytest.raises(SimulatedCrash):
        main(["--dir", str(chain), "block", "build"])
    monkeypatch.undo()


def test_crash_after_submit_is_resumed_when_nothing_changed(
    capsys: Captured, chain: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    crash_after_submit(capsys, chain, monkeypatch)
    code, out, err = run_cli(capsys, chain, "block", "build")
    assert code == 0 and "warning" not in err and "send 5 to Jack" in out


def test_submitted_session_with_a_lost_draft_goes_into_the_next_block(
    capsys: Captured, chain: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    crash_after_submit(capsys, chain, monkeypatch)
    (chain / PENDING_FILE).unlink()
    code, out, err = run_cli(capsys, chain, "block", "build")
    assert code == 0 and "goes into block 3" in err and "block 3: 1 session" in out


def test_stale_submitted_session_is_dropped_with_a_warning(capsys: Captured, chain: Path) -> None:
    """A submitted session that reads an old root (it no longer applies) is set aside, then dropped."""
    with Storage.open(database(chain)) as storage:
        old = storage.block_sessions(2)[0]
    execute(chain, f"INSERT INTO pending_sessions (user_id, session) VALUES (1, '{session_to_json(old)}')")
    code, out, err = run_cli(capsys, chain, "balances", "--json")
    assert code == 0 and "ignoring the submitted session of Sam" in err
    assert json.loads(out)["balances"] == {"Sam": 90, "Jack": 50}
    code, _, err = run_cli(capsys, chain, "send", "Jack", "Sam", "1")
    assert code == 0 and "dropped the session of Sam" in err
    with Storage.open(database(chain)) as storage:
        assert storage.pending_sessions() == []
    assert run_cli(capsys, chain, "block", "build")[0] == 0
    assert balances(capsys, chain) == {"Sam": 90, "Jack": 49}  # Sam has not claimed the 1 yet


# ----------------------------------------------------------------------------- full disk, read-only


def test_full_disk_inside_the_block_transaction(chain: Path, db_dump: DumpDatabase) -> None:
    """SQLite runs out of pages mid-transaction: one clear error, nothing changed, the next try works."""
    before = db_dump(database(chain))
    with ChainDirectory.open(chain) as opened:
        opened.send("Sam", "Jack", 3)
        pages = opened.storage._rows("PRAGMA page_count")[0][0]
        opened.storage._rows(f"PRAGMA max_page_count = {pages}")
        with pytest.raises(StorageEnvironmentError, match="the disk is full") as caught:
            opened.build_block()
        assert "cannot rollback" not in str(caught.value)
        assert opened.latest_block == 2
    assert finalized(db_dump(database(chain))) == finalized(before)
    with ChainDirectory.open(chain) as reopened:
        reopened.send("Sam", "Jack", 3)
        assert reopened.build_block().block.number == 3


def test_full_disk_writing_a_file_leaves_the_old_one_and_no_temporary(
    capsys: Captured, chain: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run_cli(capsys, chain, "send", "Sam", "Jack", "1")[0] == 0
    draft = (chain / PENDING_FILE).read_bytes()

    def no_space(descriptor: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", no_space)
    code, _, err = run_cli(capsys, chain, "send", "Sam", "Jack", "2")
    monkeypatch.undo()
    assert_clear_error(code, err, str(chain / PENDING_FILE), "the disk is full")
    assert (chain / PENDING_FILE).read_bytes() == draft
    assert not [p for p in chain.iterdir() if p.name.endswith(".tmp")]


def test_read_only_database_gives_one_clear_error(chain: Path, db_dump: DumpDatabase) -> None:
    before = db_dump(database(chain))
    with ChainDirectory.open(chain) as opened:
        opened.send("Sam", "Jack", 3)
        opened.storage._rows("PRAGMA query_only = ON")
        with pytest.raises(StorageEnvironmentError, match="read-only"):
            opened.build_block()
    assert finalized(db_dump(database(chain))) == finalized(before)


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes through chmod; the query_only case covers it")
def test_read_only_chain_directory(capsys: Captured, chain: Path) -> None:
    database(chain).chmod(0o400)
    chain.chmod(0o500)
    try:
        assert balances(capsys, chain) == {"Sam": 90, "Jack": 50}
        code, _, err = run_cli(capsys, chain, "send", "Sam", "Jack", "1")
        assert code == 2 and "Traceback" not in err and str(chain) in err
    finally:
        chain.chmod(0o700)
        database(chain).chmod(0o600)


# ----------------------------------------------------------------------------- locks


@pytest.fixture
def held_lock(chain: Path) -> Iterator[subprocess.Popen[str]]:
    """A second process holding an EXCLUSIVE lock on the database until its stdin is closed."""
    acquire = (
        "import sqlite3\n"
        f"db = sqlite3.connect({str(database(chain))!r}, isolation_level=None)\n"
        "db.execute('BEGIN EXCLUSIVE')\n"
    )
    with lock_holder(acquire, "db.execute('ROLLBACK')\n") as holder:
        yield holder


def release(holder: subprocess.Popen[str]) -> None:
    assert holder.stdin is not None
    holder.stdin.close()


def test_a_briefly_held_lock_is_waited_for(chain: Path, held_lock: subprocess.Popen[str]) -> None:
    timer = threading.Timer(0.2, release, (held_lock,))
    timer.start()
    try:
        with Storage.open(database(chain), busy_timeout=30.0) as storage:
            storage.write_proof(1, "block", b"proof bytes")
            assert storage.block_proofs(1) == {"block": b"proof bytes"}
    finally:
        timer.join()


def test_a_lock_held_too_long_is_a_clear_error(chain: Path, held_lock: subprocess.Popen[str]) -> None:
    with pytest.raises(DatabaseBusyError, match="locked by another process"):
        Storage.open(database(chain), busy_timeout=0.05, busy_attempts=2)


def test_a_finished_proof_is_spilled_not_dropped_when_the_lock_stays_held(
    chain: Path, held_lock: subprocess.Popen[str], caplog: pytest.LogCaptureFixture
) -> None:
    release(held_lock)
    held_lock.wait(timeout=30)
    storage = Storage.open(database(chain), busy_timeout=0.05, busy_attempts=2)
    holder = sqlite3.connect(database(chain), isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    with caplog.at_level(logging.WARNING, logger="rollup.storage"):
        storage.write_proof(1, "agg/1/0", b"finished proof")
    spilled = chain / SPILLED_PROOFS_DIR / "0001.agg.1.0.proof"
    assert spilled.read_bytes() == b"finished proof"
    assert str(spilled) in caplog.text and "locked by another process" in caplog.text
    holder.execute("ROLLBACK")
    holder.close()
    assert storage.block_proofs(1) == {"agg/1/0": b"finished proof"}
    storage.write_proof(1, "block", b"next proof")  # stores the spilled proof too
    assert not spilled.exists()
    storage.close()
    with Storage.open(database(chain)) as reopened:
        assert reopened.block_proofs(1) == {"agg/1/0": b"finished proof", "block": b"next proof"}


# ----------------------------------------------------------------------------- files at rest


def test_operator_files_are_owner_only(capsys: Captured, tmp_path: Path) -> None:
    chain = tmp_path / "new" / "chain"
    for argv in (["init"], ["user", "add", "Sam", "--balance", "5"]):
        assert run_cli(capsys, chain, *argv)[0] == 0
    assert stat.S_IMODE(chain.stat().st_mode) == 0o700
    for name in (DATABASE_FILENAME, PENDING_FILE, ".lock"):
        assert stat.S_IMODE((chain / name).stat().st_mode) == 0o600, name
    write_atomic(tmp_path / "out" / "file.bin", b"x")
    assert stat.S_IMODE((tmp_path / "out" / "file.bin").stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "out").stat().st_mode) == 0o700


def test_write_atomic_failure_names_the_file_and_keeps_the_old_content(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "key.vk"
    target.write_bytes(b"old")

    def no_space(descriptor: int, data: object) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "write", no_space)
    with pytest.raises(FileWriteError, match=f"cannot write {target}: the disk is full"):
        write_atomic(target, b"new")
    monkeypatch.undo()
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["key.vk"]


def test_a_version_5_database_is_upgraded_in_place(capsys: Captured, chain: Path) -> None:
    """Version 5 kept the operations of sessions their users proved: a pending one (stored with its user's
    proof) is dropped, its column goes, the public-data tables are created, and the chain goes on."""
    session = '{"key_digest": [1, 2, 3, 4], "operations": [], "read_root": [0, 0, 0, 0], "user_id": 9}'
    execute(
        chain,
        "DROP TABLE public_users",
        "DROP TABLE pending_proven",
        "ALTER TABLE pending_sessions ADD COLUMN proof BLOB",
        f"INSERT INTO pending_sessions (user_id, session, proof) VALUES (9, '{session}', X'00')",
        "UPDATE schema_version SET version = 5",
    )
    assert balances(capsys, chain) == {"Sam": 90, "Jack": 50}
    with Storage.open(database(chain)) as storage:
        assert storage._rows("SELECT version FROM schema_version") == [(SCHEMA_VERSION,)]
        assert storage._rows("SELECT user_id FROM pending_sessions") == []
        assert storage.pending_proven() == []
    assert run_cli(capsys, chain, "send", "Sam", "Jack", "1")[0] == 0
