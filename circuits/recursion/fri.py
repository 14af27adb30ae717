"""In-circuit twin of ``verifier.fri``: challenges, query rounds, folding, final polynomial.

Points are computed from the query-index bits: with L the domain's log size and
b_i the bits of q, x_q = s * w^{rev_L(q)} = s * prod_i (w^{2^{L-1-i}})^{b_i},
each factor 1 + b_i (c_i - 1) for the constant c_i. Folding interpolates the
opened coset at beta with the barycentric formula (as ``barycentric_at``):

    P(beta) = (beta^a - x0^a) / (a x0^a) * sum_t e_t x_t / (beta - x_t),  x_t = x0 eta^t.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from circuits.builder import CircuitBuilder, DigestTarget
from circuits.recursion.challenger import ChallengerTarget
from circuits.recursion.ext_value import ExtValue
from circuits.recursion.merkle import recompose, verify_merkle_proof_circuit
from circuits.recursion.proof_target import FriProofTarget, OpeningSetTarget
from circuits.witness import Target
from verifier import field
from verifier.fri import combine_initial, reverse_bits
from verifier.proof import COSET_SHIFT, NUM_ORACLES, CommonData


@dataclass(frozen=True)
class FriChallengesTarget:
    alpha: ExtValue
    betas: list[ExtValue]
    query_index_bits: list[list[Target]]


def fri_challenges_circuit(
    challenger: ChallengerTarget, common: CommonData, proof: FriProofTarget
) -> FriChallengesTarget:
    """Twin of ``fri_challenges``."""
    alpha = challenger.get_ext_challenge()
    betas = []
    for cap in proof.layer_caps:
        for d in cap:
            challenger.observe_digest(d)
        betas.append(challenger.get_ext_challenge())
    for c in proof.final_poly:
        challenger.observe_ext(c)
    challenger.check_pow(proof.pow_witness, common.config.pow_bits)
    bits = [challenger.get_query_index_bits(common.lde_bits) for _ in range(common.config.num_queries)]
    return FriChallengesTarget(alpha, betas, bits)


def point_from_bits(b: CircuitBuilder, shift: int, domain_bits: int, bits: Sequence[Target]) -> Target:
    """shift * w^{rev(q)}, w of order 2^domain_bits, rev over the ``len(bits)`` bits of q."""
    omega = field.root_of_unity(domain_bits)
    n = len(bits)
    acc = b.constant(shift)
    for i, bit in enumerate(bits):
        c = field.power(omega, 1 << (n - 1 - i))
        acc = b.mul(acc, b.arithmetic(c - 1, 1, bit, b.one(), b.one()))
    return acc


def interpolate_coset_circuit(
    b: CircuitBuilder, natural: Sequence[ExtValue], x0: Target, arity_bits: int, point: ExtValue
) -> ExtValue:
    """Twin of ``barycentric_at`` on the coset x0 <eta> (values in natural order)."""
    arity = 1 << arity_bits
    eta = field.root_of_unity(arity_bits)
    xs = [b.scale(field.power(eta, t), x0) for t in range(arity)]
    terms = [v * ExtValue.lift(b, x) / (point - ExtValue.lift(b, x)) for v, x in zip(natural, xs, strict=True)]
    total = terms[0]
    for t in terms[1:]:
        total = total + t
    x0_a = x0
    for _ in range(arity_bits):
        x0_a = b.mul(x0_a, x0_a)
    scale = b.inverse(b.scale(arity, x0_a))
    return total * (point**arity - ExtValue.lift(b, x0_a)) * ExtValue.lift(b, scale)


def evaluate_poly_circuit(coeffs: Sequence[ExtValue], x: ExtValue) -> ExtValue:
    """Twin of ``evaluate_poly`` (Horner)."""
    acc = coeffs[-1]
    for c in reversed(coeffs[:-1]):
        acc = acc.mul_add(x, c)
    return acc


def verify_fri_circuit(
    b: CircuitBuilder,
    common: CommonData,
    initial_caps: Sequence[Sequence[DigestTarget]],
    openings: OpeningSetTarget,
    zeta: ExtValue,
    challenges: FriChallengesTarget,
    proof: FriProofTarget,
) -> None:
    """Twin of ``verify_fri``: constrain every query round."""
    at_zeta = openings.at_zeta()
    for q_bits, query in zip(challenges.query_index_bits, proof.query_rounds, strict=True):
        for oracle in range(NUM_ORACLES):
            opening = query.initial[oracle]
            verify_merkle_proof_circuit(b, opening.values, q_bits, opening.siblings, initial_caps[oracle])
        domain_bits = common.lde_bits
        shift = COSET_SHIFT
        x = point_from_bits(b, shift, domain_bits, q_bits)
        rows = [[ExtValue.lift(b, v) for v in o.values] for o in query.initial]
        value = combine_initial(common, rows, at_zeta, openings.zs_next, challenges.alpha, zeta, ExtValue.lift(b, x))
        bits = list(q_bits)
        for layer, (arity_bits, step) in enumerate(zip(common.fri_arities, query.steps, strict=True)):
            within, coset_bits = bits[:arity_bits], bits[arity_bits:]
            within_index = recompose(b, within)
            for k in range(2):
                claimed = b.random_access(within_index, [e.t[k] for e in step.evals])
                b.connect(claimed, value.t[k])
            leaf = [c for e in step.evals for c in e.t]
            verify_merkle_proof_circuit(b, leaf, coset_bits, step.siblings, proof.layer_caps[layer])
            x0 = point_from_bits(b, shift, domain_bits, coset_bits)
            natural = [step.evals[reverse_bits(t, arity_bits)] for t in range(1 << arity_bits)]
            value = interpolate_coset_circuit(b, natural, x0, arity_bits, challenges.betas[layer])
            bits = coset_bits
            domain_bits -= arity_bits
            shift = field.power(shift, 1 << arity_bits)
            x = x0
            for _ in range(arity_bits):
                x = b.mul(x, x)
        value.assert_equal(evaluate_poly_circuit(proof.final_poly, ExtValue.lift(b, x)))
