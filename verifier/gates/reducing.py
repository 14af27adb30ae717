"""Reducing gates: many Horner steps acc <- acc * alpha + c in one row (Plonky2's ReducingGate).

Both compute, for an F_p2 value alpha and coefficients c_0 .. c_{m-1},

    acc_out = (...((acc_in * alpha + c_0) * alpha + c_1) ...) * alpha + c_{m-1}
            = acc_in * alpha^m + sum_i c_i alpha^(m-1-i),

the inner loop of ``sum_i alpha^i v_i`` (the FRI batching of the opened
columns, the vanishing combination, polynomial evaluation). ``Reducing`` takes
base-field coefficients (one wire each), ``ReducingExtension`` F_p2
coefficients (a wire pair each).

Layout: alpha (2 wires), acc_in (2), acc_out (2), then the coefficients, all
routed; then, unrouted, the accumulator after each chunk of ``chunk``
coefficients but the last. Each constraint checks one chunk,

    acc_{j+1} - Horner(acc_j; chunk j) = 0     (two components),

of degree chunk + 1 (acc_j * alpha^chunk), so intermediate accumulators are
stored only every ``chunk`` steps instead of every step.
"""

from __future__ import annotations

from collections.abc import Sequence

from verifier.extension import W
from verifier.gates.base import Gate, GateVars, T
from verifier.gates.simple import ext_mul_components

ALPHA = 0
ACC_IN = 2
ACC_OUT = 4
COEFFS = 6


def horner_step(acc: tuple[T, T], alpha: tuple[T, T], c: Sequence[T]) -> tuple[T, T]:
    """acc * alpha + c over component pairs (X^2 = W), for an F_p2 coefficient c = (c0, c1).

    Each component is written as x * y + (x' * y' * k + c), the shape one extension-arithmetic op
    (k0 x y + k1 z) fuses, so the recursive verifier evaluates a step in four ops.
    """
    c1 = acc[1] * alpha[0] + c[1]  # first: the circuit places ops in this order
    return acc[0] * alpha[0] + (acc[1] * alpha[1] * W + c[0]), acc[0] * alpha[1] + c1


class ReducingBase(Gate):
    """Shared layout and constraints; ``coeff_width`` is 1 (base) or 2 (extension)."""

    coeff_width: int
    kind: str

    def __init__(self, num_coeffs: int, chunk: int) -> None:
        if num_coeffs < 1 or not 1 <= chunk <= num_coeffs:
            raise ValueError("need 1 <= chunk <= num_coeffs")
        self.num_coeffs = num_coeffs
        self.chunk = chunk

    @property
    def name(self) -> str:
        return f"{self.kind}({self.num_coeffs},{self.chunk})"

    @property
    def num_chunks(self) -> int:
        return -(-self.num_coeffs // self.chunk)

    @property
    def num_routed(self) -> int:
        return COEFFS + self.coeff_width * self.num_coeffs

    @property
    def num_wires(self) -> int:
        return self.num_routed + 2 * (self.num_chunks - 1)

    @property
    def degree(self) -> int:
        return self.chunk + 1

    @property
    def num_constraints(self) -> int:
        return 2 * self.num_chunks

    def coeff_wires(self, i: int) -> tuple[int, ...]:
        base = COEFFS + self.coeff_width * i
        return tuple(range(base, base + self.coeff_width))

    def acc_wires(self, j: int) -> tuple[int, int]:
        """The accumulator before chunk j (j = 0: acc_in; j = num_chunks: acc_out; else unrouted)."""
        if j == 0:
            return ACC_IN, ACC_IN + 1
        if j == self.num_chunks:
            return ACC_OUT, ACC_OUT + 1
        base = self.num_routed + 2 * (j - 1)
        return base, base + 1

    @classmethod
    def for_config(cls, num_routed_wires: int, num_wires: int, chunk: int) -> ReducingBase:
        """The most coefficients a row holds within the config's wires."""
        n = (num_routed_wires - COEFFS) // cls.coeff_width
        while n > 0 and cls(n, min(chunk, n)).num_wires > num_wires:
            n -= 1
        return cls(n, min(chunk, n))

    def eval_constraints(self, v: GateVars[T]) -> list[T]:
        """Per chunk: acc_{j+1} - (acc_j * alpha^m + sum_i c_i alpha^(m-1-i)).

        Extension coefficients: Horner steps. Base coefficients: the powers of alpha are computed
        once per row, so each coefficient costs two products instead of an extension product.
        """
        w = v.wires
        alpha = (w[ALPHA], w[ALPHA + 1])
        if self.coeff_width == 2:
            return self._eval_horner(w, alpha)
        powers = [alpha]
        for _ in range(1, self.chunk):
            powers.append(ext_mul_components(powers[-1], alpha))
        out: list[T] = []
        for j in range(self.num_chunks):
            indices = range(j * self.chunk, min((j + 1) * self.chunk, self.num_coeffs))
            a0, a1 = self.acc_wires(j)
            total = ext_mul_components((w[a0], w[a1]), powers[len(indices) - 1])
            for position, i in enumerate(indices):
                (wire,) = self.coeff_wires(i)
                exponent = len(indices) - 1 - position
                if exponent == 0:  # c * alpha^0 only adds to the first component
                    total = (total[0] + w[wire], total[1])
                else:
                    power = powers[exponent - 1]
                    total = (total[0] + w[wire] * power[0], total[1] + w[wire] * power[1])
            n0, n1 = self.acc_wires(j + 1)
            out += [w[n0] - total[0], w[n1] - total[1]]
        return out

    def _eval_horner(self, w: Sequence[T], alpha: tuple[T, T]) -> list[T]:
        out: list[T] = []
        for j in range(self.num_chunks):
            a0, a1 = self.acc_wires(j)
            acc = (w[a0], w[a1])
            for i in range(j * self.chunk, min((j + 1) * self.chunk, self.num_coeffs)):
                acc = horner_step(acc, alpha, [w[c] for c in self.coeff_wires(i)])
            n0, n1 = self.acc_wires(j + 1)
            out += [w[n0] - acc[0], w[n1] - acc[1]]
        return out


class ReducingGate(ReducingBase):
    """acc_out = acc_in * alpha^m + sum_i c_i alpha^(m-1-i) for base-field c_i."""

    coeff_width = 1
    kind = "Reducing"


class ReducingExtensionGate(ReducingBase):
    """acc_out = acc_in * alpha^m + sum_i c_i alpha^(m-1-i) for F_p2 c_i (wire pairs)."""

    coeff_width = 2
    kind = "ReducingExtension"
