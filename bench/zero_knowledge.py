"""The cost of zero knowledge, measured side by side in one run (CPU time, best of ``--repeat``).

* Session proofs: the session circuit of ``ops`` slots of any kind proving a session of ``ops`` sends, built with
  ``STANDARD_CONFIG`` and with ``STANDARD_ZK_CONFIG``: proving CPU time, proof size, rows
  (gate rows and the padded 2^k); and the block tree's full session in the tree's plain
  shape and in the ZK leaf shape the tree uses.
* Aggregation over ZK children: the universal 2-to-1 aggregation circuit of the block tree's
  shape verifying two plain leaves, and its variant verifying two ZK leaves of the same
  degree (``circuits.recursion.aggregation.build_aggregation_variant``): proving CPU time.

``python -m bench.zero_knowledge [--repeat N] [--ops N ...]`` (from the repository root) prints a
Markdown table (docs/benchmarks.md records one run).
"""

from __future__ import annotations

import argparse
import functools
from collections.abc import Sequence
from typing import Any

from bench.timing import CPU, best_seconds
from bench.workload import send_block
from circuits.builder import CircuitBuilder
from circuits.recursion.aggregation import (
    AggregationCircuit,
    AggregationScheme,
    ChildProof,
    Whitelist,
    build_aggregation_circuit,
    build_aggregation_variant,
)
from circuits.witness import Target, Witness
from rollup.block_proving import rollup_circuits
from rollup.circuits.session import SessionCircuit
from rollup.execution import execute_session
from rollup.params import SESSION_SLOTS
from rollup.slot_layout import FULL_SESSION_LAYOUT, SlotLayout
from verifier.config import STANDARD_CONFIG, STANDARD_ZK_CONFIG
from verifier.proof import CommonData
from verifier.serialization import proof_to_bytes

Row = dict[str, Any]


def _session_row(what: str, circuit: SessionCircuit, witness: Witness, repeat: int) -> Row:
    proof = circuit.data.prove_witness(witness)  # also loads the kernels before timing
    return {
        "what": what,
        "cpu_s": best_seconds(functools.partial(circuit.data.prove_witness, witness), repeat, CPU),
        "bytes": len(proof_to_bytes(proof)),
        "gate_rows": circuit.gate_rows,
        "degree_bits": circuit.degree_bits,
    }


def session_rows(ops: int, repeat: int) -> list[Row]:
    """One row per configuration for the session circuit of ``ops`` slots of any kind holding ``ops`` sends."""
    block = send_block(ops, ops_per_session=ops)
    trace = execute_session(block.state, block.sessions[0]).trace
    rows = []
    for name, config in (("plain", STANDARD_CONFIG), ("zero knowledge", STANDARD_ZK_CONFIG)):
        circuit = SessionCircuit.build(SlotLayout.of_any(ops), config)
        rows.append(
            _session_row(f"session proof, {ops} sends, {name}", circuit, circuit.generate_witness(trace), repeat)
        )
    return rows


def tree_session_rows(repeat: int) -> list[Row]:
    """The block tree's full session (SESSION_SLOTS slots, 2^13 rows): the tree's plain shape, and its ZK leaf shape."""
    block = send_block(SESSION_SLOTS)
    trace = execute_session(block.state, block.sessions[0]).trace
    blocks = rollup_circuits().blocks
    tree = blocks.aggregation.shape
    root = blocks.whitelist.root
    rows = []
    for name, shape in (("plain", tree), ("zero knowledge", blocks.scheme.zk_leaf_shape(tree.degree_bits))):
        circuit = SessionCircuit.build(FULL_SESSION_LAYOUT, shape.config, tree_shape=shape)
        witness = circuit.generate_witness(trace, whitelist_root=root)
        rows.append(_session_row(f"tree session proof, {SESSION_SLOTS} sends, {name}", circuit, witness, repeat))
    return rows


def _sum(b: CircuitBuilder, left: Sequence[Target], right: Sequence[Target]) -> tuple[list[Target], None]:
    return [b.add(x, y) for x, y in zip(left, right, strict=True)], None


def _leaf(scheme: AggregationScheme, shape: CommonData, whitelist_root: Sequence[int]) -> ChildProof:
    """A leaf of ``shape`` proving (x^2, 1), so aggregation's own work is only verification."""
    b = CircuitBuilder(shape.config)
    x = b.add_virtual_target()
    root = scheme.register_leaf_statement(b, [b.mul(x, x), b.one()])
    circuit = b.build(shape)
    return ChildProof(circuit.prove({x: 3, **dict(zip(root, whitelist_root, strict=True))}), circuit.verifier_key)


def aggregation_rows(repeat: int) -> list[Row]:
    """Aggregation proving time over two plain leaves, and over two ZK leaves of the same degree."""
    scheme = AggregationScheme(statement_len=2, whitelist_depth=3, combine=_sum)
    plain = build_aggregation_circuit(scheme)
    zk_shape = scheme.zk_leaf_shape(plain.shape.degree_bits)
    variant = build_aggregation_variant(scheme, plain.shape, (zk_shape, zk_shape))
    circuits: list[tuple[str, AggregationCircuit, CommonData]] = [
        ("plain", plain, plain.shape),
        ("zero knowledge", variant, zk_shape),
    ]
    # Leaf keys do not depend on the whitelist root (a public input), so one whitelist holds them all.
    keys = [_leaf(scheme, shape, [0] * 4).vk.circuit_digest for _, _, shape in circuits]
    whitelist = Whitelist([*keys, plain.verifier_key.circuit_digest, variant.verifier_key.circuit_digest], 3)
    rows = []
    for name, circuit, shape in circuits:
        leaf = _leaf(scheme, shape, whitelist.root)
        proof = circuit.prove(leaf, leaf, whitelist)
        seconds = best_seconds(functools.partial(circuit.prove, leaf, leaf, whitelist), repeat, CPU)
        rows.append(
            {
                "what": f"aggregation of two {name} children",
                "cpu_s": seconds,
                "bytes": len(proof_to_bytes(proof)),
                "gate_rows": sum(1 for gate in circuit.circuit.row_gates if gate.num_constraints),
                "degree_bits": circuit.shape.degree_bits,
            }
        )
    return rows


def table(rows: Sequence[Row]) -> str:
    """Markdown: each ZK row is followed by its cost relative to the plain row before it."""
    out = [
        "| measurement | CPU time (s) | vs plain | proof size (KiB) | rows (gates / 2^k) |",
        "|---|---:|---:|---:|---:|",
    ]
    plain: Row | None = None
    for row in rows:
        ratio = "" if plain is None or "plain" in row["what"] else f"{row['cpu_s'] / plain['cpu_s'] - 1:+.0%}"
        plain = row if "plain" in row["what"] else plain
        out.append(
            f"| {row['what']} | {row['cpu_s']:.2f} | {ratio} | {row['bytes'] / 1024:.0f} | "
            f"{row['gate_rows']} / 2^{row['degree_bits']} |"
        )
    return "\n".join(out)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--ops", type=int, nargs="*", default=[1, 32], help="sends per measured session")
    args = parser.parse_args(argv)
    rows = [row for ops in args.ops for row in session_rows(ops, args.repeat)]
    rows += tree_session_rows(args.repeat) + aggregation_rows(args.repeat)
    print(table(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
