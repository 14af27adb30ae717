"""The light client's rules, on real proofs of a tiny statement circuit.

The block and chain circuits are expensive to prove, so these tests use a
circuit whose 17 public inputs are free: any block (or chain) statement can be
proven under its key. That isolates what the light client adds on top of proof
verification: the statement layout, root linkage, block numbers from 1, the
chain key's whitelist and genesis, trusted roots, key strength, and the exit
codes of ``rollup-verify``. Real chain proofs: ``tests/circuits/test_chain.py``.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from statement_circuits import StatementCircuit

from verifier.chain import (
    CHAIN_PUBLIC_INPUTS,
    ChainError,
    ChainKey,
    ChainStatement,
    chain_key_to_bytes,
    verify_chain_proof,
)
from verifier.config import STANDARD_CONFIG
from verifier.errors import VerificationFailure
from verifier.hashing import Digest
from verifier.light_client import (
    BLOCK_STATEMENT_LEN,
    BlockRejectedError,
    BlockStatement,
    digest_hex,
    main,
    verify_block,
    verify_chain,
)
from verifier.proof import ProofWithPublicInputs
from verifier.serialization import proof_to_bytes, verifier_key_to_bytes
from verifier.soundness import WeakKeyError

ROOT_A: Digest = (1, 2, 3, 4)
ROOT_B: Digest = (5, 6, 7, 8)
ROOT_C: Digest = (9, 10, 11, 12)
DATA: Digest = (13, 14, 15, 16)
WHITELIST: Digest = (17, 18, 19, 20)


@pytest.fixture(scope="module")
def circuit() -> StatementCircuit:
    return StatementCircuit()


@pytest.fixture(scope="module")
def weak_circuit() -> StatementCircuit:
    """Proofs with 20 queries: 76 bits conjectured, below the documented 100."""
    return StatementCircuit(config=dataclasses.replace(STANDARD_CONFIG, num_queries=20))


def block(circuit: StatementCircuit, number: int, prev: Digest, new: Digest) -> ProofWithPublicInputs:
    return circuit.prove(BlockStatement(prev, new, number, DATA, WHITELIST).elements())


def test_statement_round_trips_and_rejects_other_lengths() -> None:
    statement = BlockStatement(ROOT_A, ROOT_B, 7, DATA, WHITELIST)
    assert BlockStatement.from_elements(statement.elements()) == statement
    with pytest.raises(ValueError, match="17 elements"):
        BlockStatement.from_elements(statement.elements()[:-1])


def test_a_linked_consecutive_chain_is_accepted(circuit: StatementCircuit) -> None:
    proofs = [block(circuit, 1, ROOT_A, ROOT_B), block(circuit, 2, ROOT_B, ROOT_C)]
    last = verify_chain(circuit.data.verifier_key, proofs, ROOT_A)
    assert (last.block_number, last.new_root) == (2, ROOT_C)


@pytest.mark.parametrize("first", [0, 2, 3])
def test_the_first_block_after_genesis_must_be_number_1(circuit: StatementCircuit, first: int) -> None:
    proofs = [block(circuit, first, ROOT_A, ROOT_B), block(circuit, first + 1, ROOT_B, ROOT_C)]
    with pytest.raises(BlockRejectedError, match=f"expected block 1, got block {first}"):
        verify_chain(circuit.data.verifier_key, proofs, ROOT_A)


def test_a_gap_in_block_numbers_is_rejected_even_when_roots_link(circuit: StatementCircuit) -> None:
    proofs = [block(circuit, 1, ROOT_A, ROOT_B), block(circuit, 3, ROOT_B, ROOT_C)]
    with pytest.raises(BlockRejectedError, match="expected block 2, got block 3"):
        verify_chain(circuit.data.verifier_key, proofs, ROOT_A)


def test_a_replayed_block_is_rejected(circuit: StatementCircuit) -> None:
    """A block that does not change the root links to itself; replaying it is caught by its number."""
    same = block(circuit, 1, ROOT_A, ROOT_A)
    with pytest.raises(BlockRejectedError, match="expected block 2, got block 1"):
        verify_chain(circuit.data.verifier_key, [same, same], ROOT_A)


def test_broken_root_linkage_is_rejected(circuit: StatementCircuit) -> None:
    proofs = [block(circuit, 1, ROOT_A, ROOT_B), block(circuit, 2, ROOT_C, ROOT_A)]
    with pytest.raises(BlockRejectedError, match="not the trusted root"):
        verify_chain(circuit.data.verifier_key, proofs, ROOT_A)


def test_a_chain_from_another_genesis_is_rejected(circuit: StatementCircuit) -> None:
    with pytest.raises(BlockRejectedError, match="not the trusted root") as rejected:
        verify_chain(circuit.data.verifier_key, [block(circuit, 1, ROOT_A, ROOT_B)], ROOT_C)
    assert rejected.value.kind is None  # the proof verified; the light client's own check failed


def test_an_empty_chain_is_rejected(circuit: StatementCircuit) -> None:
    with pytest.raises(BlockRejectedError, match="no block proofs"):
        verify_chain(circuit.data.verifier_key, [], ROOT_A)


def test_a_proof_with_another_statement_length_is_not_a_block_proof() -> None:
    other = StatementCircuit(BLOCK_STATEMENT_LEN - 1)
    proof = other.prove(list(range(BLOCK_STATEMENT_LEN - 1)))
    with pytest.raises(BlockRejectedError, match="not a block proof"):
        verify_block(other.data.verifier_key, proof, None)


def test_a_changed_statement_fails_verification(circuit: StatementCircuit) -> None:
    proof = block(circuit, 3, ROOT_A, ROOT_B)
    forged = ProofWithPublicInputs(proof.proof, tuple(BlockStatement(ROOT_A, ROOT_C, 3, DATA, WHITELIST).elements()))
    with pytest.raises(BlockRejectedError) as rejected:
        verify_block(circuit.data.verifier_key, forged, ROOT_A)
    assert rejected.value.kind is VerificationFailure.VANISHING


# --------------------------------------------------------------------------- single blocks: trusted roots, weak keys


def test_a_weak_block_key_is_refused_with_its_computed_figure(weak_circuit: StatementCircuit) -> None:
    proof = weak_circuit.prove(BlockStatement(ROOT_A, ROOT_B, 1, DATA, WHITELIST).elements())
    with pytest.raises(WeakKeyError, match=r"gives 76\.0 bits of conjectured security .* below the documented 100"):
        verify_block(weak_circuit.data.verifier_key, proof, ROOT_A)


# --------------------------------------------------------------------------- chain proofs (fake step key)

GENESIS_CIRCUIT: Digest = (21, 22, 23, 24)
CHAIN_DIGEST: Digest = (25, 26, 27, 28)


def fake_chain_key(circuit: StatementCircuit) -> ChainKey:
    """A chain key whose 'step circuit' proves any chain statement: only the light client's checks remain."""
    assert circuit.data.common.num_public_inputs == CHAIN_PUBLIC_INPUTS
    return ChainKey(circuit.data.verifier_key, GENESIS_CIRCUIT)


