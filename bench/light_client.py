"""Light-client verification of a block proof: the readable reference path vs the compiled fast path.

Both verify the same block proof in this process, interleaved, CPU time
(``time.process_time``), best of ``repeat`` each:

* reference: ``verify_proof(..., reference=True)``, V(zeta) by the generic
  code on Python objects and FRI query by query (the verifier before the fast
  path existed);
* fast: ``verify_proof(...)`` as :func:`verifier.light_client.verify_block`
  runs it: V(zeta) from the circuit shape's tape, all FRI queries batched.

One-time costs are reported apart: loading the kernels (numba's on-disk
cache) and tracing the block circuit's tape (once per verifier key).

``python -m bench.light_client [repeat] [--vk FILE --proof FILE]`` from the
repository root.  Without files it proves a 10-transaction send block first
(two local workers, about 10 s of CPU on this machine; not timed).
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from bench.timing import CPU, Row, print_rows
from verifier.plonk import verify_proof
from verifier.poseidon2 import load_kernel
from verifier.proof import ProofWithPublicInputs, VerifierKey
from verifier.serialization import proof_from_bytes, verifier_key_from_bytes
from verifier.vanishing_tape import verifier_tape

DEFAULT_REPEAT = 20
BLOCK_TRANSACTIONS = 10


def proven_block() -> tuple[VerifierKey, ProofWithPublicInputs]:
    """The verifier key and proof of a freshly proven benchmark block."""
    from bench.rollup_bench import prove_send_block
    from prover.jobs import LocalExecutor
    from rollup.block_proving import rollup_circuits

    _, proof, _ = prove_send_block(BLOCK_TRANSACTIONS, LocalExecutor(2), "local")
    return rollup_circuits().block_verifier_key, proof


def compare(vk: VerifierKey, proof: ProofWithPublicInputs, repeat: int = DEFAULT_REPEAT) -> list[Row]:
    """Rows: one-time costs, then best CPU time of each path and their ratio."""
    start = CPU()
    load_kernel()
    verify_proof(vk, proof.proof, proof.public_inputs, reference=True)
    kernels = CPU() - start
    start = CPU()
    verifier_tape(vk.common)
    tape = CPU() - start
    verify_proof(vk, proof.proof, proof.public_inputs)  # the fast kernels' first call
    best = {"reference": float("inf"), "fast": float("inf")}
    for _ in range(repeat):
        for name, reference in (("reference", True), ("fast", False)):
            start = CPU()
            verify_proof(vk, proof.proof, proof.public_inputs, reference=reference)
            best[name] = min(best[name], CPU() - start)
    return [
        ("one-time: load kernels, first verification", kernels * 1e3, "ms"),
        ("one-time: trace the block circuit's V(zeta) tape", tape * 1e3, "ms"),
        (f"reference path: verify the block proof (best of {repeat})", best["reference"] * 1e3, "ms"),
        (f"fast path: verify the block proof (best of {repeat})", best["fast"] * 1e3, "ms"),
        ("speed-up", best["reference"] / best["fast"], "x"),
    ]


def main(argv: list[str] | None = None) -> None:
    """``python -m bench.light_client [repeat] [--vk FILE --proof FILE]``."""
    parser = argparse.ArgumentParser(prog="python -m bench.light_client")
    parser.add_argument("repeat", nargs="?", type=int, default=DEFAULT_REPEAT)
    parser.add_argument("--vk", type=Path, help="block verifier key file (with --proof)")
    parser.add_argument("--proof", type=Path, help="block proof file (with --vk)")
    args = parser.parse_args(argv)
    if (args.vk is None) != (args.proof is None):
        parser.error("--vk and --proof go together")
    if args.vk is not None:
        vk = verifier_key_from_bytes(args.vk.read_bytes())
        proof = proof_from_bytes(args.proof.read_bytes())
    else:
        vk, proof = proven_block()
    when = time.strftime("%Y-%m-%d %H:%M", time.gmtime())
    print(f"load average at start {os.getloadavg()[0]:.2f} ({os.cpu_count()} CPUs), {when} UTC")
    print_rows(compare(vk, proof, args.repeat))
    print(f"load average at end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
