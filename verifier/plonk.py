"""Native verification of a proof: shape, transcript replay, vanishing identity at zeta, FRI.

Transcript order (prover and both verifiers follow it exactly):

    observe circuit digest, public-input hash
    observe wires cap                 -> beta, gamma in F_p2
    observe Z/partial-products cap    -> alpha in F_p2
    observe quotient cap              -> zeta in F_p2
    observe all openings              -> FRI: batching challenge, per-layer
                                         betas, final polynomial, PoW, queries

The vanishing check at zeta (see ``verifier.vanishing``; V(zeta) by ``vanishing_combination``):

    V(zeta) = Z_H(zeta) * sum_c zeta^{c m} (Q0_c(zeta) + u Q1_c(zeta)),
    Z_H(zeta) = zeta^n - 1,  L_0(zeta) = (zeta^n - 1) / (n (zeta - 1)),

with m = n (or n - b with zero knowledge, ``verifier.zero_knowledge.quotient_layout``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from verifier import field
from verifier.algebra import F
from verifier.errors import VerificationError, VerificationFailure
from verifier.extension import Ext
from verifier.fri import FriError, fri_challenges, verify_fri
from verifier.fri_batch import fri_queries_pass
from verifier.hashing import Digest, hash_elements
from verifier.polynomial import lagrange_at, vanishing_at
from verifier.proof import CommonData, Proof, VerifierKey
from verifier.transcript import Challenger
from verifier.vanishing import EvaluationVars, ext_from_columns, vanishing_combination
from verifier.vanishing_tape import compiled_vanishing_combination
from verifier.zero_knowledge import blinding_row_factors

PlonkChallenges = tuple[Any, Any, Any, Any]
"""(beta, gamma, alpha, zeta): Ext natively, ExtValue in-circuit."""


def _check_cap(name: str, cap: Sequence[Digest], cap_height: int) -> None:
    if len(cap) != 1 << cap_height:
        raise VerificationError(
            VerificationFailure.BAD_FORMAT, f"{name} cap has {len(cap)} digests, expected {1 << cap_height}"
        )


def validate_shape(common: CommonData, proof: Proof) -> None:
    """Every length in the proof matches the circuit's common data (checked before any other use)."""
    cfg = common.config
    _check_cap("wires", proof.wires_cap, cfg.cap_height)
    _check_cap("Z/partials", proof.zs_partials_cap, cfg.cap_height)
    _check_cap("quotient", proof.quotient_cap, cfg.cap_height)
    widths = common.oracle_widths()
    o = proof.openings
    expected = {
        "constants/sigmas openings": (len(o.constants_sigmas), widths[0]),
        "wire openings": (len(o.wires), widths[1]),
        "Z/partials openings": (len(o.zs_partials), widths[2]),
        "quotient openings": (len(o.quotient), widths[3]),
        "Z(g*zeta) openings": (len(o.zs_next), 2),
        "FRI layer caps": (len(proof.fri.layer_caps), len(common.fri_arities)),
        "FRI query rounds": (len(proof.fri.query_rounds), cfg.num_queries),
        "final polynomial coefficients": (len(proof.fri.final_poly), common.final_poly_len),
    }
    for what, (got, want) in expected.items():
        if got != want:
            raise VerificationError(VerificationFailure.BAD_FORMAT, f"proof has {got} {what}, circuit expects {want}")
    for cap in proof.fri.layer_caps:
        _check_cap("FRI layer", cap, cfg.cap_height)
    initial_path = common.lde_bits - cfg.cap_height
    leaf_widths = common.leaf_widths()
    for i, qr in enumerate(proof.fri.query_rounds):
        if len(qr.initial) != len(leaf_widths) or len(qr.steps) != len(common.fri_arities):
            raise VerificationError(VerificationFailure.BAD_FORMAT, f"FRI query {i} has the wrong number of openings")
        for opening, width in zip(qr.initial, leaf_widths, strict=True):
            if len(opening.values) != width or len(opening.proof.siblings) != initial_path:
                raise VerificationError(
                    VerificationFailure.BAD_FORMAT, f"FRI query {i}: oracle opening has the wrong shape"
                )
        layer_bits = common.lde_bits
        for step, arity_bits in zip(qr.steps, common.fri_arities, strict=True):
            layer_bits -= arity_bits
            if len(step.evals) != 1 << arity_bits or len(step.proof.siblings) != layer_bits - cfg.cap_height:
                raise VerificationError(
                    VerificationFailure.BAD_FORMAT, f"FRI query {i}: layer opening has the wrong shape"
                )


def plonk_challenges(
    challenger: Any, circuit_digest: Sequence[Any], pi_hash: Sequence[Any], proof: Any
) -> PlonkChallenges:
    """Replay the transcript up to FRI (the order in the module docstring); returns (beta, gamma, alpha, zeta).

    Generic: the native verifier passes a ``Challenger`` and a ``Proof``, the
    recursive verifier a ``ChallengerTarget`` and a ``ProofTarget``, so both
    absorb exactly the same values in the same order.
    """
    challenger.observe_digest(circuit_digest)
    challenger.observe_digest(pi_hash)
    for d in proof.wires_cap:
        challenger.observe_digest(d)
    beta = challenger.get_ext_challenge()
    gamma = challenger.get_ext_challenge()
    for d in proof.zs_partials_cap:
        challenger.observe_digest(d)
    alpha = challenger.get_ext_challenge()
    for d in proof.quotient_cap:
        challenger.observe_digest(d)
    zeta = challenger.get_ext_challenge()
    for v in proof.openings.observed():
        challenger.observe_ext(v)
    return beta, gamma, alpha, zeta


