"""What the proving commands share: executor, circuits and key, and a run of blocks proven and verified.

The executor is the one ``--workers``/``--scheduler`` asks for; every block is
proven with a progress bar, then checked with the light client.

The loop itself (prove, export, verify from the trusted root) is
:func:`rollup.chain_proving.prove_and_verify_blocks`; this module only chooses
its executor and policy (resume from stored proofs that still verify) and shows
what happens.
"""

from __future__ import annotations

import argparse
import hashlib
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rollup.cli.ui import CliError, Ui, count_text, kb_text, seconds_text, write_output
from verifier.proof import VerifierKey
from verifier.serialization import verifier_key_from_bytes, verifier_key_to_bytes

if TYPE_CHECKING:
    from prover.jobs import Executor, Progress, RunResult
    from prover.jobs import Job as ExecutorJob
    from rollup.chain_dir import ChainDirectory
    from rollup.chain_proving import ProvenBlock, VerifiedBlock

DEFAULT_WORKERS = 2


class ProgressExecutor:
    """An executor that shows a progress bar for each run of the wrapped one."""

    def __init__(self, inner: Executor, description: str, ui: Ui) -> None:
        self.inner, self.description, self.ui = inner, description, ui

    def run(self, jobs: Sequence[ExecutorJob], *, retries: int = 2, progress: Progress | None = None) -> RunResult:
        from prover.jobs import RichProgress, broadcast

        with RichProgress(self.description, console=self.ui.err) as bar:
            return self.inner.run(jobs, retries=retries, progress=broadcast(progress, bar))


@contextmanager
def executor_of(args: argparse.Namespace, ui: Ui) -> Iterator[Executor]:
    """A local process pool of ``--workers`` processes, or the Dask cluster of ``--scheduler``."""
    from prover.jobs import DaskExecutor, LocalExecutor

    scheduler = getattr(args, "scheduler", None)
    if scheduler is None:
        yield LocalExecutor(args.workers)
        return
    address = None if scheduler == "local" else scheduler
    where = f"a local Dask cluster of {args.workers} workers" if address is None else f"the Dask scheduler {address}"
    with ui.step(f"connecting to {where}"):
        try:
            dask = DaskExecutor(address, n_workers=args.workers)
        except (OSError, TimeoutError, ValueError) as exc:
            raise CliError(f"cannot use {where}: {exc}") from exc
    with dask:
        yield dask


@dataclass
class Circuits:
    """The block verifier key (and its bytes) of the circuits built in this process, and how long that took."""

    vk: VerifierKey
    vk_bytes: bytes
    seconds: float


def build_circuits(ui: Ui) -> Circuits:
    """Build every circuit once in this process (local workers are forked afterwards and inherit them)."""
    from rollup.block_proving import rollup_circuits

    start = time.perf_counter()
    with ui.step("building the rollup circuits (once per process)"):
        circuits = rollup_circuits()
    vk_bytes = verifier_key_to_bytes(circuits.block_verifier_key)
    return Circuits(verifier_key_from_bytes(vk_bytes), vk_bytes, time.perf_counter() - start)


def write_vk(chain: ChainDirectory, circuits: Circuits, ui: Ui) -> None:
    """Write ``DIR/block.vk``; if it holds another key (other circuits), keep that one aside and say so."""
    from verifier.light_client import MAX_KEY_BYTES, read_bounded

    old = read_bounded(str(chain.vk_path), "verifier key", MAX_KEY_BYTES) if chain.vk_path.exists() else None
    if old == circuits.vk_bytes:
        return
    if old is not None:
        kept = chain.path / f"block-{hashlib.sha256(old).hexdigest()[:12]}.vk"
        write_output(kept, old, "the previous block verifier key")
        ui.warn(
            f"these circuits differ from those that wrote {chain.vk_path} (another version of the software): "
            f"the old key is kept as {kept}; blocks proven before verify only under it, so prove them again "
            "(`rollup block prove N`) to verify the whole chain under the new key"
        )
    write_output(chain.vk_path, circuits.vk_bytes, "the block verifier key")


def run_summary(proven: ProvenBlock) -> str:
    """One line: how many proofs were made, in how long, on how many workers, and where the proof went."""
    run = proven.result.run
    if run is None:
        return f"block {proven.number}: all proofs were already stored"
    return (
        f"block {proven.number}: {count_text(len(run.records), 'proof')} in {seconds_text(proven.seconds)} on "
        f"{count_text(run.slots, 'worker')} "
        f"(parallel efficiency {run.parallel_efficiency:.0%}); block proof {kb_text(len(proven.proof_bytes))} -> "
        f"{proven.path}"
    )


def prove_and_verify(
    chain: ChainDirectory,
    numbers: Sequence[int],
    circuits: Circuits,
    executor: Executor,
    ui: Ui,
    on_proven: Callable[[ProvenBlock], None] | None = None,
) -> Iterator[VerifiedBlock]:
    """The blocks ``numbers`` proven with a progress bar each, exported and verified from the trusted root.

    Stored proofs are reused only if they verify under these circuits; each other one
    is named in a warning and proven again.
    """
    from rollup.block_proving import ProofReuse
    from rollup.chain_proving import prove_and_verify_blocks

    def executor_for(number: int) -> Executor:
        sessions = len(chain.storage.block(number).public_data)
        return ProgressExecutor(executor, f"block {number} ({count_text(sessions, 'session')})", ui)

    def discarded(number: int, node: str, reason: str) -> None:
        ui.warn(f"block {number}: the stored proof {node} does not verify ({reason}); proving it again")

    return prove_and_verify_blocks(
        chain,
        numbers,
        circuits.vk,
        executor_for,
        reuse=ProofReuse.VERIFIED,
        on_discarded=discarded,
        on_proven=on_proven,
    )
