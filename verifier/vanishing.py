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

from collections.abc import Sequence
from typing import Any

from verifier.extension import Ext
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
    """sum_j alpha^j terms_j by Horner's rule, over any algebra."""
    acc = terms[-1]
    for t in reversed(terms[:-1]):
        acc = acc * alpha + t
    return acc


def gate_constraint_terms(common: CommonData, selectors: Sequence[Any], v: GateVars[Any]) -> list[Any]:
    """S_g * C_{g,j} for every gate g (in selector order) and every constraint j."""
    terms: list[Any] = []
    for gate, selector in zip(common.gates, selectors, strict=True):
        terms.extend(selector * c for c in gate.eval_constraints(v))
    return terms


def permutation_terms(
    common: CommonData,
    x: Any,
    l0_x: Any,
    wires: Sequence[Any],
    sigmas: Sequence[Any],
    z: Any,
    z_next: Any,
    partials: Sequence[Any],
    beta: Ext,
    gamma: Ext,
) -> list[Any]:
    """L_0 (Z - 1) and the partial-product chain constraints."""
    chunk = common.config.partial_product_chunk
    k = common.num_routed_wires
    numerators = [wires[i] + (x * common.k_is[i]) * beta + gamma for i in range(k)]
    denominators = [wires[i] + sigmas[i] * beta + gamma for i in range(k)]
    chain = [z, *partials, z_next]
    terms: list[Any] = [l0_x * (z - 1)]
    for t, start in enumerate(range(0, k, chunk)):
        num = product(numerators[start : start + chunk])
        den = product(denominators[start : start + chunk])
        terms.append(chain[t + 1] * den - chain[t] * num)
    return terms


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
    z = ext_from_columns(zs_partials[0], zs_partials[1])
    partials = [ext_from_columns(zs_partials[2 * j], zs_partials[2 * j + 1]) for j in range(1, len(zs_partials) // 2)]
    z_next = ext_from_columns(zs_next[0], zs_next[1])
    terms += permutation_terms(common, x, l0_x, wires, sigmas, z, z_next, partials, beta, gamma)
    return terms
