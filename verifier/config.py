"""Proof-system parameters: named, documented configurations (``STANDARD_CONFIG``, its ZK twin,
``PROVEN_100_CONFIG``, and ``SHRINK_CONFIG`` for block proofs).

``STANDARD_CONFIG`` follows Plonky2's standard recursion configuration:

* 135 wires per row, the first 80 routed through the permutation argument;
* constraint degree at most 8 (selector included), so with rate 1/8
  (``rate_bits = 3``) the quotient (degree < 7n) is computed exactly on the
  LDE coset of size 8n and committed as 7 chunks per extension coordinate;
* Merkle caps of height 4;
* FRI with folding arity 8, 28 queries and 16 bits of proof-of-work.

Conjectured security (docs/protocol.md): each FRI query against a word that is
far from the rate-rho code passes with probability about rho = 2^-rate_bits,
so the conjectured soundness is ``num_queries * rate_bits + pow_bits`` =
28 * 3 + 16 = 100 bits; proven at the Johnson bound, 28 * 3 / 2 + 16 = 58 bits.
The algebraic terms are over F_p2 (p^2 ~ 2^128): about 2^-104 at 2^13 rows,
2^-97 at 2^20 (the batching term). ``verifier.soundness`` computes every
figure from a key.

``zero_knowledge`` (off by default) makes proofs reveal nothing about the
witness beyond the statement: blinding rows, a re-split quotient, a FRI mask
and salted Merkle leaves (``verifier.zero_knowledge``, docs/protocol.md).
"""

from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True)
class ProofConfig:
    """Shape and security parameters shared by prover, verifier and circuits."""

    num_wires: int = 135
    num_routed_wires: int = 80
    num_constants: int = 2
    max_constraint_degree: int = 8
    rate_bits: int = 3
    cap_height: int = 4
    num_queries: int = 28
    pow_bits: int = 16
    fri_arity_bits: int = 3
    fri_final_poly_bits: int = 3
    zero_knowledge: bool = False

    def __post_init__(self) -> None:
        if not 0 < self.num_routed_wires <= self.num_wires:
            raise ValueError("num_routed_wires must be in 1..num_wires")
        if self.max_constraint_degree > (1 << self.rate_bits):
            raise ValueError("max_constraint_degree must not exceed the blowup 2^rate_bits")
        if self.fri_arity_bits < 1:
            raise ValueError("FRI folding arity must be at least 2")
        if self.zero_knowledge and self.max_constraint_degree < 3:
            raise ValueError("zero knowledge needs max_constraint_degree >= 3 (chain constraints carry Z_B)")

    @property
    def quotient_degree_factor(self) -> int:
        """Chunks per quotient coordinate: deg(quotient) < (max_degree - 1) * n."""
        return self.max_constraint_degree - 1

    @property
    def quotient_rate_bits(self) -> int:
        """log2 of the smallest blowup 2^k >= max_constraint_degree: V / Z_H has degree < (max_degree - 1) n,
        so the prover evaluates it on the subcoset of 2^k n points of the LDE coset (all of it at rate 1/8;
        every 16th point at rate 1/128)."""
        return (self.max_constraint_degree - 1).bit_length()

    @property
    def partial_product_chunk(self) -> int:
        """Permutation factors per partial-product constraint (degree chunk + 1 <= max).

        With zero knowledge each chain constraint is multiplied by Z_B, the vanishing
        polynomial of the blinding rows (degree < n), so one factor fewer fits.
        """
        return self.max_constraint_degree - 1 - int(self.zero_knowledge)

    def fri_reduction_arities(self, degree_bits: int) -> list[int]:
        """log2 of each FRI folding arity: fold by 2^fri_arity_bits while the degree bound stays at least
        2^fri_final_poly_bits, so the final polynomial has 2^k coefficients with
        fri_final_poly_bits <= k < fri_final_poly_bits + fri_arity_bits (or fewer for tiny circuits).

        Every fold has the same arity, so one coset-interpolation shape serves all layers.
        """
        arities: list[int] = []
        remaining = degree_bits
        while remaining - self.fri_arity_bits >= self.fri_final_poly_bits:
            arities.append(self.fri_arity_bits)
            remaining -= self.fri_arity_bits
        return arities


STANDARD_CONFIG = ProofConfig()

STANDARD_ZK_CONFIG = ProofConfig(zero_knowledge=True)
"""The standard configuration with zero knowledge (session proofs)."""

PROVEN_100_CONFIG = replace(STANDARD_CONFIG, num_queries=56)
"""``STANDARD_CONFIG`` with twice the queries: 56 * 3 / 2 + 16 = 100 bits proven at the Johnson bound
(``verifier.soundness``), for circuits up to 2^16 rows (beyond, the batching term over F_p2 drops
below 2^-100). Its cost is measured in docs/protocol.md section 6."""

SHRINK_CONFIG = replace(
    STANDARD_CONFIG, rate_bits=7, num_queries=11, pow_bits=23, fri_arity_bits=4, fri_final_poly_bits=5
)
"""The configuration of block proofs, the one proof that leaves the prover (``rollup.circuits.block``: the
block circuit is the shrinking step, docs/recursion.md).

Rate 1/128 makes each FRI query worth 7 bits, so 11 queries and 23 bits of proof of work give
11 * 7 + 23 = 100 bits conjectured, and 11 * 7 / 2 + 23 = 61.5 bits proven at the Johnson bound
(the standard configuration's 58, ``verifier.soundness``). On the block circuit's 2^12 rows one FRI
fold of arity 16 leaves a final polynomial of 256 coefficients, and the algebraic terms over the
2^19-point LDE domain are 2^-100.9 (at 2^13 rows they would be 2^-99.9, below the documented level).
The proof is 62,378 bytes instead of 131,182 in the tree's configuration; proving it costs a
2^19-point LDE (16 times that of the tree's configuration) and about 2^23 Poseidon2 permutations of
grinding (docs/benchmarks.md)."""
