"""Witness generators for the gates the recursive verifier adds (reducing, FRI folding).

Kept apart from ``circuits.generators`` (the core gates); same ``Generator``
interface, run by the same worklist.
"""

from __future__ import annotations

from collections.abc import Sequence

from circuits.generators import Generator
from circuits.witness import Target, Witness
from verifier.extension import Ext
from verifier.gates.fri_fold import FriFoldGate
from verifier.gates.poseidon2_linear import Poseidon2LinearGate
from verifier.gates.reducing import ACC_IN, ALPHA, _ReducingBase
from verifier.poseidon2 import WIDTH, external_linear_layer, internal_linear_layer


class ReducingGenerator(Generator):
    """Fills a reducing row: every chunk accumulator and acc_out from alpha, acc_in and the coefficients."""

    def __init__(self, row_base: Target, gate: _ReducingBase) -> None:
        self.base = row_base
        self.gate = gate

    def dependencies(self) -> Sequence[Target]:
        g, b = self.gate, self.base
        deps = [b + ALPHA, b + ALPHA + 1, b + ACC_IN, b + ACC_IN + 1]
        for i in range(g.num_coeffs):
            deps += [b + c for c in g.coeff_wires(i)]
        return deps

    def run(self, w: Witness) -> None:
        g, b = self.gate, self.base
        alpha = Ext(*w.get_many((b + ALPHA, b + ALPHA + 1)))
        acc = Ext(*w.get_many((b + ACC_IN, b + ACC_IN + 1)))
        for j in range(g.num_chunks):
            for i in range(j * g.chunk, min((j + 1) * g.chunk, g.num_coeffs)):
                acc = acc * alpha + Ext(*w.get_many(b + c for c in g.coeff_wires(i)))
            a0, a1 = g.acc_wires(j + 1)
            w.set_many((b + a0, b + a1), (acc.a0, acc.a1))


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


class Poseidon2LinearGenerator(Generator):
    """Fills the outputs of a Poseidon2 linear-layer row (M_E or M_I over F_p2)."""

    def __init__(self, row_base: Target, external: bool) -> None:
        self.base = row_base
        self.external = external

    def dependencies(self) -> Sequence[Target]:
        return [self.base + w for lane in range(WIDTH) for w in Poseidon2LinearGate.in_wires(lane)]

    def run(self, w: Witness) -> None:
        b = self.base
        state = [Ext(*w.get_many(b + x for x in Poseidon2LinearGate.in_wires(lane))) for lane in range(WIDTH)]
        out = external_linear_layer(state) if self.external else internal_linear_layer(state)
        for lane, value in enumerate(out):
            w.set_many((b + x for x in Poseidon2LinearGate.out_wires(lane)), (value.a0, value.a1))
