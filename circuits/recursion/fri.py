"""In-circuit twin of ``verifier.fri``: challenges, query rounds, folding, final polynomial.

Points are computed from the query-index bits: with L the domain's log size and
b_i the bits of q, x_q = s * w^{rev_L(q)} = s * prod_i (w^{2^{L-1-i}})^{b_i},
one arithmetic op per bit (acc * (1 + b_i (c_i - 1)) = (c_i - 1) acc b_i + acc).

The batching F_0(x) reuses the generic ``combine_initial`` with the per-proof
sums Y, Y' computed once (``batch_openings``); per query only the reduction of
the opened base values remains, placed in reducing-gate rows.

Folding evaluates the opened coset's interpolant at beta with the FRI folding
gate (``verifier.gates.fri_fold``): an inverse DFT of the values and a Horner
evaluation at beta / x0, the same value as the native ``barycentric_at``.
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
from verifier.fri import batch_openings, combine_initial, fri_folding_challenges, reverse_bits
from verifier.proof import COSET_SHIFT, NUM_ORACLES, CommonData


@dataclass(frozen=True)
class FriChallengesTarget:
    alpha: ExtValue
    betas: list[ExtValue]
    query_index_bits: list[list[Target]]


def fri_challenges_circuit(
    challenger: ChallengerTarget, common: CommonData, proof: FriProofTarget
) -> FriChallengesTarget:
    """Twin of ``fri_challenges``: the same folding challenges, then PoW and query bits as constraints."""
    alpha, betas = fri_folding_challenges(challenger, proof)
    challenger.check_pow(proof.pow_witness, common.config.pow_bits)
    bits = [challenger.get_query_index_bits(common.lde_bits) for _ in range(common.config.num_queries)]
    return FriChallengesTarget(alpha, betas, bits)


def point_from_bits(
    b: CircuitBuilder, shift: int, domain_bits: int, bits: Sequence[Target], acc: Target | None = None
) -> Target:
    """shift * w^{rev(q)}, w of order 2^domain_bits, rev over the ``len(bits)`` bits of q.

    One op per bit: acc * (1 + b_i (c_i - 1)) = (c_i - 1) acc b_i + acc. With ``acc`` given the
    product starts from it instead of the constant ``shift``.
    """
    omega = field.root_of_unity(domain_bits)
    n = len(bits)
    acc = b.constant(shift) if acc is None else b.scale(shift, acc) if shift != 1 else acc
    for i, bit in enumerate(bits):
        c = field.power(omega, 1 << (n - 1 - i))
        acc = b.arithmetic(c - 1, 1, acc, bit, acc)
    return acc


def fold_circuit(b: CircuitBuilder, natural: Sequence[ExtValue], x0_inv: Target, beta: ExtValue) -> ExtValue:
    """Twin of ``barycentric_at`` on the coset x0 <eta>: the FRI folding gate evaluated at beta / x0."""
    point = beta * ExtValue.lift(b, x0_inv)
    return ExtValue(b, b.fri_fold([v.t for v in natural], point.t))


def evaluate_poly_circuit(coeffs: Sequence[ExtValue], x: ExtValue) -> ExtValue:
    """Twin of ``evaluate_poly`` (Horner, in reducing-gate rows)."""
    return x.reduce_powers(coeffs)


def verify_fri_circuit(
    b: CircuitBuilder,
    common: CommonData,
    initial_caps: Sequence[Sequence[DigestTarget]],
    openings: OpeningSetTarget,
    zeta: ExtValue,
    challenges: FriChallengesTarget,
    proof: FriProofTarget,
) -> None:
    """Twin of ``verify_fri``: constrain every query round.

    Points. x (layer 0) comes from the query bits; for each layer the folding gate needs
    1 / x0 for the coset's first point x0 = x * eta^-rev(within), so the circuit carries
    1 / x down the layers: 1 / x0 = (1 / x) * eta^rev(within), and the next layer's
    point is x0^a, so its inverse is (1 / x0)^a. The final point is the inverse of the last.
    """
    batched = batch_openings(common, openings.at_zeta(), openings.zs_next, challenges.alpha, zeta)
    cap_height = common.config.cap_height
    for q_bits, query in zip(challenges.query_index_bits, proof.query_rounds, strict=True):
        cap_index = recompose(b, q_bits[len(q_bits) - cap_height :]) if cap_height else None
        for oracle in range(NUM_ORACLES):
            opening = query.initial[oracle]
            verify_merkle_proof_circuit(b, opening.values, q_bits, opening.siblings, initial_caps[oracle], cap_index)
        x = point_from_bits(b, COSET_SHIFT, common.lde_bits, q_bits)
        rows = [o.values for o in query.initial]
        value = combine_initial(common, rows, batched, challenges.alpha, ExtValue.lift(b, x))
        x_inv = b.inverse(x)
        bits = list(q_bits)
        for layer, (arity_bits, step) in enumerate(zip(common.fri_arities, query.steps, strict=True)):
            within, coset_bits = bits[:arity_bits], bits[arity_bits:]
            within_index = recompose(b, within)
            for k in range(2):
                claimed = b.random_access(within_index, [e.t[k] for e in step.evals])
                b.connect(claimed, value.t[k])
            leaf = [c for e in step.evals for c in e.t]
            verify_merkle_proof_circuit(b, leaf, coset_bits, step.siblings, proof.layer_caps[layer], cap_index)
            x0_inv = point_from_bits(b, 1, arity_bits, within, acc=x_inv)
            natural = [step.evals[reverse_bits(t, arity_bits)] for t in range(1 << arity_bits)]
            value = fold_circuit(b, natural, x0_inv, challenges.betas[layer])
            bits = coset_bits
            x_inv = x0_inv
            for _ in range(arity_bits):
                x_inv = b.mul(x_inv, x_inv)
        x_final = b.inverse(x_inv)
        value.assert_equal(evaluate_poly_circuit(proof.final_poly, ExtValue.lift(b, x_final)))
