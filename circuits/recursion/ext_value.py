"""F_p2 values inside a circuit: the third algebra of the generic constraint code.

An ``ExtValue`` is an F_p2 element held by targets of a builder. ``+ - *`` with
other ExtValues, Python ints and ``Ext`` constants place extension-arithmetic
ops (out = k0 x y + k1 z), so ``verifier.vanishing``, ``verifier.fri`` and the
gate definitions evaluate unchanged in-circuit: the recursive verifier checks
exactly what the native verifier checks.

Fusion. One extension op computes k0 x y + k1 z, but the generic code is
written with separate ``*`` and ``+``. A value is therefore kept as *one
pending op* k0 x y + k1 z over placed target pairs (y may be 1, the k1 z term
absent) until something needs it as a single target pair:

* multiplying by an int only rescales the pending op;
* a product of two values is a pending op (placing at most the factors);
* a sum of a pending product and a scaled value is a pending op.

So ``a * 5 + b * 7``, ``acc * alpha + t`` and ``s - x`` are one op each, and a
value is placed at most once (``t`` places and caches it). A reduction
``sum_j alpha^j (s_j - x_j)`` of pending differences is split into two
reducing-gate chains instead of placing every difference.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Union

from circuits.builder import CircuitBuilder, ExtTarget
from circuits.witness import Target
from verifier.algebra import AlgebraDefaults
from verifier.extension import Ext
from verifier.field import P

Operand = Union["ExtValue", Ext, int]

SHORT_REDUCTION = 8
"""Up to this many terms a reduction is placed as fused ops (one each) rather than a reducing row."""

REDUCING_ROW_OPS = 10
"""Extension ops per arithmetic row: a reducing row costs as much as placing this many ops."""


class ExtValue(AlgebraDefaults):
    """An F_p2 element: the pending op ``k0 * x * y + k1 * z`` over target pairs of ``b``.

    ``y`` None means 1 and ``z`` None means no second term; with k0 = 1 and neither, the value
    is placed in ``x``.
    """

    __slots__ = ("b", "k0", "k1", "x", "y", "z")

    def __init__(
        self,
        b: CircuitBuilder,
        t: ExtTarget,
        scale: int = 1,
        y: ExtTarget | None = None,
        k1: int = 0,
        z: ExtTarget | None = None,
    ) -> None:
        self.b = b
        self.x = t
        self.k0 = scale % P
        self.y = y
        self.k1 = k1 % P
        self.z = z if self.k1 else None

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
        return self.k0 == 1 and self.y is None and self.z is None

    @property
    def t(self) -> ExtTarget:
        """The target pair holding this value (placing the pending op once)."""
        if not self.is_placed:
            b = self.b
            y = self.y if self.y is not None else b.ext_constant(1)
            z = self.z if self.z is not None else b.ext_constant(0)
            self.x = b.ext_arithmetic(self.k0, self.k1, self.x, y, z)
            self.k0, self.y, self.k1, self.z = 1, None, 0, None
        return self.x

    def _coerce(self, other: Operand) -> ExtValue:
        return other if isinstance(other, ExtValue) else ExtValue.constant(self.b, other)

    def _linear(self) -> tuple[int, ExtTarget]:
        """(k, t) with self = k * t (placing a pending product or sum)."""
        if self.y is not None or self.z is not None:
            self.t  # noqa: B018 - places
        return self.k0, self.x

    def _single(self) -> ExtValue:
        """self, with any second term placed (so one more term can be fused)."""
        if self.z is not None:
            self.t  # noqa: B018 - places
        return self

    def difference(self) -> tuple[ExtTarget, ExtTarget] | None:
        """(u, v) with self = u - v if self is a pending difference of placed values, else None."""
        if self.y is None and self.z is not None:
            if self.k0 == 1 and self.k1 == P - 1:
                return self.x, self.z
            if self.k0 == P - 1 and self.k1 == 1:
                return self.z, self.x
        return None

    # ------------------------------------------------------------ arithmetic
    def _add(self, other: ExtValue) -> ExtValue:
        a, c = self._single(), other._single()
        if c.y is not None:
            if a.y is not None:
                a.t  # noqa: B018 - both are products: place one
            a, c = c, a
        k1, z = c._linear()
        return ExtValue(self.b, a.x, a.k0, a.y, k1, z)

    def __add__(self, other: Operand) -> ExtValue:
        if isinstance(other, int) and self.is_placed:
            return ExtValue(self.b, (self.b.add(self.x[0], self.b.constant(other)), self.x[1]))
        return self._add(self._coerce(other))

    __radd__ = __add__

    def __neg__(self) -> ExtValue:
        return ExtValue(self.b, self.x, -self.k0, self.y, -self.k1, self.z)

    def __sub__(self, other: Operand) -> ExtValue:
        if isinstance(other, int):
            return self + (-other)
        # place a pending sum before negating, so self - other stays a pending difference
        return self._add(-self._coerce(other)._single())

    def __rsub__(self, other: Operand) -> ExtValue:
        return (-self) + other

    def __mul__(self, other: Operand) -> ExtValue:
        if isinstance(other, int):
            return ExtValue(self.b, self.x, self.k0 * other, self.y, self.k1 * other, self.z)
        o = self._coerce(other)
        k0, x = self._linear()
        k1, y = o._linear()
        return ExtValue(self.b, x, k0 * k1, y)

    __rmul__ = __mul__

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
        """Poseidon2's M_E (or M_I) on 12 values in one gate row, not ~45 ops (override of ``verifier.algebra``)."""
        outs = self.b.poseidon2_linear([self._coerce(v).t for v in state], external)
        return [ExtValue(self.b, t) for t in outs]

    # ------------------------------------------------------------ reductions
    def reduce_powers(self, terms: Sequence[Operand]) -> ExtValue:
        """sum_j self^j terms_j (override of ``verifier.algebra``).

        Long sums go to reducing-gate rows; a few terms are cheaper as fused ops. When many terms
        are pending differences u_j - v_j, the sum is computed as R(u) - R(v): two chains of
        reducing rows instead of placing one op per difference.
        """
        if len(terms) <= SHORT_REDUCTION:
            acc = self._coerce(terms[-1])
            for t in reversed(terms[:-1]):
                acc = acc * self + t
            return acc
        values = [self._coerce(t) for t in terms]
        splits = [v.difference() for v in values]
        per_row = self.b.reducing_gate(extension=True).num_coeffs
        rows = -(-len(values) // per_row)
        placed_differences = sum(d is not None for d in splits)
        if rows * REDUCING_ROW_OPS < placed_differences:
            zero = self.b.ext_constant(0)
            u = [d[0] if d is not None else v.t for d, v in zip(splits, values, strict=True)]
            w = [d[1] if d is not None else zero for d in splits]
            alpha = self.t
            return ExtValue(self.b, self.b.reduce_with_powers(alpha, u)) - ExtValue(
                self.b, self.b.reduce_with_powers(alpha, w)
            )
        return ExtValue(self.b, self.b.reduce_with_powers(self.t, [v.t for v in values]))

    def reduce_base(self, values: Sequence[Target]) -> ExtValue:
        """sum_i self^i values_i for base-field targets (override of ``verifier.algebra``)."""
        if len(values) <= SHORT_REDUCTION:
            return self.reduce_powers([ExtValue.lift(self.b, v) for v in values])
        return ExtValue(self.b, self.b.reduce_with_powers(self.t, list(values)))
