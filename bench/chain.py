"""Benchmark of chain proofs: the step's proving time and size, and light-client sync from genesis by height.

``python -m bench.chain [max_height]`` (from the repository root) proves a
chain of ``max_height`` (default 100) steps over a block key whose 17 public
inputs are free (any block statement proves in milliseconds, so the run
measures the chain step alone), then verifies the chain proof of the reported
heights as a light client does (``verifier.chain.verify_chain_proof``: one
proof, whatever the height).

``python -m bench.chain --rollup N`` does the same over a real chain of N
blocks (block 1 registers two users, each later block is one send), with the
rollup's block key, and also times the per-block sync (``verify_chain`` over
the N block proofs) for comparison.

All times are process CPU time (:mod:`bench.timing`), so other load on a
shared machine counts little; verification is the best of ``REPEAT``.
"""

from __future__ import annotations

import statistics
import sys
from collections.abc import Sequence
from functools import partial

from bench.timing import CPU, REPEAT, best_of, best_seconds
from circuits.builder import CircuitBuilder
from circuits.recursion.aggregation import AGGREGATION_CONFIG
from circuits.recursion.chain import ChainCircuits
from prover.jobs import LocalExecutor
from rollup.block_proving import BLOCK_NODE, prove_stored_block, rollup_circuits
from rollup.chain_proofs import prove_chain, rollup_chain_circuits
from rollup.keys import KeyRing
from rollup.sequencer import Sequencer
from rollup.workload import one_coin_chain
from verifier.chain import ChainKey, verify_chain_proof
from verifier.hashing import Digest
from verifier.light_client import BLOCK_STATEMENT_LEN, BlockStatement, verify_chain
from verifier.poseidon2 import load_kernel
from verifier.proof import ProofWithPublicInputs
from verifier.serialization import proof_from_bytes, proof_to_bytes

DEFAULT_HEIGHT = 100
REPORTED_HEIGHTS = (1, 2, 3, 4, 5, 10, 20, 50, 100)


def _root(k: int) -> Digest:
    return (k, 1, 2, 3)


def report(
    step_seconds: Sequence[float], chain: Sequence[ProofWithPublicInputs], key: ChainKey, genesis: Digest
) -> None:
    """Step proving time and size, and the sync time (one chain proof) at each reported height.

    ``chain[k]`` is the chain proof of height k + 1."""
    sizes = sorted({len(proof_to_bytes(p)) for p in chain})
    print(
        f"chain step proving: median {statistics.median(step_seconds):.2f} s CPU, "
        f"min {min(step_seconds):.2f}, max {max(step_seconds):.2f} over {len(step_seconds)} steps; "
        f"proof size {', '.join(f'{s:,}' for s in sizes)} bytes"
    )
    print("height  sync from genesis (verify one chain proof), ms CPU, best of", REPEAT)
    for height in [h for h in REPORTED_HEIGHTS if h <= len(chain)]:
        seconds = best_seconds(partial(verify_chain_proof, key, chain[height - 1], genesis), REPEAT, CPU)
        print(f"{height:>6}  {seconds * 1000:.1f}", flush=True)


def free_chain(max_height: int) -> None:
    b = CircuitBuilder(AGGREGATION_CONFIG)
    inputs = b.add_virtual_targets(BLOCK_STATEMENT_LEN)
    b.register_public_inputs(inputs)
    blocks = b.build()
    built, circuits = best_of(lambda: ChainCircuits.build(blocks.verifier_key), 1, CPU)
    print(f"chain circuits built in {built:.1f} s CPU; step circuit 2^{circuits.step.common.degree_bits} rows")
    load_kernel()
    proofs = [circuits.prove_genesis(_root(0))]
    step_seconds = []
    for k in range(1, max_height + 1):
        statement = BlockStatement(_root(k - 1), _root(k), k, (k, 0, 0, 0), (0, 0, 0, 0))
        block = blocks.prove(dict(zip(inputs, statement.elements(), strict=True)))
        seconds, proof = best_of(partial(circuits.prove_step, proofs[-1], block), 1, CPU)
        proofs.append(proof)
        step_seconds.append(seconds)
    report(step_seconds, proofs[1:], circuits.key, _root(0))


def rollup_chain(height: int) -> None:
    sender, recipient = 3, 9
    seq = Sequencer.in_memory()
    keys: KeyRing[int] = KeyRing()
    one_coin_chain(seq, sender, recipient, height, keys)
    built, circuits = best_of(rollup_chain_circuits, 1, CPU)
    print(f"rollup chain circuits built in {built:.1f} s CPU; step circuit 2^{circuits.step.common.degree_bits} rows")
    load_kernel()
    step_seconds, blocks = [], []
    for number in range(1, height + 1):
        prove_stored_block(seq.storage, number, LocalExecutor(1, in_process=True))
        blocks.append(proof_from_bytes(seq.storage.block_proofs(number)[BLOCK_NODE]))
        if number == 1:  # the genesis proof is made with the first step; time the step alone
            prove_chain(seq.storage, number)
            continue
        step_seconds.append(best_of(partial(prove_chain, seq.storage, number), 1, CPU).seconds)
    genesis = seq.storage.block(1).prev_root
    chain = [proof_from_bytes(p) for _, p in sorted(seq.storage.chain_proofs().items())]
    report(step_seconds, chain, circuits.key, genesis)
    vk = rollup_circuits().block_verifier_key
    print("height  per-block sync (verify every block proof from genesis), ms CPU, best of", REPEAT)
    for h in [h for h in REPORTED_HEIGHTS if h <= height]:
        seconds = best_seconds(partial(verify_chain, vk, blocks[:h], genesis), REPEAT, CPU)
        print(f"{h:>6}  {seconds * 1000:.1f}", flush=True)
    seq.close()


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["--rollup"]:
        rollup_chain(int(args[1]) if len(args) > 1 else 5)
    else:
        free_chain(int(args[0]) if args else DEFAULT_HEIGHT)


if __name__ == "__main__":
    main()
