"""Peer comparison: K Merkle-membership checks of depth 20, here and with circom2 + snarkjs.

This project's side is a circuit of K Poseidon2 Merkle paths (index bits
booleans, the K roots public), proven with the project's PLONK + FRI prover and
checked with the verifier package. The peer side is ``bench/peer/run.mjs``
(circom2 compiles ``bench/peer/merkle.circom`` with circomlib's Poseidon over
BN254; snarkjs sets up PLONK and Groth16 from a locally generated powers of
tau, proves and verifies). ``bench/peer`` is part of the repository, not of
the installed package: ``rollup bench`` looks for it under the working
directory (run it from the repository root) or at ``--peer-dir``. It needs
``node`` and ``npm install`` there (offline afterwards); when anything is
missing the comparison is skipped with the reason, which the report shows.
"""

from __future__ import annotations

import json
import random
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.timing import best_of, best_seconds

DEPTH = 20
PEER_DIR = Path("bench") / "peer"
"""The driver's directory, relative to the working directory (the repository root) by default."""
PEER_TIMEOUT = 3600


def ours(k: int, repeat: int) -> dict[str, Any]:
    """Build, prove (witness generation included) and verify K Poseidon2 Merkle paths of depth 20."""
    from bench.proof import add_random_merkle_path
    from circuits.builder import CircuitBuilder
    from circuits.witness import Target
    from verifier.plonk import verify_proof
    from verifier.serialization import proof_to_bytes

    rng = random.Random(7)
    b = CircuitBuilder()
    inputs: dict[Target, int] = {}
    for _ in range(k):
        _, node, _ = add_random_merkle_path(b, DEPTH, rng, inputs)
        b.register_public_inputs(list(node))
    gate_rows = len(b.rows)
    setup_s, circuit = best_of(b.build, 1)
    circuit.prove(inputs)  # warm-up: JIT kernels
    best_prove, proof = best_of(lambda: circuit.prove(inputs), repeat)
    vk = circuit.verifier_key
    verify_proof(vk, proof.proof, proof.public_inputs)
    best_verify = best_seconds(lambda: verify_proof(vk, proof.proof, proof.public_inputs), max(3, repeat))
    return {
        "system": "this project (PLONK + FRI, Poseidon2)",
        "ours": True,
        "constraints": f"{gate_rows} rows, 2^{circuit.common.degree_bits}",
        "prove_s": best_prove,
        "verify_s": best_verify,
        "proof_bytes": len(proof_to_bytes(proof)),
        "setup_s": setup_s,
    }


def skip_reason(peer_dir: Path) -> str | None:
    """Why the peer side cannot run here, or None."""
    if not (peer_dir / "run.mjs").is_file():
        return f"no peer driver at {peer_dir}/run.mjs (run `rollup bench` from the repository root, or pass --peer-dir)"
    if shutil.which("node") is None:
        return f"`node` is not installed on this machine (install Node.js, then `npm install` in {peer_dir})"
    missing = [p for p in ("snarkjs", "circom2", "circomlib") if not (peer_dir / "node_modules" / p).is_dir()]
    if missing:
        return f"npm packages missing in {peer_dir}/node_modules ({', '.join(missing)}): run `npm install` there"
    return None


def peer_comparison(
    k: int, repeat: int, say: Callable[[str], None] = print, peer_dir: Path = PEER_DIR
) -> dict[str, Any]:
    """Both sides, or the reason the peer side was skipped."""
    base: dict[str, Any] = {"k": k, "depth": DEPTH}

    def skipped(reason: str) -> dict[str, Any]:
        say(f"peer comparison skipped: {reason}")
        return {**base, "status": "skipped", "reason": reason}

    reason = skip_reason(peer_dir)
    if reason is not None:
        return skipped(reason)
    say("  this project ...")
    mine = ours(k, repeat)
    say(f"  this project: prove {mine['prove_s']:.2f} s, verify {mine['verify_s'] * 1e3:.1f} ms")
    say("  circom2 + snarkjs (compile, powers of tau, setup, prove, verify) ...")
    try:
        done = subprocess.run(
            ["node", str(peer_dir / "run.mjs"), str(k), str(repeat)],
            capture_output=True,
            text=True,
            timeout=PEER_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return skipped(f"the circom2/snarkjs driver did not finish within {PEER_TIMEOUT} s")
    if done.returncode != 0 or not done.stdout.strip():
        tail = " ".join(done.stderr.strip().splitlines()[-3:])
        return skipped(f"the circom2/snarkjs driver failed (exit {done.returncode}): {tail}")
    peer = json.loads(done.stdout.strip().splitlines()[-1])
    if not peer.get("rows"):
        return skipped("the circom2/snarkjs driver returned no measurements")
    v = peer.get("versions", {})
    missing = [name for name in ("plonk", "groth16") if name not in peer.get("systems", ["plonk", "groth16"])]
    notes = [
        f"Versions: snarkjs {v.get('snarkjs')}, circom2 {v.get('circom2')} (circom compiled to WASM), "
        f"circomlib {v.get('circomlib')}, Node.js {v.get('node')}.",
        "Prove times include witness generation on every side. Setup is one-off and not in the ratios: "
        "this project's keygen; for snarkjs the circuit-specific zkey from a local powers-of-tau ceremony "
        f"of 2^{peer['rows'][0].get('ptau_power')} (new, one contribution, phase-2 preparation: "
        f"{peer['rows'][0].get('ptau_s', 0):.0f} s wall, made once and cached in bench/peer/build).",
        "circom compiles with --O2. circomlib's Poseidon is built for R1CS: its linear constraints are free "
        "in Groth16 but each becomes gates in snarkjs PLONK, hence the PLONK circuit's much larger domain.",
        "snarkjs proof sizes are the binary encodings of the proof elements (BN254 uncompressed: G1 64 B, "
        "G2 128 B, Fr 32 B); snarkjs's JSON proofs are larger ("
        + ", ".join(f"{r['proof_json_bytes']:,} B" for r in peer["rows"])
        + "). This project's size is its serialized proof (`proof_to_bytes`).",
        "snarkjs (ffjavascript) uses worker threads on both cores; this project's prover and verifier run one "
        "Python process (numba kernels). Best of the repeats.",
        "Security differs: Groth16/PLONK-KZG rely on pairings and a trusted setup (here a local, single-party "
        "ceremony, for benchmarking only); this project is transparent (hash-based FRI).",
    ]
    if missing:
        notes.insert(0, f"**snarkjs {', '.join(missing)} not measured:** left out by PEER_SYSTEMS in this run.")
    return {**base, "status": "ok", "rows": [mine, *peer["rows"]], "notes": notes, "compile_s": peer.get("compile_s")}
