"""End-to-end completeness and soundness of the PLONK + FRI proof system.

Every soundness test runs for the plain and the zero-knowledge configuration, and for the shrinking
configuration of the block proof (rate 1/128, 11 queries).
"""

from __future__ import annotations

import dataclasses
import random

import pytest
from tests_support import Path, element_paths, replace_at, tamper

from circuits.builder import CircuitBuilder
from circuits.circuit_data import CircuitData
from prover.plonk_prover import ProvingError
from verifier.config import SHRINK_CONFIG, STANDARD_CONFIG, STANDARD_ZK_CONFIG, ProofConfig
from verifier.errors import VerificationFailure
from verifier.field import P
from verifier.hashing import compress, hash_elements
from verifier.merkle import MerkleProof, compute_root_from_path
from verifier.plonk import VerificationError, verify_proof
from verifier.proof import ProofWithPublicInputs

rng = random.Random(7)

ALL_CONFIGS = [STANDARD_CONFIG, STANDARD_ZK_CONFIG, SHRINK_CONFIG]
CONFIG_IDS = ["plain", "zk", "shrink"]
CONFIGS = pytest.mark.parametrize("config", ALL_CONFIGS, ids=CONFIG_IDS)

CHAIN_LENGTH = 300
"""Steps of the fixture's chain: 2^9 rows, so every configuration folds in FRI (the shrinking one once, by 16)."""


def arithmetic_chain(
    length: int, num_public: int = 1, config: ProofConfig = STANDARD_CONFIG
) -> tuple[CircuitData, int]:
    """x_{i+1} = x_i^2 + i; exposes the first ``num_public`` of (x_0, x_last, ...)."""
    b = CircuitBuilder(config)
    x0 = b.add_virtual_target()
    x = x0
    for i in range(length):
        x = b.add_const(b.mul(x, x), i)
    outputs = [x0, x] + [b.add_const(x, j) for j in range(max(0, num_public - 2))]
    b.register_public_inputs(outputs[:num_public])
    return b.build(), x0


def expected_chain(x0: int, length: int) -> int:
    x = x0
    for i in range(length):
        x = (x * x + i) % P
    return x


@pytest.fixture(scope="module", params=ALL_CONFIGS, ids=CONFIG_IDS)
def chain(request: pytest.FixtureRequest) -> tuple[CircuitData, ProofWithPublicInputs]:
    circuit, x0 = arithmetic_chain(CHAIN_LENGTH, num_public=2, config=request.param)
    return circuit, circuit.prove({x0: 3})


def test_arithmetic_chain_proves_and_verifies(chain: tuple[CircuitData, ProofWithPublicInputs]) -> None:
    circuit, proof = chain
    assert proof.public_inputs == (3, expected_chain(3, CHAIN_LENGTH))
    circuit.verify(proof)


@CONFIGS
@pytest.mark.parametrize("num_public", [0, 1, 9, 17])
def test_public_inputs_of_several_sizes(num_public: int, config: ProofConfig) -> None:
    circuit, x0 = arithmetic_chain(5, num_public=num_public, config=config)
    proof = circuit.prove({x0: 11})
    assert len(proof.public_inputs) == num_public
    circuit.verify(proof)


def test_poseidon2_hash_chain_matches_native() -> None:
    b = CircuitBuilder()
    inputs = b.add_virtual_targets(10)
    digest = b.hash_elements(inputs)
    for _ in range(5):
        digest = b.compress(digest, digest)
    b.register_public_inputs(list(digest))
    circuit = b.build()
    values = [rng.randrange(P) for _ in range(10)]
    proof = circuit.prove(dict(zip(inputs, values, strict=True)))
    expected = hash_elements(values)
    for _ in range(5):
        expected = compress(expected, expected)
    assert proof.public_inputs == expected
    circuit.verify(proof)