def chain_proof(
    circuit: StatementCircuit, genesis: Digest, height: int, whitelist: Digest | None = None
) -> ProofWithPublicInputs:
    statement = ChainStatement(genesis, height, ROOT_C, CHAIN_DIGEST)
    return circuit.prove([*statement.elements(), *(whitelist or fake_chain_key(circuit).whitelist_root)])


def test_a_chain_proof_from_the_trusted_genesis_is_accepted(circuit: StatementCircuit) -> None:
    statement = verify_chain_proof(fake_chain_key(circuit), chain_proof(circuit, ROOT_A, 5), ROOT_A)
    assert (statement.genesis_root, statement.height, statement.latest_root) == (ROOT_A, 5, ROOT_C)


def test_a_chain_proof_from_another_genesis_is_rejected(circuit: StatementCircuit) -> None:
    with pytest.raises(ChainError, match="another genesis root"):
        verify_chain_proof(fake_chain_key(circuit), chain_proof(circuit, ROOT_B, 5), ROOT_A)


def test_a_chain_proof_over_another_whitelist_is_rejected(circuit: StatementCircuit) -> None:
    """A prover whitelisting its own base circuit must publish that whitelist's root, not the key's."""
    forged = chain_proof(circuit, ROOT_A, 5, whitelist=ROOT_B)
    with pytest.raises(ChainError, match="another whitelist"):
        verify_chain_proof(fake_chain_key(circuit), forged, ROOT_A)


