"""A real chain of 5 blocks proven into one chain proof per height, and light-client sync from genesis in one check.

The attacks on the chain step are in ``tests/circuits/test_chain.py`` (a block
key that proves anything, so each attack is as cheap as it can be); here the
block proofs are the rollup's own.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from keys_support import USER_KEYS

from prover.jobs import LocalExecutor
from rollup.block_proving import prove_stored_block
from rollup.chain_proofs import ChainProvingError, prove_chain, rollup_chain_key
from rollup.sequencer import Sequencer
from rollup.workload import one_coin_chain
from verifier.chain import ChainError, chain_key_to_bytes, chain_statement, verify_chain_proof
from verifier.light_client import BlockStatement, digest_hex, main
from verifier.serialization import proof_from_bytes, verifier_key_to_bytes

pytestmark = pytest.mark.slow

BLOCKS = 5
SENDER, RECIPIENT = 3, 9


def five_blocks(directory: Path) -> Sequencer:
    """Block 1 registers two users; blocks 2..5 each send one coin."""
    seq = Sequencer.open(directory)
    one_coin_chain(seq, SENDER, RECIPIENT, BLOCKS, USER_KEYS)
    return seq


def test_a_chain_of_5_real_blocks_syncs_from_genesis_in_one_verification(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seq = five_blocks(tmp_path / "chain")
    storage = seq.storage
    genesis = storage.block(1).prev_root
    statements = []
    for number in range(1, BLOCKS + 1):
        if number == 3:
            with pytest.raises(ChainProvingError, match="block 3 is not proven yet"):
                prove_chain(storage)
        result = prove_stored_block(storage, number, LocalExecutor(1, in_process=True))
        statements.append(BlockStatement.from_elements(result.proof.public_inputs))
        if number < 3:
            assert prove_chain(storage, number).proven_heights == (number,)
    last = prove_chain(storage)
    assert last.proven_heights == (3, 4, 5)
    assert prove_chain(storage).proven_heights == ()
    key = rollup_chain_key()
    stored = storage.chain_proofs()
    assert sorted(stored) == list(range(1, BLOCKS + 1))
    assert len({len(proof) for proof in stored.values()}) == 1  # constant size
    for height, data in stored.items():
        statement = verify_chain_proof(key, proof_from_bytes(data), genesis)
        assert statement == chain_statement(genesis, statements[:height])
    assert (last.statement.height, last.statement.latest_root) == (BLOCKS, storage.block(BLOCKS).new_root)
    with pytest.raises(ChainError, match="another genesis root"):
        verify_chain_proof(key, last.proof, storage.block(2).prev_root)
    key_file = tmp_path / "chain.key"
    key_file.write_bytes(chain_key_to_bytes(key, verifier_key_to_bytes(key.step)))
    proof_file = tmp_path / "chain.proof"
    proof_file.write_bytes(stored[BLOCKS])
    code = main(["--vk", str(key_file), "--chain-proof", str(proof_file), "--genesis-root", digest_hex(genesis)])
    out = capsys.readouterr().out
    assert code == 0 and "height       5" in out and digest_hex(storage.block(BLOCKS).new_root) in out
    seq.close()
