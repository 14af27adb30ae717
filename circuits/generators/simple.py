"""Generators of the gates in ``verifier/gates/simple.py``: constants and base/extension arithmetic."""

from __future__ import annotations

from collections.abc import Sequence

from circuits.generators.base import Generator
from circuits.witness import Target, Witness
from verifier import field
from verifier.extension import Ext
from verifier.gates.simple import ArithmeticExtensionGate, ArithmeticGate


class ConstantGenerator(Generator):
    """Sets a target to a fixed value (constant-gate wires)."""

    def __init__(self, target: Target, value: int) -> None:
        self.target = target
        self.value = value

    def dependencies(self) -> Sequence[Target]:
        return ()

    def run(self, w: Witness) -> None:
        w.set(self.target, self.value)


class ArithmeticGenerator(Generator):
    """out = c0*x*y + c1*z for one op of an arithmetic gate."""

    def __init__(self, row_base: Target, op: int, c0: int, c1: int) -> None:
        self.x, self.y, self.z, self.out = (row_base + c for c in ArithmeticGate.wires_of_op(op))
        self.c0, self.c1 = c0, c1

    def dependencies(self) -> Sequence[Target]:
        return (self.x, self.y, self.z)

    def run(self, w: Witness) -> None:
        x, y, z = w.get(self.x), w.get(self.y), w.get(self.z)
        w.set(self.out, (self.c0 * x * y + self.c1 * z) % field.P)


class ArithmeticExtensionGenerator(Generator):
    """out = c0*x*y + c1*z over F_p2 for one op of an extension arithmetic gate."""

    def __init__(self, row_base: Target, op: int, c0: int, c1: int) -> None:
        self.x, self.y, self.z, self.out = (
            (row_base + a, row_base + b) for a, b in ArithmeticExtensionGate.wires_of_op(op)
        )
        self.c0, self.c1 = c0, c1

    def dependencies(self) -> Sequence[Target]:
        return (*self.x, *self.y, *self.z)

    def run(self, w: Witness) -> None:
        x = Ext(*w.get_many(self.x))
        y = Ext(*w.get_many(self.y))
        z = Ext(*w.get_many(self.z))
        r = x * y * self.c0 + z * self.c1
        w.set_many(self.out, [r.a0, r.a1])
