"""Scalar arithmetic in the Goldilocks field F_p, p = 2^64 - 2^32 + 1.

Elements are Python ints in canonical form, 0 <= x < p. This module is the
verifier's exact, dependency-free arithmetic; the prover's vectorized kernels
live in :mod:`prover.field_kernels` and are tested against this module and
against ``galois``.

Facts used throughout:

* p - 1 = 2^32 * 3 * 5 * 17 * 257 * 65537, so F_p* has a subgroup of order
  2^k for every k <= 32 (``TWO_ADICITY``).
* 7 generates F_p* (``MULTIPLICATIVE_GENERATOR``); hence
  ``TWO_ADIC_GENERATOR = 7^((p-1)/2^32)`` has order exactly 2^32 and
  ``root_of_unity(k) = TWO_ADIC_GENERATOR^(2^(32-k))`` has order exactly 2^k.
* 2^64 = 2^32 - 1 (mod p) and 2^96 = -1 (mod p), which the fast reductions use.
"""

from __future__ import annotations

from collections.abc import Sequence

P: int = 2**64 - 2**32 + 1
"""The Goldilocks prime."""

TWO_ADICITY: int = 32
MULTIPLICATIVE_GENERATOR: int = 7
TWO_ADIC_GENERATOR: int = pow(MULTIPLICATIVE_GENERATOR, (P - 1) >> TWO_ADICITY, P)
ELEMENT_BYTES: int = 8


class NonCanonicalError(ValueError):
    """Raised when untrusted input encodes a value that is not a canonical field element."""


def add(a: int, b: int) -> int:
    """a + b mod p."""
    s = a + b
    return s - P if s >= P else s


def sub(a: int, b: int) -> int:
    """a - b mod p."""
    d = a - b
    return d + P if d < 0 else d


def neg(a: int) -> int:
    """-a mod p."""
    return P - a if a else 0


def mul(a: int, b: int) -> int:
    """a * b mod p."""
    return a * b % P


def power(a: int, e: int) -> int:
    """a^e mod p for e >= 0."""
    return pow(a, e, P)


def inverse(a: int) -> int:
    """a^-1 mod p; raises ZeroDivisionError for a = 0."""
    if a % P == 0:
        raise ZeroDivisionError("0 has no inverse in the Goldilocks field")
    return pow(a, P - 2, P)


def batch_inverse(values: Sequence[int]) -> list[int]:
    """Inverses of all values with one field inversion (Montgomery's trick).

    prefix_i = v_0 * ... * v_i; inv(v_i) = prefix_{i-1} * inv(prefix_i).
    Raises ZeroDivisionError if any value is zero.
    """
    n = len(values)
    if n == 0:
        return []
    prefix = [0] * n
    acc = 1
    for i, v in enumerate(values):
        if v % P == 0:
            raise ZeroDivisionError(f"batch_inverse: element {i} is zero")
        acc = acc * v % P
        prefix[i] = acc
    inv_acc = pow(acc, P - 2, P)
    out = [0] * n
    for i in range(n - 1, 0, -1):
        out[i] = inv_acc * prefix[i - 1] % P
        inv_acc = inv_acc * values[i] % P
    out[0] = inv_acc
    return out


def root_of_unity(log_order: int) -> int:
    """A primitive 2^log_order-th root of unity (0 <= log_order <= 32).

    The roots are nested: root_of_unity(k)^2 == root_of_unity(k - 1).
    """
    if not 0 <= log_order <= TWO_ADICITY:
        raise ValueError(f"no 2^{log_order}-th roots of unity in Goldilocks (two-adicity is {TWO_ADICITY})")
    return pow(TWO_ADIC_GENERATOR, 1 << (TWO_ADICITY - log_order), P)


def canonical(value: int) -> int:
    """Return value if it is a canonical element (0 <= value < p), else raise NonCanonicalError."""
    if not 0 <= value < P:
        raise NonCanonicalError(f"{value:#x} is not a canonical Goldilocks element (must be < p = {P:#x})")
    return value


def to_bytes(value: int) -> bytes:
    """Little-endian 8-byte encoding of a canonical element."""
    return canonical(value).to_bytes(ELEMENT_BYTES, "little")


def from_bytes(data: bytes) -> int:
    """Parse 8 little-endian bytes; rejects values >= p."""
    if len(data) != ELEMENT_BYTES:
        raise NonCanonicalError(f"a field element is {ELEMENT_BYTES} bytes, got {len(data)}")
    return canonical(int.from_bytes(data, "little"))
