"""The light client's compiled paths agree with the readable reference, on honest and tampered proofs.

* V(zeta) from the traced tape (:mod:`verifier.vanishing_tape`) equals
  :func:`verifier.vanishing.vanishing_combination` on a circuit with a row of
  every gate kind, at random points and on a real proof;
* the batched FRI check (:mod:`verifier.fri_batch`) accepts exactly when
  :func:`verifier.fri.verify_fri` does: on honest proofs, and on every kind of
  proof element tampered (several instances of each);
* ``verify_proof`` gives the same verdict, failure kind and reason with the
  fast paths as with ``reference=True``, for every tampering case.
"""

from __future__ import annotations

import dataclasses
import random

import pytest
from tests_support import Path, element_paths, replace_at, tamper

from circuits.builder import CircuitBuilder
from circuits.circuit_data import CircuitData
from verifier.config import SHRINK_CONFIG, STANDARD_CONFIG, STANDARD_ZK_CONFIG, ProofConfig
from verifier.extension import Ext
from verifier.field import P
from verifier.fri import FriError, fri_challenges, verify_fri
from verifier.fri_batch import fri_queries_pass
from verifier.hashing import hash_elements
from verifier.plonk import (
    VerificationError,
    evaluation_vars_at_zeta,
    plonk_challenges,
    validate_shape,
    verify_proof,
)
from verifier.polynomial import lagrange_at, vanishing_at
from verifier.proof import Proof, ProofWithPublicInputs, VerifierKey
from verifier.transcript import Challenger
from verifier.vanishing import EvaluationVars, vanishing_combination
from verifier.vanishing_tape import _field_shapes as field_shapes
from verifier.vanishing_tape import compiled_vanishing_combination, vanishing_tape, verifier_tape

rng = random.Random(2026)

INSTANCES_PER_KIND = 3
"""Tampered proofs per kind of proof element (a kind: a path pattern with the indices wildcarded)."""

GATE_KINDS = {
    "Constant",
    "Poseidon2",
    "ArithmeticExtension",
    "Arithmetic",
    "ReducingExtension",
    "Poseidon2Linear",
    "BaseSum",
    "RandomAccess",
    "Reducing",
    "FriFold",
    "PublicInput",
}
"""Every gate kind of the block circuit."""

FILLER_STEPS = 3000
"""Squarings that fill the circuit to 2^9 rows, so FRI folds (the smallest circuits have no layers)."""


MIN_FRI_LAYERS: dict[ProofConfig, int] = {STANDARD_CONFIG: 2, STANDARD_ZK_CONFIG: 2, SHRINK_CONFIG: 1}
"""FRI folds of the 2^9-row circuit: the shrinking configuration folds once by 16, as on the block circuit."""


@pytest.fixture(scope="module", params=list(MIN_FRI_LAYERS), ids=["plain", "zk", "shrink"])
def every_gate(request: pytest.FixtureRequest) -> tuple[CircuitData, ProofWithPublicInputs]:
    """A circuit with a row of every gate kind and FRI folding layers (2^9 rows), and a proof.

    Every configuration: plain, zero knowledge (salted leaves, a mask, blinding rows), and the
    block proof's shrinking configuration (rate 1/128, 11 queries, one fold by 16, a final
    polynomial of 32 coefficients here).
    """
    b = CircuitBuilder(request.param)
    x, index = b.add_virtual_target(), b.add_virtual_target()
    y = x
    for i in range(FILLER_STEPS):
        y = b.add_const(b.mul(y, y), i)
    reduced = b.reduce_with_powers((x, y), [x, y] * 40)
    reduced_ext = b.reduce_with_powers(reduced, [(x, y), reduced] * 10)
    folded = b.fri_fold([(y, x), reduced, reduced_ext, (x, x)] * 2, reduced)
    mixed = b.poseidon2_linear(b.poseidon2_linear([folded, reduced, (x, y)] * 4, True), False)
    product = b.ext_arithmetic(1, 0, folded, reduced, reduced_ext)
    picked = b.random_access(index, [x, y, *product])
    b.range_check(index, 2)
    digest = b.hash_elements([x, y, picked, *folded, *mixed[5]])
    b.register_public_inputs([y, *digest])
    circuit = b.build()
    return circuit, circuit.prove({x: 12345, index: 2})


def _gate_kind(name: str) -> str:
    return name.split("(")[0]


def test_the_circuit_has_every_gate_kind_and_fri_layers(every_gate: tuple[CircuitData, ProofWithPublicInputs]) -> None:
    circuit, _ = every_gate
    assert {_gate_kind(g.name) for g in circuit.common.gates} == GATE_KINDS
    assert len(circuit.common.fri_arities) >= MIN_FRI_LAYERS[circuit.common.config]


