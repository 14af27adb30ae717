"""The prover: wires -> commitments, permutation argument, quotient, openings, FRI.

Follows the transcript order documented in ``verifier.plonk`` step by step.
With zero knowledge it draws the blinding of ``prover.blinding`` at each commitment.
All polynomial work is on whole columns (numpy + numba kernels); the
constraint maths is the generic ``verifier.vanishing`` code evaluated on
``FieldVec`` / ``ExtVec`` columns over the LDE coset.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from dataclasses import field as dataclass_field

import numpy as np
from numba import njit

from prover import field_kernels as fk
from prover.algebra import ExtVec, FieldVec
from prover.blinding import blind_permutation_columns, blind_rows, fri_mask, quotient_chunks_from_coeffs
from prover.field_kernels import ExtArray, FieldArray, gl_ext_mul
from prover.fri_prover import prove_fri
from prover.ntt import coset_intt
from prover.oracle import PolynomialBatch, ext_columns
from verifier import field
from verifier.extension import Ext
from verifier.goldilocks_jit import gl_add, gl_mul
from verifier.hashing import hash_elements
from verifier.proof import COSET_SHIFT, CommonData, OpeningSet, Proof, VerifierKey
from verifier.transcript import Challenger
from verifier.vanishing import EvaluationVars, vanishing_terms
from verifier.zero_knowledge import blinding_rows_vanishing, first_blinding_row_point

log = logging.getLogger(__name__)

QUOTIENT_SLICE_BITS = 15
"""The vanishing polynomial is evaluated on slices of 2^15 coset points at a time."""


class ProvingError(ValueError):
    """The witness does not satisfy the circuit, so no valid proof exists."""


@dataclass
class ProverKey:
    """The preprocessed data the prover needs beyond the verifier key."""

    vk: VerifierKey
    constants_sigmas: PolynomialBatch
    sigma_values: FieldArray  # (num_routed_wires, n): sigma_i on H

    @property
    def common(self) -> CommonData:
        return self.vk.common


@dataclass
class ProvingTimes:
    """Seconds spent per stage of the last proof (for benchmarks).

    ``clock`` is wall time by default; ``time.process_time`` gives CPU time, which a
    busy shared machine disturbs far less.
    """

    stages: dict[str, float] = dataclass_field(default_factory=dict)
    clock: Callable[[], float] = time.perf_counter

    def add(self, stage: str, seconds: float) -> None:
        self.stages[stage] = self.stages.get(stage, 0.0) + seconds

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Time the enclosed block as stage ``name``."""
        start = self.clock()
        try:
            yield
        finally:
            self.add(name, self.clock() - start)


@njit(cache=True)
def _ext_exclusive_prefix_product(r0: FieldArray, r1: FieldArray, out0: FieldArray, out1: FieldArray) -> tuple:  # type: ignore[type-arg]
    """out[0] = 1, out[i] = r[0] * ... * r[i-1]; returns the full product r[0] * ... * r[n-1]."""
    a0 = np.uint64(1)
    a1 = np.uint64(0)
    for i in range(r0.shape[0]):
        out0[i] = a0
        out1[i] = a1
        a0, a1 = gl_ext_mul(a0, a1, r0[i], r1[i])
    return a0, a1


@njit(cache=True)
def _chunk_ratio_factors(
    wires: FieldArray,
    sigmas: FieldArray,
    xs: FieldArray,
    k_is: FieldArray,
    start: int,
    stop: int,
    beta: ExtArray,
    gamma: ExtArray,
    num: ExtArray,
    den: ExtArray,
) -> None:
    """Per row r: num = prod_{start <= i < stop} f_i, den = prod g_i (f_i, g_i of ``verifier.vanishing``).

    ``beta`` and ``gamma`` are 1-element extension arrays.
    """
    b0, b1 = beta.c0[0], beta.c1[0]
    g0, g1 = gamma.c0[0], gamma.c1[0]
    num.c0[:] = 1
    num.c1[:] = 0
    den.c0[:] = 1
    den.c1[:] = 0
    for i in range(start, stop):  # rows innermost: independent, so the loop vectorizes
        k = k_is[i]
        w_i = wires[i]
        s_i = sigmas[i]
        for r in range(xs.shape[0]):
            kx = gl_mul(k, xs[r])  # identity label k_i x
            f0, f1 = gl_add(gl_add(w_i[r], gl_mul(b0, kx)), g0), gl_add(gl_mul(b1, kx), g1)
            num.c0[r], num.c1[r] = gl_ext_mul(num.c0[r], num.c1[r], f0, f1)
            d0, d1 = gl_add(gl_add(w_i[r], gl_mul(b0, s_i[r])), g0), gl_add(gl_mul(b1, s_i[r]), g1)
            den.c0[r], den.c1[r] = gl_ext_mul(den.c0[r], den.c1[r], d0, d1)


