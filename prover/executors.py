"""Run a DAG of pure, serializable jobs on a local process pool or a Dask cluster.

The model
=========
A *job* is a call ``fn(*args)`` of a top-level, importable function on plain,
picklable data.  Jobs are **pure**: the result depends only on the arguments,
and running a job twice has no effect other than returning the same value
twice.  That is what lets the same job run in a local worker process, on a Dask
worker on another machine, or a second time after its worker died.  The engine
knows nothing about proofs: a block is a DAG whose leaves are session proofs and
whose inner nodes are aggregation proofs.

A job names the results it consumes with :class:`Dep` placeholders among its
top-level ``args``; each ``Dep(key)`` is replaced by that job's result before
the call, and ``Job.deps`` is derived from them (plus any explicit ordering-only
deps).  Scheduling is dependency driven, not level by level: a job is queued as
soon as all of its deps have finished, and queued jobs start in order of their
height in the DAG (an aggregation before a waiting leaf), then submission order.

Failures
========
* **Worker death** (``os._exit``, the OOM killer, ``kill -9``; a lost worker in
  Dask): the job is charged an attempt and run again on a fresh worker, up to
  ``retries`` more times.  Locally each worker is its own process with its own
  pipe, so the job that killed a worker is known exactly and only that worker is
  replaced; nothing else in flight is disturbed.
* **An ordinary exception** is a job failure.  It is retried like a worker death
  (it may be transient: memory, I/O), unless it is a :class:`JobRejected`: the
  designated "invalid input" exception, which is never retried because a pure
  function rejects the same input every time (a session that cannot be proven).
* Every job that depends, directly or not, on a failed job is **skipped** with
  the reason ``dependency 'X' failed``.  Jobs that do not depend on it still run.

:class:`RunResult` holds ``results`` of the jobs that finished, ``failures``
(key -> reason) of those that failed, were rejected or were skipped, and a
:class:`JobRecord` per job: status, attempts, start/end (epoch seconds, taken on
the worker) and the worker that ran it, from which benchmarks compute busy time
and parallel efficiency.

Executors
=========
* :class:`LocalExecutor` - ``workers`` processes on this machine (``fork`` on
  POSIX), created for each :meth:`~LocalExecutor.run` and shut down after it.
  Log records emitted in the workers are forwarded to the parent's root-logger
  handlers with ``multiprocessing-logging`` while the run lasts.
  ``LocalExecutor(1, in_process=True)`` runs jobs in the calling process for
  debugging (a job that kills its process then kills the caller).
* :class:`DaskExecutor` - a ``dask.distributed`` scheduler at ``address``, or a
  ``LocalCluster`` it starts (and closes) when ``address`` is ``None``.  The
  client submits a job when its deps are done and keeps at most as many jobs in
  flight as the cluster has threads, so a worker's death is charged to the job
  that was running on it.  Worker logs are forwarded to the client's loggers.

See ``docs/scaling.md`` for running a cluster across machines.
"""

from __future__ import annotations

import heapq
import logging
import multiprocessing
import os
import pickle
import signal
import socket
import time
import traceback
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, Protocol, Self

from multiprocessing_logging import MultiProcessingHandler

if TYPE_CHECKING:
    from multiprocessing.process import BaseProcess

    from rich.console import Console

__all__ = [
    "DaskExecutor",
    "Dep",
    "Executor",
    "Job",
    "JobRecord",
    "JobRejected",
    "JobStatus",
    "LocalExecutor",
    "Progress",
    "ProgressEvent",
    "RichProgress",
    "RunError",
    "RunResult",
    "make_executor",
]

log = logging.getLogger(__name__)

JobStatus = Literal["ok", "failed", "rejected", "skipped"]


# ----------------------------------------------------------------------------- jobs