def _random_ext() -> Ext:
    return Ext(rng.randrange(P), rng.randrange(P))


def test_compiled_vanishing_equals_the_reference_at_random_points(
    every_gate: tuple[CircuitData, ProofWithPublicInputs],
) -> None:
    common = every_gate[0].common
    widths = common.oracle_widths()
    nc = common.num_constant_columns
    for _ in range(3):
        e = EvaluationVars(
            x=_random_ext(),
            l0_x=_random_ext(),
            constants=[_random_ext() for _ in range(nc)],
            sigmas=[_random_ext() for _ in range(widths[0] - nc)],
            wires=[_random_ext() for _ in range(widths[1])],
            zs_partials=[_random_ext() for _ in range(widths[2])],
            zs_next=[_random_ext(), _random_ext()],
            public_inputs_hash=[rng.randrange(P) for _ in range(4)],
            beta=_random_ext(),
            gamma=_random_ext(),
            blinding=(_random_ext(), _random_ext()) if common.num_blinding_rows else None,
        )
        alpha = _random_ext()
        expected = vanishing_combination(common, e, alpha)
        assert compiled_vanishing_combination(common, e, alpha) == expected
        assert expected != Ext(0)


@dataclasses.dataclass(frozen=True)
class FriCase:
    """Everything the two FRI checks take, replayed from a (possibly tampered) proof."""

    args: tuple[object, ...]

    def reference_accepts(self) -> bool:
        try:
            verify_fri(*self.args)  # type: ignore[arg-type]
        except FriError:
            return False
        return True

    def fast_accepts(self) -> bool:
        return fri_queries_pass(*self.args)  # type: ignore[arg-type]


def fri_case(vk: VerifierKey, proof: Proof, public_inputs: tuple[int, ...]) -> FriCase | None:
    """The FRI inputs of ``proof`` as ``verify_proof`` derives them; None if it fails before FRI's queries."""
    try:
        validate_shape(vk.common, proof)
    except VerificationError:
        return None
    challenger = Challenger()
    _, _, _, zeta = plonk_challenges(challenger, vk.circuit_digest, hash_elements(public_inputs), proof)
    try:
        challenges = fri_challenges(challenger, vk.common, proof.fri)
    except FriError:  # proof of work
        return None
    caps = (vk.constants_sigmas_cap, proof.wires_cap, proof.zs_partials_cap, proof.quotient_cap)
    return FriCase((vk.common, caps, proof.openings, zeta, challenges, proof.fri))


def verdict(vk: VerifierKey, proof: Proof, public_inputs: tuple[int, ...], *, reference: bool) -> str:
    try:
        verify_proof(vk, proof, public_inputs, reference=reference)
    except VerificationError as exc:
        return f"rejected ({exc.kind.value}): {exc}"
    return "accepted"


def tampered_proofs(proof: Proof) -> list[tuple[Path, Proof]]:
    """``INSTANCES_PER_KIND`` random elements of every kind, each changed on its own."""
    kinds: dict[tuple[str, ...], list[Path]] = {}
    for path in element_paths(proof):
        kinds.setdefault(tuple(p if isinstance(p, str) else "*" for p in path), []).append(path)
    chosen = [path for paths in kinds.values() for path in rng.sample(paths, min(INSTANCES_PER_KIND, len(paths)))]
    return [(path, replace_at(proof, path, tamper)) for path in chosen]  # type: ignore[misc]


def test_honest_proof_is_accepted_by_both_paths(every_gate: tuple[CircuitData, ProofWithPublicInputs]) -> None:
    circuit, proof = every_gate
    vk = circuit.verifier_key
    case = fri_case(vk, proof.proof, proof.public_inputs)
    assert case is not None and case.fast_accepts() and case.reference_accepts()
    assert verdict(vk, proof.proof, proof.public_inputs, reference=False) == "accepted"
    assert verdict(vk, proof.proof, proof.public_inputs, reference=True) == "accepted"


def test_every_kind_of_tampering_gets_the_same_verdict_kind_and_reason(
    every_gate: tuple[CircuitData, ProofWithPublicInputs],
) -> None:
    circuit, proof = every_gate
    vk = circuit.verifier_key
    cases = tampered_proofs(proof.proof)
    assert len(cases) >= 40  # 14 kinds of element
    fri_rejections = 0
    for path, bad in cases:
        case = fri_case(vk, bad, proof.public_inputs)
        if case is not None:
            assert case.fast_accepts() == case.reference_accepts(), path
            fri_rejections += not case.reference_accepts()
        fast = verdict(vk, bad, proof.public_inputs, reference=False)
        assert fast.startswith("rejected"), path
        assert fast == verdict(vk, bad, proof.public_inputs, reference=True), path
    # the four kinds of query-round element (opened values and paths, initial and per layer) reach the
    # queries: the transcript does not see them; the rest change the challenges and fail earlier
    assert fri_rejections >= 4 * INSTANCES_PER_KIND