def test_merkle_path_of_depth_24_proves() -> None:
    depth = 24
    b = CircuitBuilder()
    leaf = b.add_virtual_digest()
    index_bits = b.add_virtual_targets(depth)
    siblings = [b.add_virtual_digest() for _ in range(depth)]
    node = leaf
    for bit, sib in zip(index_bits, siblings, strict=True):
        b.assert_bool(bit)
        node = b.compress(node, sib, swap=bit)
    b.register_public_inputs(list(node))
    circuit = b.build()
    leaf_v = tuple(rng.randrange(P) for _ in range(4))
    sib_v = [tuple(rng.randrange(P) for _ in range(4)) for _ in range(depth)]
    index = rng.randrange(1 << depth)
    inputs = {t: v for t, v in zip(leaf, leaf_v, strict=True)}
    inputs |= {t: (index >> i) & 1 for i, t in enumerate(index_bits)}
    for s, sv in zip(siblings, sib_v, strict=True):
        inputs |= dict(zip(s, sv, strict=True))
    proof = circuit.prove(inputs)
    assert proof.public_inputs == compute_root_from_path(leaf_v, index, sib_v)  # type: ignore[arg-type]
    circuit.verify(proof)
    assert MerkleProof  # the native twin of this gadget


@pytest.mark.parametrize("log_rows", [4, 8, 10])
def test_circuits_of_several_sizes(log_rows: int) -> None:
    b = CircuitBuilder()
    x = b.add_virtual_target()
    y = x
    while len(b.rows) < (1 << log_rows) - 8:
        y = b.mul_add(y, y, x)
    b.register_public_input(y)
    circuit = b.build()
    assert circuit.common.degree_bits == log_rows
    circuit.verify(circuit.prove({x: 5}))


@CONFIGS
def test_wrong_witness_cannot_be_proven(config: ProofConfig) -> None:
    b = CircuitBuilder(config)
    x = b.add_virtual_target()
    b.assert_zero(b.add_const(x, -5))  # x == 5
    circuit = b.build()
    circuit.verify(circuit.prove({x: 5}))
    with pytest.raises(ValueError):
        circuit.prove({x: 6})


def test_malicious_wire_matrix_is_rejected(chain: tuple[CircuitData, ProofWithPublicInputs]) -> None:
    """A prover that skips its own checks and commits a bad witness produces a rejected proof."""
    circuit, _ = chain
    w = circuit.generate_witness({circuit.public_input_targets[0]: 3})
    w.wires[3, 5] = (int(w.wires[3, 5]) + 1) % P
    with pytest.raises(ProvingError):
        circuit.prove_witness(w)


def test_proof_for_other_circuit_rejected(chain: tuple[CircuitData, ProofWithPublicInputs]) -> None:
    circuit, proof = chain
    other, _ = arithmetic_chain(51, num_public=2, config=circuit.common.config)
    with pytest.raises(VerificationError):
        verify_proof(other.verifier_key, proof.proof, proof.public_inputs)


def test_public_input_tampering_rejected(chain: tuple[CircuitData, ProofWithPublicInputs]) -> None:
    circuit, proof = chain
    for i in range(len(proof.public_inputs)):
        bad = list(proof.public_inputs)
        bad[i] = (bad[i] + 1) % P
        with pytest.raises(VerificationError) as changed:
            verify_proof(circuit.verifier_key, proof.proof, bad)
        assert changed.value.kind is VerificationFailure.VANISHING
    with pytest.raises(VerificationError) as extra:
        verify_proof(circuit.verifier_key, proof.proof, [*proof.public_inputs, 0])
    assert extra.value.kind is VerificationFailure.PUBLIC_INPUTS
    with pytest.raises(VerificationError, match="not a canonical") as non_canonical:
        verify_proof(circuit.verifier_key, proof.proof, [P, *proof.public_inputs[1:]])
    assert non_canonical.value.kind is VerificationFailure.PUBLIC_INPUTS


def test_verifier_key_tampering_rejected(chain: tuple[CircuitData, ProofWithPublicInputs]) -> None:
    circuit, proof = chain
    vk = circuit.verifier_key
    cap = list(vk.constants_sigmas_cap)
    cap[0] = (cap[0][0] ^ 1, *cap[0][1:])
    with pytest.raises(VerificationError) as bad_cap:
        verify_proof(dataclasses.replace(vk, constants_sigmas_cap=tuple(cap)), proof.proof, proof.public_inputs)
    assert bad_cap.value.kind is VerificationFailure.VANISHING  # the cap is bound by the key digest
    cfg = dataclasses.replace(vk.common.config, num_queries=vk.common.config.num_queries - 1)
    with pytest.raises(VerificationError) as bad_config:
        bad_common = dataclasses.replace(vk.common, config=cfg)
        verify_proof(dataclasses.replace(vk, common=bad_common), proof.proof, proof.public_inputs)
    assert bad_config.value.kind is VerificationFailure.BAD_FORMAT


