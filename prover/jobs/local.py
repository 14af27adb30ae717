"""Local execution: a pool of worker processes (one pipe each), or the calling process itself.

Each worker is its own process with its own pipe, so the job that killed a
worker (``os._exit``, the OOM killer, ``kill -9``) is known exactly and only
that worker is replaced; nothing else in flight is disturbed.  Workers are
created for each :meth:`LocalExecutor.run` and shut down after it.

The threads a worker's proofs may use (``prover.threads``) are the worker's share of the
cores among the busy workers (:func:`thread_shares`), kept in memory shared with the
workers and updated whenever a job starts or ends, so the pool's idle cores speed up a
lone job (the top of a block's aggregation tree, the block proof) from its next parallel
step on, also when it started beside another job, and a full pool runs one thread each.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import signal
import time
from collections.abc import Mapping, Sequence
from contextlib import nullcontext, suppress
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import TYPE_CHECKING, Any

from prover.jobs.attempt import Lost, Outcome, execute
from prover.jobs.local_worker import local_worker_main
from prover.jobs.model import Job, RunResult, args_with_values
from prover.jobs.scheduler import run_graph
from prover.jobs.worker_logs import worker_logs_to_parent
from prover.threads import available_cores

if TYPE_CHECKING:
    from multiprocessing.process import BaseProcess

    from prover.jobs.progress import Progress


class _InProcessBackend:
    """Runs each job in the calling process, one at a time."""

    def __init__(self) -> None:
        self._done: list[tuple[str, Outcome | Lost]] = []

    def capacity(self) -> int:
        return 1

    def submit(self, job: Job, attempt: int, height: int, results: Mapping[str, Any]) -> None:
        self._done.append((job.key, execute(job.fn, args_with_values(job, results))))

    def wait(self) -> list[tuple[str, Outcome | Lost]]:
        done, self._done = self._done, []
        return done


@dataclass
class _Slot:
    process: BaseProcess
    conn: Connection
    key: str | None = None


def _exit_description(process: BaseProcess) -> str:
    process.join(timeout=5)
    code = process.exitcode
    if code is not None and code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}"


class _ProcessPoolBackend:
    """``workers`` processes, one pipe each; a dead worker is replaced, its job reported lost."""

    def __init__(self, workers: int, context: Any, threads_per_job: int | None = None) -> None:
        self._context = context  # a multiprocessing context
        self._cores = available_cores()
        self._threads_per_job = threads_per_job
        self._thread_counts = context.RawArray("i", [threads_per_job or 1] * workers)  # slot i's, shared with it
        self._slots: list[_Slot] = [self._spawn(i) for i in range(workers)]

    def _spawn(self, index: int) -> _Slot:
        parent, child = self._context.Pipe(duplex=True)
        process = self._context.Process(
            target=local_worker_main,
            args=(child, os.getpid(), self._thread_counts, index),
            daemon=True,
            name="executor-worker",
        )
        process.start()
        child.close()
        return _Slot(process, parent)

    def capacity(self) -> int:
        return len(self._slots)

    def submit(self, job: Job, attempt: int, height: int, results: Mapping[str, Any]) -> None:
        # Pickle in the parent first: an unpicklable job fails here, without touching a worker.
        message = pickle.dumps((job.key, job.fn, args_with_values(job, results)), protocol=pickle.HIGHEST_PROTOCOL)
        i = next(i for i, s in enumerate(self._slots) if s.key is None)
        self._share_cores(starting=i)
        if not self._slots[i].process.is_alive():
            self._replace(i)
        try:
            self._slots[i].conn.send_bytes(message)
        except OSError:  # the idle worker died since the check: once more on a fresh one
            self._replace(i)
            self._slots[i].conn.send_bytes(message)
        self._slots[i].key = job.key

    def _share_cores(self, starting: int | None = None) -> None:
        """Write each busy worker's share of the cores (with slot ``starting`` counted busy) to the shared counts."""
        if self._threads_per_job is not None:
            return
        busy = [i for i, s in enumerate(self._slots) if s.key is not None or i == starting]
        for i, threads in zip(busy, thread_shares(self._cores, len(busy)), strict=True):
            self._thread_counts[i] = threads

    def _replace(self, i: int) -> None:
        old = self._slots[i]
        old.conn.close()
        old.process.join(timeout=5)
        self._slots[i] = self._spawn(i)

    def wait(self) -> list[tuple[str, Outcome | Lost]]:
        busy = [s for s in self._slots if s.key is not None]
        wait([s.conn for s in busy] + [s.process.sentinel for s in busy])
        done: list[tuple[str, Outcome | Lost]] = []
        for i, slot in enumerate(self._slots):
            key = slot.key
            if key is None:
                continue
            outcome: Outcome | Lost | None = None
            try:
                if slot.conn.poll():
                    outcome = slot.conn.recv()
            except (EOFError, OSError):
                pass
            if outcome is None and slot.process.is_alive():
                continue
            if outcome is None:
                pid = slot.process.pid
                outcome = Lost(f"worker process {pid} died ({_exit_description(slot.process)})")
                self._replace(i)
            self._slots[i].key = None
            done.append((key, outcome))
        self._share_cores()
        return done

    def close(self, *, kill: bool = False) -> None:
        """Stop the workers: ask them to exit (they are idle after a run), or kill them (after an error)."""
        for slot in self._slots:
            if kill:
                slot.process.kill()
            with suppress(OSError):
                slot.conn.send(None)
        deadline = time.monotonic() + 5
        for slot in self._slots:
            slot.process.join(timeout=max(0.0, deadline - time.monotonic()))
            if slot.process.is_alive():
                slot.process.kill()
                slot.process.join()
            slot.conn.close()


