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
from prover.field_kernels import ExtArray, FieldArray, batch_inverse_into, gl_ext_mul, gl_ext_norm
from prover.fri_prover import prove_fri
from prover.oracle import PolynomialBatch, ext_columns
from prover.quotient import QuotientOptions, quotient_chunks
from prover.threads import proof_threads, run_in_parts
from verifier import field
from verifier.extension import Ext
from verifier.goldilocks_jit import gl_add, gl_mul, gl_sub
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


MIN_ROWS_PER_THREAD = 1 << 11
"""The permutation argument of fewer rows per thread than this stays on one thread."""


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


@njit(cache=True, nogil=True)
def _permutation_ratios(
    wires: FieldArray,
    sigmas: FieldArray,
    xs: FieldArray,
    k_is: FieldArray,
    chunk: int,
    challenges: FieldArray,
    ratios0: FieldArray,
    ratios1: FieldArray,
    z0: FieldArray,
    z1: FieldArray,
    first: int,
    stop: int,
) -> tuple:  # type: ignore[type-arg]
    """On the rows r in [first, stop): ratio_t[r] = prod_{i in chunk t} f_i / g_i, and Z's part before the offset.

    f_i = w_i + beta k_i x + gamma, g_i = w_i + beta sigma_i + gamma (``verifier.vanishing``;
    ``challenges`` = (beta0, beta1, gamma0, gamma1)); the denominators of a chunk are inverted
    together through their norms (one base-field inversion per chunk and part). Then
    z[r] = prod_{first <= j < r} prod_t ratio_t[j] (1 at r = first). Returns (ok, the part's
    product c0, c1); ok is False if some g_i is zero (ratios and z are then undefined).
    """
    b0, b1, g0, g1 = challenges[0], challenges[1], challenges[2], challenges[3]
    rows = stop - first
    num0 = np.empty(rows, dtype=np.uint64)
    num1 = np.empty(rows, dtype=np.uint64)
    den0 = np.empty(rows, dtype=np.uint64)
    den1 = np.empty(rows, dtype=np.uint64)
    norms = np.empty(rows, dtype=np.uint64)
    inverses = np.empty(rows, dtype=np.uint64)
    for t in range(ratios0.shape[0]):
        num0[:] = 1
        num1[:] = 0
        den0[:] = 1
        den1[:] = 0
        for i in range(t * chunk, min((t + 1) * chunk, wires.shape[0])):  # rows innermost: the loop vectorizes
            k = k_is[i]
            w_i = wires[i, first:stop]
            s_i = sigmas[i, first:stop]
            for j in range(rows):
                kx = gl_mul(k, xs[first + j])  # identity label k_i x
                f0, f1 = gl_add(gl_add(w_i[j], gl_mul(b0, kx)), g0), gl_add(gl_mul(b1, kx), g1)
                num0[j], num1[j] = gl_ext_mul(num0[j], num1[j], f0, f1)
                d0, d1 = gl_add(gl_add(w_i[j], gl_mul(b0, s_i[j])), g0), gl_add(gl_mul(b1, s_i[j]), g1)
                den0[j], den1[j] = gl_ext_mul(den0[j], den1[j], d0, d1)
        for j in range(rows):  # (d0 + d1 X)^-1 = (d0 - d1 X) / (d0^2 - W d1^2)
            norms[j] = gl_ext_norm(den0[j], den1[j])
        if batch_inverse_into(norms, inverses) >= 0:
            return False, np.uint64(0), np.uint64(0)
        for j in range(rows):
            i0, i1 = gl_mul(den0[j], inverses[j]), gl_sub(np.uint64(0), gl_mul(den1[j], inverses[j]))
            ratios0[t, first + j], ratios1[t, first + j] = gl_ext_mul(num0[j], num1[j], i0, i1)
    num0[:] = 1  # now prod_t ratio_t per row (t outer: independent rows, so the loop vectorizes)
    num1[:] = 0
    for t in range(ratios0.shape[0]):
        for j in range(rows):
            num0[j], num1[j] = gl_ext_mul(num0[j], num1[j], ratios0[t, first + j], ratios1[t, first + j])
    a0 = np.uint64(1)
    a1 = np.uint64(0)
    for j in range(rows):
        z0[first + j] = a0
        z1[first + j] = a1
        a0, a1 = gl_ext_mul(a0, a1, num0[j], num1[j])
    return True, a0, a1