class JobRejected(Exception):  # noqa: N818 - the name says what it means: the input is rejected
    """Raised by a job whose *input* is invalid; reported with its reason and never retried."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Dep:
    """Placeholder for the result of job ``key``; allowed as a top-level job argument."""

    key: str


@dataclass(frozen=True)
class Job:
    """One call ``fn(*args)`` in a DAG.

    ``fn`` must be a top-level function of an importable module (it is pickled by
    reference), ``args`` plain picklable data.  A top-level ``Dep(k)`` argument is
    replaced by job ``k``'s result.  ``deps`` is the sorted union of the keys of
    those placeholders and any explicitly given keys (ordering-only deps).
    """

    key: str
    fn: Callable[..., Any]
    args: tuple[Any, ...] = ()
    deps: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.key, str) or not self.key:
            raise ValueError(f"job key must be a non-empty string, got {self.key!r}")
        if not callable(self.fn):
            raise TypeError(f"job {self.key!r}: fn is not callable: {self.fn!r}")
        if isinstance(self.args, str | bytes):
            raise TypeError(f"job {self.key!r}: args must be a tuple of arguments, not {type(self.args).__name__}")
        args = tuple(self.args)
        deps = set(self.deps) | {a.key for a in args if isinstance(a, Dep)}
        if self.key in deps:
            raise ValueError(f"job {self.key!r} depends on itself")
        object.__setattr__(self, "args", args)
        object.__setattr__(self, "deps", tuple(sorted(deps)))


@dataclass(frozen=True)
class JobRecord:
    """What happened to one job.

    ``start``/``end`` (epoch seconds, measured on the worker) and ``worker``
    (``host:pid``) belong to the last attempt that ran to completion; they are
    ``None`` for a skipped job and for a job whose last attempt died.
    """

    key: str
    status: JobStatus
    attempts: int = 0
    start: float | None = None
    end: float | None = None
    worker: str | None = None
    reason: str = ""
    traceback: str = ""

    @property
    def seconds(self) -> float:
        """Time the job spent running (0 when it did not run to completion)."""
        return 0.0 if self.start is None or self.end is None else self.end - self.start


class RunError(RuntimeError):
    """Raised by :meth:`RunResult.check` when some job did not finish."""

    def __init__(self, failures: Mapping[str, str]) -> None:
        lines = [f"  {key}: {reason}" for key, reason in sorted(failures.items())]
        super().__init__(f"{len(failures)} job(s) did not finish:\n" + "\n".join(lines))
        self.failures = dict(failures)


@dataclass
class RunResult:
    """Outcome of :meth:`Executor.run`: values, failure reasons and per-job records."""

    results: dict[str, Any]
    failures: dict[str, str]
    records: dict[str, JobRecord]
    started: float
    finished: float
    slots: int

    @property
    def ok(self) -> bool:
        """True when every job finished."""
        return not self.failures

    @property
    def wall_seconds(self) -> float:
        """Wall-clock duration of the run, measured by the caller."""
        return self.finished - self.started

    @property
    def busy_seconds(self) -> float:
        """Sum over jobs of the time spent running them."""
        return sum(r.seconds for r in self.records.values())

    @property
    def parallel_efficiency(self) -> float:
        """``busy / (wall * slots)``: 1.0 means every worker ran jobs all the time."""
        denom = self.wall_seconds * self.slots
        return self.busy_seconds / denom if denom > 0 else 0.0

    def by_status(self, status: JobStatus) -> list[str]:
        """Keys of the jobs with the given status, sorted."""
        return sorted(k for k, r in self.records.items() if r.status == status)

    def check(self) -> Self:
        """Return ``self`` if every job finished, else raise :class:`RunError`."""
        if self.failures:
            raise RunError(self.failures)
        return self


# ----------------------------------------------------------------------------- progress


@dataclass(frozen=True)
class ProgressEvent:
    """Sent once with ``key=None`` when a run starts, then once per finished job.

    ``value`` is the job's result when ``status == "ok"`` (so a caller can store
    each proof as soon as it exists), else ``None``.
    """

    done: int
    total: int
    key: str | None = None
    status: JobStatus | None = None
    value: Any = None


Progress = Callable[[ProgressEvent], None]
"""A progress callback, e.g. ``events.append`` or a :class:`RichProgress`."""


class RichProgress:
    """A ``rich`` progress bar as a :class:`Progress` callback; use as a context manager.

    Disabled (silent) when the console is not a terminal, e.g. under pytest or
    when output is redirected, unless ``disable`` says otherwise.
    """

    def __init__(self, description: str = "jobs", *, console: Console | None = None, disable: bool | None = None):
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
        from rich.progress import Progress as _RichBar

        console = console or Console(stderr=True)
        self._bar = _RichBar(
            TextColumn("[progress.description]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[failed]} failed"),
            TimeElapsedColumn(),
            console=console,
            disable=not console.is_terminal if disable is None else disable,
            transient=False,
        )
        self._task = self._bar.add_task(description, total=None, failed=0)
        self._failed = 0

    def __enter__(self) -> Self:
        self._bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._bar.stop()

    def __call__(self, event: ProgressEvent) -> None:
        if event.status not in (None, "ok"):
            self._failed += 1
        self._bar.update(self._task, completed=event.done, total=event.total, failed=self._failed)


# ----------------------------------------------------------------------------- execution in a worker


@dataclass(frozen=True)
class _Outcome:
    """What a worker sends back for one attempt; plain picklable data."""

    kind: Literal["ok", "rejected", "error"]
    value: Any = None
    reason: str = ""
    traceback: str = ""
    retryable: bool = False
    start: float = 0.0
    end: float = 0.0
    worker: str = ""


@dataclass(frozen=True)
class _Lost:
    """The attempt never reported back: its worker died or was lost."""

    reason: str


def _worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _execute(fn: Callable[..., Any], args: tuple[Any, ...]) -> _Outcome:
    """Run one attempt and turn every ordinary exception into data."""
    worker = _worker_id()
    start = time.time()
    try:
        value = fn(*args)
    except JobRejected as exc:
        return _Outcome("rejected", reason=exc.reason, start=start, end=time.time(), worker=worker)
    except Exception as exc:
        return _Outcome(
            "error",
            reason=f"{type(exc).__name__}: {exc}",
            traceback=traceback.format_exc(),
            retryable=True,
            start=start,
            end=time.time(),
            worker=worker,
        )
    return _Outcome("ok", value=value, start=start, end=time.time(), worker=worker)


def _execute_dask(fn: Callable[..., Any], *args: Any) -> _Outcome:
    """Dask task: deps arrive as the ``_Outcome`` of the producing task; unwrap them."""
    return _execute(fn, tuple(a.value if isinstance(a, _Outcome) else a for a in args))


def _local_worker_main(conn: Connection, parent_pid: int) -> None:
    """Loop of a local worker process: receive ``(key, fn, args)``, send an ``_Outcome``."""
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
            conn.send(_Outcome("error", reason=f"cannot load the job in the worker: {type(exc).__name__}: {exc}"))
            continue
        if message is None:
            return
        key, fn, args = message
        outcome = _execute(fn, args)
        try:
            conn.send(outcome)
        except Exception as exc:  # pickling the result failed: nothing was written yet
            reason = f"the result of job {key!r} cannot be sent back: {type(exc).__name__}: {exc}"
            conn.send(_Outcome("error", reason=reason, start=outcome.start, end=outcome.end, worker=outcome.worker))


# ----------------------------------------------------------------------------- the scheduling core


class _Backend(Protocol):
    def capacity(self) -> int:
        """How many attempts may be in flight at once."""
        ...

    def submit(self, job: Job, attempt: int, height: int, results: Mapping[str, Any]) -> None:
        """Start an attempt of ``job``; its deps' values are in ``results``.  Raising fails the job."""
        ...

    def wait(self) -> list[tuple[str, _Outcome | _Lost]]:
        """Block until at least one attempt in flight is over; return them."""
        ...


