"""Chain proofs: one recursive proof per block that attests the whole chain from genesis.

The statement and its native rules are in ``verifier.chain`` (read its
docstring first). This module builds the two circuits of the chain's
recursion scheme, both of one universal shape (``RecursionScheme`` with the
13-element chain statement, whitelist depth 1):

* the **genesis circuit**: statement (g, 0, g, D_0) for a free input g, the
  base case (height 0 is a constant of it);
* the **step circuit**: verifies a whitelisted chain proof (genesis or step,
  key digest in the chain whitelist whose root is the pass-through public
  input) and a block proof under the block key (a constant of the circuit),
  then constrains

      block.number = previous.height + 1 = height,
      block.prev_root = previous.latest_root,
      latest_root = block.new_root, genesis_root = previous.genesis_root,
      chain_digest = compress(previous.chain_digest, hash_elements(block statement)).

The step circuit verifies proofs of its own shape, so it is built at the
smallest degree where it fits (``smallest_fixed_point``), like the
aggregation circuit. Its key is the one verifier key of every height.

Block proofs are verified as they are exported: in the shrinking
configuration (``verifier.config.SHRINK_CONFIG``, 11 queries at rate 1/128).
It is the only block proof there is (the block circuit is the shrinking
step, ``rollup.circuits.block``), and the cheaper one to verify in-circuit:
a query costs about the same rows at either rate (three more Merkle levels
per path at rate 1/128, one FRI layer fewer), and there are 11 instead of 28.
Any block key of the documented security is accepted (``ChainCircuits.build``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from circuits.builder import CircuitBuilder, DigestTarget
from circuits.circuit_data import CircuitData
from circuits.recursion.aggregation import (
    ChildProof,
    ChildTargets,
    RecursionScheme,
    Whitelist,
    set_child_inputs,
    smallest_fixed_point,
    verify_whitelisted_child_circuit,
)
from circuits.recursion.plonk import verify_proof_circuit
from circuits.recursion.proof_target import (
    ProofWithPublicInputsTarget,
    add_virtual_proof,
    constant_verifier_key,
    set_proof_target,
)
from circuits.witness import Target
from verifier.chain import (
    CHAIN_STATEMENT_LEN,
    CHAIN_WHITELIST_DEPTH,
    GENESIS_CHAIN_DIGEST,
    GENESIS_HEIGHT,
    ChainKey,
    ChainStatement,
    chain_whitelist_digests,
)
from verifier.hashing import Digest
from verifier.light_client import BLOCK_STATEMENT_LEN
from verifier.proof import CommonData, ProofWithPublicInputs, VerifierKey
from verifier.soundness import require_documented_security

CHAIN_SCHEME = RecursionScheme(statement_len=CHAIN_STATEMENT_LEN, whitelist_depth=CHAIN_WHITELIST_DEPTH)


@dataclass(frozen=True)
class ChainTargets:
    """In-circuit twin of ``verifier.chain.ChainStatement``."""

    genesis_root: DigestTarget
    height: Target
    latest_root: DigestTarget
    chain_digest: DigestTarget

    @staticmethod
    def from_list(t: Sequence[Target]) -> ChainTargets:
        return ChainTargets((t[0], t[1], t[2], t[3]), t[4], (t[5], t[6], t[7], t[8]), (t[9], t[10], t[11], t[12]))

    def elements(self) -> list[Target]:
        return [*self.genesis_root, self.height, *self.latest_root, *self.chain_digest]


@dataclass(frozen=True)
class BlockTargets:
    """In-circuit twin of ``verifier.light_client.BlockStatement`` (the block proof's public inputs)."""

    elements: tuple[Target, ...]

    @property
    def prev_root(self) -> DigestTarget:
        e = self.elements
        return e[0], e[1], e[2], e[3]

    @property
    def new_root(self) -> DigestTarget:
        e = self.elements
        return e[4], e[5], e[6], e[7]

    @property
    def block_number(self) -> Target:
        return self.elements[8]


def chain_rule(previous: ChainTargets, block: BlockTargets, height: Target) -> list[tuple[Target, Target]]:
    """The step rule's equalities: the block's number is the new height, its previous root the latest root."""
    return [(block.block_number, height), *zip(block.prev_root, previous.latest_root, strict=True)]


def extend_chain_circuit(b: CircuitBuilder, previous: ChainTargets, block: BlockTargets) -> ChainTargets:
    """In-circuit twin of ``verifier.chain.extend_chain`` (the step's whole rule)."""
    height = b.add_const(previous.height, 1)
    for x, y in chain_rule(previous, block, height):
        b.connect(x, y)
    digest = b.compress(previous.chain_digest, b.hash_elements(block.elements))
    return ChainTargets(previous.genesis_root, height, block.new_root, digest)


@dataclass
class GenesisCircuit:
    """The base case: statement (g, 0, g, D_0) for the genesis root g (a free input)."""

    circuit: CircuitData
    genesis_root: DigestTarget
    whitelist_root: DigestTarget

    @staticmethod
    def build(shape: CommonData) -> GenesisCircuit:
        b = CircuitBuilder(CHAIN_SCHEME.config)
        genesis = b.add_virtual_digest()
        statement = ChainTargets(genesis, b.constant(GENESIS_HEIGHT), genesis, b.constant_digest(GENESIS_CHAIN_DIGEST))
        whitelist_root = CHAIN_SCHEME.register_leaf_statement(b, statement.elements())
        return GenesisCircuit(b.build(shape), genesis, whitelist_root)

    def prove(self, genesis_root: Digest, whitelist: Whitelist) -> ProofWithPublicInputs:
        inputs = dict(zip(self.genesis_root, genesis_root, strict=True))
        inputs.update(zip(self.whitelist_root, whitelist.root, strict=True))
        return self.circuit.prove(inputs)


@dataclass
class StepTargets:
    whitelist_root: DigestTarget
    previous: ChildTargets
    block: ProofWithPublicInputsTarget


def step_builder(shape: CommonData, block_key: VerifierKey) -> tuple[CircuitBuilder, StepTargets]:
    """The step circuit's layout for previous chain proofs of ``shape`` and block proofs under ``block_key``."""
    b = CircuitBuilder(CHAIN_SCHEME.config)
    whitelist_root = b.add_virtual_digest()
    previous = verify_whitelisted_child_circuit(b, CHAIN_SCHEME, shape, whitelist_root)
    block = add_virtual_proof(b, block_key.common)
    verify_proof_circuit(b, block_key.common, constant_verifier_key(b, block_key), block)
    statement = extend_chain_circuit(
        b,
        ChainTargets.from_list(previous.proof.public_inputs[:CHAIN_STATEMENT_LEN]),
        BlockTargets(tuple(block.public_inputs)),
    )
    b.register_public_inputs([*statement.elements(), *whitelist_root])
    return b, StepTargets(whitelist_root, previous, block)


@dataclass
class ChainCircuits:
    """The genesis and step circuits for one block key, their whitelist and the chain key."""

    block_key: VerifierKey
    genesis: GenesisCircuit
    step: CircuitData
    targets: StepTargets
    whitelist: Whitelist

    @staticmethod
    def build(block_key: VerifierKey) -> ChainCircuits:
        count = block_key.common.num_public_inputs
        if count != BLOCK_STATEMENT_LEN:
            raise ValueError(f"a block key has {BLOCK_STATEMENT_LEN} public inputs, got {count}")
        require_documented_security(block_key)
        step, targets = smallest_fixed_point(CHAIN_SCHEME, lambda shape: step_builder(shape, block_key))
        genesis = GenesisCircuit.build(step.common)
        digests = chain_whitelist_digests(genesis.circuit.verifier_key.circuit_digest, step.verifier_key.circuit_digest)
        return ChainCircuits(block_key, genesis, step, targets, Whitelist(digests, CHAIN_WHITELIST_DEPTH))

    @property
    def key(self) -> ChainKey:
        return ChainKey(self.step.verifier_key, self.genesis.circuit.verifier_key.circuit_digest)

    def child(self, proof: ProofWithPublicInputs) -> ChildProof:
        """A chain proof with the key it verifies under (height 0 is the genesis circuit's)."""
        height = ChainStatement.from_elements(proof.public_inputs[:CHAIN_STATEMENT_LEN]).height
        circuit = self.genesis.circuit if height == GENESIS_HEIGHT else self.step
        return ChildProof(proof, circuit.verifier_key)

    def prove_genesis(self, genesis_root: Digest) -> ProofWithPublicInputs:
        return self.genesis.prove(genesis_root, self.whitelist)

    def step_inputs(self, previous: ProofWithPublicInputs, block: ProofWithPublicInputs) -> dict[Target, int]:
        """Witness inputs of the step over ``previous`` (a chain proof) and ``block`` (a block proof)."""
        inputs: dict[Target, int] = dict(zip(self.targets.whitelist_root, self.whitelist.root, strict=True))
        set_child_inputs(inputs, self.targets.previous, self.child(previous), self.step.common, self.whitelist)
        set_proof_target(inputs, self.targets.block, block)
        return inputs

    def prove_step(self, previous: ProofWithPublicInputs, block: ProofWithPublicInputs) -> ProofWithPublicInputs:
        """The chain proof after ``block``; raises if ``block`` does not extend ``previous``."""
        return self.step.prove(self.step_inputs(previous, block))
