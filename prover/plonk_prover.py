"""The prover: wires -> commitments, permutation argument, quotient, openings, FRI.

Follows the transcript order documented in ``verifier.plonk`` step by step.
With zero knowledge it draws the blinding of ``prover.blinding`` at each commitment.
All polynomial work is on whole columns (numpy + numba kernels); the
quotient stage (``prover.quotient``) evaluates the generic ``verifier.vanishing``
code over the LDE coset, compiled or by its readable reference path.
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
from prover.blinding import blind_permutation_columns, blind_rows, fri_mask
from prover.errors import ProvingError
from prover.field_kernels import ExtArray, FieldArray, gl_ext_mul
from prover.fri_prover import prove_fri
from prover.oracle import PolynomialBatch, ext_columns
from prover.quotient import QuotientOptions, quotient_chunks
from verifier import field
from verifier.extension import Ext
from verifier.goldilocks_jit import gl_add, gl_mul
from verifier.hashing import hash_elements
from verifier.proof import CommonData, OpeningSet, Proof, VerifierKey
from verifier.transcript import Challenger

__all__ = ["ProverKey", "ProvingError", "ProvingTimes", "prove"]

log = logging.getLogger(__name__)


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


def prove(
    key: ProverKey,
    wires: FieldArray,
    public_inputs: Sequence[int],
    times: ProvingTimes | None = None,
    quotient: QuotientOptions | None = None,
) -> Proof:
    """Prove that ``wires`` (num_wires x n) satisfies the circuit with these public inputs.

    ``quotient`` chooses how V is evaluated (compiled, on the process's proof threads by
    default); every choice gives the same proof.
    """
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
        chunks = quotient_chunks(common, oracles_so_far, pi_hash, beta, gamma, alpha, quotient or QuotientOptions())
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