def test_tampered_key_gets_the_same_verdict_and_reason(every_gate: tuple[CircuitData, ProofWithPublicInputs]) -> None:
    circuit, proof = every_gate
    vk = circuit.verifier_key
    cap = list(vk.constants_sigmas_cap)
    cap[1] = (cap[1][0] ^ 1, *cap[1][1:])
    short = vk.constants_sigmas_cap[: len(cap) // 2]
    for bad_cap in (tuple(cap), short):
        bad_vk = dataclasses.replace(vk, constants_sigmas_cap=bad_cap)
        fast = verdict(bad_vk, proof.proof, proof.public_inputs, reference=False)
        assert fast.startswith("rejected")
        assert fast == verdict(bad_vk, proof.proof, proof.public_inputs, reference=True)


def test_compiled_vanishing_equals_the_reference_on_a_proof(
    every_gate: tuple[CircuitData, ProofWithPublicInputs],
) -> None:
    circuit, proof = every_gate
    vk, p = circuit.verifier_key, proof.proof
    pi_hash = hash_elements(proof.public_inputs)
    beta, gamma, alpha, zeta = plonk_challenges(Challenger(), vk.circuit_digest, pi_hash, p)
    z_h = vanishing_at(vk.common.degree_bits, zeta)
    l0 = lagrange_at(vk.common.degree_bits, 0, zeta)
    e = evaluation_vars_at_zeta(vk.common, p, zeta, l0, z_h, pi_hash, beta, gamma)
    assert compiled_vanishing_combination(vk.common, e, alpha) == vanishing_combination(vk.common, e, alpha)
    # the tape the light client prepares ahead is the one verification uses
    assert verifier_tape(vk.common) is vanishing_tape(vk.common, field_shapes(e))


def test_wrong_challenges_fail_both_fri_checks_alike(every_gate: tuple[CircuitData, ProofWithPublicInputs]) -> None:
    """A prover answering other challenges: the Merkle paths hold, the folding chain breaks (each check once)."""
    circuit, proof = every_gate
    case = fri_case(circuit.verifier_key, proof.proof, proof.public_inputs)
    assert case is not None
    common, caps, openings, zeta, challenges, fri = case.args
    betas = challenges.betas  # type: ignore[attr-defined]
    other = [
        (common, caps, openings, zeta + 1, challenges, fri),
        (common, caps, openings, zeta, dataclasses.replace(challenges, alpha=challenges.alpha + 1), fri),  # type: ignore[attr-defined]
        (common, caps, openings, zeta, dataclasses.replace(challenges, betas=(betas[0] + 1, *betas[1:])), fri),
        (common, caps, openings, zeta, dataclasses.replace(challenges, betas=(*betas[:-1], betas[-1] + 1)), fri),
        (
            common,
            caps,
            openings,
            zeta,
            challenges,
            dataclasses.replace(fri, final_poly=(fri.final_poly[0] + 1, *fri.final_poly[1:])),
        ),  # type: ignore[attr-defined]
        (
            common,
            caps,
            openings,
            zeta,
            dataclasses.replace(challenges, query_indices=challenges.query_indices[::-1]),
            fri,
        ),  # type: ignore[attr-defined]
    ]
    for args in other:
        wrong = FriCase(args)
        assert not wrong.reference_accepts()
        assert not wrong.fast_accepts()


@pytest.mark.parametrize("value", [P, 2**64 - 1, 2**64 + 5, -1])
def test_non_canonical_opened_values_get_the_same_verdict(
    every_gate: tuple[CircuitData, ProofWithPublicInputs], value: int
) -> None:
    """An in-memory proof may hold any int: p, beyond 64 bits or negative, in an opened row or a path."""
    circuit, proof = every_gate
    vk = circuit.verifier_key
    opened_value = ("fri", "query_rounds", 3, "initial", 1, "values", 7)
    layer_sibling = ("fri", "query_rounds", 5, "steps", 0, "proof", "siblings", 1, 2)
    for path in (opened_value, layer_sibling):
        bad = replace_at(proof.proof, path, lambda _: value)
        case = fri_case(vk, bad, proof.public_inputs)  # type: ignore[arg-type]
        assert case is not None and not case.fast_accepts() and not case.reference_accepts()
        fast = verdict(vk, bad, proof.public_inputs, reference=False)  # type: ignore[arg-type]
        assert fast.startswith("rejected")
        assert fast == verdict(vk, bad, proof.public_inputs, reference=True)  # type: ignore[arg-type]
