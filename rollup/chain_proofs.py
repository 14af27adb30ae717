"""Chain proofs of a stored chain: after block n is proven, the one proof of the whole chain up to n.

The chain proof of height n (``circuits.recursion.chain``, statement in
``verifier.chain``) is the step over the chain proof of height n - 1 (the
genesis proof at the genesis root for n = 1) and the stored block proof of
block n. Every height is proven in turn from the highest stored one, each
proof checked against its natively computed statement before it is stored,
so a light client syncs from genesis with one verification at any height.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from circuits.recursion.chain import ChainCircuits
from rollup.block_plan import BLOCK_NODE, BlockProvingError
from rollup.block_proving import rollup_circuits
from rollup.storage import Storage
from verifier.chain import (
    CHAIN_STATEMENT_LEN,
    GENESIS_HEIGHT,
    ChainKey,
    ChainStatement,
    chain_key_to_bytes,
    extend_chain,
    genesis_statement,
)
from verifier.light_client import BlockStatement
from verifier.proof import ProofWithPublicInputs
from verifier.serialization import proof_from_bytes, proof_to_bytes, verifier_key_to_bytes


class ChainProvingError(BlockProvingError):
    """A chain proof could not be produced (or did not verify); the message says which block or why."""


@functools.cache
def rollup_chain_circuits() -> ChainCircuits:
    """The genesis and step circuits over the rollup's block key (built once per process; deterministic)."""
    return ChainCircuits.build(rollup_circuits().block_verifier_key)


def rollup_chain_key() -> ChainKey:
    return rollup_chain_circuits().key


def rollup_chain_key_bytes() -> bytes:
    """The chain key file (``verifier.chain.chain_key_to_bytes``) a light client takes with ``--chain-proof``."""
    key = rollup_chain_key()
    return chain_key_to_bytes(key, verifier_key_to_bytes(key.step))


def provable_height(storage: Storage) -> int:
    """The largest height h such that blocks 1..h all have a stored block proof (0 if block 1 has none)."""
    height = GENESIS_HEIGHT
    while height < storage.latest_block_number() and BLOCK_NODE in storage.block_proofs(height + 1):
        height += 1
    return height


@dataclass(frozen=True)
class ChainProof:
    statement: ChainStatement
    proof: ProofWithPublicInputs
    proven_heights: tuple[int, ...]
    """The heights proven by this call (the others were stored)."""


def _stated(proof: ProofWithPublicInputs) -> ChainStatement:
    return ChainStatement.from_elements(proof.public_inputs[:CHAIN_STATEMENT_LEN])


def prove_chain(storage: Storage, height: int | None = None) -> ChainProof:
    """The chain proof of ``height`` (default: the latest block), proving and storing each missing height.

    Needs the block proof of every block above the highest stored chain proof; ChainProvingError names
    the first one missing."""
    latest = storage.latest_block_number()
    target = latest if height is None else height
    if not GENESIS_HEIGHT < target <= latest:
        raise ChainProvingError(f"no block {target} to prove the chain up to (latest is {latest})")
    circuits = rollup_chain_circuits()
    stored = storage.chain_proofs()
    below = [h for h in stored if h <= target]
    start = max(below, default=GENESIS_HEIGHT)
    genesis_root = storage.block(GENESIS_HEIGHT + 1).prev_root
    if start == GENESIS_HEIGHT:
        proof, statement = circuits.prove_genesis(genesis_root), genesis_statement(genesis_root)
    else:
        proof = proof_from_bytes(stored[start])
        statement = _stated(proof)
    proven = []
    for number in range(start + 1, target + 1):
        block_bytes = storage.block_proofs(number).get(BLOCK_NODE)
        if block_bytes is None:
            raise ChainProvingError(f"block {number} is not proven yet (`rollup block prove {number}`)")
        block = proof_from_bytes(block_bytes)
        statement = extend_chain(statement, BlockStatement.from_elements(block.public_inputs))
        try:
            proof = circuits.prove_step(proof, block)
        except ValueError as exc:
            raise ChainProvingError(
                f"chain proof of height {number} cannot be proven over the stored proofs: {exc}"
            ) from exc
        if _stated(proof) != statement:
            raise ChainProvingError(f"chain proof of height {number}: its statement differs from the expected one")
        storage.write_chain_proof(number, proof_to_bytes(proof))
        proven.append(number)
    return ChainProof(statement, proof, tuple(proven))