def thread_shares(cores: int, busy_workers: int) -> list[int]:
    """The threads of each of ``busy_workers`` busy workers: the cores split as evenly as possible, at least 1 each.

    Worker k gets floor(cores / b), plus one for k < cores mod b (b busy workers), so the
    shares add up to the cores whenever b <= cores.
    """
    base, extra = divmod(cores, max(1, busy_workers))
    return [max(1, base + (k < extra)) for k in range(busy_workers)]


def _default_start_method() -> str:
    return "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"


class LocalExecutor:
    """Run jobs on ``workers`` local processes (see the module docstring).

    ``start_method`` defaults to ``fork`` where available: workers inherit the
    parent's imports and ``sys.path``, and ``multiprocessing-logging`` (which
    needs ``fork``) brings their log records to the parent.  With another start
    method jobs still run but worker logs stay in the workers.
    ``LocalExecutor(1, in_process=True)`` runs jobs in the calling process for
    debugging (a job that kills its process then kills the caller).
    ``threads_per_job`` fixes the threads every job's proofs may use (default: the worker's
    share of the cores among the busy workers, updated while it runs; see the module docstring).
    """

    def __init__(
        self,
        workers: int = 1,
        *,
        in_process: bool = False,
        start_method: str | None = None,
        threads_per_job: int | None = None,
    ) -> None:
        if workers < 1:
            raise ValueError("workers must be >= 1")
        if threads_per_job is not None and threads_per_job < 1:
            raise ValueError("threads_per_job must be >= 1")
        if in_process and workers != 1:
            raise ValueError("in_process=True runs one job at a time: use workers=1")
        self.workers = workers
        self.in_process = in_process
        self.start_method = start_method or _default_start_method()
        self.threads_per_job = threads_per_job

    def __repr__(self) -> str:
        mode = ", in_process=True" if self.in_process else f", start_method={self.start_method!r}"
        return f"LocalExecutor(workers={self.workers}{mode})"

    def run(self, jobs: Sequence[Job], *, retries: int = 2, progress: Progress | None = None) -> RunResult:
        """Run the DAG; see :class:`~prover.jobs.model.Executor`."""
        if self.in_process:
            return run_graph(jobs, _InProcessBackend(), retries, progress)
        context = multiprocessing.get_context(self.start_method)
        with worker_logs_to_parent() if self.start_method == "fork" else nullcontext():
            backend = _ProcessPoolBackend(self.workers, context, self.threads_per_job)
            try:
                result = run_graph(jobs, backend, retries, progress)
            except BaseException:  # e.g. Ctrl-C: do not wait for busy workers
                backend.close(kill=True)
                raise
            backend.close()
            return result
