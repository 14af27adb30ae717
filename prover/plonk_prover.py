"""The prover: wires -> commitments, permutation argument, quotient, openings, FRI.

Follows the transcript order documented in ``verifier.plonk`` step by step.
All polynomial work is on whole columns (numpy + numba kernels); the
constraint maths is the generic ``verifier.vanishing`` code evaluated on
``FieldVec`` / ``ExtVec`` columns over the LDE coset.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field

import numpy as np
from numba import njit

from prover import field_kernels as fk
from prover.algebra import ExtVec, FieldVec
from prover.field_kernels import ExtArray, FieldArray, gl_ext_mul
from prover.fri_prover import prove_fri
from prover.ntt import coset_intt
from prover.oracle import PolynomialBatch, ext_columns
from verifier import field
from verifier.extension import Ext
from verifier.hashing import hash_elements
from verifier.proof import COSET_SHIFT, CommonData, OpeningSet, Proof, VerifierKey
from verifier.transcript import Challenger
from verifier.vanishing import reduce_terms, vanishing_terms

log = logging.getLogger(__name__)


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
    """Seconds spent per stage of the last proof (for benchmarks)."""

    stages: dict[str, float] = dataclass_field(default_factory=dict)

    def add(self, stage: str, seconds: float) -> None:
        self.stages[stage] = self.stages.get(stage, 0.0) + seconds


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


def permutation_columns(
    common: CommonData, wires: FieldArray, sigma_values: FieldArray, beta: Ext, gamma: Ext
) -> list[ExtArray]:
    """Z and the partial products on H (see ``verifier.vanishing``); raises if copy constraints fail."""
    n = common.degree
    k = common.num_routed_wires
    chunk = common.config.partial_product_chunk
    xs = fk.powers(field.root_of_unity(common.degree_bits), n)
    ratios: list[ExtVec] = []
    for start in range(0, k, chunk):
        num: ExtVec | None = None
        den: ExtVec | None = None
        for i in range(start, min(start + chunk, k)):
            w = FieldVec(wires[i])
            f = ExtVec.coerce(w + FieldVec(fk.mul(xs, common.k_is[i])) * beta + gamma)
            g = ExtVec.coerce(w + FieldVec(sigma_values[i]) * beta + gamma)
            num = f if num is None else num * f
            den = g if den is None else den * g
        assert num is not None and den is not None
        ratios.append(ExtVec(fk.ext_mul(num.e, fk.ext_batch_inverse(den.e))))
    row_ratio = ratios[0]
    for r in ratios[1:]:
        row_ratio = row_ratio * r
    z0 = np.empty(n, dtype=np.uint64)
    z1 = np.empty(n, dtype=np.uint64)
    total = _ext_exclusive_prefix_product(row_ratio.e.c0, row_ratio.e.c1, z0, z1)
    if (int(total[0]), int(total[1])) != (1, 0):
        raise ProvingError("copy constraints are violated: the permutation grand product is not 1")
    columns = [ExtArray(z0, z1)]
    acc = ExtVec(columns[0])
    for r in ratios[:-1]:
        acc = acc * r
        columns.append(acc.e)
    return columns


def quotient_chunks(
    common: CommonData,
    oracles: Sequence[PolynomialBatch],
    public_inputs_hash: Sequence[int],
    beta: Ext,
    gamma: Ext,
    alpha: Ext,
) -> FieldArray:
    """Q = V / Z_H on the LDE coset, interpolated and split into chunks of degree < n."""
    n = common.degree
    rate = common.config.rate_bits
    big_n = n << rate
    x = fk.mul(fk.powers(field.root_of_unity(common.lde_bits), big_n), COSET_SHIFT)
    x_n = fk.power(x, n)
    z_h = fk.sub(x_n, 1)
    l0 = fk.mul(z_h, fk.batch_inverse(fk.mul(fk.sub(x, 1), n)))
    cs, wires, zs = (o.lde_values for o in oracles[:3])
    nc = common.num_constant_columns
    zs_next = np.roll(zs[:2], -(1 << rate), axis=1)
    terms = vanishing_terms(
        common,
        x=FieldVec(x),
        l0_x=FieldVec(l0),
        constants=[FieldVec(c) for c in cs[:nc]],
        sigmas=[FieldVec(c) for c in cs[nc:]],
        wires=[FieldVec(w) for w in wires],
        zs_partials=[FieldVec(z) for z in zs],
        zs_next=[FieldVec(z) for z in zs_next],
        public_inputs_hash=list(public_inputs_hash),
        beta=beta,
        gamma=gamma,
    )
    v = ExtVec.coerce(reduce_terms(terms, alpha))
    q = fk.ext_mul_base(v.e, fk.batch_inverse(z_h))
    factor = common.config.quotient_degree_factor
    parts: list[FieldArray] = []
    for coordinate in (q.c0, q.c1):
        coeffs = coset_intt(coordinate, COSET_SHIFT)
        if np.any(coeffs[factor * n :]):
            raise ProvingError("constraints are not satisfied: the quotient is not a polynomial of degree < (d-1)n")
        parts.extend(coeffs[c * n : (c + 1) * n] for c in range(factor))
    return np.stack(parts)


def prove(key: ProverKey, wires: FieldArray, public_inputs: Sequence[int], times: ProvingTimes | None = None) -> Proof:
    """Prove that ``wires`` (num_wires x n) satisfies the circuit with these public inputs."""
    times = times if times is not None else ProvingTimes()
    common = key.common
    cfg = common.config
    if wires.shape != (cfg.num_wires, common.degree):
        raise ProvingError(f"wire matrix has shape {wires.shape}, expected {(cfg.num_wires, common.degree)}")
    pi_hash = hash_elements(public_inputs)
    challenger = Challenger()
    challenger.observe_digest(key.vk.circuit_digest)
    challenger.observe_digest(pi_hash)

    t = time.perf_counter()
    wires_batch = PolynomialBatch.from_values(wires, cfg.rate_bits, cfg.cap_height)
    times.add("commit wires (NTT + Merkle)", time.perf_counter() - t)
    for d in wires_batch.cap:
        challenger.observe_digest(d)
    beta = challenger.get_ext_challenge()
    gamma = challenger.get_ext_challenge()

    t = time.perf_counter()
    zs = permutation_columns(common, wires[: common.num_routed_wires], key.sigma_values, beta, gamma)
    zs_batch = PolynomialBatch.from_values(ext_columns(zs), cfg.rate_bits, cfg.cap_height)
    times.add("permutation argument", time.perf_counter() - t)
    for d in zs_batch.cap:
        challenger.observe_digest(d)
    alpha = challenger.get_ext_challenge()

    t = time.perf_counter()
    oracles_so_far = [key.constants_sigmas, wires_batch, zs_batch]
    chunks = quotient_chunks(common, oracles_so_far, pi_hash, beta, gamma, alpha)
    times.add("quotient", time.perf_counter() - t)
    t = time.perf_counter()
    quotient_batch = PolynomialBatch.from_coeffs(chunks, cfg.rate_bits, cfg.cap_height)
    times.add("commit quotient", time.perf_counter() - t)
    for d in quotient_batch.cap:
        challenger.observe_digest(d)
    zeta = challenger.get_ext_challenge()

    t = time.perf_counter()
    oracles = [*oracles_so_far, quotient_batch]
    g_zeta = zeta * field.root_of_unity(common.degree_bits)
    z_batch_next = PolynomialBatch(zs_batch.coeffs[:2], zs_batch.lde_values[:2], zs_batch.tree, cfg.rate_bits)
    openings = OpeningSet(
        constants_sigmas=tuple(key.constants_sigmas.evaluate_at(zeta)),
        wires=tuple(wires_batch.evaluate_at(zeta)),
        zs_partials=tuple(zs_batch.evaluate_at(zeta)),
        quotient=tuple(quotient_batch.evaluate_at(zeta)),
        zs_next=tuple(z_batch_next.evaluate_at(g_zeta)),
    )
    for v in openings.observed():
        challenger.observe_ext(v)
    times.add("openings", time.perf_counter() - t)

    t = time.perf_counter()
    fri = prove_fri(common, oracles, openings, zeta, challenger)
    times.add("FRI", time.perf_counter() - t)
    log.debug("proof stages: %s", times.stages)
    return Proof(
        wires_cap=wires_batch.cap,
        zs_partials_cap=zs_batch.cap,
        quotient_cap=quotient_batch.cap,
        openings=openings,
        fri=fri,
    )
