"""F_p2 values inside a circuit: the third algebra of the generic constraint code.

An ``ExtValue`` is an F_p2 element held by targets of a builder. ``+ - *`` with
other ExtValues, Python ints and ``Ext`` constants place extension-arithmetic
ops (out = k0 x y + k1 z), so ``verifier.vanishing``, ``verifier.fri`` and the
gate definitions evaluate unchanged in-circuit: the recursive verifier checks
exactly what the native verifier checks.

Fusion. One extension op computes k0 x y + k1 z, but the generic code is
written with separate ``*`` and ``+``. Values are therefore kept *lazy* until
an op needs them as a single target pair:

* a scaled value k * t (multiplying by an int costs nothing),
* a product k * x * y (not yet placed).

Adding two lazy values places one op (``k0 x y + k1 z``); a product of two
values places at most the ops needed to materialize its factors. So
``a * 5 + b * 7`` is one op, ``acc * alpha + t`` is one op, and a value is
placed at most once (``t`` materializes and caches it).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Union

from circuits.builder import CircuitBuilder, ExtTarget
from circuits.witness import Target
from verifier.extension import Ext
from verifier.field import P

Operand = Union["ExtValue", Ext, int]

SHORT_REDUCTION = 8
"""Up to this many terms a reduction is placed as fused ops (one each) rather than a reducing row."""


class ExtValue:
    """An F_p2 element: ``scale * x * y`` (``y`` None: ``scale * x``) over target pairs of ``b``."""

    __slots__ = ("b", "scale", "x", "y")

    def __init__(self, b: CircuitBuilder, t: ExtTarget, scale: int = 1, y: ExtTarget | None = None) -> None:
        self.b = b
        self.x = t
        self.scale = scale % P
        self.y = y

    # ------------------------------------------------------------ construction
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

    # ------------------------------------------------------------ materializing
    @property
    def is_placed(self) -> bool:
        return self.y is None and self.scale == 1

    @property
    def t(self) -> ExtTarget:
        """The target pair holding this value (placing the pending op once)."""
        if not self.is_placed:
            b = self.b
            y = self.y if self.y is not None else b.ext_constant(1)
            self.x = b.ext_arithmetic(self.scale, 0, self.x, y, b.ext_constant(0))
            self.scale, self.y = 1, None
        return self.x

    def _coerce(self, other: Operand) -> ExtValue:
        return other if isinstance(other, ExtValue) else ExtValue.constant(self.b, other)

    def _linear(self) -> tuple[int, ExtTarget]:
        """(k, t) with self = k * t (placing a pending product)."""
        if self.y is not None:
            self.t  # noqa: B018 - materializes
        return self.scale, self.x

    # ------------------------------------------------------------ arithmetic
    def _add(self, other: ExtValue) -> ExtValue:
        first, second = (other, self) if self.y is None and other.y is not None else (self, other)
        k1, z = second._linear()
        y = first.y if first.y is not None else self.b.ext_constant(1)
        return ExtValue(self.b, self.b.ext_arithmetic(first.scale, k1, first.x, y, z))

    def __add__(self, other: Operand) -> ExtValue:
        if isinstance(other, int) and self.is_placed:
            return ExtValue(self.b, (self.b.add(self.x[0], self.b.constant(other)), self.x[1]))
        return self._add(self._coerce(other))

    __radd__ = __add__

    def __neg__(self) -> ExtValue:
        return ExtValue(self.b, self.x, -self.scale, self.y)

    def __sub__(self, other: Operand) -> ExtValue:
        if isinstance(other, int):
            return self + (-other)
        return self._add(-self._coerce(other))

    def __rsub__(self, other: Operand) -> ExtValue:
        return (-self) + other

    def __mul__(self, other: Operand) -> ExtValue:
        if isinstance(other, int):
            return ExtValue(self.b, self.x, self.scale * other, self.y)
        o = self._coerce(other)
        k0, x = self._linear()
        k1, y = o._linear()
        return ExtValue(self.b, x, k0 * k1, y)

    __rmul__ = __mul__

    def mul_add(self, y: Operand, z: Operand) -> ExtValue:
        """self * y + z (one op when z is already placed or scaled)."""
        return (self * y) + z

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

    def poseidon2_linear_layer(self, state: Sequence[Operand], external: bool) -> list[ExtValue]:
        """Poseidon2's M_E (or M_I) on 12 values in one gate row (hook of ``verifier.poseidon2``)."""
        outs = self.b.poseidon2_linear([self._coerce(v).t for v in state], external)
        return [ExtValue(self.b, t) for t in outs]

    # ------------------------------------------------------------ reductions
    def reduce_powers(self, terms: Sequence[Operand]) -> ExtValue:
        """sum_j self^j terms_j (hook used by ``verifier.vanishing.reduce_terms``).

        Long sums go to reducing-gate rows; a few terms are cheaper as fused ops.
        """
        if len(terms) <= SHORT_REDUCTION:
            acc = self._coerce(terms[-1])
            for t in reversed(terms[:-1]):
                acc = acc * self + t
            return acc
        return ExtValue(self.b, self.b.reduce_with_powers(self.t, [self._coerce(t).t for t in terms]))

    def reduce_base(self, values: Sequence[Target]) -> ExtValue:
        """sum_i self^i values_i for base-field targets (hook used by ``verifier.fri.reduce_base_values``)."""
        if len(values) <= SHORT_REDUCTION:
            return self.reduce_powers([ExtValue.lift(self.b, v) for v in values])
        return ExtValue(self.b, self.b.reduce_with_powers(self.t, list(values)))
