"""Benchmarks of the proof system: keygen, witness generation, proving (per stage), verification, size.

The workload is a realistic mix for this rollup: Merkle-path checks (one
Poseidon2 row per level, the index bits range-checked with arithmetic ops)
plus arithmetic rows (a running polynomial hash of the leaves), sized so the
circuit has exactly 2^k rows after padding. About half the rows are Poseidon2
rows.

Each ``bench_*`` function returns rows (name, value, unit); every figure is the
best of ``REPEAT`` runs (the machine is shared: the minimum is the least
disturbed). ``python -m circuits.bench_proof [--cpu] [log_rows ...]`` prints a
table, in wall time or (``--cpu``) in CPU time, which the other jobs of a
shared machine disturb far less.

This module lives in ``circuits`` (not ``prover``) because it builds circuits:
imports flow ``verifier <- prover <- circuits`` only.
"""

from __future__ import annotations

import random
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from circuits.builder import CircuitBuilder, DigestTarget
from circuits.circuit_data import CircuitData
from circuits.witness import Target
from prover.plonk_prover import ProvingTimes
from verifier.field import P
from verifier.hashing import Digest
from verifier.merkle import compute_root_from_path
from verifier.serialization import proof_to_bytes

Row = tuple[str, float, str]
REPEAT = 3
MERKLE_DEPTH = 20
SIZES = (10, 12, 14)
POSEIDON_SHARE = 0.5
"""Fraction of the rows spent on Merkle-path Poseidon2 rows; the rest is arithmetic."""

ROW_MARGIN = 24
"""Rows left for the public-input hash and constants so the circuit pads to exactly 2^k rows."""


@dataclass
class Workload:
    """A benchmark circuit (built or not yet) and an input assignment that satisfies it."""

    builder: CircuitBuilder
    inputs: dict[Target, int]
    poseidon_rows: int
    circuit: CircuitData | None = None

    def build(self) -> CircuitData:
        self.circuit = self.builder.build()
        return self.circuit


@dataclass
class ProofBenchmark:
    """Measured figures for one circuit size (seconds, bytes)."""

    log_rows: int
    gate_rows: int
    poseidon_rows: int
    construct: float
    build: float
    witness: float
    prove: float
    stages: dict[str, float] = field(default_factory=dict)
    verify: float = 0.0
    proof_bytes: int = 0


def merkle_workload(log_rows: int, seed: int = 1) -> Workload:
    """The built circuit of :func:`merkle_builder`."""
    work = merkle_builder(log_rows, seed)
    circuit = work.build()
    if circuit.common.degree_bits != log_rows:
        raise AssertionError(f"workload has 2^{circuit.common.degree_bits} rows, wanted 2^{log_rows}")
    return work


def random_digest(rng: random.Random) -> Digest:
    return rng.randrange(P), rng.randrange(P), rng.randrange(P), rng.randrange(P)


def add_random_merkle_path(
    b: CircuitBuilder, depth: int, rng: random.Random, inputs: dict[Target, int]
) -> tuple[DigestTarget, DigestTarget, Digest]:
    """A Merkle-membership check of a random leaf at a random index with random siblings.

    Adds the leaf, index-bit and sibling inputs (their values to ``inputs``) and the
    climb to the root; returns (leaf targets, root targets, the root computed natively).
    """
    leaf = b.add_virtual_digest()
    bits = b.add_virtual_targets(depth)
    siblings = [b.add_virtual_digest() for _ in range(depth)]
    leaf_v = (rng.randrange(P), rng.randrange(P), rng.randrange(P), rng.randrange(P))
    sib_v: list[Digest] = [
        (rng.randrange(P), rng.randrange(P), rng.randrange(P), rng.randrange(P)) for _ in range(depth)
    ]
    index = rng.randrange(1 << depth)
    inputs.update(zip(leaf, leaf_v, strict=True))
    inputs.update({t: (index >> i) & 1 for i, t in enumerate(bits)})
    for s, sv in zip(siblings, sib_v, strict=True):
        inputs.update(zip(s, sv, strict=True))
    node = leaf
    for bit, sib in zip(bits, siblings, strict=True):
        b.assert_bool(bit)
        node = b.compress(node, sib, swap=bit)
    return leaf, node, compute_root_from_path(leaf_v, index, sib_v)