@njit(cache=True, nogil=True)
def _permutation_columns(
    ratios0: FieldArray,
    ratios1: FieldArray,
    offset0: np.uint64,
    offset1: np.uint64,
    out0: FieldArray,
    out1: FieldArray,
    first: int,
    stop: int,
) -> None:
    """On the rows in [first, stop): Z = offset * (out[0]'s part), pi_t = Z ratio_0 ... ratio_{t-1}, into out[t]."""
    for j in range(first, stop):
        out0[0, j], out1[0, j] = gl_ext_mul(out0[0, j], out1[0, j], offset0, offset1)
    for t in range(1, out0.shape[0]):
        for j in range(first, stop):
            out0[t, j], out1[t, j] = gl_ext_mul(out0[t - 1, j], out1[t - 1, j], ratios0[t - 1, j], ratios1[t - 1, j])


def permutation_columns(
    common: CommonData, wires: FieldArray, sigma_values: FieldArray, beta: Ext, gamma: Ext
) -> list[ExtArray]:
    """Z and the partial products on H (see ``verifier.vanishing``); raises if copy constraints fail.

    ratio_t = prod_{i in chunk t} f_i / g_i per row, Z the exclusive prefix product over rows of
    prod_t ratio_t, and pi_t = Z * ratio_0 * ... * ratio_{t-1}. On the proof's threads the rows
    are split into contiguous parts: each part computes its ratios and its own prefix product and
    total, an exclusive prefix product of the part totals gives each part's offset (and the grand
    product, which must be 1), and each part scales its Z by its offset and forms the partial
    products. Field products are exact, so the columns do not depend on the split.
    """
    n = common.degree
    k = common.num_routed_wires
    chunk = common.config.partial_product_chunk
    num_ratios = -(-k // chunk)
    xs = fk.powers(field.root_of_unity(common.degree_bits), n)
    k_is = np.array(common.k_is, dtype=np.uint64)
    wires = np.ascontiguousarray(wires)
    sigmas = np.ascontiguousarray(sigma_values)
    challenges = np.array([beta.a0, beta.a1, gamma.a0, gamma.a1], dtype=np.uint64)
    ratios0 = np.empty((num_ratios, n), dtype=np.uint64)
    ratios1 = np.empty((num_ratios, n), dtype=np.uint64)
    out0 = np.empty((num_ratios, n), dtype=np.uint64)  # row 0: Z, row t: pi_t
    out1 = np.empty((num_ratios, n), dtype=np.uint64)
    threads = proof_threads()
    totals: dict[int, tuple[bool, int, int]] = {}

    def ratios_part(first: int, stop: int) -> None:
        args = (ratios0, ratios1, out0[0], out1[0], first, stop)
        totals[first] = _permutation_ratios(wires, sigmas, xs, k_is, chunk, challenges, *args)

    run_in_parts(n, ratios_part, threads, MIN_ROWS_PER_THREAD)
    starts = sorted(totals)
    if not all(totals[s][0] for s in starts):
        raise ProvingError("a permutation denominator w_i + beta sigma_i + gamma is zero")
    part0 = np.array([totals[s][1] for s in starts], dtype=np.uint64)
    part1 = np.array([totals[s][2] for s in starts], dtype=np.uint64)
    offset0, offset1 = np.empty_like(part0), np.empty_like(part1)
    total = _ext_exclusive_prefix_product(part0, part1, offset0, offset1)
    if (int(total[0]), int(total[1])) != (1, 0):
        raise ProvingError("copy constraints are violated: the permutation grand product is not 1")
    offsets = {s: (offset0[i], offset1[i]) for i, s in enumerate(starts)}

    def columns_part(first: int, stop: int) -> None:
        _permutation_columns(ratios0, ratios1, *offsets[first], out0, out1, first, stop)

    run_in_parts(n, columns_part, threads, MIN_ROWS_PER_THREAD)
    return [ExtArray(out0[t], out1[t]) for t in range(num_ratios)]


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
