"""Numba kernels of the batched FRI check (:mod:`verifier.fri_batch`): Merkle paths and query folding.

The same checks as the readable reference (:func:`verifier.merkle.verify_merkle_proof`,
:func:`verifier.fri.verify_fri`), over all query rounds at once:

* :func:`merkle_paths_ok` hashes the opened leaves of every query as the
  columns of one ``(12, q)`` sponge state, then climbs the paths one level at
  a time, one batched 2-to-1 compression per level (the permutation kernel
  :func:`verifier.poseidon2_jit.permute_columns_inplace`); the domain tags
  and lane layout are those of :mod:`verifier.hashing`.
* :func:`fold_queries_ok` computes F_0 at each query point from its opened
  rows (the mask's values included, with zero knowledge), checks each
  layer's coset holds the running value, folds it at the layer's beta
  (barycentric interpolation over the coset) and compares the last value
  with the final polynomial (the formulas of :mod:`verifier.fri`).

F_p2 elements are pairs ``(a0, a1)`` of canonical ``uint64`` (a0 + a1 u,
u^2 = W).  A kernel returns one flag per query; it never raises: a division
by zero (a degenerate point the reference handles on its own) clears the flag.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from verifier.extension import W as _W
from verifier.goldilocks_jit import ONE, ZERO, P, gl_add, gl_mul, gl_sub
from verifier.hashing import DOMAIN_COMPRESS, DOMAIN_HASH, DOMAIN_LANE, LENGTH_LANE
from verifier.poseidon2 import DIGEST_SIZE, RATE, WIDTH
from verifier.poseidon2_jit import permute_columns_inplace

W = np.uint64(_W)
P_MINUS_2 = np.uint64(int(P) - 2)
_DOMAIN_HASH = np.uint64(DOMAIN_HASH)
_DOMAIN_COMPRESS = np.uint64(DOMAIN_COMPRESS)


@njit(cache=True)
def merkle_paths_ok(leaves: np.ndarray, indices: np.ndarray, siblings: np.ndarray, cap: np.ndarray) -> np.ndarray:
    """Per query j: leaf ``leaves[j]`` (q, width) is leaf ``indices[j]`` of the tree with cap ``cap`` (c, 4).

    ``siblings`` is (q, depth, 4), bottom-up.  Also false when a leaf or sibling
    element is not canonical, as in the reference.
    """
    q, width = leaves.shape
    depth = siblings.shape[1]
    ok = np.ones(q, dtype=np.bool_)
    for j in range(q):
        for i in range(width):
            if leaves[j, i] >= P:
                ok[j] = False
        for level in range(depth):
            for i in range(DIGEST_SIZE):
                if siblings[j, level, i] >= P:
                    ok[j] = False
    state = np.zeros((WIDTH, q), dtype=np.uint64)
    for j in range(q):
        state[LENGTH_LANE, j] = np.uint64(width)
        state[DOMAIN_LANE, j] = _DOMAIN_HASH
    for start in range(0, max(width, 1), RATE):
        for lane in range(RATE):
            for j in range(q):
                state[lane, j] = leaves[j, start + lane] if start + lane < width else ZERO
        permute_columns_inplace(state)
    for level in range(depth):
        for j in range(q):
            right = (indices[j] >> level) & 1
            for i in range(DIGEST_SIZE):
                node = state[i, j]
                sibling = siblings[j, level, i]
                state[i, j] = sibling if right else node
                state[DIGEST_SIZE + i, j] = node if right else sibling
            for lane in range(2 * DIGEST_SIZE, WIDTH):
                state[lane, j] = ZERO
            state[DOMAIN_LANE, j] = _DOMAIN_COMPRESS
        permute_columns_inplace(state)
    for j in range(q):
        entry = indices[j] >> depth
        for i in range(DIGEST_SIZE):
            if state[i, j] != cap[entry, i]:
                ok[j] = False
    return ok


@njit(inline="always", cache=True)
def _pow(x: np.uint64, e: np.uint64) -> np.uint64:
    acc = ONE
    while e:
        if e & ONE:
            acc = gl_mul(acc, x)
        x = gl_mul(x, x)
        e >>= ONE
    return acc


@njit(inline="always", cache=True)
def _ext_mul(a0: np.uint64, a1: np.uint64, b0: np.uint64, b1: np.uint64) -> tuple[np.uint64, np.uint64]:
    c0 = gl_add(gl_mul(a0, b0), gl_mul(W, gl_mul(a1, b1)))
    return c0, gl_add(gl_mul(a0, b1), gl_mul(a1, b0))


@njit(inline="always", cache=True)
def _ext_inv(a0: np.uint64, a1: np.uint64) -> tuple[np.uint64, np.uint64, bool]:
    """(a0 - a1 u) / (a0^2 - W a1^2), and False for a = 0."""
    norm = gl_sub(gl_mul(a0, a0), gl_mul(W, gl_mul(a1, a1)))
    if norm == ZERO:
        return ZERO, ZERO, False
    n_inv = _pow(norm, P_MINUS_2)
    return gl_mul(a0, n_inv), gl_sub(ZERO, gl_mul(a1, n_inv)), True


@njit(inline="always", cache=True)
def _reduce_base(values: np.ndarray, count: int, a0: np.uint64, a1: np.uint64) -> tuple[np.uint64, np.uint64]:
    """sum_{i < count} alpha^i values_i by Horner's rule (values in the base field)."""
    s0 = ZERO
    s1 = ZERO
    for i in range(count - 1, -1, -1):
        s0, s1 = _ext_mul(s0, s1, a0, a1)
        s0 = gl_add(s0, values[i])
    return s0, s1


