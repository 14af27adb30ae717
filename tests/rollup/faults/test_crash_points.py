"""A crash, or a full disk, at every durable write point of every command that changes a chain.

The hook of :mod:`rollup.fault_injection` fails the N-th write point of a
command; N runs over every point until the command gets through untouched.
After each fault the next commands run as an operator would run them (the
same command again, then ``block build``), and every case asserts: no
traceback, exit 0 or exit 2 with one ``error:`` line naming the problem, the
finalized rows of the blocks that existed before unchanged, no temporary file
left, and a chain that ends exactly where a run without the fault ends.

The fast suite crashes in-process (``raise``) and fills the disk (``full``) at
every point of every command, and kills a real process (SIGKILL) at every
point of ``block build`` (the command with the most points); the slow suite
kills a real process at every point of every command.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from fault_support import copy_chain

from rollup import fault_injection
from rollup.chain_dir import default_wallets_root
from rollup.fault_injection import FAULT_AT_VARIABLE, FAULT_MODE_VARIABLE, SimulatedCrash
from rollup.wallet import create_key_file
from tests.fault_support import TALLY, Captured, assert_clear_error, chain_summary, finalized_digest, run_cli
from tests.rollup.faults.conftest import TEMPLATE_LATEST_BLOCK
from verifier.chain import GENESIS_HEIGHT


@dataclass(frozen=True)
class Command:
    """A command to fail at each write point, run on the template after ``setup``."""

    argv: tuple[str, ...]
    setup: tuple[tuple[str, ...], ...] = ()

    @property
    def label(self) -> str:
        return " ".join(self.argv[:2])


COMMANDS = [
    Command(("user", "add", "Kate", "--balance", "5")),
    Command(("send", "Sam", "Jack", "3")),
    Command(("claim", "Jack")),
    Command(
        ("block", "build"),
        (("send", "Sam", "Jack", "3"), ("claim", "Jack"), ("user", "add", "Kate", "--balance", "5")),
    ),
]
FINISH = ("block", "build")
"""What the operator runs after the command: the next block (or a clear "nothing to put in block N")."""
MAX_WRITE_POINTS = 20
"""More write points than any command has (a loop that reaches it is a bug in the test)."""


def prepared(capsys: Captured, chain: Path, command: Command) -> Path:
    """Run the command's setup; a user it adds gets its wallet now, so every copy registers the same key."""
    for argv in command.setup:
        assert run_cli(capsys, chain, *argv)[0] == 0, argv
    for argv in (*command.setup, command.argv):
        if argv[:2] == ("user", "add") and not (default_wallets_root(chain) / argv[2]).exists():
            create_key_file(default_wallets_root(chain) / argv[2], argv[2])
    return chain


def expected_end(capsys: Captured, chain: Path, command: Command, tmp_path: Path) -> dict[str, object]:
    """Where the chain ends when the command and FINISH run without a fault (on a copy)."""
    reference = copy_chain(chain, tmp_path / "reference")
    code, _, err = run_cli(capsys, reference, *command.argv)
    assert code == 0, err
    code, _, err = run_cli(capsys, reference, *FINISH)
    assert code == 0 or "nothing to put in block" in err, err
    return chain_summary(capsys, reference)


def assert_repaired(capsys: Captured, chain: Path, command: Command, expected: dict[str, object], digest: str) -> None:
    """The operator's next commands get the chain where a run without the fault ends, losing nothing."""
    assert finalized_digest(chain, TEMPLATE_LATEST_BLOCK) == digest
    for argv in (command.argv, FINISH):
        code, _, err = run_cli(capsys, chain, *argv)
        assert "Traceback" not in err
        if code != 0:
            assert_clear_error(code, err)  # e.g. the crash came after the block was built: nothing left to build
    assert chain_summary(capsys, chain) == expected
    assert finalized_digest(chain, TEMPLATE_LATEST_BLOCK) == digest
    assert not list(chain.rglob("*.tmp"))


def run_with_fault(
    capsys: Captured, monkeypatch: pytest.MonkeyPatch, chain: Path, argv: tuple[str, ...], point: int, mode: str
) -> tuple[bool, int, str]:
    """Run ``argv`` in-process with write point ``point`` failing as ``mode``: (fired, exit status, stderr)."""
    monkeypatch.setenv(FAULT_AT_VARIABLE, str(point))
    monkeypatch.setenv(FAULT_MODE_VARIABLE, mode)
    fault_injection.reset_write_count()
    try:
        code, _, err = run_cli(capsys, chain, *argv)
    except SimulatedCrash:
        return True, -1, capsys.readouterr().err
    finally:
        fired = fault_injection.write_count() >= point
        monkeypatch.delenv(FAULT_AT_VARIABLE)
        monkeypatch.delenv(FAULT_MODE_VARIABLE)
    return fired, code, err


