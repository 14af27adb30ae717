"""Number-theoretic transforms over Goldilocks two-adic subgroups (numba).

For n = 2^k and omega = root_of_unity(k) (order exactly n), H = <omega> and

    NTT(c)_i  = sum_j c_j omega^(i j)          (evaluate c(x) = sum_j c_j x^j on H, i.e. at omega^i)
    INTT(v)_j = n^-1 sum_i v_i omega^(-i j)    (interpolate: the inverse map)

Both take and return natural order along the **last axis**, so a (num_polys, n)
array transforms num_polys polynomials at once. On a coset s*H:

    coset_ntt(c, s)  = NTT(c_j s^j)            (values c(s omega^i))
    coset_intt(v, s) = INTT(v)_j s^-j

and ``lde(c, r, s)`` zero-pads c to n 2^r coefficients and evaluates on s*H' with
|H'| = n 2^r: the low-degree extension, natural order.

Algorithm: the input is gathered into bit-reversed order, then log2(n)
in-place Cooley-Tukey (decimation-in-time) butterfly stages run; stage
m = 1, 2, 4, ..., n/2 combines pairs (u, v) at distance m as (u + w v, u - w v)
with w = omega_{2m}^j. Because the roots are nested (omega_{2m} =
root_of_unity(log2 2m) for every n), one twiddle table serves all sizes:
``table[m - 1 + j] = omega_{2m}^j``. The stages run two at a time (radix 4, see
:func:`_dit_row`), which also needs omega_{4m}^(3j) (:func:`cube_twiddles`). The inverse uses
INTT(v) = n^-1 NTT(v'), v'_i = v_{-i mod n}, folded into the gather.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import numpy.typing as npt
from numba import njit

from prover.field_kernels import FieldArray, mul, powers
from prover.threads import available_cores, proof_threads, run_in_parts
from verifier.field import MULTIPLICATIVE_GENERATOR, inverse, root_of_unity
from verifier.field import P as P_INT
from verifier.goldilocks_jit import EPSILON, P, gl_add, gl_mul, gl_reduce128
from verifier.polynomial import Coset, log2_exact

IndexArray = npt.NDArray[np.int64]

_SHIFT48 = np.uint64(48)
_SHIFT16 = np.uint64(16)


@cache
def twiddles(log_n: int) -> FieldArray:
    """The stage twiddle table for sizes up to 2^log_n: entry m - 1 + j is omega_{2m}^j (j < m).

    Read-only; length 2^log_n - 1 (the table of size 2^(log_n - 1) is its prefix).
    """
    if log_n == 0:
        table = np.empty(0, dtype=np.uint64)
    else:
        table = np.concatenate([twiddles(log_n - 1), powers(root_of_unity(log_n), 1 << (log_n - 1))])
    table.setflags(write=False)
    return table


@cache
def cube_twiddles(log_n: int) -> FieldArray:
    """The radix-4 steps' third twiddles for sizes up to 2^log_n: entry m - 1 + j is omega_{4m}^(3j) (j < m).

    One block per step m = 1, 2, 4, ..., 2^(log_n - 2) (the steps of blocks of 4m <= 2^log_n);
    read-only; length 2^(log_n - 1) - 1 (the table of size 2^(log_n - 1) is its prefix).
    """
    if log_n <= 1:
        table = np.empty(0, dtype=np.uint64)
    else:
        table = np.concatenate(
            [cube_twiddles(log_n - 1), powers(pow(root_of_unity(log_n), 3, P_INT), 1 << (log_n - 2))]
        )
    table.setflags(write=False)
    return table


@cache
def bit_reverse_indices(log_n: int) -> IndexArray:
    """rev[i] = i with its log_n low bits reversed (an involution of range(2^log_n)); read-only."""
    n = 1 << log_n
    rev = np.zeros(n, dtype=np.int64)
    idx = np.arange(n, dtype=np.int64)
    for b in range(log_n):
        rev |= ((idx >> b) & 1) << (log_n - 1 - b)
    rev.setflags(write=False)
    return rev


@cache
def _negated_bit_reverse_indices(log_n: int) -> IndexArray:
    """(-rev[i]) mod n: gathers v_{-i} into bit-reversed order for the inverse transform."""
    idx = (-bit_reverse_indices(log_n)) & ((1 << log_n) - 1)
    idx.setflags(write=False)
    return idx


@njit(cache=True, nogil=True)
def _gather_rows(src: FieldArray, index: IndexArray, out: FieldArray, first_row: int, stop_row: int) -> None:
    """out[r, i] = src[r, index[i]] for the rows r in [first_row, stop_row)."""
    for r in range(first_row, stop_row):
        source = src[r]
        row = out[r]
        for i in range(index.shape[0]):
            row[i] = source[index[i]]


def gather_columns(values: FieldArray, index: IndexArray) -> FieldArray:
    """values[..., index]: a new C-contiguous array, its rows split over ``prover.threads.proof_threads()`` threads."""
    n = values.shape[-1]
    src = np.ascontiguousarray(values).reshape(-1, n)
    out = np.empty((src.shape[0], index.shape[0]), dtype=np.uint64)
    run_in_parts(src.shape[0], lambda first, stop: _gather_rows(src, index, out, first, stop), proof_threads())
    return out.reshape((*values.shape[:-1], index.shape[0]))


def bit_reverse_permutation(values: FieldArray) -> FieldArray:
    """A copy of values with the last axis permuted to bit-reversed order (its own inverse)."""
    return gather_columns(values, bit_reverse_indices(log2_exact(values.shape[-1])))


@njit(inline="always", cache=True)
def _lazy_add(a: np.uint64, t: np.uint64) -> np.uint64:
    """A value in [0, 2^64) congruent to a + t mod p, for any a < 2^64 and a canonical t.

    On a carry a + t - 2^64 < t < p, so adding 2^64 mod p = 2^32 - 1 cannot carry again.
    """
    s = a + t
    if s < a:
        s += EPSILON
    return s


@njit(inline="always", cache=True)
def _lazy_sub(a: np.uint64, t: np.uint64) -> np.uint64:
    """A value in [0, 2^64) congruent to a - t mod p, for any a < 2^64 and a canonical t.

    On a borrow the wrapped difference a - t + 2^64 exceeds 2^64 - p = 2^32 - 1, so
    subtracting that (2^64 mod p) cannot borrow again.
    """
    d = a - t
    if a < t:
        d -= EPSILON
    return d


@njit(inline="always", cache=True)
def _mul_by_omega4(x: np.uint64) -> np.uint64:
    """x * omega_4 mod p, canonical, for any x < 2^64: omega_4 = root_of_unity(2) = 2^48 (2^96 = -1 mod p).

    x 2^48 is the 128-bit value (x >> 16) 2^64 + (x << 48), reduced without a product.
    """
    return gl_reduce128(x << _SHIFT48, x >> _SHIFT16)


@njit(inline="always", cache=True)
def _radix4_butterfly(
    x0: np.uint64, t1: np.uint64, t2: np.uint64, t3: np.uint64
) -> tuple[np.uint64, np.uint64, np.uint64, np.uint64]:
    """(x0 + t1 + (t2 + t3), x0 - t1 + omega_4 (t2 - t3), x0 + t1 - (t2 + t3), x0 - t1 - omega_4 (t2 - t3)),
    lazily reduced, from the twiddled values t_k (see :func:`_radix4_steps`)."""
    s, d = _lazy_add(x0, t1), _lazy_sub(x0, t1)
    e, f = gl_add(t2, t3), _mul_by_omega4(_lazy_sub(t2, t3))
    return _lazy_add(s, e), _lazy_add(d, f), _lazy_sub(s, e), _lazy_sub(d, f)


@njit(inline="always", cache=True)
def _radix4_steps(a: FieldArray, tw: FieldArray, tw3: FieldArray, m: int) -> int:
    """Radix-4 steps (stages m and 2m together) from m while 4m <= n on a row of n values; returns the next m.

    The four values a_k at j + k m of a block of 4m (j < m), with v = omega_{4m}^j,
    v^2 = omega_{2m}^j and t_1 = v^2 a_1, t_2 = v a_2, t_3 = v^3 a_3, become

        a_0 + t_1 + (t_2 + t_3),  a_0 - t_1 + omega_4 (t_2 - t_3),
        a_0 + t_1 - (t_2 + t_3),  a_0 - t_1 - omega_4 (t_2 - t_3)

    (the two radix-2 stages expanded: v b_2 = t_2 + t_3 and omega_{4m}^(j+m) b_3 = omega_4 (t_2 - t_3)
    for the first stage's b_2 = a_2 + v^2 a_3, b_3 = a_2 - v^2 a_3): three twiddle products and one
    by omega_4 = 2^48 (shifts and a reduction) instead of four products. The quarters and twiddles
    are sliced per block so the inner loop is a plain contiguous loop that LLVM vectorizes.
    """
    n = a.shape[0]
    while 4 * m <= n:
        w1 = tw[2 * m - 1 : 3 * m - 1]  # v = omega_{4m}^j
        w2 = tw[m - 1 : 2 * m - 1]  # v^2 = omega_{2m}^j
        w3 = tw3[m - 1 : 2 * m - 1]  # v^3
        for start in range(0, n, 4 * m):
            q0 = a[start : start + m]
            q1 = a[start + m : start + 2 * m]
            q2 = a[start + 2 * m : start + 3 * m]
            q3 = a[start + 3 * m : start + 4 * m]
            for j in range(m):
                q0[j], q1[j], q2[j], q3[j] = _radix4_butterfly(
                    q0[j], gl_mul(w2[j], q1[j]), gl_mul(w1[j], q2[j]), gl_mul(w3[j], q3[j])
                )
        m *= 4
    return m


@njit(inline="always", cache=True)
def _dit_row(a: FieldArray, tw: FieldArray, tw3: FieldArray, first_m: int) -> None:
    """In-place DIT butterfly stages m = first_m, 2 first_m, ..., n/2 on one row, two at a time (radix 4).

    With first_m = 1 and bit-reversed input, afterwards a is the natural-order NTT. The stages
    are paired into :func:`_radix4_steps`; with an odd number of them, one is radix 2: the first
    if it is m = 1 (twiddle 1, no products), else the last. The first stages of a full transform
    (m = 1 and 2, twiddles 1 and omega_4) have no twiddle products, nor a slice per pair or
    quad (the inputs are canonical).
    Values between stages are kept in [0, 2^64), congruent mod p but not reduced below p
    (``gl_mul`` and :func:`_mul_by_omega4` take any 64-bit operand and return a canonical
    value, which the lazy sum and difference accept); the caller reduces the row once at the end.
    """
    n = a.shape[0]
    stages = 0
    while first_m << stages < n:
        stages += 1
    m = first_m
    if stages % 2 and m == 1:  # twiddle omega_2^0 = 1
        for start in range(0, n, 2):
            u, v = a[start], a[start + 1]
            a[start] = _lazy_add(u, v)
            a[start + 1] = _lazy_sub(u, v)
        m = 2
    if m == 1 and n > 1:  # stages 1 and 2: v = 1, so t_k = a_k
        for start in range(0, n, 4):
            a[start], a[start + 1], a[start + 2], a[start + 3] = _radix4_butterfly(
                a[start], a[start + 1], a[start + 2], a[start + 3]
            )
        m = 4
    m = _radix4_steps(a, tw, tw3, m)
    if m < n:  # the last of an odd number of stages (m = n / 2)
        w = tw[m - 1 : 2 * m - 1]
        lo = a[:m]
        hi = a[m:]
        for j in range(m):
            t = gl_mul(w[j], hi[j])
            u = lo[j]
            lo[j] = _lazy_add(u, t)
            hi[j] = _lazy_sub(u, t)


@njit(cache=True, nogil=True)
def _transform_rows(
    src: FieldArray,
    index: IndexArray,
    pre: FieldArray,
    repeat_bits: int,
    post: FieldArray,
    tw: FieldArray,
    tw3: FieldArray,
    out: FieldArray,
    first_row: int,
    stop_row: int,
) -> None:
    """For each row r in [first_row, stop_row): gather, scale, repeat, butterflies, scale, all in ``out[r]``.

    out[r][i 2^b + t] = src[r, index[i]] * pre[index[i]] for t < 2^b (b = ``repeat_bits``; no
    factor if ``pre`` is empty), then the butterfly stages from m = 2^b, then out[r] *= post
    element-wise (a canonical product), or if ``post`` is empty reduce each value below p. One
    pass per row over memory that stays in cache,
    instead of whole-batch gathers and copies; rows are independent, so parts of the batch run
    on separate threads.
    """
    n = index.shape[0]
    reps = 1 << repeat_bits
    for r in range(first_row, stop_row):
        row = out[r]
        source = src[r]
        if pre.shape[0] and reps > 1:
            for i in range(n):
                j = index[i]
                row[i * reps : (i + 1) * reps] = gl_mul(source[j], pre[j])
        elif pre.shape[0]:
            for i in range(n):
                j = index[i]
                row[i] = gl_mul(source[j], pre[j])
        elif reps > 1:
            for i in range(n):
                row[i * reps : (i + 1) * reps] = source[index[i]]
        else:
            for i in range(n):
                row[i] = source[index[i]]
        _dit_row(row, tw, tw3, reps)
        if post.shape[0]:
            for i in range(row.shape[0]):
                row[i] = gl_mul(row[i], post[i])
        else:
            for i in range(row.shape[0]):
                if row[i] >= P:
                    row[i] -= P


_NO_FACTORS = np.empty(0, dtype=np.uint64)


def _transform(
    values: FieldArray,
    index: IndexArray,
    pre: FieldArray,
    rate_bits: int,
    post: FieldArray,
    parallel: bool,
) -> FieldArray:
    """:func:`_transform_rows` on every row of ``values`` (last axis of size n) into a fresh (..., n 2^rate_bits) array.

    The rows are split over ``prover.threads.proof_threads()`` threads, or every core with ``parallel``.
    """
    n = values.shape[-1]
    src = np.ascontiguousarray(values).reshape(-1, n)
    log_size = log2_exact(n) + rate_bits
    out = np.empty((src.shape[0], 1 << log_size), dtype=np.uint64)
    tw, tw3 = twiddles(log_size), cube_twiddles(log_size)
    threads = available_cores() if parallel else proof_threads()
    run_in_parts(
        src.shape[0],
        lambda first, stop: _transform_rows(src, index, pre, rate_bits, post, tw, tw3, out, first, stop),
        threads,
    )
    return out.reshape((*values.shape[:-1], 1 << log_size))


def lde(
    coeffs: FieldArray, rate_bits: int, shift: int = MULTIPLICATIVE_GENERATOR, *, parallel: bool = False
) -> FieldArray:
    """Low-degree extension: values of the degree < n polynomials on shift*H', |H'| = n 2^rate_bits.

    c_j s^j is gathered into bit-reversed order of size n; zero-padding to
    N = n 2^r puts those values at positions q 2^r of the size-N bit-reversed
    order with zeros between, and the first r butterfly stages (u + w 0, u - w 0)
    just copy each value over its block of 2^r, so the values are repeated 2^r
    times and the butterflies start at m = 2^r (all of it per row in one kernel).

    The default shift is the multiplicative generator 7, which lies outside every
    two-adic subgroup, so the LDE coset is disjoint from the trace domain H.
    ``parallel=True`` spreads the rows of a batch over every core (``prover.threads``).
    """
    if rate_bits < 0:
        raise ValueError(f"rate_bits must be >= 0, got {rate_bits}")
    log_n = log2_exact(coeffs.shape[-1])
    Coset(log_n + rate_bits, shift)  # validates the target size and the shift
    pre = powers(shift, 1 << log_n) if shift != 1 else _NO_FACTORS
    return _transform(coeffs, bit_reverse_indices(log_n), pre, rate_bits, _NO_FACTORS, parallel)


def coset_ntt(coeffs: FieldArray, shift: int, *, parallel: bool = False) -> FieldArray:
    """Evaluations c(shift * omega^i), i = 0..n-1, of the polynomials along the last axis (natural order)."""
    return lde(coeffs, 0, shift, parallel=parallel)


def coset_intt(evals: FieldArray, shift: int, *, parallel: bool = False) -> FieldArray:
    """Coefficients of the polynomials of degree < n whose values on shift*H are ``evals`` (last axis)."""
    log_n = Coset(log2_exact(evals.shape[-1]), shift).log_size  # validates size and shift
    n_inv = inverse(1 << log_n)
    scale = mul(powers(inverse(shift), 1 << log_n), n_inv) if shift != 1 else np.full(1 << log_n, n_inv, np.uint64)
    return _transform(evals, _negated_bit_reverse_indices(log_n), _NO_FACTORS, 0, scale, parallel)


def ntt(coeffs: FieldArray, *, parallel: bool = False) -> FieldArray:
    """Evaluations on the subgroup H: NTT(c)_i = c(omega^i)."""
    return lde(coeffs, 0, 1, parallel=parallel)


def intt(evals: FieldArray, *, parallel: bool = False) -> FieldArray:
    """Coefficients from evaluations on H (inverse of :func:`ntt`)."""
    return coset_intt(evals, 1, parallel=parallel)
