"""The node's background prover: one child process that proves sealed blocks, then the chain, in order.

The server never waits for a proof. The prover process polls the chain
database for the lowest finalized block without a block proof, proves it with
the existing executors (``prover.jobs``: a local pool of ``workers`` processes
or a Dask cluster), storing each proof of the aggregation tree the moment it
exists (``rollup.block_proving.prove_stored_block``), and records how long the
block took in the node database. After each block proof it extends the chain
proof to that block (``rollup.chain_proofs.prove_chain``: one step per block,
each stored in ``rollup.sqlite`` as it is made), so the latest chain proof
proves the whole chain from genesis. Once its circuits are built it writes the
block verifier key to ``DIR/block.vk`` and the chain key to ``DIR/chain.key``,
which the server serves. The database is the only channel between the two
processes, so a restarted node resumes every unproven block, from the proofs
already stored, and the chain proof from the highest stored height, with
nothing else to recover. A job whose worker dies is retried by the executor.

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
from rollup.chain_dir import CHAIN_KEY_FILE, VK_FILE
from rollup.chain_proofs import prove_chain, rollup_chain_key_bytes
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


def write_key_file(path: Path, key: bytes) -> None:
    """Write a key file atomically (the server serves the file as soon as it exists)."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(key)
    os.replace(tmp, path)


def extend_chain_proof(storage: Storage, store: NodeStore, height: int) -> None:
    """Prove the chain up to ``height`` from the highest stored chain proof (every block up to it is proven)."""
    start = time.perf_counter()
    proven = prove_chain(storage, height).proven_heights
    seconds = time.perf_counter() - start
    for number in proven:
        store.record_chain_proving(number, seconds / len(proven))
    log.info("chain proven to height %d in %.1f s (%d steps)", height, seconds, len(proven))


def prover_main(directory: Path, options: ProverOptions, parent_pid: int) -> None:
    """Loop of the prover process: prove the first unproven block and extend the chain proof to it, forever."""
    die_with_parent(parent_pid)
    storage = Storage.open(directory / DATABASE_FILENAME)
    store = NodeStore(directory / NODE_DATABASE)
    circuits = rollup_circuits()  # once, before the pool forks, so workers inherit the circuits
    write_key_file(directory / VK_FILE, verifier_key_to_bytes(circuits.block_verifier_key))
    write_key_file(directory / CHAIN_KEY_FILE, rollup_chain_key_bytes())
    address = None if options.scheduler in (None, "local") else options.scheduler
    executor = make_executor(options.workers, address, dask_local=options.scheduler == "local")
    while True:
        number = first_unproven_block(storage)
        latest = storage.latest_block_number()
        try:
            if number is not None:
                start = time.perf_counter()
                prove_stored_block(storage, number, executor)
                store.record_proving(number, time.perf_counter() - start)
                log.info("block %d proven in %.1f s", number, time.perf_counter() - start)
                extend_chain_proof(storage, store, number)
            elif storage.chain_proven_height() < latest:  # a restart between a block proof and its chain step
                extend_chain_proof(storage, store, latest)
            else:
                time.sleep(POLL_SECONDS)
        except BlockProvingError as exc:  # a ChainProvingError is one
            log.error("block %d: %s; trying again in %.0f s", number or latest, exc, FAILURE_BACKOFF_SECONDS)
            time.sleep(FAILURE_BACKOFF_SECONDS)


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
