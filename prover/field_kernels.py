"""Vectorized Goldilocks and F_p2 arithmetic on numpy ``uint64`` arrays (numba kernels).

A *field array* (:data:`FieldArray`) is a ``uint64`` array of canonical elements
(0 <= x < p, p = 2^64 - 2^32 + 1) of any shape; the prover stores polynomials
along the last axis, so arrays are usually (n,) or (num_polys, n). Arrays
produced by this module are canonical; arrays from outside are checked once at
the boundary with :func:`check_canonical` / :func:`from_ints`, never in the
hot kernels.

An *extension array* (:class:`ExtArray`) is a pair of equal-shape field arrays
(c0, c1) holding elements c0 + c1*X of F_p2 = F_p[X]/(X^2 - W), W = 7.

Binary operations follow numpy broadcasting, so a Python int or an ``Ext``
scalar, a row (n,) against a matrix (rows, n), or two equal shapes all work;
the kernels run over (rows, cols) views with contiguous inner loops, which LLVM
vectorizes. All element-wise maths is the scalar primitives of
:mod:`verifier.goldilocks_jit` plus the jitted helpers below (inversion,
extension multiplication, dot product), which other kernels may call.

Why one module of about 500 lines: the base-field and F_p2 APIs share the
same private broadcasting and shape helpers and the same inlined kernels
(``_apply`` / ``_ext_apply``); splitting them would either copy those helpers
or make them public for no other user.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt
from numba import njit

from prover.threads import proof_threads, run_in_parts
from verifier.extension import Ext
from verifier.extension import W as _W_INT
from verifier.field import NonCanonicalError
from verifier.field import P as _P_INT
from verifier.goldilocks_jit import MASK32, ONE, SHIFT32, ZERO, gl_add, gl_mul, gl_reduce128, gl_sub

FieldArray = npt.NDArray[np.uint64]
"""A uint64 array of canonical Goldilocks elements."""

Index = tuple[int, ...]

_W = np.uint64(_W_INT)
_P_MINUS_2 = np.uint64(_P_INT - 2)

_ADD = 0
_SUB = 1
_MUL = 2
_LANES = 4  # independent multiplication chains in batch inversion

MIN_PRODUCTS_PER_THREAD = 1 << 15
"""A matrix-vector product with fewer entries per thread than this stays on one thread."""
_VECMAT_BLOCK = 512  # columns per block of accumulators in vecmat_ext


class ExtArray(NamedTuple):
    """Elements c0 + c1*X of F_p2 = F_p[X]/(X^2 - 7), stored as two equal-shape field arrays."""

    c0: FieldArray
    c1: FieldArray

    @property
    def shape(self) -> tuple[int, ...]:
        return self.c0.shape


# --------------------------------------------------------------------------- jitted helpers for kernels


@njit(cache=True)
def gl_pow(x: np.uint64, e: np.uint64) -> np.uint64:
    """x^e by square-and-multiply (0^0 = 1)."""
    result = ONE
    base = x
    while e != ZERO:
        if e & ONE:
            result = gl_mul(result, base)
        base = gl_mul(base, base)
        e >>= ONE
    return result


@njit(cache=True)
def gl_inv(x: np.uint64) -> np.uint64:
    """x^-1 = x^(p-2) (Fermat); returns 0 for x = 0, so callers must rule zero out."""
    return gl_pow(x, _P_MINUS_2)


@njit(inline="always", cache=True)
def gl_ext_mul(a0: np.uint64, a1: np.uint64, b0: np.uint64, b1: np.uint64) -> tuple[np.uint64, np.uint64]:
    """(a0 + a1 X)(b0 + b1 X) = (a0 b0 + W a1 b1) + ((a0 + a1)(b0 + b1) - a0 b0 - a1 b1) X  (Karatsuba)."""
    t0 = gl_mul(a0, b0)
    t1 = gl_mul(a1, b1)
    c0 = gl_add(t0, gl_mul(_W, t1))
    c1 = gl_sub(gl_sub(gl_mul(gl_add(a0, a1), gl_add(b0, b1)), t0), t1)
    return c0, c1


@njit(inline="always", cache=True)
def gl_ext_norm(a0: np.uint64, a1: np.uint64) -> np.uint64:
    """N(a0 + a1 X) = a0^2 - W a1^2 in F_p: zero only for a = 0, and a^-1 = (a0 - a1 X) / N(a)."""
    return gl_sub(gl_mul(a0, a0), gl_mul(_W, gl_mul(a1, a1)))


@njit(inline="always", cache=True)
def _reduce_split_sum(s_lo: np.uint64, s_hi: np.uint64) -> np.uint64:
    """(s_hi * 2^32 + s_lo) mod p, for the split accumulators of fewer than 2^32 terms below."""
    lo = s_lo + (s_hi << SHIFT32)
    hi = s_hi >> SHIFT32
    if lo < s_lo:
        hi += ONE
    return gl_reduce128(lo, hi)


@njit(cache=True)
def gl_dot(x: npt.NDArray[np.uint64], y: npt.NDArray[np.uint64]) -> np.uint64:
    """sum_j x[j] * y[j] mod p for 1-D arrays of fewer than 2^32 entries.

    The reduced products are summed exactly as sum_j (hi_j 2^32 + lo_j) with
    their 32-bit halves in two 64-bit accumulators (no carries to track, so the
    loop is a plain vectorizable reduction), and reduced once at the end.
    """
    s_lo = ZERO
    s_hi = ZERO
    for j in range(x.shape[0]):
        prod = gl_mul(x[j], y[j])
        s_lo += prod & MASK32
        s_hi += prod >> SHIFT32
    return _reduce_split_sum(s_lo, s_hi)


# --------------------------------------------------------------------------- kernels


@njit(inline="always", cache=True)
def _apply(x: np.uint64, y: np.uint64, op: int) -> np.uint64:
    if op == _ADD:
        return gl_add(x, y)
    if op == _SUB:
        return gl_sub(x, y)
    return gl_mul(x, y)


@njit(inline="always", cache=True)
def _ext_apply(x0: np.uint64, x1: np.uint64, y0: np.uint64, y1: np.uint64, op: int) -> tuple[np.uint64, np.uint64]:
    if op == _MUL:
        return gl_ext_mul(x0, x1, y0, y1)
    if op == _ADD:
        return gl_add(x0, y0), gl_add(x1, y1)
    return gl_sub(x0, y0), gl_sub(x1, y1)


@njit(cache=True)
def _binary_kernel(a: FieldArray, b: FieldArray, out: FieldArray, op: int) -> None:
    """out = a op b for C-contiguous 2-D operands of out's shape or of one row (1, cols).

    Selecting whole rows keeps the inner loop contiguous, so LLVM vectorizes it.
    """
    rows, cols = out.shape
    for r in range(rows):
        x = a[r if a.shape[0] > 1 else 0]
        y = b[r if b.shape[0] > 1 else 0]
        o = out[r]
        for j in range(cols):
            o[j] = _apply(x[j], y[j], op)


@njit(cache=True)
def _ext_binary_kernel(
    a0: FieldArray,
    a1: FieldArray,
    b0: FieldArray,
    b1: FieldArray,
    out0: FieldArray,
    out1: FieldArray,
    op: int,
) -> None:
    """(out0, out1) = (a0, a1) op (b0, b1) in F_p2, with the operand layout of :func:`_binary_kernel`."""
    rows, cols = out0.shape
    for r in range(rows):
        x0 = a0[r if a0.shape[0] > 1 else 0]
        x1 = a1[r if a1.shape[0] > 1 else 0]
        y0 = b0[r if b0.shape[0] > 1 else 0]
        y1 = b1[r if b1.shape[0] > 1 else 0]
        o0 = out0[r]
        o1 = out1[r]
        for j in range(cols):
            o0[j], o1[j] = _ext_apply(x0[j], x1[j], y0[j], y1[j], op)


@njit(cache=True)
def _pow_kernel(a: FieldArray, e: np.uint64, out: FieldArray) -> None:
    """out = a^e by square-and-multiply with the element loop innermost (so it vectorizes)."""
    base = a.copy()
    out[:] = ONE
    while e != ZERO:
        if e & ONE:
            for i in range(a.shape[0]):
                out[i] = gl_mul(out[i], base[i])
        e >>= ONE
        if e != ZERO:
            for i in range(a.shape[0]):
                base[i] = gl_mul(base[i], base[i])


@njit(cache=True)
def batch_inverse_into(a: FieldArray, out: FieldArray) -> int:
    """Montgomery's trick; returns the flat index of the first zero (out then undefined), or -1.

    Runs _LANES interleaved chains (lane l holds indices = l mod _LANES) so that
    independent multiplications overlap; out[i] first holds the lane prefix
    product up to i, whose predecessor in the lane is out[i - _LANES].
    """
    n = a.shape[0]
    acc = np.ones(_LANES, dtype=np.uint64)
    for i in range(n):
        if a[i] == ZERO:
            return i
        lane = i % _LANES
        acc[lane] = gl_mul(acc[lane], a[i])
        out[i] = acc[lane]
    for lane in range(_LANES):
        acc[lane] = gl_inv(acc[lane])  # now the inverse of the lane's prefix up to the current i
    for i in range(n - 1, -1, -1):
        lane = i % _LANES
        prev = out[i - _LANES] if i >= _LANES else ONE
        out[i] = gl_mul(acc[lane], prev)
        acc[lane] = gl_mul(acc[lane], a[i])
    return -1


@njit(cache=True)
def _powers_kernel(base: np.uint64, out: FieldArray) -> None:
    acc = ONE
    for i in range(out.shape[0]):
        out[i] = acc
        acc = gl_mul(acc, base)


@njit(cache=True)
def _ext_powers_kernel(b0: np.uint64, b1: np.uint64, out0: FieldArray, out1: FieldArray) -> None:
    acc0 = ONE
    acc1 = ZERO
    for i in range(out0.shape[0]):
        out0[i] = acc0
        out1[i] = acc1
        acc0, acc1 = gl_ext_mul(acc0, acc1, b0, b1)


@njit(cache=True)
def _sum_kernel(a: FieldArray) -> np.uint64:
    """sum_i a[i] mod p with the split accumulators of :func:`gl_dot`."""
    s_lo = ZERO
    s_hi = ZERO
    for i in range(a.shape[0]):
        s_lo += a[i] & MASK32
        s_hi += a[i] >> SHIFT32
    return _reduce_split_sum(s_lo, s_hi)


@njit(cache=True, nogil=True)
def _matvec_ext_kernel(
    m: FieldArray, v0: FieldArray, v1: FieldArray, out0: FieldArray, out1: FieldArray, first: int, stop: int
) -> None:
    """out[r] = sum_j m[r, j] v[j] for the rows r in [first, stop)."""
    for r in range(first, stop):
        out0[r] = gl_dot(m[r], v0)
        out1[r] = gl_dot(m[r], v1)


@njit(cache=True, nogil=True)
def _vecmat_ext_kernel(
    m: FieldArray, v0: FieldArray, v1: FieldArray, out0: FieldArray, out1: FieldArray, first: int, stop: int
) -> None:
    """out[j] = sum_i v[i] m[i, j] for the columns j in [first, stop).

    Columns go in blocks of ``_VECMAT_BLOCK`` whose split accumulators (those of :func:`gl_dot`)
    stay in cache while every row of m streams past once, contiguously.
    """
    lo0 = np.empty(_VECMAT_BLOCK, dtype=np.uint64)
    hi0 = np.empty(_VECMAT_BLOCK, dtype=np.uint64)
    lo1 = np.empty(_VECMAT_BLOCK, dtype=np.uint64)
    hi1 = np.empty(_VECMAT_BLOCK, dtype=np.uint64)
    for start in range(first, stop, _VECMAT_BLOCK):
        width = min(_VECMAT_BLOCK, stop - start)
        lo0[:] = ZERO
        hi0[:] = ZERO
        lo1[:] = ZERO
        hi1[:] = ZERO
        for i in range(m.shape[0]):
            row = m[i, start : start + width]
            a0 = v0[i]
            a1 = v1[i]
            for j in range(width):
                p0 = gl_mul(row[j], a0)
                lo0[j] += p0 & MASK32
                hi0[j] += p0 >> SHIFT32
                p1 = gl_mul(row[j], a1)
                lo1[j] += p1 & MASK32
                hi1[j] += p1 >> SHIFT32
        for j in range(width):
            out0[start + j] = _reduce_split_sum(lo0[j], hi0[j])
            out1[start + j] = _reduce_split_sum(lo1[j], hi1[j])


# --------------------------------------------------------------------------- conversions and checks


def _multi_index(flat_index: int, shape: tuple[int, ...]) -> Index:
    """The index tuple of entry ``flat_index`` of a C-ordered array of the given shape (for error messages)."""
    return tuple(int(i) for i in np.unravel_index(flat_index, shape))


def check_canonical(a: npt.NDArray[np.integer]) -> FieldArray:
    """Return ``a`` as a uint64 field array if every entry is in [0, p); else raise NonCanonicalError.

    Accepts any integer dtype (negative entries are rejected); never reduces mod p
    silently, so it is safe on untrusted input.
    """
    if a.dtype.kind not in "ui":
        raise TypeError(f"field elements must have an integer dtype, got {a.dtype}")
    bad = a >= np.uint64(_P_INT) if a.dtype.kind == "u" else (a < 0)
    if bad.any():
        idx = _multi_index(int(np.argmax(bad)), bad.shape)
        raise NonCanonicalError(f"entry {idx} = {int(a[idx])} is not a canonical Goldilocks element (need 0 <= x < p)")
    return a.astype(np.uint64, copy=False)


def from_ints(values: Sequence[int] | Sequence[Sequence[int]]) -> FieldArray:
    """A field array from (nested) Python ints, each required to be an int with 0 <= v < p.

    Every entry is checked as a Python int (numpy's own inference would turn a
    mix of small and >= 2^63 ints into float64, and floats or bools into values).
    """
    obj = np.array(values, dtype=object)
    items = obj.ravel().tolist()
    for i, v in enumerate(items):
        if isinstance(v, bool) or not isinstance(v, int | np.integer) or not 0 <= v < _P_INT:
            idx = _multi_index(i, obj.shape)
            raise NonCanonicalError(f"entry {idx} = {v!r} is not a canonical Goldilocks element (need 0 <= x < p)")
    return np.array(items, dtype=np.uint64).reshape(obj.shape)


def to_ints(a: FieldArray) -> list[Any]:
    """The entries as Python ints: a list for a 1-D array, nested lists for higher rank."""
    result: list[Any] = a.tolist()
    return result


def ext_from_elements(values: Sequence[Ext]) -> ExtArray:
    """A 1-D extension array from ``Ext`` scalars."""
    return ExtArray(
        np.array([v.a0 for v in values], dtype=np.uint64),
        np.array([v.a1 for v in values], dtype=np.uint64),
    )


def ext_to_elements(a: ExtArray) -> list[Ext]:
    """The elements of a 1-D extension array as ``Ext`` scalars."""
    return [Ext(x0, x1) for x0, x1 in zip(a.c0.tolist(), a.c1.tolist(), strict=True)]


def _scalar(x: int) -> np.uint64:
    """A canonical int as np.uint64; NonCanonicalError otherwise."""
    if not 0 <= x < _P_INT:
        raise NonCanonicalError(f"{x} is not a canonical Goldilocks element (need 0 <= x < p)")
    return np.uint64(x)


def _as_field(x: FieldArray | int) -> FieldArray:
    """Arrays pass through (trusted); an int scalar becomes a 0-d array after the canonical check."""
    return x if isinstance(x, np.ndarray) else np.array(_scalar(x))


def _kernel_shape(shape: tuple[int, ...]) -> tuple[int, int]:
    """(rows, cols) of the 2-D view of a result of the given shape."""
    cols = shape[-1] if shape else 1
    return (int(np.prod(shape[:-1])), cols)


def _broadcast_2d(*arrays: FieldArray) -> tuple[list[FieldArray], tuple[int, ...]]:
    """The operands as C-contiguous 2-D arrays for the kernels, plus the broadcast result shape.

    The result is viewed as (rows, cols), cols being its last axis. An operand of
    the full shape, or a single row (n,) broadcast over rows, is passed without
    copying; anything else that broadcasts (a scalar, a column) is expanded to
    one row or to the full shape.
    """
    shape = np.broadcast_shapes(*(a.shape for a in arrays))
    rows, cols = _kernel_shape(shape)
    views = []
    for a in arrays:
        if all(d == 1 for d in a.shape[:-1]):  # one row, possibly a scalar
            row = a.reshape(1, a.shape[-1] if a.ndim else 1)
            views.append(np.ascontiguousarray(row if row.shape[1] == cols else np.broadcast_to(row, (1, cols))))
        else:
            full = a if a.shape == shape else np.broadcast_to(a, shape)  # a view of `a` itself stays writeable
            views.append(np.ascontiguousarray(full).reshape(rows, cols))
    return views, shape


def _binary(a: FieldArray | int, b: FieldArray | int, op: int) -> FieldArray:
    (a2, b2), shape = _broadcast_2d(_as_field(a), _as_field(b))
    out = np.empty(_kernel_shape(shape), dtype=np.uint64)
    if out.size:
        _binary_kernel(a2, b2, out, op)
    return out.reshape(shape)


def _ext_binary(a: ExtArray, b: ExtArray, op: int) -> ExtArray:
    (a0, a1, b0, b1), shape = _broadcast_2d(a.c0, a.c1, b.c0, b.c1)
    out0 = np.empty(_kernel_shape(shape), dtype=np.uint64)
    out1 = np.empty_like(out0)
    if out0.size:
        _ext_binary_kernel(a0, a1, b0, b1, out0, out1, op)
    return ExtArray(out0.reshape(shape), out1.reshape(shape))


def _ext_scalar(s: Ext) -> ExtArray:
    return ExtArray(np.array(s.a0, dtype=np.uint64), np.array(s.a1, dtype=np.uint64))


def _flat(a: FieldArray) -> FieldArray:
    return np.ascontiguousarray(a).reshape(-1)


# --------------------------------------------------------------------------- base field API


def add(a: FieldArray | int, b: FieldArray | int) -> FieldArray:
    """a + b mod p, element-wise with broadcasting (either side may be a canonical int)."""
    return _binary(a, b, _ADD)


def sub(a: FieldArray | int, b: FieldArray | int) -> FieldArray:
    """a - b mod p, element-wise with broadcasting."""
    return _binary(a, b, _SUB)


def mul(a: FieldArray | int, b: FieldArray | int) -> FieldArray:
    """a * b mod p, element-wise with broadcasting (a scalar b is multiplication by a constant)."""
    return _binary(a, b, _MUL)


def neg(a: FieldArray) -> FieldArray:
    """-a mod p."""
    return _binary(0, a, _SUB)


def power(a: FieldArray, exponent: int) -> FieldArray:
    """a^e element-wise for an int e >= 0 (0^0 = 1).

    Exponents of 2^64 or more are reduced using x^(p-1) = 1 for x != 0: e is
    replaced by the e' in [1, p-1] with e' = e mod (p-1), which also keeps 0^e = 0.
    """
    if exponent < 0:
        raise ValueError(f"power: negative exponent {exponent}; invert with batch_inverse first")
    if exponent >= 2**64:
        exponent = (exponent - 1) % (_P_INT - 1) + 1
    flat = _flat(a)
    out = np.empty_like(flat)
    _pow_kernel(flat, np.uint64(exponent), out)
    return out.reshape(a.shape)


def _batch_inverse(a: FieldArray, caller: str) -> FieldArray:
    flat = _flat(a)
    out = np.empty_like(flat)
    zero_at = batch_inverse_into(flat, out)
    if zero_at >= 0:
        idx = _multi_index(zero_at, a.shape)
        raise ValueError(f"{caller}: entry {idx} is zero and has no inverse")
    return out.reshape(a.shape)


def batch_inverse(a: FieldArray) -> FieldArray:
    """Element-wise a^-1 with a single field inversion (Montgomery's trick, ~3 multiplications each).

    prefix_i = a_0 ... a_i,  a_i^-1 = prefix_{i-1} * prefix_i^-1.
    Raises ValueError naming the (multi-)index of the first zero entry.
    """
    return _batch_inverse(a, "batch_inverse")


def powers(base: int, n: int) -> FieldArray:
    """[1, b, b^2, ..., b^(n-1)] as a length-n field array."""
    out = np.empty(n, dtype=np.uint64)
    _powers_kernel(_scalar(base), out)
    return out


def total(a: FieldArray) -> int:
    """sum of all entries mod p (fewer than 2^32 entries)."""
    return int(_sum_kernel(_flat(a)))


def inner_product(a: FieldArray, b: FieldArray) -> int:
    """sum_i a_i * b_i mod p for 1-D arrays of equal length."""
    if a.ndim != 1 or a.shape != b.shape:
        raise ValueError(f"inner_product needs two 1-D arrays of equal length, got {a.shape} and {b.shape}")
    return int(gl_dot(np.ascontiguousarray(a), np.ascontiguousarray(b)))


# --------------------------------------------------------------------------- extension field API


def ext_add(a: ExtArray, b: ExtArray | Ext) -> ExtArray:
    """a + b in F_p2, element-wise with broadcasting (b may be an Ext scalar)."""
    return _ext_binary(a, _ext_scalar(b) if isinstance(b, Ext) else b, _ADD)


def ext_sub(a: ExtArray, b: ExtArray | Ext) -> ExtArray:
    """a - b in F_p2, element-wise with broadcasting."""
    return _ext_binary(a, _ext_scalar(b) if isinstance(b, Ext) else b, _SUB)


def ext_mul(a: ExtArray, b: ExtArray | Ext) -> ExtArray:
    """a * b in F_p2: (a0 b0 + 7 a1 b1) + (a0 b1 + a1 b0) X, element-wise with broadcasting.

    With an ``Ext`` scalar b this is multiplication of a vector by an extension constant.
    """
    return _ext_binary(a, _ext_scalar(b) if isinstance(b, Ext) else b, _MUL)


def ext_mul_base(a: ExtArray, b: FieldArray | int) -> ExtArray:
    """a * b for base-field b: (a0 b) + (a1 b) X, element-wise with broadcasting."""
    return ExtArray(mul(a.c0, b), mul(a.c1, b))


def ext_batch_inverse(a: ExtArray) -> ExtArray:
    """Element-wise inverse in F_p2 through the norm: (a0 + a1 X)^-1 = (a0 - a1 X) / (a0^2 - 7 a1^2).

    The norm N(a) = a0^2 - 7 a1^2 lies in F_p and is zero only for a = 0 (7 is a
    non-residue), so one base-field :func:`batch_inverse` of the norms does it.
    Raises ValueError naming the (multi-)index of the first zero entry.
    """
    n_inv = _batch_inverse(sub(mul(a.c0, a.c0), mul(mul(a.c1, a.c1), _W_INT)), "ext_batch_inverse")
    return ExtArray(mul(a.c0, n_inv), neg(mul(a.c1, n_inv)))


def ext_powers(base: Ext, n: int) -> ExtArray:
    """[1, b, b^2, ..., b^(n-1)] in F_p2."""
    out0 = np.empty(n, dtype=np.uint64)
    out1 = np.empty(n, dtype=np.uint64)
    _ext_powers_kernel(np.uint64(base.a0), np.uint64(base.a1), out0, out1)
    return ExtArray(out0, out1)


def matvec_ext(m: FieldArray, v: ExtArray) -> ExtArray:
    """For a base matrix m of shape (rows, n) and an extension vector v of length n: (sum_j m[r, j] v[j])_r.

    The workhorse of opening many base polynomials at one extension point
    (v = powers of the point) and of barycentric evaluation (v = weights). The rows are
    split over ``prover.threads.proof_threads()`` threads (parts of at least
    ``MIN_PRODUCTS_PER_THREAD`` entries of m).
    """
    if m.ndim != 2 or v.c0.ndim != 1 or m.shape[1] != v.c0.shape[0]:
        raise ValueError(f"matvec_ext needs m of shape (rows, n) and v of shape (n,), got {m.shape} and {v.shape}")
    rows, cols = m.shape
    out0 = np.empty(rows, dtype=np.uint64)
    out1 = np.empty(rows, dtype=np.uint64)
    matrix, v0, v1 = np.ascontiguousarray(m), np.ascontiguousarray(v.c0), np.ascontiguousarray(v.c1)
    run_in_parts(
        rows,
        lambda first, stop: _matvec_ext_kernel(matrix, v0, v1, out0, out1, first, stop),
        proof_threads(),
        max(1, MIN_PRODUCTS_PER_THREAD // max(1, cols)),
    )
    return ExtArray(out0, out1)


def vecmat_ext(v: ExtArray, m: FieldArray) -> ExtArray:
    """For an extension vector v of length rows and a base matrix m of shape (rows, n): (sum_i v[i] m[i, j])_j.

    A random linear combination of the polynomials stacked as the rows of m (v = powers of a
    challenge), read in place row by row (no transposed copy); fewer than 2^32 rows. The columns
    are split over ``prover.threads.proof_threads()`` threads (parts of at least
    ``MIN_PRODUCTS_PER_THREAD`` entries of m).
    """
    if m.ndim != 2 or v.c0.ndim != 1 or m.shape[0] != v.c0.shape[0]:
        raise ValueError(f"vecmat_ext needs v of shape (rows,) and m of shape (rows, n), got {v.shape} and {m.shape}")
    rows, cols = m.shape
    out0 = np.empty(cols, dtype=np.uint64)
    out1 = np.empty(cols, dtype=np.uint64)
    matrix, v0, v1 = np.ascontiguousarray(m), np.ascontiguousarray(v.c0), np.ascontiguousarray(v.c1)
    run_in_parts(
        cols,
        lambda first, stop: _vecmat_ext_kernel(matrix, v0, v1, out0, out1, first, stop),
        proof_threads(),
        max(1, MIN_PRODUCTS_PER_THREAD // max(1, rows)),
    )
    return ExtArray(out0, out1)
