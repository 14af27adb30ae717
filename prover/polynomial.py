"""Batches of polynomials in coefficient or evaluation form, and vectorized domain polynomials.

A batch holds num_polys polynomials as the rows of a (num_polys, n) field
array: :class:`PolyCoeffs` (row k = coefficients c_0..c_{n-1} of f_k) or
:class:`PolyEvals` (row k = f_k(x_i) at the points x_i = s omega^i of a
:class:`~verifier.polynomial.Coset`). Conversions go through the NTT; the
types keep the two forms from being mixed up.

The whole-coset versions of the verifier's scalar functions sit here with
mirrored names (see :mod:`verifier.polynomial` for the maths):
``vanishing_on_coset`` ~ ``vanishing_at``, ``lagrange_on_coset`` ~
``lagrange_at``, and ``barycentric_at`` evaluates a whole batch at one point.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from prover.field_kernels import (
    ExtArray,
    FieldArray,
    batch_inverse,
    ext_batch_inverse,
    ext_mul,
    ext_mul_base,
    ext_powers,
    matvec_ext,
    mul,
    power,
    powers,
    sub,
)
from prover.ntt import coset_intt, lde
from verifier.extension import Ext
from verifier.field import P, inverse, root_of_unity
from verifier.polynomial import Coset, log2_exact


def _check_batch(values: FieldArray, what: str) -> None:
    if values.dtype != np.uint64 or values.ndim != 2:
        raise ValueError(f"{what} must be a uint64 array of shape (num_polys, n), got {values.dtype} {values.shape}")


@dataclass(frozen=True, eq=False)
class PolyCoeffs:
    """A batch of polynomials f_k(x) = sum_j coeffs[k, j] x^j, n = coeffs.shape[1] a power of two."""

    coeffs: FieldArray

    def __post_init__(self) -> None:
        _check_batch(self.coeffs, "coefficients")
        log2_exact(self.coeffs.shape[1])

    @property
    def num_polys(self) -> int:
        return int(self.coeffs.shape[0])

    @property
    def size(self) -> int:
        """n: the number of coefficients (every degree is < n)."""
        return int(self.coeffs.shape[1])

    def to_evals(self, rate_bits: int = 0, shift: int = 1, *, parallel: bool = False) -> PolyEvals:
        """Values on shift * H', |H'| = n 2^rate_bits (rate_bits > 0: the low-degree extension)."""
        domain = Coset(log2_exact(self.size) + rate_bits, shift)
        return PolyEvals(lde(self.coeffs, rate_bits, shift, parallel=parallel), domain)


@dataclass(frozen=True, eq=False)
class PolyEvals:
    """A batch of polynomials of degree < domain.size given by values[k, i] = f_k(domain.element(i))."""

    values: FieldArray
    domain: Coset

    def __post_init__(self) -> None:
        _check_batch(self.values, "evaluations")
        if self.values.shape[1] != self.domain.size:
            raise ValueError(f"{self.values.shape[1]} values per polynomial for a domain of size {self.domain.size}")

    @property
    def num_polys(self) -> int:
        return int(self.values.shape[0])

    def to_coeffs(self, *, parallel: bool = False) -> PolyCoeffs:
        """Interpolate: the coefficients (degree < domain.size) of the polynomials with these values."""
        return PolyCoeffs(coset_intt(self.values, self.domain.shift, parallel=parallel))


def domain_points(domain: Coset) -> FieldArray:
    """[s, s omega, s omega^2, ...]: the points of the coset in natural order."""
    return mul(powers(domain.generator, domain.size), domain.shift)


def vanishing_on_coset(log_n: int, domain: Coset) -> FieldArray:
    """Z_H(x) = x^n - 1 (H of order n = 2^log_n) at every point x of ``domain``.

    On a coset s*H' with |H'| = N >= n, x_i^n = s^n (omega^n)^i and omega^n has order N/n, so
    the values repeat with period N/n: that many are computed, then tiled.
    """
    n = 1 << log_n
    if domain.size < n:
        return sub(power(domain_points(domain), n), 1)
    period = domain.size // n
    values = sub(mul(powers(pow(domain.generator, n, P), period), pow(domain.shift, n, P)), 1)
    return np.tile(values, n)


def lagrange_on_coset(log_n: int, i: int, domain: Coset) -> FieldArray:
    """L_i(x) = omega^i Z_H(x) / (n (x - omega^i)) at every point x of ``domain`` (1 at x = omega^i)."""
    n = 1 << log_n
    w_i = pow(root_of_unity(log_n), i % n, P)
    points = domain_points(domain)
    denominators = mul(sub(points, w_i), n)
    at_w_i = denominators == 0
    denominators[at_w_i] = 1
    values = mul(mul(vanishing_on_coset(log_n, domain), batch_inverse(denominators)), w_i)
    values[at_w_i] = 1
    return values


def evaluate_at(polys: PolyCoeffs, z: Ext) -> ExtArray:
    """(f_k(z))_k for an extension point z: the coefficient matrix times the vector (1, z, z^2, ...)."""
    return matvec_ext(polys.coeffs, ext_powers(z, polys.size))


def barycentric_at(evals: PolyEvals, z: Ext) -> ExtArray:
    """(f_k(z))_k from the values on the coset s*H by the barycentric formula (no interpolation).

    f(z) = (z^n - s^n) / (n s^n) * sum_i f_i x_i / (z - x_i): one batch
    inversion for the weights x_i / (z - x_i), then one matrix-vector product.
    If z is a point of the coset, the matching column is returned.
    """
    domain = evals.domain
    points = domain_points(domain)
    if z.is_base():
        hits = np.flatnonzero(points == z.a0)
        if hits.size:
            column = evals.values[:, hits[0]].copy()
            return ExtArray(column, np.zeros_like(column))
    differences = ExtArray(sub(z.a0, points), np.full_like(points, z.a1))
    weights = ext_mul_base(ext_batch_inverse(differences), points)
    s_n = pow(domain.shift, domain.size, P)
    factor = (z**domain.size - s_n) * inverse(domain.size * s_n % P)
    return ext_mul(matvec_ext(evals.values, weights), factor)
