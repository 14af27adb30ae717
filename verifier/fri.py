"""Batch FRI verification (native).

Batching. All columns f_0..f_{M-1} (oracles in order) are opened at zeta with
claimed values y_i, and Z's two columns at g*zeta with values y'_j. With the
batching challenge a in F_p2 the prover commits to the low-degree polynomial

    F_0(X) = sum_i a^i (f_i(X) - y_i) / (X - zeta)
           + a^M * sum_j a^j (z_j(X) - y'_j) / (X - g zeta)

which has degree < n exactly when every claimed value is right. With zero
knowledge the prover adds a^(M+2) (R_0(X) + a R_1(X)) for the mask R, whose
two uniformly random columns (degree < n) end the quotient oracle and are not
opened at zeta: F_0 is then uniform among polynomials of degree < n whatever
the witness, and so is everything FRI reveals (docs/protocol.md). The verifier
splits it into a per-proof part, Y = sum_i a^i y_i, Y' = sum_j a^j y'_j and a^M
(``batch_openings``), and a per-query part, the reduction of the opened values
(``combine_initial``): F_0(x) = (Y - sum_i a^i f_i(x)) / (zeta - x) + a^M (...).

Folding. Layer r lives on D_r = s^{A_r} <w_r> (|D_r| = 2^{L_r}, A_r the
product of previous arities), stored bit-reversed so that the a = 2^k points
sharing x^a are one Merkle leaf. Writing F_r(X) = sum_{t<a} X^t F_{r,t}(X^a),
the next layer is F_{r+1}(Y) = sum_t beta_r^t F_{r,t}(Y); its value at
y = x_0^a is the interpolant of F_r over the coset x_0 <eta> evaluated at
beta_r. The last layer is sent as a polynomial of degree < 2^final_bits.

Query. For a random position q in D_0: open every oracle's row at q, compute
F_0(x_q) from it, then for each layer check the opened coset contains the
running value, verify its Merkle path, and fold. Finally compare with the
final polynomial. A proof-of-work of ``pow_bits`` precedes query sampling.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic

from verifier import field
from verifier.algebra import F
from verifier.errors import VerificationError, VerificationFailure
from verifier.extension import Ext
from verifier.merkle import MerkleError, verify_merkle_proof
from verifier.polynomial import Coset, barycentric_at
from verifier.proof import (
    COSET_SHIFT,
    NUM_ORACLES,
    ORACLE_NAMES,
    QUOTIENT,
    ZS_PARTIALS,
    CommonData,
    FriProof,
    OpeningSet,
)
from verifier.transcript import Challenger


class FriError(VerificationError):
    """The FRI proof does not verify; ``kind`` is POW, MERKLE or FRI, the message says which check failed."""


@dataclass(frozen=True)
class FriChallenges:
    alpha: Ext
    betas: tuple[Ext, ...]
    query_indices: tuple[int, ...]


def reverse_bits(value: int, bits: int) -> int:
    """The ``bits``-bit reversal of value."""
    return int(f"{value:0{bits}b}"[::-1], 2) if bits else 0


def ext_leaf(values: Sequence[Ext]) -> list[int]:
    """The Merkle leaf of a coset of F_p2 values: (c0, c1) of each, in order."""
    out: list[int] = []
    for v in values:
        out += (v.a0, v.a1)
    return out


def fri_folding_challenges(challenger: Any, proof: Any) -> tuple[Any, list[Any]]:
    """The batching challenge alpha and one folding beta per layer cap, then absorb the final polynomial.

    Generic over the native ``Challenger``/``FriProof`` and their in-circuit
    twins, so both verifiers absorb the same values in the same order.
    """
    alpha = challenger.get_ext_challenge()
    betas = []
    for cap in proof.layer_caps:
        for d in cap:
            challenger.observe_digest(d)
        betas.append(challenger.get_ext_challenge())
    for c in proof.final_poly:
        challenger.observe_ext(c)
    return alpha, betas


def fri_challenges(challenger: Challenger, common: CommonData, proof: FriProof) -> FriChallenges:
    """Replay the FRI part of the transcript (after the openings were observed)."""
    alpha, betas = fri_folding_challenges(challenger, proof)
    return FriChallenges(alpha, tuple(betas), fri_query_indices(challenger, common, proof.pow_witness))


def fri_query_indices(challenger: Challenger, common: CommonData, pow_witness: int) -> tuple[int, ...]:
    """Check the proof of work, then draw the query positions (shared by prover and verifier)."""
    if not challenger.check_pow(pow_witness, common.config.pow_bits):
        raise FriError(
            VerificationFailure.POW, f"proof-of-work witness does not give {common.config.pow_bits} leading zero bits"
        )
    return tuple(challenger.get_query_index(common.lde_bits) for _ in range(common.config.num_queries))


@dataclass(frozen=True)
class BatchedOpenings(Generic[F]):
    """The per-proof half of F_0 (module docstring), computed once and shared by every query.

    With the opened columns' values v_i at a query point x,

        F_0(x) = (Y - sum_i a^i v_i) / (zeta - x) + a^M (Y' - sum_j a^j v'_j) / (g zeta - x),

    where Y = sum_i a^i y_i and Y' = sum_j a^j y'_j do not depend on the query; with zero
    knowledge a^(M+2) (r_0 + a r_1) is added for the mask's values r at x.
    """

    zeta: F
    g_zeta: F
    reduced_at_zeta: F
    reduced_zs_next: F
    alpha_m: F
    alpha_mask: F | None
    """a^(M+2), or None without a mask."""


def batch_openings(
    common: CommonData, at_zeta: Sequence[F], zs_next: Sequence[F], alpha: F, zeta: F
) -> BatchedOpenings[F]:
    """Y, Y', a^M, a^(M+2) and g zeta from the claimed openings (generic, so the circuit reuses it)."""
    # In this order: the circuit places its rows in the order of these operations.
    g_zeta = zeta * field.root_of_unity(common.degree_bits)
    reduced_at_zeta = alpha.reduce_powers(at_zeta)
    reduced_zs_next = alpha.reduce_powers(zs_next)
    alpha_m = alpha ** len(at_zeta)
    alpha_mask = alpha_m * alpha * alpha if common.num_mask_columns else None
    return BatchedOpenings(zeta, g_zeta, reduced_at_zeta, reduced_zs_next, alpha_m, alpha_mask)


