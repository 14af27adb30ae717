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
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

from verifier.extension import Ext
from verifier.field import P
from verifier.gates import GateVars
from verifier.proof import CommonData

EXT_U = Ext(0, 1)
"""The extension generator u (u^2 = 7): an F_p2-valued column pair (c0, c1) is c0 + u * c1."""


def ext_from_columns(c0: Any, c1: Any) -> Any:
    """Combine the two base columns of an F_p2-valued polynomial."""
    return c0 + c1 * EXT_U


def product(values: Sequence[Any]) -> Any:
    acc = values[0]
    for v in values[1:]:
        acc = acc * v
    return acc


def reduce_terms(terms: Sequence[Any], alpha: Ext) -> Any:
    """sum_j alpha^j terms_j by Horner's rule, over any algebra.

    An algebra may offer ``alpha.reduce_powers(terms)`` computing the same sum
    its own way (the circuit places reducing-gate rows instead of one op per step).
    """
    fast = getattr(alpha, "reduce_powers", None)
    if fast is not None:
        return fast(terms)
    acc = terms[-1]
    for t in reversed(terms[:-1]):
        acc = acc * alpha + t
    return acc


def mul_add(a: Any, b: Any, c: Any) -> Any:
    """a * b + c, in one fused step where the algebra offers ``mul_add``."""
    fused = getattr(a, "mul_add", None)
    return fused(b, c) if fused is not None else a * b + c


def gate_constraint_terms(common: CommonData, selectors: Sequence[Any], v: GateVars[Any]) -> list[Any]:
    """S_g * C_{g,j} for every gate g (in selector order) and every constraint j."""
    terms: list[Any] = []
    for gate, selector in zip(common.gates, selectors, strict=True):
        terms.extend(selector * c for c in gate.eval_constraints(v))
    return terms


def permutation_columns(zs_partials: Sequence[Any], zs_next: Sequence[Any]) -> tuple[Any, list[Any], Any]:
    """(Z, [pi_1..pi_m], Z(g x)) from the Z/partial-products oracle's column pairs (c0, c1)."""
    z = ext_from_columns(zs_partials[0], zs_partials[1])
    partials = [ext_from_columns(zs_partials[2 * j], zs_partials[2 * j + 1]) for j in range(1, len(zs_partials) // 2)]
    return z, partials, ext_from_columns(zs_next[0], zs_next[1])


def vanishing_terms(
    common: CommonData,
    x: Any,
    l0_x: Any,
    constants: Sequence[Any],
    sigmas: Sequence[Any],
    wires: Sequence[Any],
    zs_partials: Sequence[Any],
    zs_next: Sequence[Any],
    public_inputs_hash: Sequence[Any],
    beta: Ext,
    gamma: Ext,
) -> list[Any]:
    """All terms of V in their fixed order (columns as laid out in the oracles)."""
    ns = common.num_selectors
    v = GateVars(wires=wires, constants=constants[ns:], public_inputs_hash=public_inputs_hash)
    terms = gate_constraint_terms(common, constants[:ns], v)
    z, partials, z_next = permutation_columns(zs_partials, zs_next)
    terms += permutation_terms(common, x, l0_x, wires, sigmas, z, z_next, partials, beta, gamma)
    return terms


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


class _Powers:
    """alpha^n for several n, sharing the squarings alpha^(2^k) (generic)."""

    def __init__(self, alpha: Any) -> None:
        self.squares = [alpha]
        self.cache: dict[int, Any] = {}

    def __call__(self, n: int) -> Any:
        if n not in self.cache:
            result = None
            k = 0
            while n >> k:
                if k == len(self.squares):
                    self.squares.append(self.squares[-1] * self.squares[-1])
                if (n >> k) & 1:
                    result = self.squares[k] if result is None else result * self.squares[k]
                k += 1
            self.cache[n] = result if result is not None else 1
        return self.cache[n]


def identity_factors(common: CommonData, x: Any, beta: Any, gamma: Any) -> list[Any]:
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


def permutation_terms(
    common: CommonData,
    x: Any,
    l0_x: Any,
    wires: Sequence[Any],
    sigmas: Sequence[Any],
    z: Any,
    z_next: Any,
    partials: Sequence[Any],
    beta: Any,
    gamma: Any,
) -> list[Any]:
    """L_0 (Z - 1) and the partial-product chain constraints (identity factors from ``identity_factors``)."""
    chunk = common.config.partial_product_chunk
    k = common.num_routed_wires
    numerators = [wires[i] + m for i, m in enumerate(identity_factors(common, x, beta, gamma))]
    denominators = [mul_add(sigmas[i], beta, wires[i]) + gamma for i in range(k)]
    chain = [z, *partials, z_next]
    terms: list[Any] = [l0_x * (z - 1)]
    for t, start in enumerate(range(0, k, chunk)):
        num = product(numerators[start : start + chunk])
        den = product(denominators[start : start + chunk])
        terms.append(chain[t + 1] * den - chain[t] * num)
    return terms


def vanishing_combination(
    common: CommonData,
    x: Any,
    l0_x: Any,
    constants: Sequence[Any],
    sigmas: Sequence[Any],
    wires: Sequence[Any],
    zs_partials: Sequence[Any],
    zs_next: Sequence[Any],
    public_inputs_hash: Sequence[Any],
    beta: Any,
    gamma: Any,
    alpha: Any,
) -> Any:
    """V(x) = ``reduce_terms(vanishing_terms(...), alpha)``, grouped by gate (see above)."""
    ns = common.num_selectors
    v = GateVars(wires=wires, constants=constants[ns:], public_inputs_hash=public_inputs_hash)
    z, partials, z_next = permutation_columns(zs_partials, zs_next)
    perm = permutation_terms(common, x, l0_x, wires, sigmas, z, z_next, partials, beta, gamma)
    acc = reduce_terms(perm, alpha)
    powers = _Powers(alpha)
    for gate, selector in reversed(list(zip(common.gates, constants[:ns], strict=True))):
        constraints = gate.eval_constraints(v)
        if constraints:
            acc = mul_add(acc, powers(len(constraints)), selector * reduce_terms(constraints, alpha))
    return acc
