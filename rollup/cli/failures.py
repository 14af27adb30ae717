"""The one error path of ``rollup``: every failure ends in one line on stderr and a documented exit status.

=========  ===============================================================
status     meaning
=========  ===============================================================
0          success
1          a block proof did not verify, or could not be produced
2          bad usage or input, or an environment problem: a full disk,
           permissions, a read-only file system, a lock another process
           holds, a missing or damaged file, a resource limit (open files,
           processes, memory), input nested or sized beyond the limits
3          an internal error (a bug in the rollup, not in the input)
130        interrupted (Ctrl-C)
=========  ===============================================================

:func:`failure` turns an exception into that status and the line to print
(``error: WHAT IS WRONG; WHAT TO DO``); :func:`main <rollup.cli.parser.main>`
prints it, and with ``--debug`` the traceback after it. Nothing else in the
command line catches broad exceptions.
"""

from __future__ import annotations

import errno
import resource
import sqlite3
from dataclasses import dataclass

from rollup.block_plan import BlockProvingError
from rollup.cli.ui import CliError
from rollup.errors import RollupError
from rollup.files import describe_os_error
from rollup.storage_schema import storage_failure
from verifier.serialization import FormatError

EXIT_INVALID_PROOF = 1
EXIT_BAD_INPUT = 2
EXIT_INTERNAL_ERROR = 3
EXIT_INTERRUPTED = 130

FILES_PER_WORKER = 8
"""Open files a local prover worker costs its parent (pipes, its log queue), generously counted."""
FILES_RESERVED = 64
"""Open files the parent itself needs besides its workers (the database, its journal, proof files, consoles)."""


@dataclass(frozen=True)
class Failure:
    """What the command line reports for an exception: its exit status and its one line."""

    status: int
    message: str


def _open_file_limit() -> int:
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def _os_failure(exc: OSError) -> Failure:
    where = f"{exc.filename}: " if exc.filename else ""
    if exc.errno in (errno.EMFILE, errno.ENFILE):
        return Failure(
            EXIT_BAD_INPUT,
            f"{where}too many open files (the limit is {_open_file_limit()}, see `ulimit -n`): "
            "use fewer --workers or raise the limit",
        )
    if exc.errno == errno.EAGAIN:
        return Failure(EXIT_BAD_INPUT, f"{where}the system refused more processes or memory: use fewer --workers")
    if exc.errno == errno.ENOMEM:
        return Failure(EXIT_BAD_INPUT, f"{where}out of memory: use fewer --workers or free some memory")
    return Failure(EXIT_BAD_INPUT, f"{where}{describe_os_error(exc)}")


def failure(exc: BaseException) -> Failure:
    """The exit status and the message of ``exc`` (see the module docstring)."""
    if isinstance(exc, KeyboardInterrupt):
        return Failure(EXIT_INTERRUPTED, "interrupted (stored proofs are kept; `rollup block prove N` resumes)")
    if isinstance(exc, BlockProvingError):
        return Failure(EXIT_INVALID_PROOF, str(exc))
    if isinstance(exc, CliError | RollupError | FormatError):
        return Failure(EXIT_BAD_INPUT, str(exc))
    if isinstance(exc, OSError):
        return _os_failure(exc)
    if isinstance(exc, sqlite3.Error):
        return Failure(EXIT_BAD_INPUT, str(storage_failure(exc, "the chain database")))
    if isinstance(exc, MemoryError):
        return Failure(EXIT_BAD_INPUT, "out of memory: the input is too large for this machine, or use fewer --workers")
    if isinstance(exc, RecursionError):
        return Failure(EXIT_BAD_INPUT, "the input is nested too deeply to process")
    return Failure(
        EXIT_INTERNAL_ERROR,
        f"internal error ({type(exc).__name__}: {exc}); this is a bug: run the command again with --debug "
        "and report the traceback",
    )


def check_worker_limit(workers: int) -> None:
    """CliError unless ``workers`` local prover processes fit in the open-file limit (checked before any
    work starts, instead of failing half-way with "Too many open files")."""
    limit = _open_file_limit()
    needed = FILES_RESERVED + FILES_PER_WORKER * workers
    if limit != resource.RLIM_INFINITY and needed > limit:
        most = max(0, (limit - FILES_RESERVED) // FILES_PER_WORKER)
        raise CliError(
            f"--workers {workers} needs about {needed} open files but the limit is {limit} (`ulimit -n`): "
            f"use at most --workers {most}, or raise the limit"
        )
