"""Numba kernels for the Poseidon2 permutation (Goldilocks, width 12).

The same permutation as :func:`verifier.poseidon2.permute_reference` (round
schedule and matrices are documented there), on ``uint64`` lanes, built from
the scalar primitives of :mod:`verifier.goldilocks_jit`:

* :func:`permute_inplace` -- one ``uint64[12]`` state (the verifier's path).
* :func:`permute_columns_inplace` -- a ``(12, m)`` array whose *columns* are
  states. Every step is a loop over the m columns with a straight-line body,
  which LLVM vectorizes (AVX2/AVX-512); this is the prover's building block.
* :func:`permute_rows_inplace` -- an ``(n, 12)`` array of states, permuted in
  blocks of :data:`BLOCK` columns through a transposed scratch buffer.
* :func:`permute_columns_traced` -- the column kernel, also recording the state
  entering every round (what the Poseidon2 gate's witness generator stores).

The column kernels run one schedule (``_schedule_columns``) built from the public
round steps :func:`external_layer_columns`, :func:`full_round_columns` and
:func:`partial_round_columns` over the round indices of ``verifier.poseidon2``;
the scalar kernel repeats that schedule with scalar loops for speed.

Input lanes may hold any value in [0, 2^64): they are first reduced mod p, so
the kernels agree with the reference on all such states; outputs are canonical.

The external layer M_E = circ(2 M4, M4, M4) uses only modular additions (the
8-addition chain for M4 plus lane-wise block sums, 48 ``gl_add``); the internal
layer costs 11 additions and 12 multiplications by the diagonal.

Compilation: the first call compiles for ~10 s (the scalar kernel) plus ~7 s
(the column kernel, on first batch use); ``cache=True`` stores the machine code
next to this file, so later processes load it in well under a second.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from verifier.goldilocks_jit import P, gl_add, gl_mul, gl_pow7
from verifier.poseidon2 import (
    FULL_ROUNDS_FIRST,
    FULL_ROUNDS_LAST,
    INTERNAL_DIAG_MINUS_ONE,
    PARTIAL_ROUNDS,
    ROUND_CONSTANTS,
    WIDTH,
)

BLOCK: int = 128
"""States per block in the batch kernels: a (12, 128) uint64 buffer (12 KiB) stays in L1."""

_RC = np.array(ROUND_CONSTANTS, dtype=np.uint64)
_DIAG = np.array(INTERNAL_DIAG_MINUS_ONE, dtype=np.uint64)
_FIRST_FULL = np.array(FULL_ROUNDS_FIRST, dtype=np.int64)
_PARTIAL = np.array(PARTIAL_ROUNDS, dtype=np.int64)
_LAST_FULL = np.array(FULL_ROUNDS_LAST, dtype=np.int64)
_WIDTH = WIDTH


@njit(inline="always", cache=True)
def _m4(
    x0: np.uint64, x1: np.uint64, x2: np.uint64, x3: np.uint64
) -> tuple[np.uint64, np.uint64, np.uint64, np.uint64]:
    """M4 . (x0, x1, x2, x3) for M4 = [[5,7,1,3],[4,6,1,1],[1,3,5,7],[1,1,4,6]] (Poseidon2 paper chain).

    t0 = x0+x1, t1 = x2+x3, t2 = 2x1+t1, t3 = 2x3+t0, t4 = 4t1+t3, t5 = 4t0+t2;
    result (t3+t5, t5, t2+t4, t4).
    """
    t0 = gl_add(x0, x1)
    t1 = gl_add(x2, x3)
    t2 = gl_add(gl_add(x1, x1), t1)
    t3 = gl_add(gl_add(x3, x3), t0)
    t1_2 = gl_add(t1, t1)
    t4 = gl_add(gl_add(t1_2, t1_2), t3)
    t0_2 = gl_add(t0, t0)
    t5 = gl_add(gl_add(t0_2, t0_2), t2)
    return gl_add(t3, t5), t5, gl_add(t2, t4), t4


@njit(cache=True)
def external_layer_columns(c: np.ndarray) -> None:
    """Every column of c (12, m) <- M_E . column: M4 per block of 4, then add the lane-wise block sums."""
    for j in range(c.shape[1]):
        a0, a1, a2, a3 = _m4(c[0, j], c[1, j], c[2, j], c[3, j])
        b0, b1, b2, b3 = _m4(c[4, j], c[5, j], c[6, j], c[7, j])
        e0, e1, e2, e3 = _m4(c[8, j], c[9, j], c[10, j], c[11, j])
        s0 = gl_add(gl_add(a0, b0), e0)
        s1 = gl_add(gl_add(a1, b1), e1)
        s2 = gl_add(gl_add(a2, b2), e2)
        s3 = gl_add(gl_add(a3, b3), e3)
        c[0, j] = gl_add(a0, s0)
        c[1, j] = gl_add(a1, s1)
        c[2, j] = gl_add(a2, s2)
        c[3, j] = gl_add(a3, s3)
        c[4, j] = gl_add(b0, s0)
        c[5, j] = gl_add(b1, s1)
        c[6, j] = gl_add(b2, s2)
        c[7, j] = gl_add(b3, s3)
        c[8, j] = gl_add(e0, s0)
        c[9, j] = gl_add(e1, s1)
        c[10, j] = gl_add(e2, s2)
        c[11, j] = gl_add(e3, s3)


@njit(cache=True)
def full_round_columns(c: np.ndarray, r: int) -> None:
    """c <- M_E . sbox(c + RC[r]) column-wise."""
    for i in range(_WIDTH):
        k = _RC[r, i]
        for j in range(c.shape[1]):
            c[i, j] = gl_pow7(gl_add(c[i, j], k))
    external_layer_columns(c)


@njit(cache=True)
def partial_round_columns(c: np.ndarray, r: int, total: np.ndarray) -> None:
    """Lane 0 <- sbox(lane 0 + RC[r][0]); then c_i <- sum(c) + d_i c_i column-wise (``total`` is scratch)."""
    m = c.shape[1]
    k = _RC[r, 0]
    for j in range(m):
        x = gl_pow7(gl_add(c[0, j], k))
        c[0, j] = x
        total[j] = x
    for i in range(1, _WIDTH):
        for j in range(m):
            total[j] = gl_add(total[j], c[i, j])
    for i in range(_WIDTH):
        d = _DIAG[i]
        for j in range(m):
            c[i, j] = gl_add(total[j], gl_mul(d, c[i, j]))


@njit(cache=True)
def _schedule_columns(c: np.ndarray, trace: np.ndarray, record: bool) -> None:
    """The round schedule on every column of c; with ``record``, trace[r] <- the state entering round r."""
    m = c.shape[1]
    for i in range(_WIDTH):
        for j in range(m):
            if c[i, j] >= P:
                c[i, j] -= P
    total = np.empty(m, dtype=np.uint64)
    external_layer_columns(c)
    for r in _FIRST_FULL:
        if record:
            trace[r] = c
        full_round_columns(c, r)
    for r in _PARTIAL:
        if record:
            trace[r] = c
        partial_round_columns(c, r, total)
    for r in _LAST_FULL:
        if record:
            trace[r] = c
        full_round_columns(c, r)


@njit(cache=True)
def permute_columns_inplace(c: np.ndarray) -> None:
    """Apply Poseidon2 in place to every column of a C-contiguous ``(12, m)`` ``uint64`` array."""
    _schedule_columns(c, np.empty((0, _WIDTH, c.shape[1]), dtype=np.uint64), False)


@njit(cache=True)
def permute_columns_traced(c: np.ndarray, trace: np.ndarray) -> None:
    """:func:`permute_columns_inplace`, also recording in ``trace`` (shape ``(NUM_ROUNDS, 12, m)``) the state
    entering each round r (after the initial M_E; before round r adds its constants)."""
    _schedule_columns(c, trace, True)


@njit(cache=True)
def permute_inplace(state: np.ndarray) -> None:
    """Apply Poseidon2 in place to one C-contiguous ``uint64[12]`` state.

    The round schedule of :func:`permute_columns_inplace` with scalar loops:
    running that kernel on one column costs over twice as much (loop set-up
    per step), and this is the verifier's hot path.
    """
    s = state
    col = s.reshape((_WIDTH, 1))
    for i in range(_WIDTH):
        if s[i] >= P:
            s[i] -= P
    external_layer_columns(col)
    for r in _FIRST_FULL:
        for i in range(_WIDTH):
            s[i] = gl_pow7(gl_add(s[i], _RC[r, i]))
        external_layer_columns(col)
    for r in _PARTIAL:
        s[0] = gl_pow7(gl_add(s[0], _RC[r, 0]))
        total = s[0]
        for i in range(1, _WIDTH):
            total = gl_add(total, s[i])
        for i in range(_WIDTH):
            s[i] = gl_add(total, gl_mul(_DIAG[i], s[i]))
    for r in _LAST_FULL:
        for i in range(_WIDTH):
            s[i] = gl_pow7(gl_add(s[i], _RC[r, i]))
        external_layer_columns(col)


@njit(cache=True)
def permute_rows_inplace(states: np.ndarray) -> None:
    """Apply Poseidon2 in place to every row of an ``(n, 12)`` ``uint64`` array."""
    buf = np.zeros((_WIDTH, BLOCK), dtype=np.uint64)
    for start in range(0, states.shape[0], BLOCK):
        m = min(BLOCK, states.shape[0] - start)
        for j in range(m):
            for i in range(_WIDTH):
                buf[i, j] = states[start + j, i]
        permute_columns_inplace(buf)
        for j in range(m):
            for i in range(_WIDTH):
                states[start + j, i] = buf[i, j]
