"""Zero knowledge: what a verifier sees of each committed polynomial, and the blinding sized from it.

The argument is written out in docs/protocol.md ("Zero knowledge"); this module
holds the counts and the few formulas both verifiers and the prover share.

What a verifier sees of a committed base-field polynomial f of degree < n:

* f(zeta) for zeta in F_p2 \\ F_p: two base-field linear functionals of f (the
  evaluations at zeta and at its conjugate are independent, so the coordinates are);
* f(x_q) at each FRI query point x_q of round 0: one functional per query (the
  later FRI layers only see the batched polynomial, which the mask R hides);
* for Z only: Z(g zeta) (two more) and, through the quotient, Z(g x_q) per query:
  the quotient's value Q(x_q) = V(x_q) / Z_H(x_q) is affine in Z(g x_q) with a
  nonzero coefficient, so Q's rows are uniform only if Z(g x_q) is.

Uniformity from blinding rows. If f's values on a set R of rows of H are
uniform and independent of everything else, then f's values at t <= |R| distinct
points y_j outside H are uniform: f(y_j) = known_j + sum_{r in R} f_r L_r(y_j),
and L_r(y) = c_r Z_H(y) / (y - g^r) makes (L_r(y_j)) a Cauchy matrix scaled by
nonzero row and column factors, whose t x |R| minors are all invertible.

So with the last h rows of the trace reserved (no gate, no copy constraint):
wires are uniform on all h of them; the permutation chain is switched off there
(its constraints carry Z_B, the vanishing polynomial of those rows), Z is pinned
to 1 on the first of them (which closes the grand product) and free on h - 1;
the partial products are free on all h. The quotient is re-split with overlapping
chunks carrying b random coefficients each (``quotient_layout``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from verifier.config import ProofConfig
from verifier.field import P, root_of_unity

SALT_SIZE = 4
"""Random field elements appended to every leaf of a prover-committed oracle (256 bits)."""

EXT_DEGREE = 2
"""Base-field functionals per opening at an F_p2 point."""

MASK_COLUMNS = 2
"""Base columns of the FRI mask R (an F_p2-valued polynomial), committed with the quotient."""


@dataclass(frozen=True)
class OpeningCounts:
    """Base-field evaluations of one committed polynomial that a verifier sees, per kind."""

    column: int
    """A wire, partial product, quotient chunk or mask column: zeta (2) + one point per query."""
    z: int
    """Z: zeta and g zeta (2 each) + x_q and g x_q per query."""


def opening_counts(config: ProofConfig) -> OpeningCounts:
    """The counts of the module docstring for this configuration."""
    q = config.num_queries
    return OpeningCounts(column=EXT_DEGREE + q, z=2 * EXT_DEGREE + 2 * q)


def num_blinding_rows(config: ProofConfig) -> int:
    """h, the reserved rows at the end of the trace: 0 without zero knowledge.

    Wires and partial products need ``column`` free rows each, Z needs ``z`` free rows,
    and Z is pinned to 1 on the first reserved row, hence h = max(column, z + 1).
    """
    if not config.zero_knowledge:
        return 0
    counts = opening_counts(config)
    return max(counts.column, counts.z + 1)


def quotient_blinding_degree(config: ProofConfig) -> int:
    """b, the random coefficients per quotient chunk: one per functional a chunk column is seen at."""
    return opening_counts(config).column if config.zero_knowledge else 0


def quotient_layout(config: ProofConfig, degree_bits: int) -> tuple[int, int]:
    """(stride m, number of chunks k) with Q = sum_{c<k} X^{c m} Q_c and deg Q_c < n.

    m = n - b: chunk c is the stride-m piece P_c of Q plus X^m H_c - H_{c-1} (H_c random of
    degree < b, H_{-1} = H_{k-1} = 0), which telescopes away in the sum. deg Q < (d - 1) n, so the
    last piece needs (d - 1) n - (k - 1) m <= n: k = 1 + ceil((d - 2) n / m). Without zero
    knowledge b = 0, m = n and k = d - 1, the plain split.
    """
    n = 1 << degree_bits
    stride = n - quotient_blinding_degree(config)
    if stride <= 0:
        raise ValueError(f"2^{degree_bits} rows are too few for the quotient blinding")
    return stride, 1 + -(-(config.max_constraint_degree - 2) * n // stride)


def first_blinding_row_point(degree_bits: int, num_rows: int) -> int:
    """g^{n-h}, the point of the first of the h = ``num_rows`` blinding rows."""
    return pow(root_of_unity(degree_bits), (1 << degree_bits) - num_rows, P)


def blinding_rows_vanishing(degree_bits: int, num_rows: int, x: Any) -> Any:
    """Z_B(x) = prod_{r in B} (x - g^r) over the blinding rows B = {g^r : n - h <= r < n} (generic:
    only ``-`` and ``*``, so the prover evaluates it on whole columns)."""
    g = root_of_unity(degree_bits)
    point = first_blinding_row_point(degree_bits, num_rows)
    z_b = x - point
    for _ in range(1, num_rows):
        point = point * g % P
        z_b = z_b * (x - point)
    return z_b


def blinding_row_factors(degree_bits: int, num_rows: int, x: Any, z_h: Any) -> tuple[Any, Any]:
    """(L_{n-h}(x), Z_B(x)) for the h = ``num_rows`` blinding rows (generic, verifiers).

    L_{n-h} pins Z to 1 on the first blinding row; Z_B switches the permutation chain off on B.
    ``z_h`` is Z_H(x) = x^n - 1.
    """
    first = first_blinding_row_point(degree_bits, num_rows)
    l_first = z_h * first / ((x - first) * (1 << degree_bits))
    return l_first, blinding_rows_vanishing(degree_bits, num_rows, x)
