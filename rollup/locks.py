"""Exclusive locks on a chain directory, held by one process at a time.

A lock is ``flock(LOCK_EX)`` on a file in the directory (created owner-only),
held while its handle is open and released by the kernel when the process
ends, even when it is killed; so a crash never leaves a stale lock. A lock
another process holds is refused at once with a message saying what to do,
never waited for: commands that change the chain are short, and a second
prover would otherwise wait for hours.

* ``.lock``: every command that changes the chain (:class:`rollup.chain_dir.ChainDirectory`).
* ``.prove.lock``: ``rollup block prove``, which only reads the chain and
  stores proofs, so other commands go on meanwhile; two provers never redo
  the same work.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from rollup.errors import ChainDirError
from rollup.files import FILE_MODE, describe_os_error

LOCK_FILE = ".lock"
PROVER_LOCK_FILE = ".prove.lock"


def acquire(file: Path, busy: str) -> IO[bytes]:
    """An exclusive lock on ``file``, held until the returned handle is closed; ChainDirError saying
    ``busy`` if another process holds it."""
    try:
        handle = os.fdopen(os.open(file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, FILE_MODE), "ab")
    except OSError as exc:
        raise ChainDirError(f"cannot lock {file.parent}: {describe_os_error(exc)}") from exc
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError as exc:
        handle.close()
        raise ChainDirError(busy) from exc
    return handle


@contextmanager
def prover_lock(directory: Path) -> Iterator[None]:
    """The exclusive right to prove the blocks of the chain in ``directory`` (see the module docstring)."""
    handle = acquire(
        directory / PROVER_LOCK_FILE,
        f"another `rollup block prove` is running on {directory}; wait for it to finish (its proofs are "
        "stored as they are made, so proving again afterwards only resumes)",
    )
    try:
        yield
    finally:
        handle.close()
