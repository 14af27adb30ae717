"""One test hook in the chain's write path: crash, or find the disk full, at the N-th durable write.

Every durable write the operator's commands make passes :func:`write_point`
just before it takes effect: a database write transaction before its
``COMMIT`` (:meth:`rollup.database.Database._transaction`), a file before
it replaces the old one (:func:`rollup.files.write_atomic`) and a file before
it is removed (:func:`rollup.files.remove_file`). Normally the
hook does nothing. With the environment variable ``ROLLUP_FAULT_AT=N`` the
N-th write point of the process (counted from 1) fails as
``ROLLUP_FAULT_MODE`` says:

* ``kill`` (the default): the process sends itself SIGKILL, so nothing after
  that point runs (no rollback, no ``finally``, no temporary file removed), as
  when an operator's machine loses power or the process is killed;
* ``raise``: :class:`SimulatedCrash` is raised, a BaseException that no error
  handler catches, for in-process tests;
* ``full``: the write fails as on a full disk (the caller's own disk-full
  error: ENOSPC for a file, SQLite's "database or disk is full").

The fault-injection suite (tests/rollup/faults/) loops N over every write
point of every command and checks what the next command makes of the result.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable

FAULT_AT_VARIABLE = "ROLLUP_FAULT_AT"
FAULT_MODE_VARIABLE = "ROLLUP_FAULT_MODE"

_writes = 0


class SimulatedCrash(BaseException):
    """The in-process crash of ``ROLLUP_FAULT_MODE=raise``."""


def write_point(what: str, disk_full: Callable[[], BaseException]) -> None:
    """Count one durable write (``what`` it is) and fail it if ``ROLLUP_FAULT_AT`` names it; ``disk_full``
    makes the error a full disk raises at this point."""
    global _writes
    target = os.environ.get(FAULT_AT_VARIABLE)
    if target is None:
        return
    _writes += 1
    if str(_writes) != target:
        return
    mode = os.environ.get(FAULT_MODE_VARIABLE, "kill")
    if mode == "full":
        raise disk_full()
    if mode == "raise":
        raise SimulatedCrash(f"simulated crash at write point {_writes}: {what}")
    os.kill(os.getpid(), signal.SIGKILL)


def write_count() -> int:
    """How many write points this process has passed since the count was reset (while the hook is armed)."""
    return _writes


def reset_write_count() -> None:
    """Count write points from 1 again (for in-process tests that run several commands)."""
    global _writes
    _writes = 0
