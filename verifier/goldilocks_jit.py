"""Numba-compiled scalar Goldilocks arithmetic on ``uint64`` (the building block of all kernels).

All functions take and return canonical values (< p) as ``np.uint64`` and are
``inline='always'`` so kernels that call them compile to straight-line code.

Multiplication computes the exact 128-bit product from four 32x32-bit partial
products, then reduces with the identities 2^64 = 2^32 - 1 and 2^96 = -1 (mod p):

    x = lo + 2^64 * (hh * 2^32 + hl)  ==  lo - hh + hl * (2^32 - 1)   (mod p)

Every constant is a typed ``np.uint64`` global: numba would otherwise promote
mixed uint64/int64 arithmetic to float64.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from verifier.field import P as _P

P = np.uint64(_P)
EPSILON = np.uint64(2**32 - 1)  # 2^64 mod p
MASK32 = np.uint64(0xFFFFFFFF)
SHIFT32 = np.uint64(32)
ZERO = np.uint64(0)
ONE = np.uint64(1)


@njit(inline="always", cache=True)
def gl_add(a: np.uint64, b: np.uint64) -> np.uint64:
    """a + b mod p for canonical inputs."""
    s = a + b
    # overflow past 2^64 wraps: add back 2^64 mod p = EPSILON (cannot overflow again)
    if s < a:
        s += EPSILON
    if s >= P:
        s -= P
    return s


@njit(inline="always", cache=True)
def gl_sub(a: np.uint64, b: np.uint64) -> np.uint64:
    """a - b mod p for canonical inputs."""
    if a >= b:
        return a - b
    return a + (P - b)


@njit(inline="always", cache=True)
def gl_reduce128(lo: np.uint64, hi: np.uint64) -> np.uint64:
    """(hi * 2^64 + lo) mod p, canonical."""
    hi_hi = hi >> SHIFT32
    hi_lo = hi & MASK32
    t0 = lo - hi_hi
    if lo < hi_hi:  # borrow of 2^64 == EPSILON (mod p)
        t0 -= EPSILON
    t1 = hi_lo * EPSILON  # < 2^64, no overflow
    t2 = t0 + t1
    if t2 < t0:  # carry of 2^64 == EPSILON
        t2 += EPSILON
    if t2 >= P:
        t2 -= P
    return t2


@njit(inline="always", cache=True)
def gl_mul(a: np.uint64, b: np.uint64) -> np.uint64:
    """a * b mod p via the exact 128-bit product."""
    a_lo = a & MASK32
    a_hi = a >> SHIFT32
    b_lo = b & MASK32
    b_hi = b >> SHIFT32
    ll = a_lo * b_lo
    lh = a_lo * b_hi
    hl = a_hi * b_lo
    hh = a_hi * b_hi
    mid = lh + hl
    mid_carry = ONE if mid < lh else ZERO  # mid overflowed: + 2^64 at bit 32 -> 2^96 in the product
    lo = ll + (mid << SHIFT32)
    lo_carry = ONE if lo < ll else ZERO
    hi = hh + (mid >> SHIFT32) + (mid_carry << SHIFT32) + lo_carry
    return gl_reduce128(lo, hi)


@njit(inline="always", cache=True)
def gl_mul_small(a: np.uint64, s: np.uint64) -> np.uint64:
    """a * s mod p, canonical, for any a < 2^64 and a small factor s < 2^32, from two 32x32-bit products.

    a s = a_hi s 2^32 + a_lo s < 2^96, so its high word h is below 2^32 and
    h 2^64 + l == l + h (2^32 - 1) (mod p), with h (2^32 - 1) < 2^64.
    """
    ll = (a & MASK32) * s
    hl = (a >> SHIFT32) * s
    lo = ll + (hl << SHIFT32)
    hi = (hl >> SHIFT32) + (ONE if lo < ll else ZERO)
    r = lo + hi * EPSILON
    if r < lo:  # carry of 2^64 == EPSILON (r < hi EPSILON < 2^64 - EPSILON, so no second carry)
        r += EPSILON
    if r >= P:
        r -= P
    return r


@njit(inline="always", cache=True)
def gl_pow7(x: np.uint64) -> np.uint64:
    """x^7 (the Poseidon2 S-box) with four multiplications."""
    x2 = gl_mul(x, x)
    x3 = gl_mul(x2, x)
    x4 = gl_mul(x2, x2)
    return gl_mul(x4, x3)
