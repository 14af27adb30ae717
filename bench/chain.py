"""Benchmark of chain proofs: the step's proving time and size, and light-client sync from genesis by height.

``python -m bench.chain [max_height]`` (from the repository root) proves a chain of ``max_height``
(default 100) steps over a block key whose 17 public inputs are free (any
block statement proves in milliseconds, so the run measures the chain step
alone), then verifies the chain proof of every height as a light client does
(``verifier.chain.verify_chain_proof``: one proof, whatever the height). All
times are process CPU time (:mod:`bench.timing`), so other load on a shared
machine counts little; verification is the best of ``REPEAT``. The step over the rollup's real block
key costs more (it verifies a 2^12-row block proof); docs/benchmarks.md gives both.
"""

from __future__ import annotations

import statistics
import sys
from functools import partial

from bench.timing import CPU, REPEAT, best_of, best_seconds
from circuits.builder import CircuitBuilder
from circuits.recursion.aggregation import AGGREGATION_CONFIG
from circuits.recursion.chain import ChainCircuits
from verifier.chain import verify_chain_proof
from verifier.hashing import Digest
from verifier.light_client import BLOCK_STATEMENT_LEN, BlockStatement
from verifier.poseidon2 import load_kernel
from verifier.serialization import proof_to_bytes

DEFAULT_HEIGHT = 100
REPORTED_HEIGHTS = (1, 2, 5, 10, 20, 50, 100)


def _root(k: int) -> Digest:
    return (k, 1, 2, 3)


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    max_height = int(args[0]) if args else DEFAULT_HEIGHT
    b = CircuitBuilder(AGGREGATION_CONFIG)
    inputs = b.add_virtual_targets(BLOCK_STATEMENT_LEN)
    b.register_public_inputs(inputs)
    blocks = b.build()
    built, chain = best_of(lambda: ChainCircuits.build(blocks.verifier_key), 1, CPU)
    print(f"chain circuits built in {built:.1f} s CPU; step circuit 2^{chain.step.common.degree_bits} rows")
    load_kernel()
    proofs = [chain.prove_genesis(_root(0))]
    step_seconds = []
    for k in range(1, max_height + 1):
        statement = BlockStatement(_root(k - 1), _root(k), k, (k, 0, 0, 0), (0, 0, 0, 0))
        block = blocks.prove(dict(zip(inputs, statement.elements(), strict=True)))
        seconds, proof = best_of(partial(chain.prove_step, proofs[-1], block), 1, CPU)
        proofs.append(proof)
        step_seconds.append(seconds)
    sizes = {len(proof_to_bytes(p)) for p in proofs[1:]}
    print(
        f"chain step proving: median {statistics.median(step_seconds):.2f} s CPU, "
        f"min {min(step_seconds):.2f}, max {max(step_seconds):.2f} over {max_height} steps; "
        f"proof size {', '.join(f'{s:,}' for s in sorted(sizes))} bytes"
    )
    print("height  sync (verify one chain proof), ms CPU, best of", REPEAT)
    key = chain.key
    for height in [h for h in REPORTED_HEIGHTS if h <= max_height]:
        best = best_seconds(partial(verify_chain_proof, key, proofs[height], _root(0)), REPEAT, CPU)
        print(f"{height:>6}  {best * 1000:.1f}", flush=True)


if __name__ == "__main__":
    main()