def permutation_columns(
    common: CommonData, wires: FieldArray, sigma_values: FieldArray, beta: Ext, gamma: Ext
) -> list[ExtArray]:
    """Z and the partial products on H (see ``verifier.vanishing``); raises if copy constraints fail.

    ratio_t = prod_{i in chunk t} f_i / g_i per row (one fused pass per chunk), Z the exclusive
    prefix product over rows of prod_t ratio_t, and pi_t = Z * ratio_0 * ... * ratio_{t-1}.
    """
    n = common.degree
    k = common.num_routed_wires
    chunk = common.config.partial_product_chunk
    xs = fk.powers(field.root_of_unity(common.degree_bits), n)
    k_is = np.array(common.k_is, dtype=np.uint64)
    wires = np.ascontiguousarray(wires)
    sigmas = np.ascontiguousarray(sigma_values)
    challenges = [fk.ext_from_elements([c]) for c in (beta, gamma)]
    ratios: list[ExtArray] = []
    for start in range(0, k, chunk):
        num = ExtArray(np.empty(n, dtype=np.uint64), np.empty(n, dtype=np.uint64))
        den = ExtArray(np.empty(n, dtype=np.uint64), np.empty(n, dtype=np.uint64))
        bounds = (start, min(start + chunk, k))
        _chunk_ratio_factors(wires, sigmas, xs, k_is, *bounds, challenges[0], challenges[1], num, den)
        ratios.append(fk.ext_mul(num, fk.ext_batch_inverse(den)))
    row_ratio = ratios[0]
    for r in ratios[1:]:
        row_ratio = fk.ext_mul(row_ratio, r)
    z0 = np.empty(n, dtype=np.uint64)
    z1 = np.empty(n, dtype=np.uint64)
    total = _ext_exclusive_prefix_product(row_ratio.c0, row_ratio.c1, z0, z1)
    if (int(total[0]), int(total[1])) != (1, 0):
        raise ProvingError("copy constraints are violated: the permutation grand product is not 1")
    columns = [ExtArray(z0, z1)]
    for r in ratios[:-1]:
        columns.append(fk.ext_mul(columns[-1], r))
    return columns


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


def quotient_chunks(
    common: CommonData,
    oracles: Sequence[PolynomialBatch],
    public_inputs_hash: Sequence[int],
    beta: Ext,
    gamma: Ext,
    alpha: Ext,
) -> FieldArray:
    """Q = V / Z_H on the quotient subcoset of the LDE coset, interpolated and split into chunks of degree < n.

    The subcoset s*H_{2^k n} (k = ``quotient_rate_bits``) is every 2^(rate_bits - k)-th LDE point, enough
    for deg Q < (max_degree - 1) n; at rate 1/8 it is the whole LDE coset.
    """
    n = common.degree
    rate = common.config.quotient_rate_bits
    stride = 1 << (common.config.rate_bits - rate)
    big_n = n << rate
    x = fk.mul(fk.powers(pow(field.root_of_unity(common.lde_bits), stride, field.P), big_n), COSET_SHIFT)
    x_n = fk.power(x, n)
    z_h = fk.sub(x_n, 1)
    l0 = fk.mul(z_h, fk.batch_inverse(fk.mul(fk.sub(x, 1), n)))
    cs, wires, zs = (np.ascontiguousarray(o.lde_values[:, ::stride]) for o in oracles[:3])
    blinding = blinding_on_coset(common, x, z_h)
    nc = common.num_constant_columns
    zs_next = np.roll(zs[:2], -(1 << rate), axis=1)
    v = ExtArray(np.empty(big_n, dtype=np.uint64), np.empty(big_n, dtype=np.uint64))
    # V is evaluated point-wise, so slices of the coset are independent: slicing bounds the
    # memory of the ~250 term vectors alive at once and keeps them closer to the caches.
    step = min(big_n, 1 << QUOTIENT_SLICE_BITS)
    for s in range(0, big_n, step):
        cut = slice(s, s + step)
        columns = EvaluationVars[FieldVec | ExtVec](
            x=FieldVec(x[cut]),
            l0_x=FieldVec(l0[cut]),
            constants=[FieldVec(c[cut]) for c in cs[:nc]],
            sigmas=[FieldVec(c[cut]) for c in cs[nc:]],
            wires=[FieldVec(w[cut]) for w in wires],
            zs_partials=[FieldVec(z[cut]) for z in zs],
            zs_next=[FieldVec(z[cut]) for z in zs_next],
            public_inputs_hash=list(public_inputs_hash),
            beta=beta,
            gamma=gamma,
            blinding=None if blinding is None else (FieldVec(blinding[0][cut]), FieldVec(blinding[1][cut])),
        )
        part = combine_terms(vanishing_terms(common, columns), alpha, step)
        v.c0[cut], v.c1[cut] = part
    q = fk.ext_mul_base(v, fk.batch_inverse(z_h))
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