def test_a_block_proof_is_not_a_chain_proof() -> None:
    short = StatementCircuit(CHAIN_PUBLIC_INPUTS - 1)
    key = ChainKey(short.data.verifier_key, GENESIS_CIRCUIT)
    with pytest.raises(ChainError, match="not a chain proof"):
        verify_chain_proof(key, short.prove(list(range(CHAIN_PUBLIC_INPUTS - 1))), ROOT_A)


# --------------------------------------------------------------------------- rollup-verify: reasons and exit codes


def write(tmp_path: Path, name: str, data: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_rollup_verify_chain_proof_prints_height_and_latest_root(
    circuit: StatementCircuit, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = write(tmp_path, "chain.key", chain_key_to_bytes(fake_chain_key(circuit), vk_bytes(circuit)))
    proof = write(tmp_path, "chain.proof", proof_to_bytes(chain_proof(circuit, ROOT_A, 7)))
    code, out, _ = run(capsys, "--vk", key, "--chain-proof", proof, "--genesis-root", digest_hex(ROOT_A))
    assert code == 0
    assert "height       7" in out and f"latest root  {digest_hex(ROOT_C)}" in out


def vk_bytes(circuit: StatementCircuit) -> bytes:
    return verifier_key_to_bytes(circuit.data.verifier_key)


def test_rollup_verify_refuses_bad_input_with_a_reason_and_exit_code(
    circuit: StatementCircuit, weak_circuit: StatementCircuit, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    block_vk = write(tmp_path, "block.vk", vk_bytes(circuit))
    block_proof = write(tmp_path, "b.proof", proof_to_bytes(block(circuit, 1, ROOT_A, ROOT_B)))
    key = write(tmp_path, "chain.key", chain_key_to_bytes(fake_chain_key(circuit), vk_bytes(circuit)))
    weak_key = ChainKey(weak_circuit.data.verifier_key, GENESIS_CIRCUIT)
    weak = write(tmp_path, "weak.key", chain_key_to_bytes(weak_key, vk_bytes(weak_circuit)))
    weak_proof = weak_circuit.prove(
        [*ChainStatement(ROOT_A, 1, ROOT_C, CHAIN_DIGEST).elements(), *weak_key.whitelist_root]
    )
    weak_chain = write(tmp_path, "weak.proof", proof_to_bytes(weak_proof))
    chain = write(tmp_path, "chain.proof", proof_to_bytes(chain_proof(circuit, ROOT_A, 3)))
    garbage = write(tmp_path, "garbage", b"ZKPF\x01\x00garbage")
    genesis = digest_hex(ROOT_A)
    cases = [
        (["--vk", block_vk, "--proof", block_proof], 2, "needs a trusted previous root"),
        (["--vk", block_vk, "--proof", block_proof, "--prev-root", genesis, "--untrusted-prev-root"], 2, "needs a"),
        (["--vk", key, "--chain-proof", chain, "--genesis-root", digest_hex(ROOT_B)], 1, "another genesis root"),
        (["--vk", key, "--chain-proof", chain], 2, "--chain-proof needs --genesis-root"),
        (["--vk", weak, "--chain-proof", weak_chain, "--genesis-root", genesis], 3, "gives 76.0 bits"),
        (["--vk", key, "--chain-proof", garbage, "--genesis-root", genesis], 2, "public inputs at offset 6"),
        (["--vk", block_vk, "--chain-proof", chain, "--genesis-root", genesis], 2, "not a chain key file"),
        (["--vk", key, "--chain-proof", chain, "--genesis-root", "12ab"], 2, "a root is 64 hex digits"),
        (["--vk", key, "--chain-proof", str(tmp_path / "missing"), "--genesis-root", genesis], 2, "cannot read"),
    ]
    for argv, expected_code, reason in cases:
        code, out, err = run(capsys, *argv)
        assert (code, reason in out + err) == (expected_code, True), (argv, out, err)


def test_rollup_verify_single_block_without_trusted_root_says_it_is_untrusted(
    circuit: StatementCircuit, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    block_vk = write(tmp_path, "block.vk", vk_bytes(circuit))
    block_proof = write(tmp_path, "b.proof", proof_to_bytes(block(circuit, 1, ROOT_A, ROOT_B)))
    code, out, _ = run(capsys, "--vk", block_vk, "--proof", block_proof, "--untrusted-prev-root")
    assert code == 0 and "previous root UNTRUSTED" in out
    code, out, _ = run(capsys, "--vk", block_vk, "--proof", block_proof, "--prev-root", digest_hex(ROOT_A))
    assert code == 0 and "UNTRUSTED" not in out