def merkle_builder(log_rows: int, seed: int = 1) -> Workload:
    """Merkle paths of depth ``MERKLE_DEPTH`` and an arithmetic chain filling a 2^log_rows circuit."""
    rng = random.Random(seed)
    target = (1 << log_rows) - ROW_MARGIN
    b = CircuitBuilder()
    inputs: dict[Target, int] = {}
    acc = b.zero()
    poseidon_budget = int(POSEIDON_SHARE * target)
    num_paths = max(1, poseidon_budget // (MERKLE_DEPTH + 1))
    for _ in range(num_paths):
        leaf, node, expected = add_random_merkle_path(b, MERKLE_DEPTH, rng, inputs)
        b.connect_digest(node, b.constant_digest(expected))
        acc = b.mul_add(acc, leaf[0], leaf[1])
    poseidon_rows = sum(r.gate.name == "Poseidon2" for r in b.rows)
    # Fill with arithmetic: acc <- acc * acc + x, 20 ops per row.
    x = b.add_virtual_target()
    inputs[x] = rng.randrange(P)
    while len(b.rows) < target:
        acc = b.mul_add(acc, acc, x)
    b.register_public_input(acc)
    return Workload(b, inputs, poseidon_rows)


Clock = Callable[[], float]


def _best(fn: Callable[[], object], repeat: int, clock: Clock) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeat):
        start = clock()
        result = fn()
        best = min(best, clock() - start)
    return best, result


def bench_circuit(log_rows: int, repeat: int = REPEAT, clock: Clock = time.perf_counter) -> ProofBenchmark:
    """Build, fill, prove and verify the Merkle workload of 2^log_rows rows (best of ``repeat`` each).

    ``clock`` is wall time by default; pass ``time.process_time`` for CPU time.
    """
    construct_s = build_s = float("inf")
    for _ in range(repeat):
        start = clock()
        work = merkle_builder(log_rows)
        construct_s = min(construct_s, clock() - start)
        start = clock()
        circuit = work.build()
        build_s = min(build_s, clock() - start)
    gate_rows = len(work.builder.rows)
    if circuit.common.degree_bits != log_rows:
        raise AssertionError(f"workload has 2^{circuit.common.degree_bits} rows, wanted 2^{log_rows}")
    inputs: Mapping[Target, int] = work.inputs
    witness_s, w = _best(lambda: circuit.generate_witness(inputs), repeat, clock)
    prove_s, best_times = float("inf"), ProvingTimes(clock=clock)
    proof = None
    for _ in range(repeat):
        times = ProvingTimes(clock=clock)
        start = clock()
        proof = circuit.prove_witness(w, times)  # type: ignore[arg-type]
        elapsed = clock() - start
        if elapsed < prove_s:
            prove_s, best_times = elapsed, times
    assert proof is not None
    verify_s, _ = _best(lambda: circuit.verify(proof), repeat, clock)
    return ProofBenchmark(
        log_rows=log_rows,
        gate_rows=gate_rows,
        poseidon_rows=work.poseidon_rows,
        construct=construct_s,
        build=build_s,
        witness=witness_s,
        prove=prove_s,
        stages=dict(best_times.stages),
        verify=verify_s,
        proof_bytes=len(proof_to_bytes(proof)),
    )


def rows_of(b: ProofBenchmark) -> list[Row]:
    """Table rows for one benchmark."""
    prefix = f"2^{b.log_rows}"
    rows: list[Row] = [
        (f"{prefix} gate rows (Poseidon2 rows)", b.gate_rows, f"rows ({b.poseidon_rows} Poseidon2)"),
        (f"{prefix} circuit construction (builder)", b.construct * 1e3, "ms"),
        (f"{prefix} build (keygen)", b.build * 1e3, "ms"),
        (f"{prefix} witness generation", b.witness * 1e3, "ms"),
        (f"{prefix} prove (total)", b.prove * 1e3, "ms"),
    ]
    rows += [(f"{prefix}   {stage}", seconds * 1e3, "ms") for stage, seconds in b.stages.items()]
    rows += [
        (f"{prefix} verify (native)", b.verify * 1e3, "ms"),
        (f"{prefix} proof size", b.proof_bytes, "bytes"),
    ]
    return rows


def bench_proof_system(
    log_sizes: tuple[int, ...] = SIZES, repeat: int = REPEAT, clock: Clock = time.perf_counter
) -> list[Row]:
    return [row for log_rows in log_sizes for row in rows_of(bench_circuit(log_rows, repeat, clock))]


def main(argv: list[str] | None = None) -> None:
    """``python -m circuits.bench_proof [--cpu] [log_rows ...]``: wall time, or CPU time with --cpu."""
    args = sys.argv[1:] if argv is None else argv
    clock: Clock = time.process_time if "--cpu" in args else time.perf_counter
    sizes = tuple(int(a) for a in args if a != "--cpu") or SIZES
    bench_circuit(SIZES[0], repeat=1)  # load (or compile) every kernel outside the timings
    print(f"{'CPU' if clock is time.process_time else 'wall'} time, best of {REPEAT}", flush=True)
    for log_rows in sizes:
        for name, value, unit in rows_of(bench_circuit(log_rows, clock=clock)):
            print(f"{name:<52}  {value:>14,.1f}  {unit}", flush=True)


if __name__ == "__main__":
    main()
