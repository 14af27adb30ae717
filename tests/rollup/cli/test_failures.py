"""The one error path: each kind of exception gets its exit status and one line naming what to do."""

from __future__ import annotations

import errno
import os
import resource
import sqlite3

import pytest

from rollup.block_plan import BlockProvingError
from rollup.cli.failures import (
    EXIT_BAD_INPUT,
    EXIT_INTERNAL_ERROR,
    EXIT_INTERRUPTED,
    EXIT_INVALID_PROOF,
    FILES_PER_WORKER,
    FILES_RESERVED,
    check_worker_limit,
    failure,
)
from rollup.cli.ui import CliError
from rollup.errors import StorageError
from verifier.serialization import FormatError


@pytest.mark.parametrize(
    ("exc", "status", "needle"),
    [
        (BlockProvingError("session/1 does not verify"), EXIT_INVALID_PROOF, "session/1 does not verify"),
        (StorageError("chain/rollup.sqlite is damaged"), EXIT_BAD_INPUT, "is damaged"),
        (CliError("bad usage"), EXIT_BAD_INPUT, "bad usage"),
        (FormatError("truncated proof"), EXIT_BAD_INPUT, "truncated proof"),
        (OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), "out.proof"), EXIT_BAD_INPUT, "out.proof: the disk is full"),
        (OSError(errno.EROFS, os.strerror(errno.EROFS)), EXIT_BAD_INPUT, "read-only"),
        (OSError(errno.EMFILE, os.strerror(errno.EMFILE)), EXIT_BAD_INPUT, "too many open files"),
        (OSError(errno.EAGAIN, os.strerror(errno.EAGAIN)), EXIT_BAD_INPUT, "use fewer --workers"),
        (sqlite3.OperationalError("database is locked"), EXIT_BAD_INPUT, "the chain database"),
        (MemoryError(), EXIT_BAD_INPUT, "out of memory"),
        (RecursionError(), EXIT_BAD_INPUT, "nested too deeply"),
        (KeyboardInterrupt(), EXIT_INTERRUPTED, "interrupted"),
        (KeyError("x"), EXIT_INTERNAL_ERROR, "internal error (KeyError"),
    ],
)
def test_each_failure_has_its_status_and_message(exc: BaseException, status: int, needle: str) -> None:
    reported = failure(exc)
    assert reported.status == status
    assert needle in reported.message


def test_worker_count_is_checked_against_the_open_file_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(resource, "getrlimit", lambda which: (FILES_RESERVED + 10 * FILES_PER_WORKER, 1 << 20))
    check_worker_limit(10)
    with pytest.raises(CliError, match=r"--workers 11 needs about .* use at most --workers 10"):
        check_worker_limit(11)
