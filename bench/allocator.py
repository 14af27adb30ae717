"""Allocator settings of proving workers: page faults and CPU per proof, glibc defaults vs kept memory.

Two forked worker processes hold the same 2^13-row Merkle workload
(:mod:`bench.proof`, the size of a session or aggregation proof): one on glibc's
defaults, one after :func:`prover.jobs.allocator.keep_freed_memory`.  Each first
proves once untimed (kernels loaded, arrays allocated once), then the two prove
in turn, ``repeat`` times each, so a change in the machine's load hits both
alike.  Per proof: CPU time of the worker (``time.process_time``) and its minor
page faults (``getrusage().ru_minflt``); the best run of each, and the peak
resident memory of each worker at the end.

With ``--dask`` the same comparison runs on Dask workers: one ``LocalCluster``
worker as Dask starts it (with the executor's configuration, which unsets the
nanny's ``MALLOC_TRIM_THRESHOLD_``), before and after the worker plugin of
:class:`prover.jobs.DaskExecutor` applies the settings: ``repeat`` proofs
before, then ``repeat`` after, on the same worker (once applied, the settings
stay, so the two sides cannot alternate).

``python -m bench.allocator [repeat] [--dask]`` (from the repository root).
"""

from __future__ import annotations

import multiprocessing
import os
import resource
import sys
import time
from multiprocessing.connection import Connection
from typing import NamedTuple

from bench.proof import merkle_workload
from bench.timing import REPEAT, Row, print_rows
from prover.jobs.allocator import keep_freed_memory

LOG_ROWS = 13


class ProofCost(NamedTuple):
    """One proof in one worker."""

    cpu_seconds: float
    page_faults: int


def _worker(conn: Connection, keep_memory: bool) -> None:
    """Prove the workload once per message received; send back a :class:`ProofCost`, then the peak RSS (kB)."""
    if keep_memory and not keep_freed_memory():
        raise RuntimeError("the allocator settings were refused (not glibc?)")
    work = merkle_workload(LOG_ROWS)
    circuit = work.circuit
    assert circuit is not None
    witness = circuit.generate_witness(work.inputs)
    circuit.prove_witness(witness)
    conn.send("ready")
    while conn.recv():
        faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        start = time.process_time()
        circuit.prove_witness(witness)
        cpu = time.process_time() - start
        conn.send(ProofCost(cpu, resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults))
    conn.send(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def compare(repeat: int = REPEAT) -> list[Row]:
    """Rows: best CPU and page faults per proof, and peak RSS, for each setting; interleaved runs."""
    context = multiprocessing.get_context("fork")
    settings = {"glibc defaults": False, "keep freed memory": True}
    conns: dict[str, Connection] = {}
    processes = []
    for name, keep in settings.items():
        parent, child = context.Pipe()
        process = context.Process(target=_worker, args=(child, keep), name=f"bench-{name}")
        process.start()
        conns[name] = parent
        processes.append(process)
    for conn in conns.values():
        assert conn.recv() == "ready"
    costs: dict[str, list[ProofCost]] = {name: [] for name in settings}
    for _ in range(repeat):
        for name, conn in conns.items():
            conn.send(True)
            costs[name].append(conn.recv())
    rows: list[Row] = []
    for name, conn in conns.items():
        conn.send(False)
        peak_kb = conn.recv()
        best = min(costs[name])
        rows += [
            (f"{name}: CPU per 2^{LOG_ROWS}-row proof (best of {repeat})", best.cpu_seconds * 1e3, "ms"),
            (f"{name}: minor page faults in that proof", best.page_faults, "faults"),
            (f"{name}: peak resident memory of the worker", peak_kb / 1024, "MiB"),
        ]
    for process in processes:
        process.join()
    return rows


def best_proofs_here(repeat: int) -> ProofCost:
    """In the calling process: prove the workload once untimed, then ``repeat`` times; the best cost."""
    work = merkle_workload(LOG_ROWS)
    circuit = work.circuit
    assert circuit is not None
    witness = circuit.generate_witness(work.inputs)
    circuit.prove_witness(witness)
    costs = []
    for _ in range(repeat):
        faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        start = time.process_time()
        circuit.prove_witness(witness)
        cpu = time.process_time() - start
        costs.append(ProofCost(cpu, resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults))
    return min(costs)


def compare_dask(repeat: int = REPEAT) -> list[Row]:
    """Rows: best CPU and page faults per proof on one Dask worker, before and after the executor's plugin."""
    import dask
    from distributed import Client, LocalCluster

    from prover.jobs import DASK_WORKER_CONFIG
    from prover.jobs.dask_plugin import PLUGIN_NAME, KeepFreedMemory

    with dask.config.set(DASK_WORKER_CONFIG):
        cluster = LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None)
    rows: list[Row] = []
    with cluster, Client(cluster) as client:
        for name in ("Dask worker, no plugin", "Dask worker, keep freed memory"):
            if name.endswith("memory"):
                client.register_plugin(KeepFreedMemory(), name=PLUGIN_NAME)
            (best,) = client.run(best_proofs_here, repeat).values()
            rows += [
                (f"{name}: CPU per 2^{LOG_ROWS}-row proof (best of {repeat})", best.cpu_seconds * 1e3, "ms"),
                (f"{name}: minor page faults in that proof", best.page_faults, "faults"),
            ]
    return rows


def main(argv: list[str] | None = None) -> None:
    """``python -m bench.allocator [repeat] [--dask]``."""
    args = sys.argv[1:] if argv is None else argv
    numbers = [int(a) for a in args if a.isdigit()]
    repeat = numbers[0] if numbers else REPEAT
    print(f"load average at start {os.getloadavg()[0]:.2f} ({os.cpu_count()} CPUs)", flush=True)
    print_rows(compare_dask(repeat) if "--dask" in args else compare(repeat))
    print(f"load average at end {os.getloadavg()[0]:.2f}", flush=True)


if __name__ == "__main__":
    main()
