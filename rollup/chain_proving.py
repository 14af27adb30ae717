"""Proving a run of a chain's blocks, exporting each block proof and checking it as a light client.

For blocks n, n+1, ... of a chain directory: prove block k from storage (resuming
from the stored proofs that ``reuse`` allows), write its proof file
``DIR/proofs/block-KKKK.proof``, then verify that file exactly as
``rollup-verify`` does, from a trusted root: block n's previous root at first,
then each verified block's new root. So the run checks the whole hash chain
of roots, not each block on its own.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from prover.jobs import Executor
from rollup.block_data import BlockData, data_path
from rollup.block_plan import BLOCK_NODE, BlockProvingError
from rollup.block_proving import BlockProof, DiscardedProof, ProofReuse, prove_stored_block
from rollup.chain_dir import ChainDirectory
from rollup.errors import ChainDirError
from rollup.files import FileWriteError, write_atomic
from verifier.hashing import Digest
from verifier.light_client import BlockRejectedError, BlockStatement, verify_block
from verifier.proof import VerifierKey
from verifier.serialization import FormatError, proof_from_bytes


class ProofRejectedError(BlockProvingError):
    """The light client rejected an exported block proof."""


@dataclass(frozen=True)
class ProvenBlock:
    """A block proven and exported: its proofs, the proving time and the exported file."""

    number: int
    result: BlockProof
    seconds: float
    path: Path
    proof_bytes: bytes


@dataclass(frozen=True)
class VerifiedBlock:
    """A proven block whose exported file the light client accepted from the trusted root."""

    proven: ProvenBlock
    statement: BlockStatement
    verify_seconds: float


def prove_and_export(
    chain: ChainDirectory,
    number: int,
    executor: Executor,
    reuse: ProofReuse,
    on_discarded: DiscardedProof | None = None,
) -> ProvenBlock:
    """Prove a stored block (resuming as ``reuse`` allows) and write its proof file."""
    start = time.perf_counter()
    result = prove_stored_block(chain.storage, number, executor, reuse=reuse, on_discarded=on_discarded)
    seconds = time.perf_counter() - start
    data = result.proofs[BLOCK_NODE]
    path = chain.proof_path(number)
    try:
        write_atomic(path, data)
        write_atomic(data_path(path), BlockData.of(chain.storage.block(number)).to_bytes())
    except FileWriteError as exc:
        raise ChainDirError(f"cannot write the block proof or its data: {exc}") from exc
    return ProvenBlock(number, result, seconds, path, data)


def light_verify(vk: VerifierKey, proof_file: Path, prev_root: Digest | None) -> tuple[BlockStatement, float]:
    """What ``rollup-verify`` does with an exported file: its statement and the seconds it took.

    ProofRejectedError if the light client rejects it.
    """
    start = time.perf_counter()
    try:
        statement = verify_block(vk, proof_from_bytes(proof_file.read_bytes()), prev_root)
    except (BlockRejectedError, FormatError) as exc:
        raise ProofRejectedError(f"{proof_file}: invalid: {exc}") from exc
    return statement, time.perf_counter() - start


def prove_and_verify_blocks(
    chain: ChainDirectory,
    numbers: Sequence[int],
    vk: VerifierKey,
    executor_for: Callable[[int], Executor],
    *,
    reuse: ProofReuse,
    on_discarded: DiscardedProof | None = None,
    on_proven: Callable[[ProvenBlock], None] | None = None,
) -> Iterator[VerifiedBlock]:
    """Prove, export and light-verify consecutive blocks ``numbers``, yielding each once verified.

    ``executor_for(k)`` is the executor block k is proven on; ``on_proven`` sees each
    block between proving and verification. Block ``numbers[0]`` is verified from its
    stored previous root, every later one from the new root of the one before.
    """
    trusted: Digest | None = None
    for number in numbers:
        chain.require_block(number)
        if trusted is None:
            trusted = chain.storage.block(number).prev_root
        proven = prove_and_export(chain, number, executor_for(number), reuse, on_discarded)
        if on_proven is not None:
            on_proven(proven)
        statement, seconds = light_verify(vk, proven.path, trusted)
        trusted = statement.new_root
        yield VerifiedBlock(proven, statement, seconds)
