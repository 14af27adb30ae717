"""The FRI folding gate: interpolate a coset of 2^k values and evaluate, in one row per ``copies`` folds.

A FRI layer opens F on a coset x0 <eta> (eta of order a = 2^k) as values
e_0 .. e_{a-1} in natural order (e_j = F(x0 eta^j), F of degree < a). With
F(X) = sum_t f_t X^t,

    e_j = sum_t (f_t x0^t) eta^(t j),   so   d_t := sum_j eta^(-t j) e_j = a f_t x0^t,

(an inverse DFT with constant coefficients, computed by a radix-2 FFT), and for
any point g

    a * F(g x0) = sum_t d_t g^t.

The folded value is F(beta) (``barycentric_at`` of the native verifier), so the
circuit feeds g = beta / x0. Each copy constrains

    a * out = Horner(d_{a-1}, ..., d_0; g),

split into chunks of at most ``CHUNK`` Horner steps whose accumulators are
(unrouted) wires, so every constraint has degree <= CHUNK + 1 = 7.

Layout per copy (routed): e_0 .. e_{a-1} (wire pairs), g (pair), out (pair);
after all copies' routed wires, each copy's chunk accumulators (pairs).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from verifier import field
from verifier.extension import Ext
from verifier.gates.base import Gate, GateVars, T
from verifier.gates.reducing import horner_step

CHUNK = 6
"""Horner steps per constraint after the first (which also takes the leading coefficient)."""

MAX_ARITY_BITS = 8
"""Bounds the gate's size (names come from untrusted keys); real arities are far below."""


def inverse_dft(values: Sequence[Any], arity_bits: int) -> list[Any]:
    """d_t = sum_j eta^(-t j) values_j (radix-2 FFT, over any algebra with int constants)."""
    n = len(values)
    if n == 1:
        return list(values)
    even = inverse_dft(values[0::2], arity_bits - 1)
    odd = inverse_dft(values[1::2], arity_bits - 1)
    root = field.inverse(field.root_of_unity(arity_bits))
    out: list[Any] = [None] * n
    for t in range(n // 2):
        w = field.power(root, t)
        twiddled = odd[t] if w == 1 else odd[t] * w
        out[t] = even[t] + twiddled
        out[t + n // 2] = even[t] - twiddled
    return out


class FriFoldGate(Gate):
    """``copies`` independent folds of arity 2^arity_bits per row."""

    def __init__(self, arity_bits: int, copies: int) -> None:
        if not 1 <= arity_bits <= MAX_ARITY_BITS or copies < 1:
            raise ValueError(f"FriFold needs 1 <= arity_bits <= {MAX_ARITY_BITS} and copies >= 1")
        self.arity_bits = arity_bits
        self.copies = copies

    @staticmethod
    def for_config(arity_bits: int, num_routed_wires: int, num_wires: int) -> FriFoldGate:
        one = FriFoldGate(arity_bits, 1)
        copies = min(num_routed_wires // one.routed_per_copy, num_wires // one.num_wires)
        return FriFoldGate(arity_bits, copies)

    @property
    def name(self) -> str:
        return f"FriFold({self.arity_bits},{self.copies})"

    @property
    def arity(self) -> int:
        return 1 << self.arity_bits

    @property
    def chunks(self) -> list[range]:
        """Coefficient indices of each constraint, highest first: (a-1 .. a-1-CHUNK), then CHUNK at a time."""
        top = self.arity - 1
        out = [range(top, max(top - CHUNK, 0) - 1, -1)]
        while out[-1][-1] > 0:
            start = out[-1][-1] - 1
            out.append(range(start, max(start - CHUNK + 1, 0) - 1, -1))
        return out

    @property
    def routed_per_copy(self) -> int:
        return 2 * self.arity + 4

    @property
    def accs_per_copy(self) -> int:
        return len(self.chunks) - 1

    @property
    def num_wires(self) -> int:
        return self.copies * (self.routed_per_copy + 2 * self.accs_per_copy)

    @property
    def degree(self) -> int:
        return max(len(c) + (0 if i == 0 else 1) for i, c in enumerate(self.chunks))

    @property
    def num_constraints(self) -> int:
        return self.copies * 2 * len(self.chunks)

    def eval_wires(self, copy: int, j: int) -> tuple[int, int]:
        base = copy * self.routed_per_copy + 2 * j
        return base, base + 1

    def point_wires(self, copy: int) -> tuple[int, int]:
        base = copy * self.routed_per_copy + 2 * self.arity
        return base, base + 1

    def out_wires(self, copy: int) -> tuple[int, int]:
        base = copy * self.routed_per_copy + 2 * self.arity + 2
        return base, base + 1

    def acc_wire_pairs(self, copy: int) -> list[tuple[int, int]]:
        """The wires each chunk's result goes to: the unrouted accumulators, then ``out`` (scaled by a)."""
        base = self.copies * self.routed_per_copy + copy * 2 * self.accs_per_copy
        return [(base + 2 * i, base + 2 * i + 1) for i in range(self.accs_per_copy)] + [self.out_wires(copy)]

    def accumulators(self, evals: Sequence[Ext], point: Ext) -> list[Ext]:
        """The honest values of ``acc_wire_pairs`` (witness generation): accumulators, then out."""
        d = inverse_dft(list(evals), self.arity_bits)
        values: list[Ext] = []
        acc: Ext | None = None
        for chunk in self.chunks:
            for t in chunk:
                acc = d[t] if acc is None else acc * point + d[t]
            assert acc is not None
            values.append(acc)
        values[-1] = values[-1] * field.inverse(self.arity)
        return values

    def eval_constraints(self, v: GateVars[T]) -> list[T]:
        w = v.wires
        out: list[T] = []
        for c in range(self.copies):
            pairs = [(w[i], w[j]) for i, j in (self.eval_wires(c, k) for k in range(self.arity))]
            d0 = inverse_dft([p[0] for p in pairs], self.arity_bits)
            d1 = inverse_dft([p[1] for p in pairs], self.arity_bits)
            point = (w[self.point_wires(c)[0]], w[self.point_wires(c)[1]])
            targets = self.acc_wire_pairs(c)
            acc: tuple[T, T] | None = None
            for i, chunk in enumerate(self.chunks):
                for t in chunk:
                    acc = (d0[t], d1[t]) if acc is None else horner_step(acc, point, (d0[t], d1[t]))
                assert acc is not None
                scale = self.arity if i == len(self.chunks) - 1 else 1
                out += [w[targets[i][0]] * scale - acc[0], w[targets[i][1]] * scale - acc[1]]
                acc = (w[targets[i][0]], w[targets[i][1]])
        return out
