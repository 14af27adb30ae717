"""Benchmarks of the proof system: keygen, witness generation, proving (per stage), verification, size.

The workload is a realistic mix for this rollup: Merkle-path checks (one
Poseidon2 row per level, the index bits range-checked with arithmetic ops)
plus arithmetic rows (a running polynomial hash of the leaves), sized so the
circuit has exactly 2^k rows after padding. About half the rows are Poseidon2
rows.

Each ``bench_*`` function returns rows (name, value, unit); every figure is the
best of ``REPEAT`` runs (:mod:`bench.timing`). ``python -m bench.proof [--cpu]
[log_rows ...]`` (from the repository root) prints a table, in wall time or
(``--cpu``) in CPU time, which the other jobs of a shared machine disturb far
less.
"""

from __future__ import annotations

import random
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field

from bench.timing import CPU, REPEAT, WALL, Clock, Row, best_of, print_rows
from circuits.builder import CircuitBuilder, DigestTarget
from circuits.circuit_data import CircuitData
from circuits.witness import Target
from prover.plonk_prover import ProvingTimes
from verifier.config import STANDARD_CONFIG, ProofConfig
from verifier.field import P
from verifier.hashing import Digest
from verifier.merkle import compute_root_from_path
from verifier.proof import CommonData, ProofWithPublicInputs
from verifier.serialization import proof_to_bytes

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
    common: CommonData | None = None
    """The circuit's common data (its key's parameters)."""


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


def merkle_builder(log_rows: int, seed: int = 1, config: ProofConfig = STANDARD_CONFIG) -> Workload:
    """Merkle paths of depth ``MERKLE_DEPTH`` and an arithmetic chain filling a 2^log_rows circuit."""
    rng = random.Random(seed)
    target = (1 << log_rows) - ROW_MARGIN
    b = CircuitBuilder(config)
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


def bench_circuit(
    log_rows: int, repeat: int = REPEAT, clock: Clock = WALL, config: ProofConfig = STANDARD_CONFIG
) -> ProofBenchmark:
    """Build, fill, prove and verify the Merkle workload of 2^log_rows rows under ``config`` (best of
    ``repeat`` each).

    ``clock`` is wall time by default; pass ``bench.timing.CPU`` for CPU time.
    The proving stages are those of the fastest proof.
    """
    construct_s = build_s = float("inf")
    for _ in range(max(1, repeat)):  # each run builds the circuit it constructed: one timer per stage
        construct, work = best_of(lambda: merkle_builder(log_rows, config=config), 1, clock)
        build, circuit = best_of(work.build, 1, clock)
        construct_s, build_s = min(construct_s, construct), min(build_s, build)
    gate_rows = len(work.builder.rows)
    if circuit.common.degree_bits != log_rows:
        raise AssertionError(f"workload has 2^{circuit.common.degree_bits} rows, wanted 2^{log_rows}")
    inputs: Mapping[Target, int] = work.inputs
    witness_s, w = best_of(lambda: circuit.generate_witness(inputs), repeat, clock)

    def prove() -> tuple[ProofWithPublicInputs, ProvingTimes]:
        times = ProvingTimes(clock=clock)
        return circuit.prove_witness(w, times), times

    prove_s, (proof, best_times) = best_of(prove, repeat, clock)
    verify_s = best_of(lambda: circuit.verify(proof), repeat, clock).seconds
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
        common=circuit.common,
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


def bench_proof_system(log_sizes: tuple[int, ...] = SIZES, repeat: int = REPEAT, clock: Clock = WALL) -> list[Row]:
    """The rows of :func:`bench_circuit` for each size."""
    return [row for log_rows in log_sizes for row in rows_of(bench_circuit(log_rows, repeat, clock))]


def main(argv: list[str] | None = None) -> None:
    """``python -m bench.proof [--cpu] [log_rows ...]``: wall time, or CPU time with --cpu."""
    args = sys.argv[1:] if argv is None else argv
    clock = CPU if "--cpu" in args else WALL
    sizes = tuple(int(a) for a in args if a != "--cpu") or SIZES
    bench_circuit(SIZES[0], repeat=1)  # load (or compile) every kernel outside the timings
    print(f"{'CPU' if clock is CPU else 'wall'} time, best of {REPEAT}", flush=True)
    for log_rows in sizes:
        print_rows(rows_of(bench_circuit(log_rows, clock=clock)))


if __name__ == "__main__":
    main()
