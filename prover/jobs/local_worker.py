"""The loop of one local worker process: receive a pickled job on its pipe, send back its outcome."""

from __future__ import annotations

import os
import pickle
import signal
from multiprocessing.connection import Connection

from prover.jobs.attempt import Outcome, execute


def local_worker_main(conn: Connection, parent_pid: int) -> None:
    """Loop of a local worker process: receive ``(key, fn, args)``, send an ``Outcome``."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and stops us
    while True:
        try:
            while not conn.poll(1.0):
                if os.getppid() != parent_pid:  # orphaned: the parent died without stopping us
                    return
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
