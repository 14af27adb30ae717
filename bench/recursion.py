"""Size and cost of the recursion circuit: ``python -m bench.recursion [--rows-only]`` (from the repository root).

Prints, for the universal 2-to-1 aggregation circuit (two full in-circuit
verifiers):

* the rows it needs to verify proofs of a 2^13 and a 2^14 shape, by gate type
  (the fixed point is the smallest shape the circuit fits in), and where the
  rows of one verifier go;
* at the fixed point: degree, key generation, witness generation and proving
  time, proof size, and native verification time of an aggregation proof.

Two schemes are measured: the test scheme of ``tests/circuits/test_aggregation.py``
(statement = two sums) and the rollup's block scheme (``rollup.circuits.block``).
Times are process CPU seconds (best of ``REPEAT``, :mod:`bench.timing`), so other
load on a shared machine does not count; set ``NUMBA_NUM_THREADS=1`` to time on one core.
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Sequence
from typing import Any

from bench.timing import CPU, REPEAT, best_of, best_seconds
from circuits.builder import CircuitBuilder
from circuits.recursion.aggregation import (
    AggregationScheme,
    ChildProof,
    Whitelist,
    _aggregation_builder,
    build_aggregation_circuit,
    set_child_inputs,
)
from circuits.witness import Target
from rollup.circuits.block import block_scheme
from rollup.params import GLOBAL_TREE_DEPTH
from verifier.plonk import verify_proof
from verifier.serialization import proof_to_bytes


def _sum_combine(b: CircuitBuilder, left: Sequence[Target], right: Sequence[Target]) -> tuple[list[Target], None]:
    return [b.add(left[0], right[0]), b.add(left[1], right[1])], None


TEST_SCHEME = AggregationScheme(statement_len=2, whitelist_depth=3, combine=_sum_combine)


def rows_by_gate(scheme: AggregationScheme, degree_bits: int) -> tuple[int, Counter[str]]:
    """Rows of the aggregation circuit verifying proofs of the 2^degree_bits universal shape."""
    b, *_ = _aggregation_builder(scheme, (scheme.shape(degree_bits),) * 2)
    total = b.finalize()
    return total, Counter(r.gate.name for r in b.rows)


COMPONENTS = (
    ("Merkle paths and leaves", "verify_merkle_proof_circuit"),
    ("FRI batching (combine_initial)", "combine_initial"),
    ("FRI points from query bits", "point_from_bits"),
    ("FRI folding, coset checks", "verify_fri_circuit"),
    ("final polynomial", "evaluate_poly_circuit"),
    ("query index bits", "challenge_bits"),
    ("transcript (FRI part)", "fri_challenges_circuit"),
    ("gate constraints at zeta", "eval_constraints"),
    ("permutation argument at zeta", "permutation_terms"),
    ("transcript, public inputs, vanishing sums", "verify_proof_circuit"),
)


def rows_by_component(scheme: AggregationScheme, degree_bits: int) -> Counter[str]:
    """Rows of the aggregation circuit attributed to the innermost listed function that placed them."""
    counts: Counter[str] = Counter()
    original = CircuitBuilder.add_gate
    names = {fn: label for label, fn in COMPONENTS}

    def add_gate(self: CircuitBuilder, gate: Any, constants: Sequence[int] = ()) -> int:
        frame = sys._getframe(1)
        label = "other"
        while frame is not None:
            if frame.f_code.co_name in names:
                label = names[frame.f_code.co_name]
                break
            frame = frame.f_back  # type: ignore[assignment]
        counts[label] += 1
        return original(self, gate, constants)

    CircuitBuilder.add_gate = add_gate  # type: ignore[method-assign]
    try:
        b, *_ = _aggregation_builder(scheme, (scheme.shape(degree_bits),) * 2)
        b.finalize()
    finally:
        CircuitBuilder.add_gate = original  # type: ignore[method-assign]
    return counts


def print_rows(label: str, scheme: AggregationScheme) -> None:
    for bits in (13, 14):
        total, counts = rows_by_gate(scheme, bits)
        fits = "fits" if total <= 1 << bits else "does not fit"
        print(f"{label}: verifying 2^{bits} proofs needs {total} rows ({fits} 2^{bits})")
        for name, n in counts.most_common():
            print(f"    {name:28s} {n:6d}")


def aggregation_inputs(scheme: AggregationScheme) -> tuple[float, Any, dict[Target, int]]:
    """(CPU seconds to build, the aggregation circuit at the fixed point, the inputs aggregating two leaf proofs)."""
    build, agg = best_of(lambda: build_aggregation_circuit(scheme), 1, CPU)
    b = CircuitBuilder(scheme.config)
    x = b.add_virtual_target()
    root = scheme.register_leaf_statement(b, [b.mul(x, x), b.one()])
    leaf = b.build(agg.shape)
    whitelist = Whitelist([leaf.verifier_key.circuit_digest, agg.verifier_key.circuit_digest], scheme.whitelist_depth)
    children = [
        ChildProof(leaf.prove({x: v, **dict(zip(root, whitelist.root, strict=True))}), leaf.verifier_key)
        for v in (3, 4)
    ]
    inputs: dict[Target, int] = dict(zip(agg.whitelist_root, whitelist.root, strict=True))
    for child, targets in zip(children, agg.children, strict=True):
        set_child_inputs(inputs, targets, child, agg.shape, whitelist)
    return build, agg, inputs


def timings(scheme: AggregationScheme) -> None:
    """Build at the fixed point, aggregate two leaf proofs, verify natively."""
    build, agg, inputs = aggregation_inputs(scheme)
    witness, w = best_of(lambda: agg.circuit.generate_witness(inputs), REPEAT, CPU)
    prove, proof = best_of(lambda: agg.circuit.prove_witness(w), REPEAT, CPU)
    verify = best_seconds(lambda: verify_proof(agg.verifier_key, proof.proof, proof.public_inputs), REPEAT, CPU)
    size = len(proof_to_bytes(proof))
    print(f"fixed point: 2^{agg.shape.degree_bits} rows, {len(agg.shape.gates)} gate types (CPU seconds)")
    print(f"    keys                   {build:7.2f} s")
    print(f"    witness generation     {witness:7.2f} s")
    print(f"    proving                {prove:7.2f} s")
    print(f"    proof size             {size / 1024:7.1f} KiB")
    print(f"    native verification    {verify * 1000:7.1f} ms")


def main(argv: Sequence[str] = ()) -> None:
    print_rows("test scheme", TEST_SCHEME)
    print("test scheme, verifying 2^13 proofs: rows by component (two verifiers)")
    for name, n in rows_by_component(TEST_SCHEME, 13).most_common():
        print(f"    {name:44s} {n:6d}")
    print_rows(f"block scheme (depth {GLOBAL_TREE_DEPTH})", block_scheme(GLOBAL_TREE_DEPTH))
    if "--rows-only" not in argv:
        timings(TEST_SCHEME)


if __name__ == "__main__":
    main(sys.argv[1:])
