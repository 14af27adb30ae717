"""The verifier as a circuit: agreement with the native verifier, and soundness.

A valid inner proof yields an outer proof that verifies natively; every kind of
tampering with the inner proof, its public inputs or its key makes the outer
witness impossible to complete (a copy constraint or range check fails).
"""

from __future__ import annotations

import dataclasses
import random

import pytest
from tests_support import element_paths, replace_at, tamper

from circuits.builder import CircuitBuilder
from circuits.circuit_data import CircuitData
from circuits.recursion.plonk import verify_proof_circuit
from circuits.recursion.proof_target import (
    ProofWithPublicInputsTarget,
    VerifierKeyTarget,
    add_virtual_proof,
    add_virtual_verifier_key,
    set_proof_target,
    set_verifier_key_target,
)
from verifier.config import SHRINK_CONFIG, STANDARD_CONFIG, STANDARD_ZK_CONFIG, ProofConfig
from verifier.field import P
from verifier.proof import ProofWithPublicInputs

rng = random.Random(99)


@dataclasses.dataclass
class Recursive:
    inner: CircuitData
    inner_proof: ProofWithPublicInputs
    outer: CircuitData
    proof_target: ProofWithPublicInputsTarget
    vk_target: VerifierKeyTarget

    def inputs(self, proof: ProofWithPublicInputs, vk: object = None) -> dict[int, int]:
        inputs: dict[int, int] = {}
        set_proof_target(inputs, self.proof_target, proof)
        set_verifier_key_target(inputs, self.vk_target, vk or self.inner.verifier_key)  # type: ignore[arg-type]
        return inputs


def squarings(config: ProofConfig) -> int:
    """Filler steps of the inner circuit: the shrinking configuration (one fold by 16 over a final polynomial
    of at least 32 coefficients) has FRI layers from 2^9 rows on, the standard ones from 2^6."""
    return 3000 if config.rate_bits == SHRINK_CONFIG.rate_bits else 30


def inner_circuit(config: ProofConfig) -> tuple[CircuitData, int]:
    """A circuit with rows of every recursion gate, so their constraints are evaluated in-circuit too."""
    b = CircuitBuilder(config)
    x = b.add_virtual_target()
    y = x
    for i in range(squarings(config)):
        y = b.add_const(b.mul(y, y), i)
    reduced = b.reduce_with_powers((x, y), [x, y] * 40)
    reduced_ext = b.reduce_with_powers(reduced, [(x, y), reduced] * 10)
    folded = b.fri_fold([(y, x), reduced, reduced_ext, (x, x)] * 2, reduced)
    mixed = b.poseidon2_linear(b.poseidon2_linear([folded, reduced, (x, y)] * 4, True), False)
    digest = b.hash_elements([x, y, *folded, *mixed[5]])
    b.register_public_inputs([y, *digest])
    return b.build(), x


@pytest.fixture(
    scope="module", params=[STANDARD_CONFIG, STANDARD_ZK_CONFIG, SHRINK_CONFIG], ids=["plain", "zk", "shrink"]
)
def recursive(request: pytest.FixtureRequest) -> Recursive:
    """An inner proof (plain, zero-knowledge, or in the block proofs' shrinking configuration, as the chain
    step verifies them) verified by a plain outer circuit."""
    inner, x = inner_circuit(request.param)
    inner_proof = inner.prove({x: 12345})

    ob = CircuitBuilder()
    proof_target = add_virtual_proof(ob, inner.common)
    vk_target = add_virtual_verifier_key(ob, inner.common)
    digest_target = verify_proof_circuit(ob, inner.common, vk_target, proof_target)
    ob.register_public_inputs([*proof_target.public_inputs, *digest_target])
    return Recursive(inner, inner_proof, ob.build(), proof_target, vk_target)


def test_outer_proof_verifies_and_exposes_inner_statement(recursive: Recursive) -> None:
    r = recursive
    outer_proof = r.outer.prove(r.inputs(r.inner_proof))
    r.outer.verify(outer_proof)
    n = len(r.inner_proof.public_inputs)
    assert outer_proof.public_inputs[:n] == r.inner_proof.public_inputs
    assert outer_proof.public_inputs[n:] == r.inner.verifier_key.circuit_digest


def _rejected(r: Recursive, proof: ProofWithPublicInputs, vk: object = None) -> None:
    with pytest.raises(ValueError):
        r.outer.generate_witness(r.inputs(proof, vk))


def test_tampered_public_input_is_rejected_in_circuit(recursive: Recursive) -> None:
    r = recursive
    pis = list(r.inner_proof.public_inputs)
    pis[0] = (pis[0] + 1) % P
    _rejected(r, dataclasses.replace(r.inner_proof, public_inputs=tuple(pis)))


def test_other_verifier_key_is_rejected_in_circuit(recursive: Recursive) -> None:
    r = recursive
    vk = r.inner.verifier_key
    cap = list(vk.constants_sigmas_cap)
    cap[3] = ((cap[3][0] + 1) % P, *cap[3][1:])
    _rejected(r, r.inner_proof, dataclasses.replace(vk, constants_sigmas_cap=tuple(cap)))


def test_proof_of_the_other_mode_is_rejected_in_circuit(recursive: Recursive) -> None:
    """The inner proof's zero-knowledge mode is fixed by the inner common data, a constant of the outer circuit."""
    r = recursive
    config = r.inner.common.config
    other, x = inner_circuit(dataclasses.replace(config, zero_knowledge=not config.zero_knowledge))
    _rejected(r, other.prove({x: 12345}))