def combine_initial(
    common: CommonData, rows: Sequence[Sequence[Any]], batched: BatchedOpenings[F], alpha: F, x: Any
) -> F:
    """F_0(x) from the oracles' rows at x (module docstring); generic, so the circuit reuses it.

    With zero knowledge a row goes on after its ``oracle_widths()`` opened columns: the quotient
    row with the mask's values, every salted row with its leaf's salt (not a polynomial value).
    """
    values = [v for row, width in zip(rows, common.oracle_widths(), strict=True) for v in row[:width]]
    first = (batched.reduced_at_zeta - alpha.reduce_base(values)) / (batched.zeta - x)
    z_values = rows[ZS_PARTIALS][:2]
    second = (batched.reduced_zs_next - alpha.reduce_base(z_values)) / (batched.g_zeta - x)
    value = batched.alpha_m.mul_add(second, first)
    if batched.alpha_mask is None:
        return value
    start = common.oracle_widths()[QUOTIENT]
    mask = rows[QUOTIENT][start : start + common.num_mask_columns]
    return batched.alpha_mask.mul_add(alpha.reduce_base(mask), value)


def evaluate_poly(coeffs: Sequence[Ext], x: int | Ext) -> Ext:
    """Horner evaluation of an F_p2-coefficient polynomial."""
    acc = Ext(0)
    for c in reversed(coeffs):
        acc = acc * x + c
    return acc


def verify_fri(
    common: CommonData,
    initial_caps: Sequence[Sequence[tuple[int, int, int, int]]],
    openings: OpeningSet,
    zeta: Ext,
    challenges: FriChallenges,
    proof: FriProof,
) -> None:
    """Check every query round; raises FriError naming the failing check."""
    lde_bits = common.lde_bits
    batched = batch_openings(common, openings.at_zeta(), openings.zs_next, challenges.alpha, zeta)
    for round_index, (q0, query) in enumerate(zip(challenges.query_indices, proof.query_rounds, strict=True)):
        for oracle in range(NUM_ORACLES):
            opening = query.initial[oracle]
            try:
                verify_merkle_proof(opening.values, q0, opening.proof, initial_caps[oracle])
            except MerkleError as exc:
                raise FriError(
                    VerificationFailure.MERKLE, f"query {round_index}: {ORACLE_NAMES[oracle]} opening: {exc}"
                ) from exc
        domain_bits = lde_bits
        shift = COSET_SHIFT
        q = q0
        x = shift * field.power(field.root_of_unity(domain_bits), reverse_bits(q, domain_bits)) % field.P
        rows = [o.values for o in query.initial]
        value = combine_initial(common, rows, batched, challenges.alpha, x)
        for layer, (arity_bits, step) in enumerate(zip(common.fri_arities, query.steps, strict=True)):
            arity = 1 << arity_bits
            coset_index, within = q >> arity_bits, q & (arity - 1)
            if step.evals[within] != value:
                raise FriError(
                    VerificationFailure.FRI,
                    f"query {round_index}: layer {layer} coset does not contain the folded value",
                )
            try:
                verify_merkle_proof(ext_leaf(step.evals), coset_index, step.proof, proof.layer_caps[layer])
            except MerkleError as exc:
                raise FriError(
                    VerificationFailure.MERKLE, f"query {round_index}: layer {layer} opening: {exc}"
                ) from exc
            omega = field.root_of_unity(domain_bits)
            x0 = shift * field.power(omega, reverse_bits(coset_index, domain_bits - arity_bits)) % field.P
            natural = [step.evals[reverse_bits(t, arity_bits)] for t in range(arity)]
            value = barycentric_at(natural, Coset(arity_bits, x0), challenges.betas[layer])
            q = coset_index
            domain_bits -= arity_bits
            shift = field.power(shift, arity)
            x = field.power(x0, arity)
        if evaluate_poly(proof.final_poly, x) != value:
            raise FriError(
                VerificationFailure.FRI, f"query {round_index}: final polynomial does not match the folded value"
            )
