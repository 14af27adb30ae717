"""The Dask worker plugin that gives every prover worker the allocator settings of :mod:`~prover.jobs.allocator`.

Imported only by :class:`~prover.jobs.dask_backend.DaskExecutor` (it imports
``distributed``).  A registered plugin runs on every worker of the cluster,
also those that join or restart later and those started by hand.
"""

from __future__ import annotations

from typing import Any

from distributed.diagnostics.plugin import WorkerPlugin

from prover.jobs.allocator import keep_freed_memory

PLUGIN_NAME = "zkrollup-keep-freed-memory"
"""The name the plugin is registered under (registering it again replaces it)."""


class KeepFreedMemory(WorkerPlugin):  # type: ignore[misc]
    """On worker start-up, apply :func:`~prover.jobs.allocator.keep_freed_memory`."""

    def setup(self, worker: Any) -> None:
        keep_freed_memory()
