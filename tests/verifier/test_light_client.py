"""The light client's chain rules, on real proofs of a tiny statement circuit.

The block circuit is expensive to prove, so these tests use a circuit whose 17
public inputs are free: any block statement can be proven under its key. That
isolates what the light client adds on top of proof verification: the statement
layout, root linkage and consecutive block numbers.
"""

from __future__ import annotations

import pytest

from circuits.builder import CircuitBuilder
from circuits.circuit_data import CircuitData
from verifier.errors import VerificationFailure
from verifier.hashing import Digest
from verifier.light_client import (
    BLOCK_STATEMENT_LEN,
    BlockRejectedError,
    BlockStatement,
    verify_block,
    verify_chain,
)
from verifier.proof import ProofWithPublicInputs

ROOT_A: Digest = (1, 2, 3, 4)
ROOT_B: Digest = (5, 6, 7, 8)
ROOT_C: Digest = (9, 10, 11, 12)
DATA: Digest = (13, 14, 15, 16)
WHITELIST: Digest = (17, 18, 19, 20)


class StatementCircuit:
    """A circuit exposing ``count`` free public inputs: it proves whatever statement it is given."""

    def __init__(self, count: int = BLOCK_STATEMENT_LEN) -> None:
        builder = CircuitBuilder()
        self.inputs = builder.add_virtual_targets(count)
        builder.register_public_inputs(self.inputs)
        self.data: CircuitData = builder.build()

    def prove(self, elements: list[int]) -> ProofWithPublicInputs:
        return self.data.prove(dict(zip(self.inputs, elements, strict=True)))


@pytest.fixture(scope="module")
def circuit() -> StatementCircuit:
    return StatementCircuit()


def block(circuit: StatementCircuit, number: int, prev: Digest, new: Digest) -> ProofWithPublicInputs:
    return circuit.prove(BlockStatement(prev, new, number, DATA, WHITELIST).elements())


def test_statement_round_trips_and_rejects_other_lengths() -> None:
    statement = BlockStatement(ROOT_A, ROOT_B, 7, DATA, WHITELIST)
    assert BlockStatement.from_elements(statement.elements()) == statement
    with pytest.raises(ValueError, match="17 elements"):
        BlockStatement.from_elements(statement.elements()[:-1])


def test_a_linked_consecutive_chain_is_accepted(circuit: StatementCircuit) -> None:
    proofs = [block(circuit, 3, ROOT_A, ROOT_B), block(circuit, 4, ROOT_B, ROOT_C)]
    last = verify_chain(circuit.data.verifier_key, proofs, ROOT_A)
    assert (last.block_number, last.new_root) == (4, ROOT_C)


def test_a_gap_in_block_numbers_is_rejected_even_when_roots_link(circuit: StatementCircuit) -> None:
    proofs = [block(circuit, 3, ROOT_A, ROOT_B), block(circuit, 5, ROOT_B, ROOT_C)]
    with pytest.raises(BlockRejectedError, match="expected block 4, got block 5"):
        verify_chain(circuit.data.verifier_key, proofs, ROOT_A)


def test_a_replayed_block_is_rejected(circuit: StatementCircuit) -> None:
    """A block that does not change the root links to itself; replaying it is caught by its number."""
    same = block(circuit, 3, ROOT_A, ROOT_A)
    with pytest.raises(BlockRejectedError, match="expected block 4, got block 3"):
        verify_chain(circuit.data.verifier_key, [same, same], ROOT_A)


def test_broken_root_linkage_is_rejected(circuit: StatementCircuit) -> None:
    proofs = [block(circuit, 3, ROOT_A, ROOT_B), block(circuit, 4, ROOT_C, ROOT_A)]
    with pytest.raises(BlockRejectedError, match="not the trusted root"):
        verify_chain(circuit.data.verifier_key, proofs, ROOT_A)


def test_a_chain_from_another_genesis_is_rejected(circuit: StatementCircuit) -> None:
    with pytest.raises(BlockRejectedError, match="not the trusted root") as rejected:
        verify_chain(circuit.data.verifier_key, [block(circuit, 0, ROOT_A, ROOT_B)], ROOT_C)
    assert rejected.value.kind is None  # the proof verified; the light client's own check failed


def test_an_empty_chain_is_rejected(circuit: StatementCircuit) -> None:
    with pytest.raises(BlockRejectedError, match="no block proofs"):
        verify_chain(circuit.data.verifier_key, [], ROOT_A)


def test_a_proof_with_another_statement_length_is_not_a_block_proof() -> None:
    other = StatementCircuit(BLOCK_STATEMENT_LEN - 1)
    proof = other.prove(list(range(BLOCK_STATEMENT_LEN - 1)))
    with pytest.raises(BlockRejectedError, match="not a block proof"):
        verify_block(other.data.verifier_key, proof)


def test_a_changed_statement_fails_verification(circuit: StatementCircuit) -> None:
    proof = block(circuit, 3, ROOT_A, ROOT_B)
    forged = ProofWithPublicInputs(proof.proof, tuple(BlockStatement(ROOT_A, ROOT_C, 3, DATA, WHITELIST).elements()))
    with pytest.raises(BlockRejectedError) as rejected:
        verify_block(circuit.data.verifier_key, forged, ROOT_A)
    assert rejected.value.kind is VerificationFailure.VANISHING
