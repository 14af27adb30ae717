"""F_p2 values inside a circuit: the third algebra of the generic constraint code.

An ``ExtValue`` is a pair of targets (c0, c1) meaning c0 + c1 u (u^2 = 7) plus
the builder that owns them. ``+ - *`` with other ExtValues, Python ints and
``Ext`` constants place extension-arithmetic ops (out = k0 x y + k1 z), so
``verifier.vanishing`` and the gate definitions evaluate unchanged in-circuit:
the recursive verifier checks exactly what the native verifier checks.
"""

from __future__ import annotations

from typing import Union

from circuits.builder import CircuitBuilder, ExtTarget
from circuits.witness import Target
from verifier.extension import Ext
from verifier.field import P

Operand = Union["ExtValue", Ext, int]


class ExtValue:
    """An F_p2 element held by two targets of ``builder``."""

    __slots__ = ("b", "t")

    def __init__(self, b: CircuitBuilder, t: ExtTarget) -> None:
        self.b = b
        self.t = t

    @staticmethod
    def constant(b: CircuitBuilder, value: Ext | int) -> ExtValue:
        v = Ext.lift(value)
        return ExtValue(b, b.ext_constant(v.a0, v.a1))

    @staticmethod
    def lift(b: CircuitBuilder, base: Target) -> ExtValue:
        """A base-field target as an extension value (c1 = 0)."""
        return ExtValue(b, (base, b.zero()))

    @staticmethod
    def virtual(b: CircuitBuilder) -> ExtValue:
        return ExtValue(b, (b.add_virtual_target(), b.add_virtual_target()))

    def _coerce(self, other: Operand) -> ExtValue:
        return other if isinstance(other, ExtValue) else ExtValue.constant(self.b, other)

    def _one(self) -> ExtTarget:
        return self.b.ext_constant(1)

    def __add__(self, other: Operand) -> ExtValue:
        if isinstance(other, int):
            return ExtValue(self.b, (self.b.add_const(self.t[0], other % P), self.t[1]))
        return ExtValue(self.b, self.b.ext_arithmetic(1, 1, self.t, self._one(), self._coerce(other).t))

    __radd__ = __add__

    def __sub__(self, other: Operand) -> ExtValue:
        if isinstance(other, int):
            return self + (-other)
        return ExtValue(self.b, self.b.ext_arithmetic(1, -1, self.t, self._one(), self._coerce(other).t))

    def __rsub__(self, other: Operand) -> ExtValue:
        return ExtValue(self.b, self.b.ext_arithmetic(-1, 1, self.t, self._one(), self._coerce(other).t))

    def __neg__(self) -> ExtValue:
        zero = self.b.ext_constant(0)
        return ExtValue(self.b, self.b.ext_arithmetic(-1, 0, self.t, self._one(), zero))

    def __mul__(self, other: Operand) -> ExtValue:
        zero = self.b.ext_constant(0)
        if isinstance(other, int):
            return ExtValue(self.b, self.b.ext_arithmetic(other % P, 0, self.t, self._one(), zero))
        return ExtValue(self.b, self.b.ext_arithmetic(1, 0, self.t, self._coerce(other).t, zero))

    __rmul__ = __mul__

    def mul_add(self, y: Operand, z: Operand) -> ExtValue:
        """self * y + z in one op."""
        return ExtValue(self.b, self.b.ext_arithmetic(1, 1, self.t, self._coerce(y).t, self._coerce(z).t))

    def inverse(self) -> ExtValue:
        """self^-1 from a hint, constrained by self * inv == 1 (unprovable if self == 0)."""

        def invert(v: list[int]) -> list[int]:
            inv = Ext(v[0], v[1]).inverse()
            return [inv.a0, inv.a1]

        c0, c1 = self.b.add_hint(list(self.t), 2, invert)
        inv = ExtValue(self.b, (c0, c1))
        (self * inv).assert_equal(ExtValue.constant(self.b, 1))
        return inv

    def __truediv__(self, other: Operand) -> ExtValue:
        return self * self._coerce(other).inverse()

    def __pow__(self, exponent: int) -> ExtValue:
        result: ExtValue | None = None
        base = self
        while exponent:
            if exponent & 1:
                result = base if result is None else result * base
            exponent >>= 1
            if exponent:
                base = base * base
        return result if result is not None else ExtValue.constant(self.b, 1)

    def assert_equal(self, other: Operand) -> None:
        o = self._coerce(other)
        self.b.connect(self.t[0], o.t[0])
        self.b.connect(self.t[1], o.t[1])
