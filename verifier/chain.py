"""The chain statement: one proof for the whole chain, and its native rules.

A **chain proof** at height n attests

    (genesis_root[4], height n, latest_root[4], chain_digest[4])  ||  whitelist_root[4]

that there are block proofs B_1 .. B_n, each under the (constant) block
verifier key, with block statements S_1 .. S_n such that

    S_1.prev_root = genesis_root,   S_k.prev_root = S_{k-1}.new_root,
    S_k.block_number = k,           latest_root = S_n.new_root,
    chain_digest = D_n,  D_0 = ZERO_DIGEST,  D_k = compress(D_{k-1}, hash_elements(S_k)).

It is built by induction (``circuits.recursion.chain``). The base case is a
proof of the *genesis circuit*, statement (g, 0, g, D_0) for its input g. The
step for block n verifies the chain proof of height n - 1 (a child of the
chain's universal shape whose key digest is in the chain whitelist
{genesis circuit, step circuit}) and the block proof of block n under the
block key (a constant of the step circuit), and outputs ``extend_chain``
of the two statements. The step circuit's key is the same at every height, so
a light client verifies one proof, of constant size and time, whatever n.

**Binding the block number.** The step derives the height as previous height
+ 1 and requires the block proof's number to equal it; the height of the base
case is the constant 0. So block n of a chain proof is a block proof whose
statement says number n and whose previous root is the root after block
n - 1: re-proving a block's transition under another number yields a block
proof that no chain step accepts at any other height, and a skipped,
repeated or spliced block fails the number or the root link. The chain digest
commits to every block statement, so two chain proofs of the same height and
roots also agree on every block's data root.

**The whitelist root** is a public input, not a constant of the step circuit
(the step circuit's own digest is a leaf of it). The verifier therefore
recomputes it from the key it trusts: the step key's digest and the genesis
circuit's digest, carried together in one chain key file (``ChainKey``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from verifier.errors import VerificationError
from verifier.hashing import DIGEST_SIZE, ZERO_DIGEST, Digest, compress, hash_elements
from verifier.plonk import verify_proof
from verifier.proof import ProofWithPublicInputs, VerifierKey
from verifier.serialization import FormatError, Reader, Writer, verifier_key_from_bytes
from verifier.soundness import require_documented_security

if TYPE_CHECKING:
    from verifier.light_client import BlockStatement

CHAIN_STATEMENT_LEN = 13
CHAIN_PUBLIC_INPUTS = CHAIN_STATEMENT_LEN + DIGEST_SIZE
GENESIS_CHAIN_DIGEST: Digest = ZERO_DIGEST
GENESIS_HEIGHT = 0
"""The height of the genesis state: the first block after genesis is block 1."""
CHAIN_WHITELIST_DEPTH = 1
"""Two leaves: the genesis circuit and the step circuit (``chain_whitelist_digests``)."""
CHAIN_KEY_MAGIC = b"ZKCK"
CHAIN_KEY_FORMAT_VERSION = 1


class ChainError(ValueError):
    """A block does not extend a chain statement, or a chain proof is not what it must be."""


@dataclass(frozen=True)
class ChainStatement:
    genesis_root: Digest
    height: int
    latest_root: Digest
    chain_digest: Digest

    def elements(self) -> list[int]:
        return [*self.genesis_root, self.height, *self.latest_root, *self.chain_digest]

    @staticmethod
    def from_elements(v: Sequence[int]) -> ChainStatement:
        if len(v) != CHAIN_STATEMENT_LEN:
            raise ValueError(f"a chain statement has {CHAIN_STATEMENT_LEN} elements, got {len(v)}")
        x = [int(e) for e in v]
        return ChainStatement((x[0], x[1], x[2], x[3]), x[4], (x[5], x[6], x[7], x[8]), (x[9], x[10], x[11], x[12]))


def genesis_statement(genesis_root: Digest) -> ChainStatement:
    """Height 0: nothing happened yet, the latest root is the genesis root."""
    return ChainStatement(genesis_root, GENESIS_HEIGHT, genesis_root, GENESIS_CHAIN_DIGEST)


def block_statement_digest(block: BlockStatement) -> Digest:
    """H(S): the block statement's 17 elements hashed with the sponge."""
    return hash_elements(block.elements())


def extend_chain(previous: ChainStatement, block: BlockStatement) -> ChainStatement:
    """The chain statement after ``block``; ChainError unless it is block previous.height + 1 on the latest root.

    Native twin of the step circuit's rule (``circuits.recursion.chain``)."""
    if block.block_number != previous.height + 1:
        raise ChainError(f"block {block.block_number} cannot follow height {previous.height}")
    if block.prev_root != previous.latest_root:
        raise ChainError(f"block {block.block_number} does not extend the chain's latest root")
    digest = compress(previous.chain_digest, block_statement_digest(block))
    return ChainStatement(previous.genesis_root, previous.height + 1, block.new_root, digest)


