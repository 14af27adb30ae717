"""The node's background prover: one child process that proves sealed blocks in order.

The server never waits for a proof. The prover process polls the chain
database for the lowest finalized block without a block proof, proves it with
the existing executors (``prover.jobs``: a local pool of ``workers`` processes
or a Dask cluster), storing each proof of the aggregation tree the moment it
exists (``rollup.block_proving.prove_stored_block``), and records how long the
block took in the node database. Once its circuits are built it writes the
block verifier key to ``DIR/block.vk``, which the server serves. The database is the only channel between the
two processes, so a restarted node resumes every unproven block, from the
proofs already stored, with nothing else to recover. A job whose worker dies
is retried by the executor.

The process is forked before the server starts its threads, and dies with the
node (``prctl(PR_SET_PDEATHSIG)``, as local workers do), so a node killed with
``kill -9`` leaves no prover writing behind it.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import time
from dataclasses import dataclass
from multiprocessing.process import BaseProcess
from pathlib import Path

from prover.jobs import make_executor
from prover.jobs.local_worker import die_with_parent
from rollup.block_proving import BLOCK_NODE, BlockProvingError, prove_stored_block, rollup_circuits
from rollup.chain_dir import VK_FILE
from rollup.node.store import NODE_DATABASE, NodeStore
from rollup.params import DATABASE_FILENAME
from rollup.storage import Storage
from verifier.chain import GENESIS_HEIGHT
from verifier.serialization import verifier_key_to_bytes

log = logging.getLogger(__name__)

POLL_SECONDS = 0.5
"""How often an idle prover looks for a newly sealed block."""
FAILURE_BACKOFF_SECONDS = 5.0
"""How long the prover waits before trying a block again whose proving failed."""
STOP_TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class ProverOptions:
    """Where to prove: ``workers`` local processes, or the Dask scheduler at ``scheduler``."""

    workers: int
    scheduler: str | None = None


def first_unproven_block(storage: Storage) -> int | None:
    """The lowest finalized block without a block proof (None when every block is proven)."""
    for number in range(GENESIS_HEIGHT + 1, storage.latest_block_number() + 1):
        if BLOCK_NODE not in storage.block_proof_nodes(number):
            return number
    return None


def write_verifier_key(path: Path, key: bytes) -> None:
    """Write the block verifier key atomically (the server serves the file as soon as it exists)."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(key)
    os.replace(tmp, path)


def prover_main(directory: Path, options: ProverOptions, parent_pid: int) -> None:
    """Loop of the prover process: prove the first unproven block, forever."""
    die_with_parent(parent_pid)
    storage = Storage.open(directory / DATABASE_FILENAME)
    store = NodeStore(directory / NODE_DATABASE)
    circuits = rollup_circuits()  # once, before the pool forks, so workers inherit the circuits
    write_verifier_key(directory / VK_FILE, verifier_key_to_bytes(circuits.block_verifier_key))
    address = None if options.scheduler in (None, "local") else options.scheduler
    executor = make_executor(options.workers, address, dask_local=options.scheduler == "local")
    while True:
        number = first_unproven_block(storage)
        if number is None:
            time.sleep(POLL_SECONDS)
            continue
        start = time.perf_counter()
        try:
            prove_stored_block(storage, number, executor)
        except BlockProvingError as exc:
            log.error("block %d: %s; trying again in %.0f s", number, exc, FAILURE_BACKOFF_SECONDS)
            time.sleep(FAILURE_BACKOFF_SECONDS)
            continue
        store.record_proving(number, time.perf_counter() - start)
        log.info("block %d proven in %.1f s", number, time.perf_counter() - start)


def start_prover(directory: Path, options: ProverOptions) -> BaseProcess:
    """Fork the prover process (call before the server starts any thread)."""
    context = multiprocessing.get_context("fork")
    # not a daemon: a daemon process may not start the executor's workers; it dies with the node instead
    process = context.Process(target=prover_main, args=(directory, options, os.getpid()), name="rollup-node-prover")
    process.start()
    return process


def stop_prover(process: BaseProcess) -> None:
    """End the prover process (at the node's orderly shutdown); its proofs so far are stored."""
    process.terminate()
    process.join(timeout=STOP_TIMEOUT_SECONDS)
    if process.is_alive():
        process.kill()
        process.join()
