"""Generators of the gates in ``verifier/gates/decomposition.py``: base-B limbs and random access."""

from __future__ import annotations

from collections.abc import Sequence

from circuits.generators.base import Generator
from circuits.witness import Target, Witness
from verifier.gates.decomposition import BaseSumGate, RandomAccessGate


class BaseSumGenerator(Generator):
    """Splits the sum wire into little-endian base-B limbs."""

    def __init__(self, row_base: Target, gate: BaseSumGate) -> None:
        self.base = row_base
        self.gate = gate

    def dependencies(self) -> Sequence[Target]:
        return (self.base + BaseSumGate.SUM,)

    def run(self, w: Witness) -> None:
        value = w.get(self.base + BaseSumGate.SUM)
        limbs = []
        for i in range(self.gate.num_limbs):
            value, limb = divmod(value, self.gate.base)
            limbs.append(limb)
            w.set(self.base + self.gate.limb_wire(i), limb)
        if value:
            raise ValueError(
                f"value does not fit in {self.gate.num_limbs} base-{self.gate.base} limbs (range check failed)"
            )


class RandomAccessGenerator(Generator):
    """claimed = items[index] and the index bits, for one copy of a random-access gate."""

    def __init__(self, row_base: Target, gate: RandomAccessGate, copy: int) -> None:
        self.base = row_base
        self.gate = gate
        self.copy = copy

    def dependencies(self) -> Sequence[Target]:
        g, c = self.gate, self.copy
        return [self.base + g.index_wire(c)] + [self.base + g.item_wire(c, i) for i in range(g.vector_size)]

    def run(self, w: Witness) -> None:
        g, c = self.gate, self.copy
        index = w.get(self.base + g.index_wire(c))
        if index >= g.vector_size:
            raise ValueError(f"random access index {index} out of range 0..{g.vector_size - 1}")
        for i in range(g.bits):
            w.set(self.base + g.bit_wire(c, i), (index >> i) & 1)
        w.set(self.base + g.claimed_wire(c), w.get(self.base + g.item_wire(c, index)))
