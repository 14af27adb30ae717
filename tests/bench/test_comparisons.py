"""The before/after benchmarks of the prover and light client: what they run and check, never how long it takes."""

from __future__ import annotations

import dataclasses

import pytest

from bench import light_client, witness
from circuits.builder import CircuitBuilder
from circuits.circuit_data import CircuitData
from circuits.witness import Target
from verifier.plonk import VerificationError
from verifier.proof import ProofWithPublicInputs


@pytest.fixture(scope="module")
def chain() -> tuple[CircuitData, Target, ProofWithPublicInputs]:
    """x -> x^2 + i, 40 times, with a hash: arithmetic, constant and Poseidon2 rows."""
    b = CircuitBuilder()
    x = b.add_virtual_target()
    y = x
    for i in range(40):
        y = b.add_const(b.mul(y, y), i)
    b.register_public_inputs([y, *b.hash_elements([x, y])])
    circuit = b.build()
    return circuit, x, circuit.prove({x: 3})


def test_light_client_comparison_verifies_with_both_paths(
    chain: tuple[CircuitData, Target, ProofWithPublicInputs],
) -> None:
    circuit, _, proof = chain
    rows = light_client.compare(circuit.verifier_key, proof, repeat=1)
    assert [unit for _, _, unit in rows] == ["ms", "ms", "ms", "ms", "x"]
    assert all(value > 0 for _, value, _ in rows)
    bad = dataclasses.replace(proof, public_inputs=(proof.public_inputs[0] + 1, *proof.public_inputs[1:]))
    with pytest.raises(VerificationError):
        light_client.compare(circuit.verifier_key, bad, repeat=1)


def test_witness_comparison_fills_both_ways(chain: tuple[CircuitData, Target, ProofWithPublicInputs]) -> None:
    circuit, x, _ = chain
    rows = witness.compare("chain", circuit, {x: 3}, repeat=1)
    assert [name for name, _, _ in rows] == ["chain: worklist fill (before)", "chain: replayed order (after)"]
    assert len(circuit.witness_plan.orders) == 1