def chain_statement(genesis_root: Digest, blocks: Sequence[BlockStatement]) -> ChainStatement:
    """The statement a chain proof over ``blocks`` must state (ChainError if they do not chain)."""
    statement = genesis_statement(genesis_root)
    for block in blocks:
        statement = extend_chain(statement, block)
    return statement


def whitelist_root(digests: Sequence[Digest], depth: int) -> Digest:
    """Root of the whitelist tree (``circuits.recursion.aggregation.Whitelist``): leaf i is
    hash_elements(digest_i), missing leaves hash the zero digest, nodes are ``compress``."""
    if len(digests) > 1 << depth:
        raise ValueError(f"{len(digests)} keys do not fit a whitelist of depth {depth}")
    level = [hash_elements(d) for d in [*digests, *[ZERO_DIGEST] * ((1 << depth) - len(digests))]]
    while len(level) > 1:
        level = [compress(level[i], level[i + 1]) for i in range(0, len(level), 2)]
    return level[0]


def chain_whitelist_digests(genesis_circuit_digest: Digest, step_circuit_digest: Digest) -> list[Digest]:
    """The chain whitelist's leaves, in order: the genesis circuit, then the step circuit."""
    return [genesis_circuit_digest, step_circuit_digest]


@dataclass(frozen=True)
class ChainKey:
    """What a light client trusts to verify chain proofs: the step key and the genesis circuit's digest."""

    step: VerifierKey
    genesis_circuit_digest: Digest

    @property
    def whitelist_root(self) -> Digest:
        digests = chain_whitelist_digests(self.genesis_circuit_digest, self.step.circuit_digest)
        return whitelist_root(digests, CHAIN_WHITELIST_DEPTH)


def chain_key_to_bytes(key: ChainKey, step_key_bytes: bytes) -> bytes:
    """magic "ZKCK" | u16 version | list genesis circuit digest (one digest) | the step key file."""
    w = Writer()
    w.parts.append(CHAIN_KEY_MAGIC)
    w.u16(CHAIN_KEY_FORMAT_VERSION)
    w.digest_list([key.genesis_circuit_digest])
    w.parts.append(step_key_bytes)
    return w.bytes()


def chain_key_from_bytes(data: bytes) -> ChainKey:
    """Parse an untrusted chain key file (FormatError on any malformation)."""
    r = Reader(data)
    r.header(CHAIN_KEY_MAGIC, "chain key", CHAIN_KEY_FORMAT_VERSION)
    digests = r.digest_list("genesis circuit digest")
    if len(digests) != 1:
        raise FormatError(f"a chain key holds one genesis circuit digest, got {len(digests)}")
    step = verifier_key_from_bytes(data[r.pos :])
    if step.common.num_public_inputs != CHAIN_PUBLIC_INPUTS:
        raise FormatError(
            f"a chain step key has {CHAIN_PUBLIC_INPUTS} public inputs, this one {step.common.num_public_inputs}"
        )
    return ChainKey(step, digests[0])


def verify_chain_proof(key: ChainKey, proof: ProofWithPublicInputs, genesis_root: Digest) -> ChainStatement:
    """Verify a chain proof from a trusted genesis root: the whole chain in one check.

    Refuses a step key below the documented security (``WeakKeyError``), then checks the proof, that it
    names the chain key's whitelist (so every proof under it was a genesis or step proof) and that it
    starts at ``genesis_root``; ChainError otherwise."""
    if len(proof.public_inputs) != CHAIN_PUBLIC_INPUTS:
        raise ChainError(f"not a chain proof: {len(proof.public_inputs)} public inputs, expected {CHAIN_PUBLIC_INPUTS}")
    require_documented_security(key.step)
    try:
        verify_proof(key.step, proof.proof, proof.public_inputs)
    except VerificationError as exc:
        raise ChainError(f"the chain proof does not verify under the chain key: {exc}") from exc
    if tuple(proof.public_inputs[CHAIN_STATEMENT_LEN:]) != key.whitelist_root:
        raise ChainError("the chain proof names another whitelist than the chain key's (genesis and step circuits)")
    statement = ChainStatement.from_elements(proof.public_inputs[:CHAIN_STATEMENT_LEN])
    if statement.genesis_root != genesis_root:
        raise ChainError("the chain proof starts from another genesis root than the trusted one")
    return statement