def test_rejections_name_the_failed_check(chain: tuple[CircuitData, ProofWithPublicInputs]) -> None:
    """VerificationError.kind says which check failed, for one tampering aimed at each FRI-stage check."""
    circuit, proof = chain
    p = proof.proof
    fri = p.fri

    def kind_of(bad: object) -> VerificationFailure:
        with pytest.raises(VerificationError) as rejected:
            verify_proof(circuit.verifier_key, bad, proof.public_inputs)  # type: ignore[arg-type]
        return rejected.value.kind

    quotient = (p.openings.quotient[0] + 1, *p.openings.quotient[1:])
    assert kind_of(dataclasses.replace(p, openings=dataclasses.replace(p.openings, quotient=quotient))) is (
        VerificationFailure.VANISHING
    )
    assert kind_of(dataclasses.replace(p, fri=dataclasses.replace(fri, pow_witness=fri.pow_witness ^ 1))) is (
        VerificationFailure.POW
    )
    first = fri.query_rounds[0]
    opening = first.initial[0]
    siblings = ((opening.proof.siblings[0][0] ^ 1, *opening.proof.siblings[0][1:]), *opening.proof.siblings[1:])
    bad_opening = dataclasses.replace(opening, proof=MerkleProof(siblings))
    bad_round = dataclasses.replace(first, initial=(bad_opening, *first.initial[1:]))
    rounds = (bad_round, *fri.query_rounds[1:])
    assert kind_of(dataclasses.replace(p, fri=dataclasses.replace(fri, query_rounds=rounds))) is (
        VerificationFailure.MERKLE
    )
    step = first.steps[0]
    bad_step = dataclasses.replace(step, evals=tuple(e + 1 for e in step.evals))  # the folded value is not there
    rounds = (dataclasses.replace(first, steps=(bad_step, *first.steps[1:])), *fri.query_rounds[1:])
    assert kind_of(dataclasses.replace(p, fri=dataclasses.replace(fri, query_rounds=rounds))) is VerificationFailure.FRI
    assert kind_of(dataclasses.replace(p, fri=dataclasses.replace(fri, query_rounds=fri.query_rounds[1:]))) is (
        VerificationFailure.BAD_FORMAT
    )


def test_every_kind_of_proof_element_is_bound(chain: tuple[CircuitData, ProofWithPublicInputs]) -> None:
    """Change one element of each kind (one random instance per path pattern): always rejected."""
    circuit, proof = chain
    groups: dict[tuple[str, ...], list[Path]] = {}
    for path in element_paths(proof.proof):
        groups.setdefault(tuple(p if isinstance(p, str) else "*" for p in path), []).append(path)
    assert len(groups) >= 15
    for pattern, paths in groups.items():
        path = rng.choice(paths)
        bad = replace_at(proof.proof, path, tamper)
        with pytest.raises(VerificationError):
            verify_proof(circuit.verifier_key, bad, proof.public_inputs)  # type: ignore[arg-type]
        assert pattern


def test_transcript_order_is_bound(chain: tuple[CircuitData, ProofWithPublicInputs]) -> None:
    """Swapping two commitments, or two openings, is rejected."""
    circuit, proof = chain
    p = proof.proof
    swapped_caps = dataclasses.replace(p, wires_cap=p.zs_partials_cap, zs_partials_cap=p.wires_cap)
    with pytest.raises(VerificationError):
        verify_proof(circuit.verifier_key, swapped_caps, proof.public_inputs)
    w = p.openings.wires
    swapped_openings = dataclasses.replace(p, openings=dataclasses.replace(p.openings, wires=(w[1], w[0], *w[2:])))
    with pytest.raises(VerificationError):
        verify_proof(circuit.verifier_key, swapped_openings, proof.public_inputs)
