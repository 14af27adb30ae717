"""Shared fixtures for the rollup tests."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from keys_support import SEED_KEYS

from rollup.block import ExecutedBlock
from rollup.seed import run_seed_scenario
from rollup.sequencer import Sequencer


def dump_database(path: Path) -> str:
    """Every row of every table of the SQLite file at ``path``, as SQL text (read through a separate connection)."""
    connection = sqlite3.connect(path)
    try:
        return "\n".join(connection.iterdump())
    finally:
        connection.close()


@pytest.fixture
def db_dump() -> Callable[[Path], str]:
    """The :func:`dump_database` helper."""
    return dump_database


@pytest.fixture(scope="module")
def seed_run() -> Iterator[tuple[Sequencer, list[ExecutedBlock]]]:
    """The seed scenario on an in-memory chain (shared within a module: tests must not change it)."""
    sequencer = Sequencer.in_memory()
    blocks = run_seed_scenario(sequencer, SEED_KEYS)
    yield sequencer, blocks
    sequencer.close()
