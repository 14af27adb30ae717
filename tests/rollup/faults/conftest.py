"""The fault-injection suite: a template chain, and the case counts printed after the run."""

from __future__ import annotations

from pathlib import Path

import pytest
from fault_support import copy_chain

from rollup.cli import main
from tests.fault_support import TALLY

TEMPLATE_COMMANDS = (
    ("init",),
    ("user", "add", "Sam", "--balance", "100"),
    ("user", "add", "Jack", "--balance", "50"),
    ("block", "build"),
    ("send", "Sam", "Jack", "10"),
    ("block", "build"),
)
"""Blocks 1 (Sam 100, Jack 50) and 2 (Sam sends Jack 10, not claimed yet); nothing pending."""
TEMPLATE_LATEST_BLOCK = 2


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The template chain (:data:`TEMPLATE_COMMANDS`); copy it before changing it."""
    directory = tmp_path_factory.mktemp("faults") / "chain"
    for argv in TEMPLATE_COMMANDS:
        assert main(["--dir", str(directory), *argv]) == 0, argv
    return directory


@pytest.fixture
def chain(template: Path, tmp_path: Path) -> Path:
    """A fresh copy of the template chain."""
    return copy_chain(template, tmp_path / "chain")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The counts docs/security.md reports: cases tried, clear errors, recoveries."""
    if TALLY["cases"]:
        terminalreporter.write_line(
            f"fault injection: {TALLY['cases']} cases tried, {TALLY['clear errors']} clear errors, "
            f"{TALLY['recoveries']} recoveries"
        )
