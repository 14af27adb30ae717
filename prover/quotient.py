"""The quotient stage: V on the LDE coset (compiled, or by the readable reference path), Q = V / Z_H in chunks.

Two evaluations of V(x) = sum_j alpha^j t_j (``verifier.vanishing``) over the coset:

* the reference, :func:`readable_vanishing_on_coset`: the generic terms on whole
  ``FieldVec``/``ExtVec`` columns, one numpy pass per operation, combined by
  :func:`combine_terms`;
* the default, :func:`compiled_vanishing_on_coset`: the same terms traced once per circuit
  into a tape (``prover.quotient_tape``) run by one fused kernel, optionally on several
  threads.

Both give the same field element at every point, so the same proof (tested).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numba import njit

from prover import field_kernels as fk
from prover.algebra import ExtVec, FieldVec
from prover.blinding import quotient_chunks_from_coeffs
from prover.errors import ProvingError
from prover.field_kernels import ExtArray, FieldArray, gl_ext_mul
from prover.ntt import coset_intt, gather_columns
from prover.oracle import PolynomialBatch
from prover.polynomial import domain_points, vanishing_on_coset
from prover.quotient_tape import evaluate_on_coset, quotient_tape, uniform_values
from prover.threads import proof_threads
from verifier.extension import Ext
from verifier.goldilocks_jit import gl_add, gl_mul
from verifier.polynomial import Coset
from verifier.proof import COSET_SHIFT, CommonData
from verifier.vanishing import EvaluationVars, vanishing_terms
from verifier.zero_knowledge import blinding_rows_vanishing, first_blinding_row_point

QUOTIENT_SLICE_BITS = 15
"""The reference path evaluates V on slices of 2^15 coset points at a time."""


@dataclass(frozen=True)
class QuotientOptions:
    """How V is evaluated: by the readable reference path, or compiled on ``threads`` threads.

    ``threads`` None: the process's proof threads (``prover.threads.proof_threads``).
    """

    reference: bool = False
    threads: int | None = None


@njit(cache=True)
def _add_scaled(acc: ExtArray, term: ExtArray, c0: np.uint64, c1: np.uint64) -> None:
    """acc += (c0 + c1 u) * term for an extension term, in place."""
    for i in range(acc.c0.shape[0]):
        m0, m1 = gl_ext_mul(term.c0[i], term.c1[i], c0, c1)
        acc.c0[i] = gl_add(acc.c0[i], m0)
        acc.c1[i] = gl_add(acc.c1[i], m1)


@njit(cache=True)
def _add_scaled_base(acc: ExtArray, term: FieldArray, c0: np.uint64, c1: np.uint64) -> None:
    """acc += (c0 + c1 u) * term for a base-field term, in place."""
    for i in range(acc.c0.shape[0]):
        acc.c0[i] = gl_add(acc.c0[i], gl_mul(term[i], c0))
        acc.c1[i] = gl_add(acc.c1[i], gl_mul(term[i], c1))


def combine_terms(terms: Sequence[FieldVec | ExtVec | int | Ext], alpha: Ext, size: int) -> ExtArray:
    """sum_j alpha^j terms_j (``alpha.reduce_powers``, ``verifier.algebra``), one fused in-place pass per term.

    Most terms are base-field columns (selector times gate constraint), so each costs two
    base multiplications per point instead of an extension Horner step.
    """
    acc = ExtArray(np.zeros(size, dtype=np.uint64), np.zeros(size, dtype=np.uint64))
    power = Ext(1)
    for term in terms:
        c0, c1 = np.uint64(power.a0), np.uint64(power.a1)
        if isinstance(term, FieldVec):
            _add_scaled_base(acc, term.a, c0, c1)
        elif isinstance(term, ExtVec):
            _add_scaled(acc, term.e, c0, c1)
        else:  # a constant term
            acc = fk.ext_add(acc, power * term)
        power = power * alpha
    return acc


@dataclass(frozen=True)
class CosetColumns:
    """What V is evaluated from on the LDE coset besides the challenges: the oracles' LDEs and x-only columns."""

    constants_sigmas: FieldArray
    wires: FieldArray
    zs_partials: FieldArray
    x: FieldArray
    l0: FieldArray
    blinding: tuple[FieldArray, FieldArray] | None


