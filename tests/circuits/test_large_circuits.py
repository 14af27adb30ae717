"""Completeness at benchmark scale (slow), and prover code paths that only large circuits reach."""

from __future__ import annotations

import pytest

import prover.quotient as quotient
from bench.proof import merkle_workload
from verifier.plonk import VerificationError, verify_proof
from verifier.serialization import proof_from_bytes, proof_to_bytes, verifier_key_from_bytes, verifier_key_to_bytes


@pytest.mark.slow
def test_merkle_workload_of_2_14_rows_proves_and_verifies() -> None:
    """2^14 rows, about half Poseidon2 (Merkle paths of depth 20) and half arithmetic."""
    work = merkle_workload(14)
    circuit = work.circuit
    assert circuit is not None and circuit.common.degree_bits == 14
    assert work.poseidon_rows > 7000
    proof = circuit.prove(work.inputs)
    vk = verifier_key_from_bytes(verifier_key_to_bytes(circuit.verifier_key))
    parsed = proof_from_bytes(proof_to_bytes(proof))
    verify_proof(vk, parsed.proof, parsed.public_inputs)
    with pytest.raises(VerificationError):
        verify_proof(vk, parsed.proof, [parsed.public_inputs[0] ^ 1])


def test_quotient_slices_give_the_same_proof(monkeypatch: pytest.MonkeyPatch) -> None:
    """The reference path evaluates V slice by slice on large cosets: slicing changes no byte."""
    work = merkle_workload(8)
    circuit = work.circuit
    assert circuit is not None
    witness = circuit.generate_witness(work.inputs)
    reference = quotient.QuotientOptions(reference=True)
    whole = proof_to_bytes(circuit.prove_witness(witness, None, reference))
    monkeypatch.setattr(quotient, "QUOTIENT_SLICE_BITS", 7)  # 2^11 coset points -> 16 slices
    assert proof_to_bytes(circuit.prove_witness(witness, None, reference)) == whole