def prove(key: ProverKey, wires: FieldArray, public_inputs: Sequence[int], times: ProvingTimes | None = None) -> Proof:
    """Prove that ``wires`` (num_wires x n) satisfies the circuit with these public inputs."""
    times = times if times is not None else ProvingTimes()
    common = key.common
    cfg = common.config
    if wires.shape != (cfg.num_wires, common.degree):
        raise ProvingError(f"wire matrix has shape {wires.shape}, expected {(cfg.num_wires, common.degree)}")
    wires = np.ascontiguousarray(blind_rows(wires, common.num_blinding_rows))
    salt = common.salt_size
    pi_hash = hash_elements(public_inputs)
    challenger = Challenger()
    challenger.observe_digest(key.vk.circuit_digest)
    challenger.observe_digest(pi_hash)

    with times.stage("commit wires (NTT + Merkle)"):
        wires_batch = PolynomialBatch.from_values(wires, cfg.rate_bits, cfg.cap_height, salt)
    for d in wires_batch.cap:
        challenger.observe_digest(d)
    beta = challenger.get_ext_challenge()
    gamma = challenger.get_ext_challenge()

    with times.stage("permutation argument"):
        zs = permutation_columns(common, wires[: common.num_routed_wires], key.sigma_values, beta, gamma)
        zs = blind_permutation_columns(zs, common.num_blinding_rows)
        zs_batch = PolynomialBatch.from_values(ext_columns(zs), cfg.rate_bits, cfg.cap_height, salt)
    for d in zs_batch.cap:
        challenger.observe_digest(d)
    alpha = challenger.get_ext_challenge()

    oracles_so_far = [key.constants_sigmas, wires_batch, zs_batch]
    with times.stage("quotient"):
        chunks = quotient_chunks(common, oracles_so_far, pi_hash, beta, gamma, alpha)
    with times.stage("commit quotient"):
        quotient_columns = np.vstack([chunks, fri_mask(common)])
        quotient_batch = PolynomialBatch.from_coeffs(quotient_columns, cfg.rate_bits, cfg.cap_height, salt)
    for d in quotient_batch.cap:
        challenger.observe_digest(d)
    zeta = challenger.get_ext_challenge()

    oracles = [*oracles_so_far, quotient_batch]
    with times.stage("openings"):
        g_zeta = zeta * field.root_of_unity(common.degree_bits)
        z_batch_next = PolynomialBatch(zs_batch.coeffs[:2], zs_batch.lde_values[:2], zs_batch.tree, cfg.rate_bits)
        openings = OpeningSet(
            constants_sigmas=tuple(key.constants_sigmas.evaluate_at(zeta)),
            wires=tuple(wires_batch.evaluate_at(zeta)),
            zs_partials=tuple(zs_batch.evaluate_at(zeta)),
            quotient=tuple(quotient_batch.evaluate_at(zeta)[: common.num_quotient_columns]),
            zs_next=tuple(z_batch_next.evaluate_at(g_zeta)),
        )
        for v in openings.observed():
            challenger.observe_ext(v)

    with times.stage("FRI"):
        fri = prove_fri(common, oracles, openings, zeta, challenger)
    log.debug("proof stages: %s", times.stages)
    return Proof(
        wires_cap=wires_batch.cap,
        zs_partials_cap=zs_batch.cap,
        quotient_cap=quotient_batch.cap,
        openings=openings,
        fri=fri,
    )