def _heights(jobs: Mapping[str, Job], dependents: Mapping[str, list[str]]) -> dict[str, int]:
    """Height of each job (longest path down to a leaf); raises ``ValueError`` on a cycle."""
    pending = {key: len(job.deps) for key, job in jobs.items()}
    order = [key for key, n in pending.items() if n == 0]
    heights = dict.fromkeys(order, 0)
    for key in order:  # Kahn's algorithm; `order` grows while we walk it
        for child in dependents[key]:
            heights[child] = max(heights.get(child, 0), heights[key] + 1)
            pending[child] -= 1
            if pending[child] == 0:
                order.append(child)
    if len(order) < len(jobs):
        stuck = sorted(set(jobs) - set(order))
        raise ValueError(f"the jobs have a dependency cycle among {stuck[:5]}")
    return heights


def _run_graph(jobs: Sequence[Job], backend: _Backend, retries: int, progress: Progress | None) -> RunResult:
    if retries < 0:
        raise ValueError("retries must be >= 0")
    by_key: dict[str, Job] = {}
    for job in jobs:
        if job.key in by_key:
            raise ValueError(f"duplicate job key {job.key!r}")
        by_key[job.key] = job
    dependents: dict[str, list[str]] = {k: [] for k in by_key}
    waiting: dict[str, set[str]] = {}
    for job in by_key.values():
        waiting[job.key] = set(job.deps)
        for dep in job.deps:
            if dep not in by_key:
                raise ValueError(f"job {job.key!r} depends on unknown job {dep!r}")
            dependents[dep].append(job.key)
    heights = _heights(by_key, dependents)
    order = {k: i for i, k in enumerate(by_key)}
    ready: list[tuple[int, int, str]] = []

    def push(key: str) -> None:
        heapq.heappush(ready, (-heights[key], order[key], key))

    for key, deps in waiting.items():
        if not deps:
            push(key)

    total = len(by_key)
    results: dict[str, Any] = {}
    failures: dict[str, str] = {}
    records: dict[str, JobRecord] = {}
    attempts: dict[str, int] = dict.fromkeys(by_key, 0)
    in_flight: set[str] = set()
    started = time.time()
    if progress is not None:
        progress(ProgressEvent(0, total))

    def finish(record: JobRecord, value: Any = None) -> None:
        records[record.key] = record
        if record.status == "ok":
            results[record.key] = value
        else:
            failures[record.key] = record.reason
        if progress is not None:
            progress(ProgressEvent(len(records), total, record.key, record.status, value))

    def fail(record: JobRecord) -> None:
        level = logging.INFO if record.status == "rejected" else logging.WARNING
        log.log(level, "job %s %s: %s", record.key, record.status, record.reason)
        finish(record)
        stack = [record.key]
        while stack:
            parent = stack.pop()
            via = "" if parent == record.key else f" (via {parent!r})"
            for child in dependents[parent]:
                if child not in records:
                    finish(JobRecord(child, "skipped", reason=f"dependency {record.key!r} failed{via}"))
                    stack.append(child)

    def succeed(key: str, outcome: _Outcome) -> None:
        finish(
            JobRecord(key, "ok", attempts[key], outcome.start, outcome.end, outcome.worker),
            outcome.value,
        )
        for child in dependents[key]:
            waiting[child].discard(key)
            if not waiting[child] and child not in records:
                push(child)

    while ready or in_flight:
        capacity = max(1, backend.capacity())
        while ready and len(in_flight) < capacity:
            _, _, key = heapq.heappop(ready)
            attempts[key] += 1
            try:
                backend.submit(by_key[key], attempts[key], heights[key], results)
            except Exception as exc:
                fail(JobRecord(key, "failed", attempts[key], reason=f"cannot submit: {type(exc).__name__}: {exc}"))
                continue
            in_flight.add(key)
        if not in_flight:
            continue
        for key, outcome in backend.wait():
            in_flight.discard(key)
            n = attempts[key]
            if isinstance(outcome, _Outcome) and outcome.kind == "ok":
                succeed(key, outcome)
                continue
            if isinstance(outcome, _Outcome) and outcome.kind == "rejected":
                record = JobRecord(
                    key, "rejected", n, outcome.start, outcome.end, outcome.worker, f"rejected: {outcome.reason}"
                )
                fail(record)
                continue
            retryable = isinstance(outcome, _Lost) or outcome.retryable
            if retryable and n <= retries:
                log.warning("job %s attempt %d/%d: %s; retrying", key, n, retries + 1, outcome.reason)
                push(key)
                continue
            suffix = f" (after {n} attempts)" if n > 1 else ""
            if isinstance(outcome, _Lost):
                record = JobRecord(key, "failed", n, reason=outcome.reason + suffix)
            else:
                record = JobRecord(
                    key,
                    "failed",
                    n,
                    outcome.start,
                    outcome.end,
                    outcome.worker,
                    outcome.reason + suffix,
                    outcome.traceback,
                )
            fail(record)
    return RunResult(results, failures, records, started, time.time(), max(1, backend.capacity()))


