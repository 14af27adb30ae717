"""The shrinking step: the block proof in the tree's configuration vs the shrinking one, in one run.

One benchmark block (``BLOCK_TRANSACTIONS`` sends, proven with the rollup's
circuits; not timed) gives the top node of its tree. The block circuit is then
built twice over the same whitelist, once in the tree's configuration
(``AGGREGATION_CONFIG``: rate 1/8, 28 queries, the block proof before this
step existed) and once in ``SHRINK_CONFIG`` (rate 1/128, 11 queries, 23 bits
of proof of work, what :mod:`rollup.block_proving` now produces), and for each:

* proving CPU time of the block proof from the same top node (best of ``repeat``);
* the proof's size in bytes (``verifier.serialization.proof_to_bytes``);
* light-client verification CPU time, compiled path as ``rollup-verify`` runs it
  (best of ``VERIFY_REPEAT``, kernels loaded and tape traced first), and the
  readable reference path;
* the key's soundness figures (``verifier.soundness``).

CPU time is ``time.process_time`` (this process, all its threads). The extra
proving cost of the step is the difference of the two proving figures: the
shrunk block proof replaces the old one, there is no second proof.

``python -m bench.shrink [--repeat N]`` from the repository root.
"""

from __future__ import annotations

import argparse
import functools
import os
import time

from bench.timing import CPU, Row, best_of, best_seconds, print_rows
from circuits.recursion.aggregation import ChildProof
from rollup.block_plan import siblings_of
from rollup.circuits.block import BlockCircuit
from verifier.light_client import prepare, verify_block
from verifier.plonk import verify_proof
from verifier.proof import ProofWithPublicInputs
from verifier.serialization import proof_from_bytes, proof_to_bytes
from verifier.soundness import soundness

BLOCK_TRANSACTIONS = 10
VERIFY_REPEAT = 20
REPEAT = 2


def _verify_rows(label: str, circuit: BlockCircuit, proof: ProofWithPublicInputs) -> list[Row]:
    vk = circuit.circuit.verifier_key
    prepare(vk)
    verify_block(vk, proof, None)  # the compiled kernels' first call
    fast = best_seconds(lambda: verify_block(vk, proof, None), VERIFY_REPEAT, CPU)
    reference = best_seconds(
        lambda: verify_proof(vk, proof.proof, proof.public_inputs, reference=True), max(1, VERIFY_REPEAT // 4), CPU
    )
    figures = soundness(vk.common)
    return [
        (f"{label}: light client, compiled path (best of {VERIFY_REPEAT})", fast * 1e3, "ms"),
        (f"{label}: light client, reference path", reference * 1e3, "ms"),
        (f"{label}: conjectured security", figures.conjectured_bits, "bits"),
        (f"{label}: proven security (Johnson bound)", figures.proven_bits, "bits"),
    ]


def measure(repeat: int = REPEAT) -> list[Row]:
    """Rows: for the tree's configuration and the shrinking one, proving, size, verification, security."""
    from bench.workload import send_block
    from rollup.block_proving import prove_block, rollup_circuits
    from rollup.execution import execute_session

    circuits = rollup_circuits()
    blocks = circuits.blocks
    block = send_block(BLOCK_TRANSACTIONS)
    traces = [execute_session(block.state, session).trace for session in block.sessions]
    proven = prove_block(block.state.block_number + 1, traces, block.state.global_tree)
    plan = proven.plan
    top: ChildProof = blocks.tree_top(circuits.child(proof_from_bytes(proven.proofs[plan.top.key])))
    siblings = siblings_of(plan.previous_tree, plan.top.statement)
    before = BlockCircuit.build(blocks.scheme, blocks.aggregation, blocks.depth, blocks.whitelist, blocks.scheme.config)
    rows: list[Row] = []
    for label, circuit in (("before (tree configuration)", before), ("after (shrinking configuration)", blocks.block)):
        run = best_of(functools.partial(circuit.prove, top, siblings, plan.number, blocks.whitelist), repeat, CPU)
        assert run.result.public_inputs == proven.proof.public_inputs
        rows.append((f"{label}: block proof, proving CPU (best of {repeat})", run.seconds, "s"))
        rows.append((f"{label}: block proof size", len(proof_to_bytes(run.result)), "bytes"))
        rows += _verify_rows(label, circuit, run.result)
    return rows


def main(argv: list[str] | None = None) -> None:
    """``python -m bench.shrink [--repeat N]``."""
    parser = argparse.ArgumentParser(prog="python -m bench.shrink")
    parser.add_argument("--repeat", type=int, default=REPEAT, help="proving runs per configuration (best of)")
    args = parser.parse_args(argv)
    when = time.strftime("%Y-%m-%d %H:%M", time.gmtime())
    print(f"load average at start {os.getloadavg()[0]:.2f} ({os.cpu_count()} CPUs), {when} UTC")
    print_rows(measure(args.repeat))
    print(f"load average at end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
