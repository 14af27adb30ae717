"""The vanishing polynomial V, evaluated generically (prover: vectors over the coset; verifier: at zeta).

With selectors S_g, gate constraints C_{g,j}, routed wires w_i, sigmas sigma_i,
the permutation accumulator Z and partial products pi_1..pi_m (chunks of
``c = max_degree - 1`` routed wires), challenges beta, gamma, alpha in F_p2:

    f_i(x) = w_i(x) + beta * k_i * x + gamma         (identity side)
    g_i(x) = w_i(x) + beta * sigma_i(x) + gamma      (permuted side)

    terms = [ S_g(x) * C_{g,j}(x)                       for every gate g and constraint j ]
          + [ L_0(x) * (Z(x) - 1) ]
          + [ chain_{t+1}(x) * prod_{i in chunk t} g_i(x) - chain_t(x) * prod_{i in chunk t} f_i(x) ]
            with chain = (Z(x), pi_1(x), ..., pi_m(x), Z(g x))

    V(x) = sum_j alpha^j terms_j

Every term vanishes on H for an honest witness, so V = Z_H * Q. The chain
telescopes to Z(g x) / Z(x) = prod f_i / prod g_i on each row, and
Z(1) = 1 closes the grand product: the copy constraints hold.
Each chain constraint has degree c + 1 <= max_degree.

With zero knowledge (h blinding rows B at the end of H, ``verifier.zero_knowledge``)
the chain constraints are multiplied by Z_B(x) = prod_{r in B} (x - g^r), so they
hold on the other rows only, and L_{n-h}(x) (Z(x) - 1) follows L_0 (Z - 1): the
chain runs from Z(1) = 1 to Z(g^{n-h}) = 1, and Z is free on the rest of B.
Then c = max_degree - 2, so each chain constraint still has degree <= max_degree
in the trace polynomials (Z_B has degree h < n).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic

from verifier.algebra import A
from verifier.extension import Ext
from verifier.field import P
from verifier.gates import GateVars
from verifier.proof import CommonData

EXT_U = Ext(0, 1)
"""The extension generator u (u^2 = 7): an F_p2-valued column pair (c0, c1) is c0 + u * c1."""


@dataclass(frozen=True)
class EvaluationVars(Generic[A]):
    """Everything V is evaluated from at one point x (or at every point of the coset at once).

    ``constants`` are the selector and gate-constant columns, ``sigmas`` the permutation
    columns, ``zs_partials`` the column pairs (c0, c1) of Z and the partial products, and
    ``zs_next`` the pair of Z(g x); beta and gamma are the permutation challenges; ``blinding``
    carries the zero-knowledge factors.
    """

    x: A
    l0_x: A
    constants: Sequence[A]
    sigmas: Sequence[A]
    wires: Sequence[A]
    zs_partials: Sequence[A]
    zs_next: Sequence[A]
    public_inputs_hash: Sequence[Any]
    beta: Any
    gamma: Any
    blinding: tuple[A, A] | None = None
    """(L_{n-h}(x), Z_B(x)) with zero knowledge (``verifier.zero_knowledge.blinding_row_factors``), else None."""

    def gate_vars(self, num_selectors: int) -> GateVars[A]:
        """The per-row values the gates see (the constants after the selector columns)."""
        return GateVars(
            wires=self.wires, constants=self.constants[num_selectors:], public_inputs_hash=self.public_inputs_hash
        )


def ext_from_columns(c0: A, c1: A) -> A:
    """Combine the two base columns of an F_p2-valued polynomial."""
    return c0 + c1 * EXT_U  # type: ignore[no-any-return]


def product(values: Sequence[A]) -> A:
    acc = values[0]
    for v in values[1:]:
        acc = acc * v
    return acc


def gate_constraint_terms(common: CommonData, selectors: Sequence[A], v: GateVars[A]) -> list[A]:
    """S_g * C_{g,j} for every gate g (in selector order) and every constraint j."""
    terms: list[A] = []
    for gate, selector in zip(common.gates, selectors, strict=True):
        terms.extend(selector * c for c in gate.eval_constraints(v))
    return terms


def permutation_columns(zs_partials: Sequence[A], zs_next: Sequence[A]) -> tuple[A, list[A], A]:
    """(Z, [pi_1..pi_m], Z(g x)) from the Z/partial-products oracle's column pairs (c0, c1)."""
    z = ext_from_columns(zs_partials[0], zs_partials[1])
    partials = [ext_from_columns(zs_partials[2 * j], zs_partials[2 * j + 1]) for j in range(1, len(zs_partials) // 2)]
    return z, partials, ext_from_columns(zs_next[0], zs_next[1])


def vanishing_terms(common: CommonData, e: EvaluationVars[A]) -> list[A]:
    """All terms of V in their fixed order (columns as laid out in the oracles)."""
    terms = gate_constraint_terms(common, e.constants[: common.num_selectors], e.gate_vars(common.num_selectors))
    return terms + permutation_terms(common, e)


# ------------------------------------------------------------------ verifiers
# The prover evaluates ``vanishing_terms`` on whole columns and combines them itself. Both
# verifiers (native, at zeta; recursive, in-circuit) evaluate V at one point with
# ``vanishing_combination``, which computes the same value in fewer steps:
#
# * grouped by gate: V = sum_g alpha^{o_g} S_g P_g(alpha) + alpha^{o_perm} P_perm(alpha), with
#   P_g = sum_j alpha^j C_{g,j} and o_g the position of gate g's first term, so each selector
#   multiplies one sum instead of every constraint;
# * the identity factors beta k_i x + gamma (k_i = 7^i) by the chain
#   m_0 = beta x + gamma, m_i = 7 m_{i-1} - 6 gamma, so no step multiplies by a per-column
#   constant (each distinct constant costs a row of its own in a circuit).


class _Powers(Generic[A]):
    """alpha^n for n >= 1, sharing the squarings alpha^(2^k) (generic)."""

    def __init__(self, alpha: A) -> None:
        self.squares = [alpha]
        self.cache: dict[int, A] = {}

    def __call__(self, n: int) -> A:
        if n < 1:
            raise ValueError("only positive powers are shared")
        if n not in self.cache:
            result: A | None = None
            k = 0
            while n >> k:
                if k == len(self.squares):
                    self.squares.append(self.squares[-1] * self.squares[-1])
                if (n >> k) & 1:
                    result = self.squares[k] if result is None else result * self.squares[k]
                k += 1
            assert result is not None
            self.cache[n] = result
        return self.cache[n]


def identity_factors(common: CommonData, x: A, beta: Any, gamma: Any) -> list[A]:
    """beta * k_i * x + gamma for every routed column i, as the chain m_i = 7 m_{i-1} - 6 gamma."""
    ratio = common.k_is[1] if len(common.k_is) > 1 else 1
    if common.k_is[0] != 1 or any(b != a * ratio % P for a, b in itertools.pairwise(common.k_is)):
        raise ValueError("identity labels k_i must be the powers of one constant")
    m = x * beta + gamma
    out = [m]
    for _ in range(1, common.num_routed_wires):
        m = m * ratio - gamma * (ratio - 1)
        out.append(m)
    return out


def permutation_terms(common: CommonData, e: EvaluationVars[A]) -> list[A]:
    """L_0 (Z - 1) and the partial-product chain constraints (identity factors from ``identity_factors``).

    With ``e.blinding`` = (L_{n-h}, Z_B): also L_{n-h} (Z - 1), and each chain constraint times Z_B.
    """
    if (e.blinding is None) != (common.num_blinding_rows == 0):
        raise ValueError("blinding factors are required exactly when the circuit has blinding rows")
    chunk = common.config.partial_product_chunk
    k = common.num_routed_wires
    z, partials, z_next = permutation_columns(e.zs_partials, e.zs_next)
    wires = e.wires
    numerators = [wires[i] + m for i, m in enumerate(identity_factors(common, e.x, e.beta, e.gamma))]
    denominators = [e.sigmas[i].mul_add(e.beta, wires[i]) + e.gamma for i in range(k)]
    chain = [z, *partials, z_next]
    terms: list[A] = [e.l0_x * (z - 1)]
    if e.blinding is not None:
        terms.append(e.blinding[0] * (z - 1))
    for t, start in enumerate(range(0, k, chunk)):
        num = product(numerators[start : start + chunk])
        den = product(denominators[start : start + chunk])
        constraint = chain[t + 1] * den - chain[t] * num
        terms.append(constraint if e.blinding is None else e.blinding[1] * constraint)
    return terms


def vanishing_combination(common: CommonData, e: EvaluationVars[A], alpha: A) -> A:
    """V(x) = ``alpha.reduce_powers(vanishing_terms(common, e))``, grouped by gate (see above)."""
    ns = common.num_selectors
    v = e.gate_vars(ns)
    acc: A = alpha.reduce_powers(permutation_terms(common, e))
    powers = _Powers(alpha)
    for gate, selector in reversed(list(zip(common.gates, e.constants[:ns], strict=True))):
        constraints = gate.eval_constraints(v)
        if constraints:
            acc = acc.mul_add(powers(len(constraints)), selector * alpha.reduce_powers(constraints))
    return acc