# ----------------------------------------------------------------------------- executors


class Executor(Protocol):
    """Runs a DAG of jobs; see the module docstring."""

    def run(self, jobs: Sequence[Job], *, retries: int = 2, progress: Progress | None = None) -> RunResult:
        """Run every job once its deps are done; retry dead workers; never raise for a job's failure."""
        ...


def _args_with_values(job: Job, results: Mapping[str, Any]) -> tuple[Any, ...]:
    return tuple(results[a.key] if isinstance(a, Dep) else a for a in job.args)


class _InProcessBackend:
    """Runs each job in the calling process, one at a time."""

    def __init__(self) -> None:
        self._done: list[tuple[str, _Outcome | _Lost]] = []

    def capacity(self) -> int:
        return 1

    def submit(self, job: Job, attempt: int, height: int, results: Mapping[str, Any]) -> None:
        self._done.append((job.key, _execute(job.fn, _args_with_values(job, results))))

    def wait(self) -> list[tuple[str, _Outcome | _Lost]]:
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

    def __init__(self, workers: int, context: Any) -> None:  # a multiprocessing context
        self._context = context
        self._slots: list[_Slot] = [self._spawn() for _ in range(workers)]

    def _spawn(self) -> _Slot:
        parent, child = self._context.Pipe(duplex=True)
        process = self._context.Process(
            target=_local_worker_main, args=(child, os.getpid()), daemon=True, name="executor-worker"
        )
        process.start()
        child.close()
        return _Slot(process, parent)

    def capacity(self) -> int:
        return len(self._slots)

    def submit(self, job: Job, attempt: int, height: int, results: Mapping[str, Any]) -> None:
        # Pickle in the parent first: an unpicklable job fails here, without touching a worker.
        message = pickle.dumps((job.key, job.fn, _args_with_values(job, results)), protocol=pickle.HIGHEST_PROTOCOL)
        i = next(i for i, s in enumerate(self._slots) if s.key is None)
        if not self._slots[i].process.is_alive():
            self._replace(i)
        try:
            self._slots[i].conn.send_bytes(message)
        except OSError:  # the idle worker died since the check: once more on a fresh one
            self._replace(i)
            self._slots[i].conn.send_bytes(message)
        self._slots[i].key = job.key

    def _replace(self, i: int) -> None:
        old = self._slots[i]
        old.conn.close()
        old.process.join(timeout=5)
        self._slots[i] = self._spawn()

    def wait(self) -> list[tuple[str, _Outcome | _Lost]]:
        busy = [s for s in self._slots if s.key is not None]
        wait([s.conn for s in busy] + [s.process.sentinel for s in busy])
        done: list[tuple[str, _Outcome | _Lost]] = []
        for i, slot in enumerate(self._slots):
            key = slot.key
            if key is None:
                continue
            outcome: _Outcome | _Lost | None = None
            try:
                if slot.conn.poll():
                    outcome = slot.conn.recv()
            except (EOFError, OSError):
                pass
            if outcome is None and slot.process.is_alive():
                continue
            if outcome is None:
                pid = slot.process.pid
                outcome = _Lost(f"worker process {pid} died ({_exit_description(slot.process)})")
                self._replace(i)
            self._slots[i].key = None
            done.append((key, outcome))
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


