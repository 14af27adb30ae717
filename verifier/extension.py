"""The quadratic extension F_p2 = F_p[X] / (X^2 - W), W = 7.

7 is a quadratic non-residue mod p (7^((p-1)/2) = -1), so X^2 - 7 is
irreducible and F_p2 is a field with p^2 ~ 2^128 elements. Verifier
challenges (zeta, alpha, beta, gamma, FRI folding) are drawn from it, so
Schwartz-Zippel errors are deg/p^2 rather than deg/p.

An element a0 + a1*X is an immutable :class:`Ext`. Arithmetic:

    (a0 + a1 X)(b0 + b1 X) = (a0 b0 + W a1 b1) + (a0 b1 + a1 b0) X
    (a0 + a1 X)^-1        = (a0 - a1 X) / (a0^2 - W a1^2)

Base-field ints mix freely with Ext on either side of +, -, *.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from verifier.algebra import AlgebraDefaults
from verifier.field import P, canonical

W: int = 7
"""The non-residue defining the extension: X^2 = W."""

EXTENSION_DEGREE: int = 2


class Ext(AlgebraDefaults):
    """An element a0 + a1*X of F_p2 with canonical coordinates (the native verifier's algebra)."""

    __slots__ = ("a0", "a1")

    a0: int
    a1: int

    def __init__(self, a0: int, a1: int = 0) -> None:
        self.a0 = a0 % P
        self.a1 = a1 % P

    @staticmethod
    def from_canonical(a0: int, a1: int) -> Ext:
        """Build from untrusted coordinates, rejecting non-canonical values."""
        return Ext(canonical(a0), canonical(a1))

    @staticmethod
    def lift(x: int | Ext) -> Ext:
        """View a base-field element as an extension element."""
        return x if isinstance(x, Ext) else Ext(x, 0)

    def is_base(self) -> bool:
        return self.a1 == 0

    def __repr__(self) -> str:
        return f"Ext({self.a0:#x}, {self.a1:#x})"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, int):
            return self.a1 == 0 and self.a0 == other % P
        if isinstance(other, Ext):
            return self.a0 == other.a0 and self.a1 == other.a1
        return NotImplemented

    def __hash__(self) -> int:
        return hash((self.a0, self.a1))

    def __add__(self, other: int | Ext) -> Ext:
        if isinstance(other, Ext):
            return Ext(self.a0 + other.a0, self.a1 + other.a1)
        return Ext(self.a0 + other, self.a1)

    __radd__ = __add__

    def __sub__(self, other: int | Ext) -> Ext:
        if isinstance(other, Ext):
            return Ext(self.a0 - other.a0, self.a1 - other.a1)
        return Ext(self.a0 - other, self.a1)

    def __rsub__(self, other: int) -> Ext:
        return Ext(other - self.a0, -self.a1)

    def __neg__(self) -> Ext:
        return Ext(-self.a0, -self.a1)

    def __mul__(self, other: int | Ext) -> Ext:
        if isinstance(other, Ext):
            a0, a1, b0, b1 = self.a0, self.a1, other.a0, other.a1
            return Ext(a0 * b0 + W * a1 * b1, a0 * b1 + a1 * b0)
        return Ext(self.a0 * other, self.a1 * other)

    __rmul__ = __mul__

    def square(self) -> Ext:
        return self * self

    def inverse(self) -> Ext:
        norm = (self.a0 * self.a0 - W * self.a1 * self.a1) % P
        if norm == 0:
            raise ZeroDivisionError("0 has no inverse in F_p2")
        n_inv = pow(norm, P - 2, P)
        return Ext(self.a0 * n_inv, -self.a1 * n_inv)

    def __truediv__(self, other: int | Ext) -> Ext:
        return self * Ext.lift(other).inverse()

    def __rtruediv__(self, other: int) -> Ext:
        return Ext(other) * self.inverse()

    def __pow__(self, exponent: int) -> Ext:
        if exponent < 0:
            return self.inverse() ** (-exponent)
        result = Ext(1)
        base = self
        while exponent:
            if exponent & 1:
                result = result * base
            base = base * base
            exponent >>= 1
        return result

    def reduce_base(self, values: Sequence[int]) -> Ext:
        """sum_i self^i values_i for base-field ints: Horner on the coordinates, one reduction per step."""
        a0, a1, w1 = self.a0, self.a1, W * self.a1 % P
        s0 = s1 = 0
        for v in reversed(values):
            s0, s1 = (s0 * a0 + s1 * w1 + v) % P, (s0 * a1 + s1 * a0) % P
        return Ext(s0, s1)


ZERO = Ext(0)
ONE = Ext(1)


def ext_sum(values: Iterable[Ext | int]) -> Ext:
    """Sum of extension (or base) elements, reducing once at the end."""
    s0 = 0
    s1 = 0
    for v in values:
        if isinstance(v, Ext):
            s0 += v.a0
            s1 += v.a1
        else:
            s0 += v
    return Ext(s0, s1)


def ext_batch_inverse(values: Sequence[Ext]) -> list[Ext]:
    """Inverses of all values with one extension inversion (Montgomery's trick)."""
    n = len(values)
    if n == 0:
        return []
    prefix: list[Ext] = []
    acc = ONE
    for v in values:
        acc = acc * v
        prefix.append(acc)
    inv_acc = acc.inverse()
    out = [ZERO] * n
    for i in range(n - 1, 0, -1):
        out[i] = inv_acc * prefix[i - 1]
        inv_acc = inv_acc * values[i]
    out[0] = inv_acc
    return out


def reduce_with_powers(values: Sequence[Ext | int], alpha: Ext) -> Ext:
    """Horner evaluation sum_i values[i] * alpha^i (the batching combination)."""
    acc = ZERO
    for v in reversed(values):
        acc = acc * alpha + v
    return acc
