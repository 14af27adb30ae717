"""Run a DAG of pure, serializable jobs on a local process pool or a Dask cluster.

The engine knows nothing about proofs: a block is a DAG whose leaves are
session proofs and whose inner nodes are aggregation proofs.

Modules
=======
* :mod:`~prover.jobs.model` - :class:`Job`, :class:`Dep` placeholders for other
  jobs' results, :class:`JobRecord`, :class:`RunResult`, :class:`RunError`,
  :class:`JobRejected` (the "invalid input" exception) and the :class:`Executor`
  protocol.
* :mod:`~prover.jobs.scheduler` - the scheduling shared by every executor:
  dependency-driven order by height, retries, skipping the dependents of a
  failed job.
* :mod:`~prover.jobs.attempt` - one attempt of a job, its exceptions turned into data.
* :mod:`~prover.jobs.local` and :mod:`~prover.jobs.local_worker` -
  :class:`LocalExecutor`: ``workers`` processes on this machine (``fork`` on
  POSIX), or the calling process itself (``in_process=True``).
* :mod:`~prover.jobs.allocator` - glibc allocator settings that keep freed
  memory in worker processes (no page faults for the next proof's arrays);
  :mod:`~prover.jobs.dask_plugin` applies them on Dask workers.
* :mod:`~prover.jobs.worker_logs` - log records of forked workers forwarded to
  the parent's root-logger handlers while a run lasts.
* :mod:`~prover.jobs.dask_backend` - :class:`DaskExecutor`: a
  ``dask.distributed`` scheduler, or a ``LocalCluster`` it starts; ``dask`` is
  imported only when one is created.
* :mod:`~prover.jobs.progress` - :class:`ProgressEvent` callbacks, :func:`broadcast` to several
  of them, and :class:`RichProgress` (plain periodic lines when not on a terminal).
* :mod:`~prover.jobs.factory` - :func:`make_executor` from command-line options.

Failures
========
* **Worker death** (``os._exit``, the OOM killer, ``kill -9``; a lost worker in
  Dask): the job is charged an attempt and run again on a fresh worker, up to
  ``retries`` more times.
* **An ordinary exception** is a job failure.  It is retried like a worker death
  (it may be transient: memory, I/O), unless it is a :class:`JobRejected`,
  which is never retried because a pure function rejects the same input every
  time (a session that cannot be proven).
* **Parent death**: local workers end with the process that started them, even
  in the middle of a job (see :mod:`~prover.jobs.local_worker`).
* Every job that depends, directly or not, on a failed job is **skipped** with
  the reason ``dependency 'X' failed``.  Jobs that do not depend on it still run.

:class:`RunResult` holds ``results`` of the jobs that finished, ``failures``
(key -> reason) of those that failed, were rejected or were skipped, and a
:class:`JobRecord` per job: status, attempts, start/end (epoch seconds, taken on
the worker) and the worker that ran it, from which benchmarks compute busy time
and parallel efficiency.

See ``docs/scaling.md`` for running a cluster across machines.
"""

from prover.jobs.dask_backend import DASK_WORKER_CONFIG, DaskExecutor
from prover.jobs.factory import make_executor
from prover.jobs.local import LocalExecutor
from prover.jobs.model import Dep, Executor, Job, JobRecord, JobRejected, JobStatus, RunError, RunResult
from prover.jobs.progress import Progress, ProgressEvent, RichProgress, broadcast

__all__ = [
    "DASK_WORKER_CONFIG",
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
    "broadcast",
    "make_executor",
]
