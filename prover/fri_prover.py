"""Batch FRI prover (the maths is in ``verifier.fri``).

1. Batch: F_0 = (G(X) - G(zeta)) / (X - zeta) + a^M (G'(X) - G'(g zeta)) / (X - g zeta)
   with G = sum_i a^i f_i over all M columns opened at zeta, G' = sum_j a^j z_j
   over Z's two columns, computed in coefficient form (the powers of a times each
   oracle's coefficient rows, read in place, and a synthetic division); with
   zero knowledge, plus a^(M+2) (R_0 + a R_1)
   for the mask columns at the end of the quotient oracle.
2. Commit each layer's LDE on its coset in bit-reversed order, a-point cosets
   per Merkle leaf; draw beta_r; fold the coefficients
   F_{r+1}[i] = sum_t beta_r^t F_r[a i + t].
3. Send the last layer's coefficients, grind the proof of work, answer queries.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numba import njit

from prover import field_kernels as fk
from prover.field_kernels import ExtArray, FieldArray, gl_ext_mul
from prover.merkle_tree import MerkleTree
from prover.ntt import bit_reverse_permutation, lde
from prover.oracle import PolynomialBatch
from prover.pow import grind
from verifier import field
from verifier.extension import Ext, W
from verifier.fri import fri_query_indices
from verifier.proof import (
    COSET_SHIFT,
    QUOTIENT,
    CommonData,
    FriProof,
    FriQueryRound,
    FriStep,
    OpeningSet,
    OracleOpening,
)
from verifier.transcript import Challenger


@njit(cache=True)
def _divide_by_linear(
    c0: FieldArray, c1: FieldArray, z0: np.uint64, z1: np.uint64, q0: FieldArray, q1: FieldArray
) -> None:
    """q = (G(X) - G(z)) / (X - z) by synthetic division from the top coefficient."""
    n = c0.shape[0]
    q0[n - 1] = np.uint64(0)
    q1[n - 1] = np.uint64(0)
    a0 = np.uint64(0)
    a1 = np.uint64(0)
    for k in range(n - 1, 0, -1):
        m0, m1 = gl_ext_mul(a0, a1, z0, z1)
        a0 = fk.gl_add(c0[k], m0)
        a1 = fk.gl_add(c1[k], m1)
        q0[k - 1] = a0
        q1[k - 1] = a1


def divide_by_linear(coeffs: ExtArray, point: Ext) -> ExtArray:
    q0 = np.empty_like(coeffs.c0)
    q1 = np.empty_like(coeffs.c1)
    _divide_by_linear(coeffs.c0, coeffs.c1, np.uint64(point.a0), np.uint64(point.a1), q0, q1)
    return ExtArray(q0, q1)


def combine_base_polys(blocks: Sequence[FieldArray], alpha: Ext) -> ExtArray:
    """sum_k alpha^k f_k over the base polynomials f_0, f_1, ... stacked as the rows of ``blocks``, in order.

    Each block (an oracle's rows, read in place) is one :func:`~prover.field_kernels.vecmat_ext`
    with its slice of the powers of alpha.
    """
    powers = fk.ext_powers(alpha, sum(block.shape[0] for block in blocks))
    total: ExtArray | None = None
    first = 0
    for block in blocks:
        stop = first + block.shape[0]
        part = fk.vecmat_ext(ExtArray(powers.c0[first:stop], powers.c1[first:stop]), block)
        total = part if total is None else fk.ext_add(total, part)
        first = stop
    if total is None:
        raise ValueError("combine_base_polys needs at least one block")
    return total


def fold(coeffs: ExtArray, beta: Ext, arity: int) -> ExtArray:
    """F'[i] = sum_t beta^t F[a i + t] for F-coefficients in F_p2 (u = X, u^2 = W)."""
    powers = fk.ext_powers(beta, arity)
    a = fk.matvec_ext(coeffs.c0.reshape(-1, arity), powers)
    b = fk.matvec_ext(coeffs.c1.reshape(-1, arity), powers)
    # a + u*b with u*(b0 + b1 u) = W b1 + b0 u
    return ExtArray(fk.add(a.c0, fk.mul(b.c1, W)), fk.add(a.c1, b.c0))


def ext_lde_bit_reversed(coeffs: ExtArray, rate_bits: int, shift: int) -> ExtArray:
    """The LDE of an F_p2 polynomial on the coset, bit-reversed: both coordinates as one two-row batch
    (so on two proof threads, ``prover.ntt``)."""
    c0, c1 = bit_reverse_permutation(lde(np.stack([coeffs.c0, coeffs.c1]), rate_bits, shift))
    return ExtArray(c0, c1)


def coset_leaves(values: ExtArray, arity: int) -> FieldArray:
    """Rows of ``arity`` consecutive F_p2 values as (c0, c1, c0, c1, ...)."""
    interleaved = np.stack([values.c0, values.c1], axis=1).reshape(-1)
    return np.ascontiguousarray(interleaved.reshape(-1, 2 * arity))


def prove_fri(
    common: CommonData, oracles: Sequence[PolynomialBatch], openings: OpeningSet, zeta: Ext, challenger: Challenger
) -> FriProof:
    cfg = common.config
    alpha = challenger.get_ext_challenge()
    widths = common.oracle_widths()
    num_columns = sum(widths)
    g_zeta = zeta * field.root_of_unity(common.degree_bits)
    opened = [o.coeffs[:width] for o, width in zip(oracles, widths, strict=True)]
    main = divide_by_linear(combine_base_polys(opened, alpha), zeta)
    z_part = divide_by_linear(combine_base_polys([oracles[2].coeffs[:2]], alpha), g_zeta)
    coeffs = fk.ext_add(main, fk.ext_mul(z_part, alpha**num_columns))
    mask = oracles[QUOTIENT].coeffs[widths[QUOTIENT] :]
    if mask.shape[0]:
        coeffs = fk.ext_add(coeffs, fk.ext_mul(combine_base_polys([mask], alpha), alpha ** (num_columns + 2)))

    shift = COSET_SHIFT
    layer_values: list[ExtArray] = []
    trees: list[MerkleTree] = []
    for arity_bits in common.fri_arities:
        arity = 1 << arity_bits
        values = ext_lde_bit_reversed(coeffs, cfg.rate_bits, shift)
        tree = MerkleTree(coset_leaves(values, arity), cfg.cap_height)
        layer_values.append(values)
        trees.append(tree)
        for d in tree.cap:
            challenger.observe_digest(d)
        beta = challenger.get_ext_challenge()
        coeffs = fold(coeffs, beta, arity)
        shift = field.power(shift, arity)
    final_poly = tuple(Ext(int(a), int(b)) for a, b in zip(coeffs.c0, coeffs.c1, strict=True))
    for coefficient in final_poly:
        challenger.observe_ext(coefficient)
    pow_witness = grind(challenger, cfg.pow_bits)
    indices = fri_query_indices(challenger, common, pow_witness)

    # Each oracle's rows and paths, then each layer's cosets and paths, for every query at once.
    initial = [[OracleOpening(*opening) for opening in o.open_many(indices)] for o in oracles]
    steps: list[list[FriStep]] = [[] for _ in indices]
    positions = np.asarray(indices, dtype=np.int64)
    for layer, arity_bits in enumerate(common.fri_arities):
        positions = positions >> arity_bits  # the coset of each query point in this layer
        cosets = positions[:, None] * (1 << arity_bits) + np.arange(1 << arity_bits)
        vals = layer_values[layer]
        c0, c1 = vals.c0[cosets].tolist(), vals.c1[cosets].tolist()
        paths = trees[layer].prove_many(positions.tolist())
        for q, path in enumerate(paths):
            steps[q].append(FriStep(tuple(Ext(a, b) for a, b in zip(c0[q], c1[q], strict=True)), path))
    rounds = [FriQueryRound(tuple(o[q] for o in initial), tuple(steps[q])) for q in range(len(indices))]
    return FriProof(
        layer_caps=tuple(tuple(t.cap) for t in trees),
        query_rounds=tuple(rounds),
        final_poly=final_poly,
        pow_witness=pow_witness,
    )
