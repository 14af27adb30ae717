"""The job model: a job, its placeholders for other jobs' results, what happened to it, and a run's outcome.

A job is a call ``fn(*args)`` of a top-level, importable function on plain,
picklable data, and it is **pure**: its result depends only on its arguments,
so running it twice has no effect other than returning the same value twice.
A :class:`Dep` among the top-level ``args`` names the job whose result takes
its place before the call; ``Job.deps`` is derived from those placeholders.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Protocol, Self

if TYPE_CHECKING:
    from prover.jobs.progress import Progress

JobStatus = Literal["ok", "failed", "rejected", "skipped"]


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


def args_with_values(job: Job, results: Mapping[str, Any]) -> tuple[Any, ...]:
    """``job.args`` with each top-level ``Dep(k)`` replaced by ``results[k]``."""
    return tuple(results[a.key] if isinstance(a, Dep) else a for a in job.args)


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


class Executor(Protocol):
    """Runs a DAG of jobs; see :mod:`prover.jobs`."""

    def run(self, jobs: Sequence[Job], *, retries: int = 2, progress: Progress | None = None) -> RunResult:
        """Run every job once its deps are done; retry dead workers; never raise for a job's failure."""
        ...
