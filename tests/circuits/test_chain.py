"""Chain proofs: a chain of 5 blocks under one key, and every way a cheating prover would break the chain.

The block key here is a circuit (in the block proofs' shrinking configuration)
whose 17 public inputs are free: it proves *any* block statement, so
re-proving a transition under another number is as cheap as it gets. That is
the most permissive block key there is; only the chain step's own rules
stand between a cheater and a false chain. Each attack is built as a
cheating prover would: the honest prover cannot even fill the
witness; a cheater fills it from the same circuit without the step rule's
copy constraints (every gate row consistent, only the rule broken), proves it
under the real step key with the prover's self-checks switched off
(``tests_support``), and the light client rejects the proof. The real block
circuit: ``tests/rollup/test_chain_proofs.py``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import pytest
from tests_support import prover_without_self_checks

import circuits.recursion.chain as chain_module
from circuits.builder import CircuitBuilder
from circuits.circuit_data import CircuitData
from circuits.recursion.chain import BlockTargets, ChainCircuits, step_builder
from circuits.witness import Target, Witness
from verifier.chain import ChainError, chain_statement, verify_chain_proof
from verifier.config import SHRINK_CONFIG
from verifier.field import P
from verifier.hashing import Digest
from verifier.light_client import BLOCK_STATEMENT_LEN, BlockStatement
from verifier.proof import ProofWithPublicInputs
from verifier.serialization import proof_to_bytes

pytestmark = pytest.mark.slow

HEIGHT = 5
WHITELIST: Digest = (7, 7, 7, 7)


def root(chain: int, k: int) -> Digest:
    return (chain, k, 0, 1)


def statement(k: int, chain: int = 1) -> BlockStatement:
    """Block k of chain ``chain``: root(chain, k - 1) -> root(chain, k); genesis is root(chain, 0)."""
    return BlockStatement(root(chain, k - 1), root(chain, k), k, (k, k, k, k), WHITELIST)


@dataclass
class FreeBlockCircuit:
    circuit: CircuitData
    inputs: list[Target]

    def prove(self, s: BlockStatement) -> ProofWithPublicInputs:
        return self.circuit.prove(dict(zip(self.inputs, s.elements(), strict=True)))


@dataclass
class Chain:
    blocks: FreeBlockCircuit
    circuits: ChainCircuits
    unchecked_step: CircuitData
    """The step circuit without the rule's equalities (``chain_rule``): what a cheater fills its witness from."""
    proofs: list[ProofWithPublicInputs]
    """proofs[k]: the chain proof at height k (0: genesis)."""

    def forge(self, w: Witness) -> ProofWithPublicInputs:
        """Prove any wire table under the real step key, the prover's self-checks off."""
        step = self.circuits.step
        with prover_without_self_checks(step.common.config):
            return step.prove_witness(w)

    def rejected(self, forged: ProofWithPublicInputs) -> None:
        with pytest.raises(ChainError, match="does not verify"):
            verify_chain_proof(self.circuits.key, forged, root(1, 0))

    def attack(self, previous: ProofWithPublicInputs, block: ProofWithPublicInputs) -> ProofWithPublicInputs:
        """The honest prover refuses the step; the cheater's proof is rejected; returns it."""
        inputs = self.circuits.step_inputs(previous, block)
        with pytest.raises(ValueError):
            self.circuits.step.generate_witness(inputs)
        forged = self.forge(self.unchecked_step.generate_witness(inputs))
        self.rejected(forged)
        return forged


@pytest.fixture(scope="module")
def chain() -> Chain:
    b = CircuitBuilder(SHRINK_CONFIG)  # block proofs are proven in the shrinking configuration
    inputs = b.add_virtual_targets(BLOCK_STATEMENT_LEN)
    b.register_public_inputs(inputs)
    blocks = FreeBlockCircuit(b.build(), inputs)
    circuits = ChainCircuits.build(blocks.circuit.verifier_key)
    mp = pytest.MonkeyPatch()
    mp.setattr(chain_module, "chain_rule", lambda previous, block, height: [])
    unchecked, _ = step_builder(circuits.step.common, blocks.circuit.verifier_key)
    mp.undo()
    proofs = [circuits.prove_genesis(root(1, 0))]
    for k in range(1, HEIGHT + 1):
        proofs.append(circuits.prove_step(proofs[-1], blocks.prove(statement(k))))
    return Chain(blocks, circuits, unchecked.build(circuits.step.common), proofs)


