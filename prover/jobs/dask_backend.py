"""Execution on a ``dask.distributed`` cluster.

``dask`` and ``distributed`` are imported only when a :class:`DaskExecutor` is
created (and by its backend), so ``import prover.jobs`` stays light.  The
client submits a job when its deps are done and keeps at most as many jobs in
flight as the cluster has threads, so a worker's death is charged to the job
that was running on it.  Worker logs are forwarded to the client's loggers.
See ``docs/scaling.md`` for running a cluster across machines.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

from prover.jobs.attempt import Lost, Outcome, execute
from prover.jobs.model import Dep, Job, RunResult
from prover.jobs.scheduler import run_graph

if TYPE_CHECKING:
    from prover.jobs.progress import Progress

DASK_WORKER_CONFIG = {"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}
"""Dask configuration for prover workers: keep glibc's default malloc trimming.

Dask's nanny starts workers with ``MALLOC_TRIM_THRESHOLD_=65536`` so that freed
memory goes back to the OS at once. A prover allocates and frees arrays of
tens of MB for every proof, and with that setting each one is paged in again:
a session proof took 4.1-4.7 s on a Dask worker against 2.1 s without it (one
worker, same machine). ``None`` unsets the variable (Dask's documented
override). The local cluster applies this; for workers started by hand, see
``docs/scaling.md``. Once a worker runs, the executor's worker plugin
(:mod:`~prover.jobs.dask_plugin`) goes further on every worker of the cluster:
:func:`~prover.jobs.allocator.keep_freed_memory`.
"""


def _execute_dask(fn: Callable[..., Any], *args: Any) -> Outcome:
    """Dask task: deps arrive as the ``Outcome`` of the producing task; unwrap them."""
    return execute(fn, tuple(a.value if isinstance(a, Outcome) else a for a in args))


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

    def wait(self) -> list[tuple[str, Outcome | Lost]]:
        from distributed import KilledWorker

        futures = [next(self._completed), *self._completed.next_batch(block=False)]
        done: list[tuple[str, Outcome | Lost]] = []
        for future in futures:
            key = self._in_flight.pop(future.key)
            outcome: Outcome | Lost
            if future.status == "finished":
                outcome = result = future.result()
                if result.kind == "ok":
                    self._done[key] = future
            elif future.status == "error":
                exc = future.exception()
                if isinstance(exc, KilledWorker):
                    where = getattr(getattr(exc, "last_worker", None), "address", "")
                    outcome = Lost(f"dask worker {where} died while running the job".replace("  ", " "))
                    self._capacity_checked = 0.0  # the cluster just shrank; look again before submitting
                else:  # not raised by the job (that is caught in execute): e.g. unpickling on the worker
                    outcome = Outcome("error", reason=f"{type(exc).__name__}: {exc}", retryable=True)
            else:
                outcome = Lost(f"dask future {future.status}")
            done.append((key, outcome))
        return done

    def close(self) -> None:
        futures = list(self._done.values())
        self._done.clear()
        self._completed.clear()
        for future in futures:
            future.release()


class DaskExecutor:
    """Run jobs on a ``dask.distributed`` cluster (see the module docstring).

    With ``address`` (e.g. ``"tcp://10.0.0.5:8786"``) it connects to a running
    scheduler; with ``None`` it starts a ``LocalCluster`` of ``n_workers``
    single-threaded worker processes and closes it in :meth:`close`.  Either way
    every worker gets the allocator settings of :mod:`~prover.jobs.allocator`
    (a worker plugin).  The local
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
        from prover.jobs.dask_plugin import PLUGIN_NAME, KeepFreedMemory

        self.client.register_plugin(KeepFreedMemory(), name=PLUGIN_NAME)
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
        """Run the DAG; see :class:`~prover.jobs.model.Executor`."""
        backend = _DaskBackend(self.client)
        try:
            return run_graph(jobs, backend, retries, progress)
        finally:
            backend.close()
