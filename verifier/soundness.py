"""Soundness of a verifier key's parameters, computed two ways (``docs/protocol.md`` section 6).

Everything is recomputed from the key: FRI queries q, rate rho = 2^-rate_bits,
proof-of-work bits w, the extension degree (challenges live in F = F_p^2,
|F| ~ 2^128), the number of rows n, the LDE domain |D| = n / rho and the M
polynomials the FRI batching combines (every opened column, plus Z's two
columns at omega*zeta).

**Query phase.** A FRI query against a word delta-far from the rate-rho code
passes with probability 1 - delta; proof of work adds w bits.

* *Conjectured* (the FRI conjecture Plonky2 uses: delta up to 1 - rho):
  q * rate_bits + w bits.
* *Proven* (Johnson bound, delta up to 1 - sqrt(rho), the radius where
  list decoding is proven): q * rate_bits / 2 + w bits.

**Algebraic terms** (Schwartz-Zippel and proximity gaps over F, union bound):

* batching: a random combination by powers of alpha' of M functions one of
  which is far is close with probability <= (M - 1) * |D| / |F|;
* folding: each fold by arity a over a domain D_r: (a - 1) * |D_r| / |F|;
* permutation: (num_routed_wires + 1) * n / |F|;
* vanishing at zeta: max_constraint_degree * n / |F|.

The key's security is the smaller of the query-phase bits and the algebraic
bits; a light client refuses keys below ``MIN_SECURITY_BITS`` conjectured
(the figure the documentation claims). The proven query-phase figure omits
the list-decoding slack term of the Johnson-regime proximity gaps (of order
|D|^2 / |F|), discussed in ``docs/protocol.md``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from verifier.extension import EXTENSION_DEGREE
from verifier.field import P
from verifier.proof import CommonData, VerifierKey

MIN_SECURITY_BITS = 100
"""The documented security level: a key whose conjectured security is below it is refused."""


class WeakKeyError(ValueError):
    """A verifier key's parameters give less than the documented security."""


@dataclass(frozen=True)
class Soundness:
    """Soundness figures of one key, in bits (-log2 of the error bound)."""

    conjectured_query_bits: float
    proven_query_bits: float
    algebraic_bits: float

    @property
    def conjectured_bits(self) -> float:
        return min(self.conjectured_query_bits, self.algebraic_bits)

    @property
    def proven_bits(self) -> float:
        return min(self.proven_query_bits, self.algebraic_bits)


def soundness(common: CommonData) -> Soundness:
    """The soundness figures of proofs of ``common`` (see the module docstring for each term)."""
    cfg = common.config
    field_bits = EXTENSION_DEGREE * math.log2(P)
    lde = common.degree << cfg.rate_bits
    batched = sum(common.oracle_widths()) + 2
    errors = [(batched - 1) * lde]
    domain = lde
    for arity_bits in common.fri_arities:
        errors.append(((1 << arity_bits) - 1) * domain)
        domain >>= arity_bits
    errors.append((cfg.num_routed_wires + 1) * common.degree)
    errors.append(cfg.max_constraint_degree * common.degree)
    return Soundness(
        conjectured_query_bits=cfg.num_queries * cfg.rate_bits + cfg.pow_bits,
        proven_query_bits=cfg.num_queries * cfg.rate_bits / 2 + cfg.pow_bits,
        algebraic_bits=field_bits - math.log2(sum(errors)),
    )


def require_documented_security(vk: VerifierKey, minimum: int = MIN_SECURITY_BITS) -> Soundness:
    """The key's figures; WeakKeyError naming them when the conjectured security is below ``minimum``."""
    figures = soundness(vk.common)
    if figures.conjectured_bits < minimum:
        cfg = vk.common.config
        raise WeakKeyError(
            f"verifier key gives {figures.conjectured_bits:.1f} bits of conjectured security "
            f"(proven {figures.proven_bits:.1f}), below the documented {minimum}: {cfg.num_queries} queries, "
            f"rate 1/{1 << cfg.rate_bits}, {cfg.pow_bits} proof-of-work bits, extension degree {EXTENSION_DEGREE}, "
            f"2^{vk.common.degree_bits} rows"
        )
    return figures
