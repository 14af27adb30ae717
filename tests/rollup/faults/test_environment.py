"""The environment a command meets: a second prover, the open-file limit, output paths it cannot write,
a full disk while exporting, and stored rows changed behind the chain's back.

Locks and limits are real: a second process holds the prover lock, and the
open-file limit is lowered in a real ``rollup`` process. Every case asserts
one ``error:`` line naming the problem, exit status 2, no traceback, and
finalized rows unchanged.
"""

from __future__ import annotations

import os
import resource
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from rollup import fault_injection
from rollup.block_plan import BLOCK_NODE
from rollup.fault_injection import FAULT_AT_VARIABLE, FAULT_MODE_VARIABLE
from rollup.files import write_atomic
from rollup.locks import PROVER_LOCK_FILE
from rollup.params import DATABASE_FILENAME
from rollup.storage import Storage
from tests.fault_support import TALLY, Captured, assert_clear_error, finalized_digest, lock_holder, run_cli
from tests.rollup.faults.conftest import TEMPLATE_LATEST_BLOCK
from tests.verifier.test_light_client import StatementCircuit
from verifier.light_client import BlockStatement
from verifier.serialization import proof_to_bytes, verifier_key_to_bytes


@pytest.fixture
def held_prover_lock(chain: Path) -> Iterator[subprocess.Popen[str]]:
    """A second process holding the chain's prover lock (as a running ``block prove`` does) until stdin closes."""
    acquire = (
        "import fcntl\n"
        f"handle = open({str(chain / PROVER_LOCK_FILE)!r}, 'ab')\n"
        "fcntl.flock(handle.fileno(), fcntl.LOCK_EX)\n"
    )
    with lock_holder(acquire) as holder:
        yield holder


def test_a_second_prover_is_refused_at_once(
    capsys: Captured, chain: Path, held_prover_lock: subprocess.Popen[str]
) -> None:
    digest = finalized_digest(chain, TEMPLATE_LATEST_BLOCK)
    code, _, err = run_cli(capsys, chain, "block", "prove", "1")
    assert_clear_error(code, err, "another `rollup block prove` is running", str(chain), "wait for it to finish")
    code, _, err = run_cli(capsys, chain, "send", "Sam", "Jack", "1")  # other commands go on meanwhile
    assert code == 0, err
    assert finalized_digest(chain, TEMPLATE_LATEST_BLOCK) == digest
    TALLY.record(clear_error=True)


def test_too_many_workers_for_the_open_file_limit_is_refused_before_any_work(chain: Path) -> None:
    """A real process with ``ulimit -n 256``: ``--workers 100`` is refused at once, naming the limit."""

    def low_limit() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (256, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))

    result = subprocess.run(
        [sys.executable, "-m", "rollup.cli", "--dir", str(chain), "block", "prove", "1", "--workers", "100"],
        preexec_fn=low_limit,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert_clear_error(result.returncode, result.stderr, "--workers 100", "the limit is 256", "ulimit -n")
    assert "building the rollup circuits" not in result.stderr
    TALLY.record(clear_error=True)


@pytest.fixture
def proven(chain: Path) -> Path:
    """The template chain with a valid stored proof of block 1 under a stand-in block key (a circuit that
    proves any statement), so ``block export`` and ``block show`` have a real proof to check."""
    circuit = StatementCircuit()
    write_atomic(chain / "block.vk", verifier_key_to_bytes(circuit.data.verifier_key))
    with Storage.open(chain / DATABASE_FILENAME) as storage:
        stored = storage.block(1)
        statement = BlockStatement(stored.prev_root, stored.new_root, 1, stored.data_digest, (17, 18, 19, 20))
        storage.write_proof(1, BLOCK_NODE, proof_to_bytes(circuit.prove(statement.elements())))
    return chain


def test_export_to_a_path_it_cannot_write(capsys: Captured, proven: Path, tmp_path: Path) -> None:
    (tmp_path / "a-directory").mkdir()
    (tmp_path / "a-file").write_bytes(b"x")
    for out in (tmp_path / "a-directory", tmp_path / "a-file" / "below-a-file.proof"):
        code, _, err = run_cli(capsys, proven, "block", "export", "1", "--out", str(out))
        assert_clear_error(code, err, "cannot write the block proof", str(out.parent))
        TALLY.record(clear_error=True)
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith("chain")) == ["a-directory", "a-file"]