class _FanOut(logging.Handler):
    """Hands a record to each of ``targets`` that accepts its level; never closes them."""

    def __init__(self, targets: Sequence[logging.Handler]) -> None:
        super().__init__(min(t.level for t in targets))
        self.targets = list(targets)

    def emit(self, record: logging.LogRecord) -> None:
        for target in self.targets:
            if record.levelno >= target.level:
                target.handle(record)


@contextmanager
def _worker_logs_to_parent() -> Iterator[None]:
    """While active, records logged in forked workers reach the parent's root-logger handlers.

    The root handlers are replaced by one ``multiprocessing_logging.MultiProcessingHandler``
    around them: forked workers inherit it and put their records on its queue,
    and a thread in the parent hands each record to the original handlers.  On
    exit the originals are restored and the queue drained (``close`` polls every
    0.2 s, the main fixed cost of a run).
    """
    root = logging.getLogger()
    originals = list(root.handlers)
    if not originals or any(isinstance(h, MultiProcessingHandler) for h in originals):
        yield  # nothing to forward to, or the application installed multiprocessing-logging itself
        return
    wrapper = MultiProcessingHandler("executor-logs", sub_handler=_FanOut(originals))
    for handler in originals:
        root.removeHandler(handler)
    root.addHandler(wrapper)
    try:
        yield
    finally:
        root.removeHandler(wrapper)
        for handler in originals:
            root.addHandler(handler)
        wrapper.close()  # drains the queue into the original handlers; closes only the fan-out


