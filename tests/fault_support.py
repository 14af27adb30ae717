"""Helpers of the fault-injection tests: run a command, judge its error, hold a lock in a second process, digest
finalized data, count cases.

What every fault case asserts is written once here: :func:`assert_clear_error`
(exit 2, no traceback, exactly one ``error:`` line naming the problem) and
:func:`finalized_digest` (the rows of finalized blocks, compared before and
after a fault). :data:`TALLY` counts the cases of the suite in
``tests/rollup/faults/`` (its conftest prints the counts after the run; they
are the ones docs/security.md reports).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from rollup.chain_dir import default_wallets_root
from rollup.cli import main
from rollup.params import DATABASE_FILENAME

Captured = pytest.CaptureFixture[str]

_FINALIZED_ROWS = {
    "blocks": "SELECT * FROM blocks WHERE number <= ? ORDER BY number",
    "block_sessions": "SELECT * FROM block_sessions WHERE block <= ? ORDER BY block, user_id",
    "accounts": "SELECT * FROM accounts WHERE block <= ? ORDER BY user_id, block",
    "outbox_records": "SELECT * FROM outbox_records WHERE block <= ? ORDER BY user_id, idx",
    "tree_nodes": "SELECT * FROM tree_nodes WHERE block <= ? ORDER BY tree, owner, level, position, block",
    "names": (
        "SELECT name, user_id FROM names WHERE user_id IN (SELECT user_id FROM accounts WHERE block <= ?) "
        "ORDER BY user_id"
    ),
}
"""Everything a block finalizes, restricted to the blocks up to a number (proofs are derived, not finalized)."""


class FaultTally(Counter[str]):
    """Cases tried (one fault each), how many ended in a clear error (one line, exit 2) and how many the
    next command repaired or explained (a recovery); a full disk mid-command is often both."""

    def record(self, *, clear_error: bool = False, recovered: bool = False) -> None:
        self["cases"] += 1
        self["clear errors"] += clear_error
        self["recoveries"] += recovered


TALLY = FaultTally()


@contextmanager
def lock_holder(acquire: str, release: str = "") -> Iterator[subprocess.Popen[str]]:
    """A second Python process that runs ``acquire`` (code taking a lock), says so and holds the lock until
    its stdin is closed, then runs ``release``; yielded once it holds the lock, closed and waited for after."""
    script = f"import sys\n{acquire}print('locked', flush=True)\nsys.stdin.read()\n{release}"
    holder = subprocess.Popen([sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
    try:
        yield holder
    finally:
        if holder.stdin is not None and not holder.stdin.closed:
            holder.stdin.close()
        holder.wait(timeout=30)


def run_cli(capsys: Captured, directory: Path, *argv: str) -> tuple[int, str, str]:
    """Exit status, stdout and stderr of ``rollup --dir DIRECTORY ARGV`` run in-process."""
    capsys.readouterr()
    code = main(["--dir", str(directory), *argv])
    out, err = capsys.readouterr()
    return code, out, err


def assert_clear_error(code: int, err: str, *needles: str) -> None:
    """Exit 2, no traceback, and exactly one ``error:`` line holding every needle."""
    assert code == 2, err
    assert "Traceback" not in err
    errors = [line for line in err.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, err
    for needle in needles:
        assert needle in errors[0], err


def finalized_digest(chain: Path, up_to_block: int) -> str:
    """SHA-256 of every finalized row of blocks ``1..up_to_block`` (read-only connection)."""
    uri = f"file:{chain / DATABASE_FILENAME}?mode=ro"
    connection = sqlite3.connect(uri, uri=True)
    try:
        rows = {table: connection.execute(sql, (up_to_block,)).fetchall() for table, sql in _FINALIZED_ROWS.items()}
    finally:
        connection.close()
    text = json.dumps({t: [[v.hex() if isinstance(v, bytes) else v for v in r] for r in rs] for t, rs in rows.items()})
    return hashlib.sha256(text.encode()).hexdigest()


def chain_summary(capsys: Captured, chain: Path) -> dict[str, object]:
    """What ``rollup balances --json`` reports: the latest block, its root and every balance."""
    code, out, err = run_cli(capsys, chain, "balances", "--json")
    assert code == 0, err
    summary: dict[str, object] = json.loads(out)
    return summary


def copy_chain(source: Path, destination: Path) -> Path:
    """Copy a chain directory and the delegated-proving wallets beside it (``default_wallets_root``)."""
    wallets = default_wallets_root(source)
    if wallets.is_dir():
        shutil.copytree(wallets, default_wallets_root(destination))
    return Path(shutil.copytree(source, destination))
