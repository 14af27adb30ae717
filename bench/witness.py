"""Witness generation: the dependency worklist vs the replay of its recorded order.

The first fill of a circuit with a given set of input targets runs the
worklist and records the order the generators ran in; later fills replay it
(:class:`circuits.generators.WitnessPlan`). Before/after in one run,
interleaved, CPU time, best of ``repeat``: "worklist" fills with a fresh plan
(what every fill did before), "replayed" with the circuit's own plan. The
witnesses are checked equal. Workloads: the 2^13-row Merkle workload of
:mod:`bench.proof` and, with ``--aggregation``, the aggregation circuit of
:mod:`bench.recursion` (test scheme; building its keys takes a while).

``python -m bench.witness [repeat] [--aggregation]`` from the repository root.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping

import numpy as np

from bench.proof import merkle_workload
from bench.timing import CPU, REPEAT, Row, best_seconds, print_rows
from circuits.circuit_data import CircuitData
from circuits.generators import WitnessPlan, generate_witness
from circuits.witness import Target, Witness


def compare(label: str, circuit: CircuitData, inputs: Mapping[Target, int], repeat: int = REPEAT) -> list[Row]:
    """Rows: best CPU time of a worklist fill and of a replayed fill of ``circuit``."""
    cfg, n = circuit.common.config, circuit.common.degree

    def worklist() -> Witness:
        plan = WitnessPlan(circuit.copy_classes)
        return generate_witness(cfg.num_wires, n, circuit.copy_classes, circuit.generators, inputs, plan)

    def replayed() -> Witness:
        return circuit.generate_witness(inputs)

    if not np.array_equal(worklist().wires, replayed().wires):
        raise AssertionError("the two fills differ")
    best = {"worklist": float("inf"), "replayed": float("inf")}
    for _ in range(repeat):
        for name, fill in (("worklist", worklist), ("replayed", replayed)):
            best[name] = min(best[name], best_seconds(fill, repeat=1, clock=CPU))
    return [
        (f"{label}: worklist fill (before)", best["worklist"] * 1e3, "ms CPU"),
        (f"{label}: replayed order (after)", best["replayed"] * 1e3, "ms CPU"),
    ]


def main(argv: list[str] | None = None) -> None:
    """``python -m bench.witness [repeat] [--aggregation]``."""
    args = sys.argv[1:] if argv is None else argv
    numbers = [int(a) for a in args if a.isdigit()]
    repeat = numbers[0] if numbers else REPEAT
    print(f"load average at start {os.getloadavg()[0]:.2f} ({os.cpu_count()} CPUs)", flush=True)
    work = merkle_workload(13)
    assert work.circuit is not None
    rows = compare(
        f"Merkle workload 2^13 ({len(work.circuit.generators):,} generators)", work.circuit, work.inputs, repeat
    )
    if "--aggregation" in args:
        from bench.recursion import TEST_SCHEME, aggregation_inputs

        _, agg, inputs = aggregation_inputs(TEST_SCHEME)
        label = f"aggregation 2^{agg.shape.degree_bits} ({len(agg.circuit.generators):,} generators)"
        rows += compare(label, agg.circuit, inputs, repeat)
    print_rows(rows)
    print(f"load average at end {os.getloadavg()[0]:.2f}", flush=True)


if __name__ == "__main__":
    main()