def test_export_on_a_full_disk_and_killed_while_exporting(
    capsys: Captured, proven: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its one write point: on a full disk one clear line and no file; killed, no file; then it works."""
    out = tmp_path / "exported.proof"
    monkeypatch.setenv(FAULT_AT_VARIABLE, "1")
    monkeypatch.setenv(FAULT_MODE_VARIABLE, "full")
    fault_injection.reset_write_count()
    code, _, err = run_cli(capsys, proven, "block", "export", "1", "--out", str(out))
    monkeypatch.delenv(FAULT_AT_VARIABLE)
    assert_clear_error(code, err, "cannot write the block proof", "the disk is full")
    assert not list(tmp_path.glob("*exported*"))
    TALLY.record(clear_error=True, recovered=True)
    killed = subprocess.run(
        [sys.executable, "-m", "rollup.cli", "--dir", str(proven), "block", "export", "1", "--out", str(out)],
        env={**os.environ, FAULT_AT_VARIABLE: "1", FAULT_MODE_VARIABLE: "kill"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert killed.returncode == -9 and not out.exists()
    code, _, err = run_cli(capsys, proven, "block", "export", "1", "--out", str(out))
    assert code == 0, err
    with Storage.open(proven / DATABASE_FILENAME) as storage:
        assert out.read_bytes() == storage.block_proofs(1)[BLOCK_NODE]
    TALLY.record(recovered=True)


def tamper(chain: Path, statement: str) -> None:
    connection = sqlite3.connect(chain / DATABASE_FILENAME)
    try:
        connection.execute(statement)
        connection.commit()
    finally:
        connection.close()


@pytest.mark.parametrize(
    ("statement", "number", "fields"),
    [
        (
            "UPDATE block_sessions SET session = replace(session, '\"amount\":10', '\"amount\":20') WHERE block = 2",
            2,
            "new root, public data, data root",
        ),
        (
            "UPDATE blocks SET data_digest = (SELECT data_digest FROM blocks WHERE number = 1) WHERE number = 2",
            2,
            "data root",
        ),
        (
            "UPDATE blocks SET public_data = replace(public_data, '\"deposit\": 100,', '\"deposit\": 1000,') "
            "WHERE number = 1",
            1,
            "public data",
        ),
    ],
)
def test_block_show_refuses_tampered_rows(
    capsys: Captured, chain: Path, statement: str, number: int, fields: str
) -> None:
    tamper(chain, statement)
    code, out, err = run_cli(capsys, chain, "block", "show", str(number))
    assert_clear_error(code, err, f"block {number}: the stored {fields} differ", "restore it from a backup")
    assert "new root" not in out  # nothing of the tampered block was printed as if it were the chain
    TALLY.record(clear_error=True)


def test_block_show_refuses_a_stored_proof_of_another_block(capsys: Captured, proven: Path) -> None:
    with Storage.open(proven / DATABASE_FILENAME) as storage:
        storage.write_proof(2, BLOCK_NODE, storage.block_proofs(1)[BLOCK_NODE])  # block 1's proof as block 2's
    code, _, err = run_cli(capsys, proven, "block", "show", "2")
    assert_clear_error(code, err, "the stored proof of block 2 states another block", "rollup block prove 2")
    code, out, err = run_cli(capsys, proven, "block", "show", "1")
    assert code == 0 and "whitelist" in out, err
    TALLY.record(clear_error=True)