@njit(inline="always", cache=True)
def _reverse_bits(value: int, bits: int) -> int:
    out = 0
    for _ in range(bits):
        out = (out << 1) | (value & 1)
        value >>= 1
    return out


@njit(cache=True)
def fold_queries_ok(
    indices: np.ndarray,
    rows: np.ndarray,
    z_offset: int,
    mask: np.ndarray,
    evals: np.ndarray,
    arity_bits: np.ndarray,
    final_poly: np.ndarray,
    scalars: np.ndarray,
    betas: np.ndarray,
    roots: np.ndarray,
    lde_bits: int,
    coset_shift: np.uint64,
) -> np.ndarray:
    """Per query j: the folding chain from the opened rows to the final polynomial holds.

    ``rows`` (q, M): the opened polynomial values of the oracles concatenated, Z's
    two columns at ``z_offset``; ``mask`` (q, k): the mask's values (k = 0 without
    zero knowledge); ``evals`` (layers, q, max arity, 2): the opened cosets (bit-reversed
    order, as stored); ``scalars`` rows: alpha, zeta, g zeta, Y, Y', alpha^M, alpha^(M+2) (for the mask);
    ``roots[k]`` a primitive 2^k-th root of unity.
    """
    alpha0, alpha1 = scalars[0, 0], scalars[0, 1]
    q_count, width = rows.shape
    ok = np.ones(q_count, dtype=np.bool_)
    for j in range(q_count):
        q = int(indices[j])
        domain_bits = lde_bits
        shift = coset_shift
        x = gl_mul(shift, _pow(roots[domain_bits], np.uint64(_reverse_bits(q, domain_bits))))
        # F_0(x) = (Y - sum a^i v_i) / (zeta - x) + a^M (Y' - sum a^j v'_j) / (g zeta - x)
        r0, r1 = _reduce_base(rows[j], width, alpha0, alpha1)
        i0, i1, nonzero = _ext_inv(gl_sub(scalars[1, 0], x), scalars[1, 1])
        if not nonzero:
            ok[j] = False
            continue
        f0, f1 = _ext_mul(gl_sub(scalars[3, 0], r0), gl_sub(scalars[3, 1], r1), i0, i1)
        z0, z1 = _reduce_base(rows[j, z_offset:], 2, alpha0, alpha1)
        i0, i1, nonzero = _ext_inv(gl_sub(scalars[2, 0], x), scalars[2, 1])
        if not nonzero:
            ok[j] = False
            continue
        s0, s1 = _ext_mul(gl_sub(scalars[4, 0], z0), gl_sub(scalars[4, 1], z1), i0, i1)
        s0, s1 = _ext_mul(scalars[5, 0], scalars[5, 1], s0, s1)
        v0, v1 = gl_add(s0, f0), gl_add(s1, f1)
        if mask.shape[1]:  # + a^(M+2) sum_i a^i r_i for the mask's values r
            m0, m1 = _reduce_base(mask[j], mask.shape[1], alpha0, alpha1)
            m0, m1 = _ext_mul(scalars[6, 0], scalars[6, 1], m0, m1)
            v0, v1 = gl_add(v0, m0), gl_add(v1, m1)
        for layer in range(arity_bits.shape[0]):
            bits = int(arity_bits[layer])
            arity = 1 << bits
            coset_index, within = q >> bits, q & (arity - 1)
            if evals[layer, j, within, 0] != v0 or evals[layer, j, within, 1] != v1:
                ok[j] = False
                break
            x0 = gl_mul(shift, _pow(roots[domain_bits], np.uint64(_reverse_bits(coset_index, domain_bits - bits))))
            # f(beta) = (beta^a - x0^a) / (a x0^a) * sum_t f_t x_t / (beta - x_t), x_t = x0 g^t
            b0, b1 = betas[layer, 0], betas[layer, 1]
            g = roots[bits]
            point = x0
            acc0 = ZERO
            acc1 = ZERO
            hit = -1
            for t in range(arity):
                e0 = evals[layer, j, _reverse_bits(t, bits), 0]
                e1 = evals[layer, j, _reverse_bits(t, bits), 1]
                i0, i1, nonzero = _ext_inv(gl_sub(b0, point), b1)
                if not nonzero:
                    hit = t
                    break
                w0, w1 = _ext_mul(i0, i1, gl_mul(point, e0), gl_mul(point, e1))
                acc0, acc1 = gl_add(acc0, w0), gl_add(acc1, w1)
                point = gl_mul(point, g)
            s_n = _pow(x0, np.uint64(arity))
            if hit >= 0:  # beta is the point x_hit: the value there
                v0 = evals[layer, j, _reverse_bits(hit, bits), 0]
                v1 = evals[layer, j, _reverse_bits(hit, bits), 1]
            else:
                p0, p1 = b0, b1
                for _ in range(bits):
                    p0, p1 = _ext_mul(p0, p1, p0, p1)
                scale = _pow(gl_mul(np.uint64(arity), s_n), P_MINUS_2)
                acc0, acc1 = _ext_mul(acc0, acc1, gl_sub(p0, s_n), p1)
                v0, v1 = gl_mul(acc0, scale), gl_mul(acc1, scale)
            q = coset_index
            domain_bits -= bits
            shift = _pow(shift, np.uint64(arity))
            x = s_n
        if not ok[j]:
            continue
        e0 = ZERO
        e1 = ZERO
        for k in range(final_poly.shape[0] - 1, -1, -1):
            e0, e1 = gl_add(gl_mul(e0, x), final_poly[k, 0]), gl_add(gl_mul(e1, x), final_poly[k, 1])
        if e0 != v0 or e1 != v1:
            ok[j] = False
    return ok