@pytest.mark.parametrize("mode", ["raise", "full"])
@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c.label)
def test_a_fault_at_every_write_point_is_repaired_by_the_next_commands(
    capsys: Captured, monkeypatch: pytest.MonkeyPatch, template: Path, tmp_path: Path, command: Command, mode: str
) -> None:
    setup = prepared(capsys, copy_chain(template, tmp_path / "setup"), command)
    expected = expected_end(capsys, setup, command, tmp_path)
    digest = finalized_digest(setup, TEMPLATE_LATEST_BLOCK)
    for point in range(1, MAX_WRITE_POINTS + 1):
        chain = copy_chain(setup, tmp_path / f"point-{point}")
        fired, code, err = run_with_fault(capsys, monkeypatch, chain, command.argv, point, mode)
        if not fired:
            assert code == 0, err
            break
        assert "Traceback" not in err
        if mode == "full" and code != 0:
            assert_clear_error(code, err, "the disk is full")
        assert_repaired(capsys, chain, command, expected, digest)
        TALLY.record(clear_error=mode == "full" and code != 0, recovered=True)
    else:
        pytest.fail(f"{command.label} passed {MAX_WRITE_POINTS} write points")
    assert point > 1, f"{command.label} has no write point"


def killed_at(chain: Path, argv: tuple[str, ...], point: int) -> int:
    """Exit status of ``rollup`` in a real process SIGKILLed at write point ``point`` (-9 if it was)."""
    environment = {**os.environ, FAULT_AT_VARIABLE: str(point), FAULT_MODE_VARIABLE: "kill"}
    result = subprocess.run(
        [sys.executable, "-m", "rollup.cli", "--dir", str(chain), *argv],
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert "Traceback" not in result.stderr
    return result.returncode


def kill_at_every_point(capsys: Captured, template: Path, tmp_path: Path, command: Command) -> None:
    setup = prepared(capsys, copy_chain(template, tmp_path / "setup"), command)
    expected = expected_end(capsys, setup, command, tmp_path)
    digest = finalized_digest(setup, TEMPLATE_LATEST_BLOCK)
    for point in range(1, MAX_WRITE_POINTS + 1):
        chain = copy_chain(setup, tmp_path / f"point-{point}")
        code = killed_at(chain, command.argv, point)
        if code == 0:
            break
        assert code == -9
        assert_repaired(capsys, chain, command, expected, digest)
        TALLY.record(recovered=True)
    assert point > 1


def test_a_process_killed_at_every_write_point_of_block_build(capsys: Captured, template: Path, tmp_path: Path) -> None:
    kill_at_every_point(capsys, template, tmp_path, COMMANDS[-1])


@pytest.mark.slow
@pytest.mark.parametrize("command", COMMANDS[:-1], ids=lambda c: c.label)
def test_a_process_killed_at_every_write_point(
    capsys: Captured, template: Path, tmp_path: Path, command: Command
) -> None:
    kill_at_every_point(capsys, template, tmp_path, command)


def test_a_crash_at_every_write_point_of_init(
    capsys: Captured, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """``init`` of a new directory: a crash leaves nothing, or an empty chain the next ``init`` keeps."""
    for point in range(1, MAX_WRITE_POINTS + 1):
        chain = tmp_path / f"point-{point}" / "chain"
        fired, code, err = run_with_fault(capsys, monkeypatch, chain, ("init",), point, "raise")
        if not fired:
            assert code == 0, err
            break
        code, _, err = run_cli(capsys, chain, "init")
        assert code == 0, err
        assert chain_summary(capsys, chain)["block"] == GENESIS_HEIGHT  # an empty chain: no block after genesis
        TALLY.record(recovered=True)
    assert point > 1


@pytest.mark.slow
def test_a_prover_killed_at_every_write_point_resumes(capsys: Captured, chain: Path, tmp_path: Path) -> None:
    """``block prove 1`` (the registration block: the key, its stored proofs, the exported file and the chain
    proof) killed at each of its write points; the next ``block prove`` resumes and exports a proof the light
    client accepts."""
    prove = ("block", "prove", "1", "--workers", "1")
    digest = finalized_digest(chain, TEMPLATE_LATEST_BLOCK)
    for point in range(1, MAX_WRITE_POINTS + 1):
        attempt = copy_chain(chain, tmp_path / f"point-{point}")
        code = killed_at(attempt, prove, point)
        if code == 0:
            break
        assert code == -9
        code, out, err = run_cli(capsys, attempt, *prove)
        assert code == 0 and "light client: valid" in out, err
        assert finalized_digest(attempt, TEMPLATE_LATEST_BLOCK) == digest
        assert not list(attempt.rglob("*.tmp"))
        TALLY.record(recovered=True)
    assert point > 1
