"""The graph scheduler shared by every executor: dependency-driven order, retries, failure propagation.

A job is queued as soon as all of its deps have finished (not level by level),
and queued jobs start in order of their height in the DAG (an aggregation
before a waiting leaf), then submission order.  A worker death (:class:`Lost`)
or an ordinary exception is charged an attempt and retried up to ``retries``
more times; a :class:`~prover.jobs.model.JobRejected` is never retried.  Every
job that depends, directly or not, on a failed job is skipped with the reason
``dependency 'X' failed``; the others still run.
"""

from __future__ import annotations

import heapq
import logging
import time
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from prover.jobs.attempt import Lost, Outcome
from prover.jobs.model import Job, JobRecord, RunResult
from prover.jobs.progress import Progress, ProgressEvent

log = logging.getLogger(__name__)


class Backend(Protocol):
    """Where attempts run: a bounded number in flight, submitted one by one, collected as they end."""

    def capacity(self) -> int:
        """How many attempts may be in flight at once."""
        ...

    def submit(self, job: Job, attempt: int, height: int, results: Mapping[str, Any]) -> None:
        """Start an attempt of ``job``; its deps' values are in ``results``.  Raising fails the job."""
        ...

    def wait(self) -> list[tuple[str, Outcome | Lost]]:
        """Block until at least one attempt in flight is over; return them."""
        ...


def heights(jobs: Mapping[str, Job], dependents: Mapping[str, list[str]]) -> dict[str, int]:
    """Height of each job (longest path down to a leaf); raises ``ValueError`` on a cycle."""
    pending = {key: len(job.deps) for key, job in jobs.items()}
    order = [key for key, n in pending.items() if n == 0]
    height = dict.fromkeys(order, 0)
    for key in order:  # Kahn's algorithm; `order` grows while we walk it
        for child in dependents[key]:
            height[child] = max(height.get(child, 0), height[key] + 1)
            pending[child] -= 1
            if pending[child] == 0:
                order.append(child)
    if len(order) < len(jobs):
        stuck = sorted(set(jobs) - set(order))
        raise ValueError(f"the jobs have a dependency cycle among {stuck[:5]}")
    return height


def run_graph(jobs: Sequence[Job], backend: Backend, retries: int, progress: Progress | None) -> RunResult:
    """Run the DAG ``jobs`` on ``backend``; ``progress`` sees the start and every finished job."""
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
    height = heights(by_key, dependents)
    order = {k: i for i, k in enumerate(by_key)}
    ready: list[tuple[int, int, str]] = []

    def push(key: str) -> None:
        heapq.heappush(ready, (-height[key], order[key], key))

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

    def succeed(key: str, outcome: Outcome) -> None:
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
                backend.submit(by_key[key], attempts[key], height[key], results)
            except Exception as exc:
                fail(JobRecord(key, "failed", attempts[key], reason=f"cannot submit: {type(exc).__name__}: {exc}"))
                continue
            in_flight.add(key)
        if not in_flight:
            continue
        for key, outcome in backend.wait():
            in_flight.discard(key)
            n = attempts[key]
            if isinstance(outcome, Outcome) and outcome.kind == "ok":
                succeed(key, outcome)
                continue
            if isinstance(outcome, Outcome) and outcome.kind == "rejected":
                record = JobRecord(
                    key, "rejected", n, outcome.start, outcome.end, outcome.worker, f"rejected: {outcome.reason}"
                )
                fail(record)
                continue
            retryable = isinstance(outcome, Lost) or outcome.retryable
            if retryable and n <= retries:
                log.warning("job %s attempt %d/%d: %s; retrying", key, n, retries + 1, outcome.reason)
                push(key)
                continue
            suffix = f" (after {n} attempts)" if n > 1 else ""
            if isinstance(outcome, Lost):
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