def _default_start_method() -> str:
    return "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"


class LocalExecutor:
    """Run jobs on ``workers`` local processes (see the module docstring).

    ``start_method`` defaults to ``fork`` where available: workers inherit the
    parent's imports and ``sys.path``, and ``multiprocessing-logging`` (which
    needs ``fork``) brings their log records to the parent.  With another start
    method jobs still run but worker logs stay in the workers.
    """

    def __init__(self, workers: int = 1, *, in_process: bool = False, start_method: str | None = None) -> None:
        if workers < 1:
            raise ValueError("workers must be >= 1")
        if in_process and workers != 1:
            raise ValueError("in_process=True runs one job at a time: use workers=1")
        self.workers = workers
        self.in_process = in_process
        self.start_method = start_method or _default_start_method()

    def __repr__(self) -> str:
        mode = ", in_process=True" if self.in_process else f", start_method={self.start_method!r}"
        return f"LocalExecutor(workers={self.workers}{mode})"

    def run(self, jobs: Sequence[Job], *, retries: int = 2, progress: Progress | None = None) -> RunResult:
        """Run the DAG; see :class:`Executor`."""
        if self.in_process:
            return _run_graph(jobs, _InProcessBackend(), retries, progress)
        context = multiprocessing.get_context(self.start_method)
        with _worker_logs_to_parent() if self.start_method == "fork" else _nothing():
            backend = _ProcessPoolBackend(self.workers, context)
            try:
                result = _run_graph(jobs, backend, retries, progress)
            except BaseException:  # e.g. Ctrl-C: do not wait for busy workers
                backend.close(kill=True)
                raise
            backend.close()
            return result


@contextmanager
def _nothing() -> Iterator[None]:
    yield


class _DaskBackend:
    """Submits attempts to a ``distributed.Client``; deps are passed as futures."""

    def __init__(self, client: Any) -> None:
        from distributed import as_completed

        self._client = client
        self._token = uuid.uuid4().hex[:12]
        self._completed = as_completed()
        self._in_flight: dict[str, str] = {}  # dask key -> job key
        self._done: dict[str, Any] = {}  # job key -> finished future (holds the data for dependents)
        self._capacity = 1
        self._capacity_checked = 0.0

    def capacity(self) -> int:
        now = time.monotonic()
        if now - self._capacity_checked > 1.0:  # workers may come and go
            self._capacity = sum(self._client.nthreads().values())
            self._capacity_checked = now
        return self._capacity

    def submit(self, job: Job, attempt: int, height: int, results: Mapping[str, Any]) -> None:
        args = tuple(self._done[a.key] if isinstance(a, Dep) else a for a in job.args)
        dask_key = f"{job.key}-{self._token}-{attempt}"
        future = self._client.submit(_execute_dask, job.fn, *args, key=dask_key, pure=False, priority=height)
        self._in_flight[dask_key] = job.key
        self._completed.add(future)

    def wait(self) -> list[tuple[str, _Outcome | _Lost]]:
        from distributed import KilledWorker

        futures = [next(self._completed), *self._completed.next_batch(block=False)]
        done: list[tuple[str, _Outcome | _Lost]] = []
        for future in futures:
            key = self._in_flight.pop(future.key)
            outcome: _Outcome | _Lost
            if future.status == "finished":
                outcome = result = future.result()
                if result.kind == "ok":
                    self._done[key] = future
            elif future.status == "error":
                exc = future.exception()
                if isinstance(exc, KilledWorker):
                    where = getattr(getattr(exc, "last_worker", None), "address", "")
                    outcome = _Lost(f"dask worker {where} died while running the job".replace("  ", " "))
                    self._capacity_checked = 0.0  # the cluster just shrank; look again before submitting
                else:  # not raised by the job (that is caught in _execute): e.g. unpickling on the worker
                    outcome = _Outcome("error", reason=f"{type(exc).__name__}: {exc}", retryable=True)
            else:
                outcome = _Lost(f"dask future {future.status}")
            done.append((key, outcome))
        return done

    def close(self) -> None:
        futures = list(self._done.values())
        self._done.clear()
        self._completed.clear()
        for future in futures:
            future.release()


