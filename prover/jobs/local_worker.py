"""The loop of one local worker process: receive a pickled job on its pipe, send back its outcome.

A worker ends with its parent, even in the middle of a job: a parent killed
outright (``kill -9``, the OOM killer) cannot stop its pool, and a worker left
running would go on computing for nobody.  On Linux the kernel kills the
worker when its parent dies (``prctl(PR_SET_PDEATHSIG, SIGKILL)``; the
"parent" is the thread that started the worker, and :class:`LocalExecutor`
starts and stops its workers within one ``run`` call in one thread).
Elsewhere a daemon thread polls the parent pid.

A worker keeps the memory it frees (:mod:`~prover.jobs.allocator`): every
proof allocates the same large arrays again.
"""

from __future__ import annotations

import ctypes
import os
import pickle
import signal
import sys
import threading
import time
from collections.abc import Sequence
from multiprocessing.connection import Connection

from prover.jobs.allocator import keep_freed_memory
from prover.jobs.attempt import Outcome, execute
from prover.threads import follow_proof_threads

PR_SET_PDEATHSIG = 1
"""``prctl`` option: the signal this process receives when its parent dies (``<linux/prctl.h>``)."""

PARENT_POLL_SECONDS = 0.5
"""Where the kernel cannot kill a worker with its parent, how often the worker checks its parent pid."""

ORPHAN_EXIT_CODE = 70
"""Exit status of a worker that ends because its parent died."""


def _kernel_kills_us_with_parent() -> bool:
    """Ask Linux to SIGKILL this process when its parent dies; False where that is not available."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return int(libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)) == 0
    except (OSError, AttributeError):
        return False


def _watch_parent(parent_pid: int) -> None:
    """Daemon thread: end the process as soon as it is orphaned (its parent pid changes)."""
    while os.getppid() == parent_pid:
        time.sleep(PARENT_POLL_SECONDS)
    os._exit(ORPHAN_EXIT_CODE)


def die_with_parent(parent_pid: int) -> None:
    """Make this process end when ``parent_pid`` does; also if it already has (the race before setup)."""
    if not _kernel_kills_us_with_parent():
        threading.Thread(target=_watch_parent, args=(parent_pid,), name="parent-watch", daemon=True).start()
    if os.getppid() != parent_pid:
        os._exit(ORPHAN_EXIT_CODE)


def local_worker_main(conn: Connection, parent_pid: int, thread_counts: Sequence[int], slot: int) -> None:
    """Loop of a local worker process: receive ``(key, fn, args)``, send an ``Outcome``; ``None`` stops it.

    ``thread_counts[slot]``, shared with the parent and updated by it while a job runs, is how
    many threads the job's proofs may use (``prover.threads.follow_proof_threads``).
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and stops us
    die_with_parent(parent_pid)
    keep_freed_memory()
    follow_proof_threads(thread_counts, slot)
    while True:
        try:
            data = conn.recv_bytes()
        except (EOFError, OSError):
            return
        try:
            message = pickle.loads(data)
        except Exception as exc:
            conn.send(Outcome("error", reason=f"cannot load the job in the worker: {type(exc).__name__}: {exc}"))
            continue
        if message is None:
            return
        key, fn, args = message
        outcome = execute(fn, args)
        try:
            conn.send(outcome)
        except Exception as exc:  # pickling the result failed: nothing was written yet
            reason = f"the result of job {key!r} cannot be sent back: {type(exc).__name__}: {exc}"
            conn.send(Outcome("error", reason=reason, start=outcome.start, end=outcome.end, worker=outcome.worker))