def quotient_at(common: CommonData, quotient: Sequence[F], zeta_m: F) -> F:
    """Q(zeta) = sum_c zeta^{c m} (Q0_c + u Q1_c) from the chunk openings, m = ``quotient_stride`` (generic)."""
    k = common.num_quotient_chunks
    chunks = [ext_from_columns(quotient[c], quotient[k + c]) for c in range(k)]
    return zeta_m.reduce_powers(chunks)


def stride_power(common: CommonData, zeta: F, zeta_n: F) -> F:
    """zeta^m for the quotient stride m (zeta^n itself unless zero knowledge shortens the stride)."""
    return zeta_n if common.quotient_stride == common.degree else zeta**common.quotient_stride


def blinding_at(common: CommonData, zeta: F, z_h: F) -> tuple[F, F] | None:
    """(L_{n-h}(zeta), Z_B(zeta)) with zero knowledge, None otherwise (generic)."""
    if not common.num_blinding_rows:
        return None
    return blinding_row_factors(common.degree_bits, common.num_blinding_rows, zeta, z_h)


def evaluation_vars_at_zeta(
    common: CommonData,
    proof: Proof,
    zeta: Ext,
    l0: Ext,
    z_h: Ext,
    pi_hash: Digest,
    beta: Ext,
    gamma: Ext,
) -> EvaluationVars[Ext]:
    """The inputs of V(zeta) read off the proof's openings: x = zeta, L_0(zeta), the constant, sigma, wire and
    Z columns at zeta (and Z at g*zeta), the public-inputs hash, beta, gamma and the blinding terms at zeta."""
    o = proof.openings
    nc = common.num_constant_columns
    return EvaluationVars(
        x=zeta,
        l0_x=l0,
        constants=o.constants_sigmas[:nc],
        sigmas=o.constants_sigmas[nc:],
        wires=o.wires,
        zs_partials=o.zs_partials,
        zs_next=o.zs_next,
        public_inputs_hash=pi_hash,
        beta=beta,
        gamma=gamma,
        blinding=blinding_at(common, zeta, z_h),
    )


def verify_proof(vk: VerifierKey, proof: Proof, public_inputs: Sequence[int], *, reference: bool = False) -> None:
    """Accept (return None) or raise VerificationError with the reason.

    V(zeta) is computed from the circuit shape's compiled tape
    (:mod:`verifier.vanishing_tape`, the same value as
    :func:`~verifier.vanishing.vanishing_combination`), and the FRI queries
    are first checked all at once by the compiled batch path
    (:func:`verifier.fri_batch.fri_queries_pass`); unless it accepts, or with
    ``reference=True``, the readable reference :func:`verifier.fri.verify_fri`
    decides and names the failing check.  ``reference=True`` also evaluates
    V(zeta) with the readable generic code.
    """
    common = vk.common
    if len(public_inputs) != common.num_public_inputs:
        raise VerificationError(
            VerificationFailure.PUBLIC_INPUTS,
            f"got {len(public_inputs)} public inputs, circuit has {common.num_public_inputs}",
        )
    for v in public_inputs:
        if not 0 <= v < field.P:
            raise VerificationError(
                VerificationFailure.PUBLIC_INPUTS, f"public input {v} is not a canonical field element"
            )
    validate_shape(common, proof)
    pi_hash = hash_elements(public_inputs)

    challenger = Challenger()
    beta, gamma, alpha, zeta = plonk_challenges(challenger, vk.circuit_digest, pi_hash, proof)

    z_h = vanishing_at(common.degree_bits, zeta)
    if z_h == 0:
        raise VerificationError(VerificationFailure.TRANSCRIPT, "zeta lies in the trace domain")
    zeta_n = z_h + 1
    l0 = lagrange_at(common.degree_bits, 0, zeta)
    o = proof.openings
    openings = evaluation_vars_at_zeta(common, proof, zeta, l0, z_h, pi_hash, beta, gamma)
    v_zeta = (vanishing_combination if reference else compiled_vanishing_combination)(common, openings, alpha)
    if v_zeta != z_h * quotient_at(common, o.quotient, stride_power(common, zeta, zeta_n)):
        raise VerificationError(
            VerificationFailure.VANISHING, "vanishing identity fails at zeta: constraints are not satisfied"
        )

    try:
        challenges = fri_challenges(challenger, common, proof.fri)
        caps = (vk.constants_sigmas_cap, proof.wires_cap, proof.zs_partials_cap, proof.quotient_cap)
        if reference or not fri_queries_pass(common, caps, o, zeta, challenges, proof.fri):
            verify_fri(common, caps, o, zeta, challenges, proof.fri)
    except FriError as exc:
        raise VerificationError(exc.kind, f"FRI: {exc}") from exc
