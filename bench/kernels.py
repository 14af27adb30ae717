"""Benchmarks of the field kernels, NTT and LDE (single thread unless a row says parallel).

Each ``bench_*`` function returns rows (name, value, unit). Kernels are
compiled (or loaded from the numba cache) by a warm-up call, results are
checked against an independent computation before timing, and each row
reports the best of ``REPEAT`` runs (:mod:`bench.timing`). ``python -m bench.kernels``
(from the repository root) prints a table.
"""

from __future__ import annotations

import galois
import numpy as np

from bench.inputs import random_elements
from bench.timing import Row, best_seconds, print_rows
from prover.field_kernels import FieldArray, mul
from prover.ntt import intt, lde, ntt
from verifier.field import P

_U32 = np.uint64(32)
_MASK32 = np.uint64(0xFFFFFFFF)
_EPSILON = np.uint64(2**32 - 1)  # 2^64 mod p
_P64 = np.uint64(P)


def numpy_mul(a: FieldArray, b: FieldArray) -> FieldArray:
    """a * b mod p in plain numpy uint64 (wrapping) arithmetic, for comparison with the numba kernel.

    The same algorithm as ``gl_mul``: the 128-bit product from four 32x32-bit
    products, reduced with 2^64 = 2^32 - 1 and 2^96 = -1 (mod p); each carry or
    borrow is a boolean array turned into a correction.
    """
    a_lo, a_hi, b_lo, b_hi = a & _MASK32, a >> _U32, b & _MASK32, b >> _U32
    lh = a_lo * b_hi
    mid = lh + a_hi * b_lo
    ll = a_lo * b_lo
    lo = ll + (mid << _U32)
    hi = a_hi * b_hi + (mid >> _U32) + ((mid < lh).astype(np.uint64) << _U32) + (lo < ll)
    hi_hi = hi >> _U32
    t0 = lo - hi_hi - _EPSILON * (lo < hi_hi)
    t1 = (hi & _MASK32) * _EPSILON
    t2 = t0 + t1
    t2 += _EPSILON * (t2 < t1)
    result: FieldArray = t2 - _P64 * (t2 >= _P64)
    return result


def bench_multiplication(n: int = 1 << 20, python_n: int = 1 << 17, galois_n: int = 1 << 17) -> list[Row]:
    """Goldilocks products per second: numba kernel, plain numpy, Python ints, galois."""
    a, b = random_elements((n,), 1), random_elements((n,), 2)
    expected = mul(a, b)
    if not np.array_equal(numpy_mul(a, b), expected):
        raise AssertionError("numpy_mul disagrees with the numba kernel")
    xs, ys = a[:python_n].tolist(), b[:python_n].tolist()
    gf = galois.GF(P)
    ga, gb = gf(a[:galois_n]), gf(b[:galois_n])
    if not np.array_equal(ga * gb, expected[:galois_n]):
        raise AssertionError("galois disagrees with the numba kernel")
    python_s = best_seconds(lambda: [x * y % P for x, y in zip(xs, ys, strict=True)])
    return [
        ("Goldilocks mul (numba, vectorized)", n / best_seconds(lambda: mul(a, b)), "mul/s"),
        ("Goldilocks mul (numpy uint64)", n / best_seconds(lambda: numpy_mul(a, b)), "mul/s"),
        ("Goldilocks mul (Python ints)", python_n / python_s, "mul/s"),
        ("Goldilocks mul (galois)", galois_n / best_seconds(lambda: ga * gb), "mul/s"),
    ]


def bench_ntt(log_sizes: tuple[int, ...] = (16, 20)) -> list[Row]:
    """Forward and inverse NTT times for one polynomial of each size."""
    rows: list[Row] = []
    for log_n in log_sizes:
        coeffs = random_elements((1 << log_n,), log_n)
        if not np.array_equal(intt(ntt(coeffs)), coeffs):
            raise AssertionError(f"NTT round trip failed at 2^{log_n}")
        forward = best_seconds(lambda: ntt(coeffs))  # noqa: B023 (called at once, inside the iteration)
        inverse = best_seconds(lambda: intt(coeffs))  # noqa: B023
        rows += [(f"NTT 2^{log_n}", forward * 1e3, "ms"), (f"inverse NTT 2^{log_n}", inverse * 1e3, "ms")]
    return rows


def bench_lde(num_polys: int = 135, log_n: int = 12, rate_bits: int = 3) -> list[Row]:
    """LDE of a batch (the shape of a recursion circuit's wires), serial and with numba threads."""
    coeffs = random_elements((num_polys, 1 << log_n))
    if not np.array_equal(lde(coeffs, rate_bits, parallel=True), lde(coeffs, rate_bits)):
        raise AssertionError("parallel LDE disagrees with serial")
    name = f"LDE {num_polys} x 2^{log_n}, rate 1/{1 << rate_bits}"
    return [
        (name, best_seconds(lambda: lde(coeffs, rate_bits)) * 1e3, "ms"),
        (f"{name} (parallel)", best_seconds(lambda: lde(coeffs, rate_bits, parallel=True)) * 1e3, "ms"),
    ]


def main() -> None:
    rows = [*bench_multiplication(), *bench_ntt(), *bench_lde()]
    print_rows(rows)


if __name__ == "__main__":
    main()