KINDS_IN_DEFAULT_SUITE = {
    ("openings", "wires", "*"),
    ("fri", "pow_witness"),
    ("fri", "final_poly", "*"),
    ("fri", "query_rounds", "*", "steps", "*", "evals", "*"),
    ("fri", "query_rounds", "*", "initial", "*", "proof", "siblings", "*", "*"),
}


def _kinds(proof: ProofWithPublicInputs) -> dict[tuple[str, ...], list[tuple[str | int, ...]]]:
    groups: dict[tuple[str, ...], list[tuple[str | int, ...]]] = {}
    for path in element_paths(proof.proof):
        groups.setdefault(tuple(p if isinstance(p, str) else "*" for p in path), []).append(path)
    return groups


def test_tampered_proof_elements_are_rejected_in_circuit(recursive: Recursive) -> None:
    r = recursive
    kinds = _kinds(r.inner_proof)
    assert kinds.keys() >= KINDS_IN_DEFAULT_SUITE
    for kind in sorted(KINDS_IN_DEFAULT_SUITE):
        bad = replace_at(r.inner_proof.proof, rng.choice(kinds[kind]), tamper)
        _rejected(r, dataclasses.replace(r.inner_proof, proof=bad))  # type: ignore[arg-type]


@pytest.mark.slow
def test_every_kind_of_tampering_is_rejected_in_circuit(recursive: Recursive) -> None:
    r = recursive
    for kind, paths in sorted(_kinds(r.inner_proof).items()):
        bad = replace_at(r.inner_proof.proof, rng.choice(paths), tamper)
        _rejected(r, dataclasses.replace(r.inner_proof, proof=bad))  # type: ignore[arg-type]
        assert kind


def test_ext_value_pending_ops_agree_with_ext() -> None:
    """Random expressions over ExtValue (pending ops, fusion, reductions) give the native Ext values."""
    from circuits.generators import generate_witness
    from circuits.recursion.ext_value import ExtValue
    from verifier.extension import Ext

    r = random.Random(7)
    b = CircuitBuilder()
    natives = [Ext(r.randrange(P), r.randrange(P)) for _ in range(6)]
    values = [ExtValue.virtual(b) for _ in natives]
    inputs = {t: c for v, n in zip(values, natives, strict=True) for t, c in zip(v.x, (n.a0, n.a1), strict=True)}
    pairs: list[tuple[ExtValue, Ext]] = list(zip(values, natives, strict=True))
    for _ in range(300):
        (a, na), (c, nc), (d, nd) = (r.choice(pairs) for _ in range(3))
        k = r.choice([0, 1, -1, 2, 7, r.randrange(P)])
        op = r.randrange(8)
        if op == 0:
            pairs.append((a + c, na + nc))
        elif op == 1:
            pairs.append((a - c, na - nc))
        elif op == 2:
            pairs.append((a * c, na * nc))
        elif op == 3:
            pairs.append((a * k, na * k))
        elif op == 4:
            pairs.append((a + k, na + k))
        elif op == 5:
            pairs.append((a.mul_add(c, d), na * nc + nd))
        elif op == 6:
            pairs.append((k - a, k - na))
        else:
            n = r.randrange(1, 40)
            chosen = [r.choice(pairs) for _ in range(n)]
            diffs = [(x - y, nx - ny) for (x, nx), (y, ny) in zip(chosen, reversed(chosen), strict=True)]
            pairs.append((a.reduce_powers([v for v, _ in diffs]), na.reduce_powers([v for _, v in diffs])))
    outputs = [v.t for v, _ in pairs]
    w = generate_witness(b.config.num_wires, len(b.rows), b.copies.classes(), b.generators, inputs)
    for t, (_, expected) in zip(outputs, pairs, strict=True):
        assert Ext(*w.get_many(t)) == expected


def test_verifier_shortcuts_equal_the_definitions() -> None:
    """vanishing_combination = alpha.reduce_powers(vanishing_terms); the native batching = the generic Horner."""
    from circuits.recursion.aggregation import RecursionScheme
    from verifier.algebra import AlgebraDefaults
    from verifier.extension import Ext, reduce_with_powers
    from verifier.vanishing import EvaluationVars, vanishing_combination, vanishing_terms

    r = random.Random(3)

    def e() -> Ext:
        return Ext(r.randrange(P), r.randrange(P))

    common = RecursionScheme(2, 3).shape(13)
    widths = common.oracle_widths()
    nc = common.num_constant_columns
    e_vars = EvaluationVars(
        x=e(),
        l0_x=e(),
        constants=[e() for _ in range(nc)],
        sigmas=[e() for _ in range(common.num_routed_wires)],
        wires=[e() for _ in range(widths[1])],
        zs_partials=[e() for _ in range(widths[2])],
        zs_next=[e(), e()],
        public_inputs_hash=[e() for _ in range(4)],
        beta=e(),
        gamma=e(),
    )
    alpha = e()
    assert vanishing_combination(common, e_vars, alpha) == alpha.reduce_powers(vanishing_terms(common, e_vars))
    values = [r.randrange(P) for _ in range(300)]
    assert alpha.reduce_base(values) == reduce_with_powers(values, alpha)
    assert alpha.reduce_base(values) == AlgebraDefaults.reduce_base(alpha, values)
