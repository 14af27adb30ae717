"""The executor for command-line options."""

from __future__ import annotations

from prover.jobs.dask_backend import DaskExecutor
from prover.jobs.local import LocalExecutor
from prover.jobs.model import Executor


def make_executor(workers: int = 1, address: str | None = None, *, dask_local: bool = False) -> Executor:
    """The executor for command-line options: a Dask scheduler ``address``, a Dask
    ``LocalCluster`` of ``workers`` processes (``dask_local``), or a local pool.

    The caller closes a :class:`DaskExecutor` (``with`` or ``.close()``).
    """
    if address is not None or dask_local:
        return DaskExecutor(address, n_workers=workers)
    return LocalExecutor(workers)
