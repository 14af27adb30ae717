"""Generator of the reducing gates (``verifier/gates/reducing.py``)."""

from __future__ import annotations

from collections.abc import Sequence

from circuits.generators.base import Generator
from circuits.witness import Target, Witness
from verifier.extension import Ext
from verifier.gates.reducing import ACC_IN, ALPHA, ReducingBase


class ReducingGenerator(Generator):
    """Fills a reducing row: every chunk accumulator and acc_out from alpha, acc_in and the coefficients."""

    def __init__(self, row_base: Target, gate: ReducingBase) -> None:
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