def readable_vanishing_on_coset(
    common: CommonData, c: CosetColumns, public_inputs_hash: Sequence[int], beta: Ext, gamma: Ext, alpha: Ext
) -> ExtArray:
    """V on the coset by the generic code on ``FieldVec``/``ExtVec`` columns (the reference path)."""
    big_n = c.x.shape[0]
    nc = common.num_constant_columns
    zs_next = np.roll(c.zs_partials[:2], -(1 << common.config.quotient_rate_bits), axis=1)
    v = ExtArray(np.empty(big_n, dtype=np.uint64), np.empty(big_n, dtype=np.uint64))
    # V is evaluated point-wise, so slices of the coset are independent: slicing bounds the
    # memory of the ~250 term vectors alive at once and keeps them closer to the caches.
    step = min(big_n, 1 << QUOTIENT_SLICE_BITS)
    for s in range(0, big_n, step):
        cut = slice(s, s + step)
        columns = EvaluationVars[FieldVec | ExtVec](
            x=FieldVec(c.x[cut]),
            l0_x=FieldVec(c.l0[cut]),
            constants=[FieldVec(col[cut]) for col in c.constants_sigmas[:nc]],
            sigmas=[FieldVec(col[cut]) for col in c.constants_sigmas[nc:]],
            wires=[FieldVec(w[cut]) for w in c.wires],
            zs_partials=[FieldVec(z[cut]) for z in c.zs_partials],
            zs_next=[FieldVec(z[cut]) for z in zs_next],
            public_inputs_hash=list(public_inputs_hash),
            beta=beta,
            gamma=gamma,
            blinding=None if c.blinding is None else (FieldVec(c.blinding[0][cut]), FieldVec(c.blinding[1][cut])),
        )
        part = combine_terms(vanishing_terms(common, columns), alpha, step)
        v.c0[cut], v.c1[cut] = part
    return v


def compiled_vanishing_on_coset(
    common: CommonData,
    c: CosetColumns,
    public_inputs_hash: Sequence[int],
    beta: Ext,
    gamma: Ext,
    alpha: Ext,
    threads: int | None = None,
) -> ExtArray:
    """V on the coset from the circuit's traced tape (``prover.quotient_tape``), on ``threads`` threads."""
    tape = quotient_tape(common)
    uniform = uniform_values(tape, beta, gamma, alpha, public_inputs_hash)
    extra = np.stack([c.x, c.l0, *(c.blinding or ())])
    sources = (c.constants_sigmas, c.wires, c.zs_partials, extra)
    return ExtArray(*evaluate_on_coset(tape, uniform, sources, proof_threads() if threads is None else threads))


def quotient_chunks(
    common: CommonData,
    oracles: Sequence[PolynomialBatch],
    public_inputs_hash: Sequence[int],
    beta: Ext,
    gamma: Ext,
    alpha: Ext,
    options: QuotientOptions = QuotientOptions(),
) -> FieldArray:
    """Q = V / Z_H on the quotient subcoset of the LDE coset, interpolated and split into chunks of degree < n.

    The subcoset s*H_{2^k n} (k = ``quotient_rate_bits``) is every 2^(rate_bits - k)-th LDE point, enough
    for deg Q < (max_degree - 1) n; at rate 1/8 it is the whole LDE coset. V comes from the compiled
    tape, or with ``options.reference`` from the readable path; both give the same field elements, so
    the same proof.
    """
    n = common.degree
    rate = common.config.quotient_rate_bits
    stride = 1 << (common.config.rate_bits - rate)
    domain = Coset(common.degree_bits + rate, COSET_SHIFT)  # the subcoset, n 2^rate points
    x = domain_points(domain)
    z_h = vanishing_on_coset(common.degree_bits, domain)  # period 2^rate
    l0 = fk.mul(z_h, fk.batch_inverse(fk.mul(fk.sub(x, 1), n)))
    points = np.arange(0, 1 << common.lde_bits, stride, dtype=np.int64)
    cs, wires, zs = (o.lde_values if stride == 1 else gather_columns(o.lde_values, points) for o in oracles[:3])
    columns = CosetColumns(cs, wires, zs, x, l0, blinding_on_coset(common, x, z_h))
    challenges = (public_inputs_hash, beta, gamma, alpha)
    if options.reference:
        v = readable_vanishing_on_coset(common, columns, *challenges)
    else:
        v = compiled_vanishing_on_coset(common, columns, *challenges, options.threads)
    q = fk.ext_mul_base(v, np.tile(fk.batch_inverse(z_h[: 1 << rate]), n))  # 1 / Z_H: 2^rate inversions
    factor = common.config.quotient_degree_factor
    parts: list[FieldArray] = []
    for coordinate in (q.c0, q.c1):
        coeffs = coset_intt(coordinate, COSET_SHIFT)
        if np.any(coeffs[factor * n :]):
            raise ProvingError("constraints are not satisfied: the quotient is not a polynomial of degree < (d-1)n")
        parts.extend(quotient_chunks_from_coeffs(common, coeffs))
    return np.stack(parts)


def blinding_on_coset(common: CommonData, x: FieldArray, z_h: FieldArray) -> tuple[FieldArray, FieldArray] | None:
    """(L_{n-h}, Z_B) on the LDE coset with zero knowledge (``verifier.zero_knowledge.blinding_row_factors``)."""
    h = common.num_blinding_rows
    if not h:
        return None
    first = first_blinding_row_point(common.degree_bits, h)
    l_first = fk.mul(fk.mul(z_h, first), fk.batch_inverse(fk.mul(fk.sub(x, first), common.degree)))
    z_b = blinding_rows_vanishing(common.degree_bits, h, FieldVec(x))
    return l_first, z_b.a
