"""Generator of the FRI folding gate (``verifier/gates/fri_fold.py``)."""

from __future__ import annotations

from collections.abc import Sequence

from circuits.generators.base import Generator
from circuits.witness import Target, Witness
from verifier.extension import Ext
from verifier.gates.fri_fold import FriFoldGate


class FriFoldGenerator(Generator):
    """Fills one copy of a FRI folding row: the chunk accumulators and the folded value."""

    def __init__(self, row_base: Target, gate: FriFoldGate, copy: int) -> None:
        self.base = row_base
        self.gate = gate
        self.copy = copy

    def dependencies(self) -> Sequence[Target]:
        g, b, c = self.gate, self.base, self.copy
        deps = [b + x for x in g.point_wires(c)]
        for k in range(g.arity):
            deps += [b + x for x in g.eval_wires(c, k)]
        return deps

    def run(self, w: Witness) -> None:
        g, b, c = self.gate, self.base, self.copy
        point = Ext(*w.get_many(b + x for x in g.point_wires(c)))
        evals = [Ext(*w.get_many(b + x for x in g.eval_wires(c, k))) for k in range(g.arity)]
        for wires, value in zip(g.acc_wire_pairs(c), g.accumulators(evals, point), strict=True):
            w.set_many((b + wires[0], b + wires[1]), (value.a0, value.a1))
