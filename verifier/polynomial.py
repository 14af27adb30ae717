"""Scalar polynomial facts the verifier needs: cosets, Z_H, Lagrange basis, barycentric evaluation.

H = <omega> is the subgroup of order n = 2^k (omega = root_of_unity(k)); a coset
is s*H = {s omega^i}. The vectorized prover versions (whole cosets at once)
live in :mod:`prover.polynomial` under mirrored names.

* Vanishing polynomial of H: Z_H(x) = x^n - 1 = prod_i (x - omega^i); of s*H: x^n - s^n.
* Lagrange basis of H: L_i(omega^j) = [i = j], and
      L_i(x) = omega^i (x^n - 1) / (n (x - omega^i)),
  from L_i(x) = Z_H(x) / (Z_H'(omega^i) (x - omega^i)) with Z_H'(omega^i) = n omega^(-i).
* Barycentric formula on s*H, points x_i = s omega^i, values f_i, z outside s*H:
      f(z) = (z^n - s^n) / (n s^n) * sum_i f_i x_i / (z - x_i),
  the Lagrange interpolant of degree < n, since Z'(x_i) = n x_i^(n-1) = n s^n / x_i.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from verifier.extension import Ext, ext_batch_inverse, ext_sum
from verifier.field import TWO_ADICITY, P, inverse, root_of_unity


def log2_exact(n: int) -> int:
    """k with 2^k = n, for n a power of two with k <= TWO_ADICITY (a subgroup order); else ValueError."""
    k = n.bit_length() - 1
    if n < 1 or 1 << k != n or k > TWO_ADICITY:
        raise ValueError(f"size must be a power of two 2^k with k <= {TWO_ADICITY}, got {n}")
    return k


@dataclass(frozen=True)
class Coset:
    """The coset shift * H of the subgroup H of order 2^log_size (shift = 1: H itself)."""

    log_size: int
    shift: int = 1

    def __post_init__(self) -> None:
        if not 0 <= self.log_size <= TWO_ADICITY:
            raise ValueError(f"coset log_size must be in [0, {TWO_ADICITY}], got {self.log_size}")
        if not 0 < self.shift < P:
            raise ValueError(f"coset shift must be a nonzero canonical field element, got {self.shift}")

    @property
    def size(self) -> int:
        return 1 << self.log_size

    @property
    def generator(self) -> int:
        """omega = root_of_unity(log_size), so the points are shift * omega^i."""
        return root_of_unity(self.log_size)

    def element(self, i: int) -> int:
        """The i-th point shift * omega^i."""
        return self.shift * pow(self.generator, i, P) % P

    def elements(self) -> list[int]:
        """All points in natural order [shift, shift omega, shift omega^2, ...]."""
        out = []
        x = self.shift
        g = self.generator
        for _ in range(self.size):
            out.append(x)
            x = x * g % P
        return out


def _pow2k(x: Ext, k: int) -> Ext:
    """x^(2^k) by k squarings."""
    for _ in range(k):
        x = x * x
    return x


def vanishing_at(log_n: int, x: Ext | int) -> Ext:
    """Z_H(x) = x^n - 1 for the subgroup H of order n = 2^log_n."""
    return _pow2k(Ext.lift(x), log_n) - 1


def lagrange_at(log_n: int, i: int, x: Ext | int) -> Ext:
    """L_i(x) = omega^i (x^n - 1) / (n (x - omega^i)), the Lagrange basis polynomial of H at x.

    Exact at every x, including x in H (L_i(omega^j) = [i = j]).
    """
    x = Ext.lift(x)
    n = 1 << log_n
    w_i = pow(root_of_unity(log_n), i % n, P)
    if x == w_i:
        return Ext(1)
    return vanishing_at(log_n, x) * w_i / ((x - w_i) * n)


def barycentric_at(values: Sequence[Ext | int], domain: Coset, z: Ext | int) -> Ext:
    """f(z) for the polynomial of degree < n taking ``values`` on ``domain`` (natural order).

    f(z) = (z^n - s^n) / (n s^n) * sum_i f_i x_i / (z - x_i); if z is a point of
    the domain the matching value is returned.
    """
    if len(values) != domain.size:
        raise ValueError(f"barycentric_at: {len(values)} values for a domain of size {domain.size}")
    z = Ext.lift(z)
    points = domain.elements()
    if z.is_base() and z.a0 in points:
        return Ext.lift(values[points.index(z.a0)])
    inv = ext_batch_inverse([z - x for x in points])
    acc = ext_sum(inv_i * x * v for inv_i, x, v in zip(inv, points, values, strict=True))
    s_n = pow(domain.shift, domain.size, P)
    return acc * (_pow2k(z, domain.log_size) - s_n) * inverse(domain.size * s_n % P)