DASK_WORKER_CONFIG = {"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}
"""Dask configuration for prover workers: keep glibc's default malloc trimming.

Dask's nanny starts workers with ``MALLOC_TRIM_THRESHOLD_=65536`` so that freed
memory goes back to the OS at once. A prover allocates and frees arrays of
tens of MB for every proof, and with that setting each one is paged in again:
a session proof took 4.1-4.7 s on a Dask worker against 2.1 s without it (one
worker, same machine). ``None`` unsets the variable (Dask's documented
override). The local cluster applies this; for workers started by hand, see
``docs/scaling.md``.
"""


class DaskExecutor:
    """Run jobs on a ``dask.distributed`` cluster (see the module docstring).

    With ``address`` (e.g. ``"tcp://10.0.0.5:8786"``) it connects to a running
    scheduler; with ``None`` it starts a ``LocalCluster`` of ``n_workers``
    single-threaded worker processes and closes it in :meth:`close`.  The local
    cluster's scheduler declares a task failed at the first worker death
    (``allowed_failures=0``) so that :meth:`run`'s ``retries`` alone governs
    retries; a remote scheduler applies its own ``allowed-failures`` first.
    Use as a context manager, or call :meth:`close`.
    """

    def __init__(
        self,
        address: str | None = None,
        *,
        n_workers: int = 2,
        forward_logs: bool = True,
        timeout: float = 30.0,
    ) -> None:
        import dask
        from distributed import Client, LocalCluster

        self.address = address
        self._cluster: Any = None
        if address is None:
            with dask.config.set(DASK_WORKER_CONFIG):
                self._cluster = LocalCluster(
                    n_workers=n_workers,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=None,
                    scheduler_kwargs={"allowed_failures": 0},
                )
            self.client: Any = Client(self._cluster, timeout=timeout)
        else:
            self.client = Client(address, timeout=timeout)
        if forward_logs:
            self.client.forward_logging()

    def __repr__(self) -> str:
        if self._cluster is not None:
            return f"DaskExecutor(LocalCluster at {self._cluster.scheduler_address})"
        return f"DaskExecutor({self.address!r})"

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the client, and the local cluster if this executor started it."""
        self.client.close()
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None

    def run(self, jobs: Sequence[Job], *, retries: int = 2, progress: Progress | None = None) -> RunResult:
        """Run the DAG; see :class:`Executor`."""
        backend = _DaskBackend(self.client)
        try:
            return _run_graph(jobs, backend, retries, progress)
        finally:
            backend.close()


def make_executor(workers: int = 1, address: str | None = None, *, dask_local: bool = False) -> Executor:
    """The executor for command-line options: a Dask scheduler ``address``, a Dask
    ``LocalCluster`` of ``workers`` processes (``dask_local``), or a local pool.

    The caller closes a :class:`DaskExecutor` (``with`` or ``.close()``).
    """
    if address is not None or dask_local:
        return DaskExecutor(address, n_workers=workers)
    return LocalExecutor(workers)