def test_a_chain_of_5_blocks_verifies_in_one_proof_of_constant_size_under_one_key(chain: Chain) -> None:
    key = chain.circuits.key
    sizes = set()
    for k in range(1, HEIGHT + 1):
        got = verify_chain_proof(key, chain.proofs[k], root(1, 0))
        assert got == chain_statement(root(1, 0), [statement(i) for i in range(1, k + 1)])
        assert (got.height, got.latest_root) == (k, root(1, k))
        sizes.add(len(proof_to_bytes(chain.proofs[k])))
    assert len(sizes) == 1
    assert chain.circuits.child(chain.proofs[0]).vk != key.step  # height 0 is the genesis circuit's


def test_the_base_case_states_height_0_at_the_genesis_root(chain: Chain) -> None:
    genesis = chain.proofs[0]
    chain.circuits.genesis.circuit.verify(genesis)
    assert genesis.public_inputs[:13] == tuple(chain_statement(root(1, 0), []).elements())
    assert genesis.public_inputs[13:] == chain.circuits.key.whitelist_root


def test_a_block_re_proven_under_another_number_never_enters_the_chain(chain: Chain) -> None:
    relabelled = chain.blocks.prove(dataclasses.replace(statement(2), block_number=7))
    chain.attack(chain.proofs[1], relabelled)
    relabelled_earlier = chain.blocks.prove(dataclasses.replace(statement(2), block_number=1))
    chain.attack(chain.proofs[1], relabelled_earlier)


def test_a_block_spliced_from_another_chain_is_rejected(chain: Chain) -> None:
    chain.attack(chain.proofs[1], chain.blocks.prove(statement(2, chain=2)))


def test_a_skipped_block_is_rejected(chain: Chain) -> None:
    chain.attack(chain.proofs[1], chain.blocks.prove(statement(3)))


def test_a_repeated_block_is_rejected(chain: Chain) -> None:
    chain.attack(chain.proofs[1], chain.blocks.prove(statement(1)))
    chain.attack(chain.proofs[2], chain.blocks.prove(statement(2)))


def test_a_chain_proof_over_a_tampered_earlier_block_is_rejected(chain: Chain) -> None:
    """Block 2's proof with another new root cannot be verified in the step; a cheater who verifies the honest
    proof and writes the forged root into the statement's cells gets a rejected proof, and no later step
    can be proven over it."""
    forged_root: Digest = ((root(1, 2)[0] + 1) % P, *root(1, 2)[1:])  # type: ignore[assignment]
    honest = chain.blocks.prove(statement(2))
    tampered = dataclasses.replace(
        honest, public_inputs=tuple(dataclasses.replace(statement(2), new_root=forged_root).elements())
    )
    with pytest.raises(ValueError):
        chain.circuits.prove_step(chain.proofs[1], tampered)
    w = chain.circuits.step.generate_witness(chain.circuits.step_inputs(chain.proofs[1], honest))
    new_root_cells = BlockTargets(tuple(chain.circuits.targets.block.public_inputs)).new_root
    classes = chain.circuits.step.copy_classes.values()
    for target, value in zip(new_root_cells, forged_root, strict=True):
        for cell in next((members for members in classes if target in members), [target]):
            if cell >= 0:
                w.wires[cell % w.num_wires, cell // w.num_wires] = value
            else:
                w.virtual[cell] = value
    at_2 = chain.forge(w)
    assert at_2.public_inputs[5:9] == forged_root
    chain.rejected(at_2)
    block_3 = chain.blocks.prove(dataclasses.replace(statement(3), prev_root=forged_root))
    with pytest.raises(ValueError):
        chain.circuits.prove_step(at_2, block_3)


def test_a_chain_proof_is_tied_to_its_genesis_and_whitelist(chain: Chain) -> None:
    with pytest.raises(ChainError, match="another genesis root"):
        verify_chain_proof(chain.circuits.key, chain.proofs[HEIGHT], root(2, 0))
    other_genesis = chain.circuits.prove_step(
        chain.circuits.prove_genesis(root(2, 0)), chain.blocks.prove(statement(1, chain=2))
    )
    assert verify_chain_proof(chain.circuits.key, other_genesis, root(2, 0)).latest_root == root(2, 1)
