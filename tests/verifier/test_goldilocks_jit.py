"""The numba scalar primitives of verifier.goldilocks_jit against Python ints, on edge and random inputs.

The primitives are inline-only, so small njit wrappers map them over arrays;
exact equality on values near 2^64 also catches any silent float64 promotion.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numba import njit

from verifier.field import P
from verifier.goldilocks_jit import gl_add, gl_mul, gl_mul_small, gl_pow7, gl_reduce128, gl_sub

EDGES = [0, 1, 2, P - 1, P - 2, 2**32, 2**32 - 1, 2**32 + 1, 2**63, 2**63 - 1, P - 2**32, 2**64 - 2**33 + 2]
U64Array = npt.NDArray[np.uint64]
elements = st.one_of(st.sampled_from(EDGES), st.integers(0, P - 1))


@njit(cache=True)
def _map_binary(a: U64Array, b: U64Array, op: int) -> U64Array:
    out = np.empty_like(a)
    for i in range(a.shape[0]):
        if op == 0:
            out[i] = gl_add(a[i], b[i])
        elif op == 1:
            out[i] = gl_sub(a[i], b[i])
        elif op == 2:
            out[i] = gl_mul(a[i], b[i])
        elif op == 4:
            out[i] = gl_mul_small(a[i], b[i])
        else:
            out[i] = gl_reduce128(a[i], b[i])
    return out


@njit(cache=True)
def _map_pow7(a: U64Array) -> U64Array:
    out = np.empty_like(a)
    for i in range(a.shape[0]):
        out[i] = gl_pow7(a[i])
    return out


def _run(op: int, a: list[int], b: list[int]) -> list[int]:
    out = _map_binary(np.array(a, dtype=np.uint64), np.array(b, dtype=np.uint64), op)
    assert out.dtype == np.uint64
    result: list[int] = out.tolist()
    return result


def _pairs() -> tuple[list[int], list[int]]:
    return [a for a in EDGES for _ in EDGES], [b for _ in EDGES for b in EDGES]


def test_edge_pairs() -> None:
    a, b = _pairs()
    assert _run(0, a, b) == [(x + y) % P for x, y in zip(a, b, strict=True)]
    assert _run(1, a, b) == [(x - y) % P for x, y in zip(a, b, strict=True)]
    assert _run(2, a, b) == [x * y % P for x, y in zip(a, b, strict=True)]


@given(st.lists(st.tuples(elements, elements), min_size=1, max_size=50))
def test_random_pairs(pairs: list[tuple[int, int]]) -> None:
    a = [x for x, _ in pairs]
    b = [y for _, y in pairs]
    assert _run(0, a, b) == [(x + y) % P for x, y in pairs]
    assert _run(1, a, b) == [(x - y) % P for x, y in pairs]
    assert _run(2, a, b) == [x * y % P for x, y in pairs]


WORDS = [0, 1, 2**32 - 1, 2**32, 2**63, P - 1, P, P + 1, 2**64 - 2**32, 2**64 - 1]
words = st.one_of(st.sampled_from(WORDS), st.integers(0, 2**64 - 1))


@pytest.mark.parametrize("hi", WORDS)
def test_reduce128_edges(hi: int) -> None:
    """Any 128-bit value hi * 2^64 + lo reduces to its canonical residue (lo and hi need not be < p)."""
    assert _run(3, WORDS, [hi] * len(WORDS)) == [(hi * 2**64 + lo) % P for lo in WORDS]


@given(st.lists(st.tuples(words, words), min_size=1, max_size=50))
def test_reduce128_random(pairs: list[tuple[int, int]]) -> None:
    assert _run(3, [lo for lo, _ in pairs], [hi for _, hi in pairs]) == [(hi * 2**64 + lo) % P for lo, hi in pairs]


def test_pow7() -> None:
    values = [*EDGES, 12345678901234567]
    out = _map_pow7(np.array(values, dtype=np.uint64)).tolist()
    assert out == [pow(x, 7, P) for x in values]


SMALL = [0, 1, 2, 7, 2**31, 2**32 - 2, 2**32 - 1]
smalls = st.one_of(st.sampled_from(SMALL), st.integers(0, 2**32 - 1))


@pytest.mark.parametrize("s", SMALL)
def test_mul_small_edges(s: int) -> None:
    """a * s for a small factor s < 2^32 and any 64-bit a (canonical or not), canonical like gl_mul's."""
    assert _run(4, WORDS + EDGES, [s] * len(WORDS + EDGES)) == [a * s % P for a in WORDS + EDGES]


@given(st.lists(st.tuples(words, smalls), min_size=1, max_size=50))
def test_mul_small_random(pairs: list[tuple[int, int]]) -> None:
    assert _run(4, [a for a, _ in pairs], [s for _, s in pairs]) == [a * s % P for a, s in pairs]
