"""The block-tree circuits: the aggregation scheme of the global tree, and the block root circuit.

The universal 2-to-1 aggregation circuit (:mod:`circuits.recursion.aggregation`)
is instantiated with the node statement of :mod:`rollup.block_plan` and the
combine of :mod:`rollup.circuits.tree` (:func:`block_scheme`).

**Block root** (:class:`BlockCircuit`). Verifies one whitelisted child, climbs it
to level D, and requires read_root = old root: every session read the
previous finalized root. The whitelist root is a constant of this circuit, so
its verifier key alone pins every circuit allowed in the tree. Statement
(``verifier.light_client.BlockStatement``):

    (prev_root[4], new_root[4], block_number, data_root[4], whitelist_root[4])
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from circuits.builder import CircuitBuilder, DigestTarget
from circuits.circuit_data import CircuitData
from circuits.recursion.aggregation import (
    AggregationCircuit,
    AggregationScheme,
    ChildProof,
    ChildTargets,
    Whitelist,
    build_aggregation_circuit,
    set_child_inputs,
    verify_whitelisted_child_circuit,
)
from circuits.witness import Target
from rollup.block_plan import NODE_STATEMENT_LEN
from rollup.circuits.tree import (
    ClimbTargets,
    CombineTargets,
    NodeTargets,
    climb_circuit,
    climb_inputs,
    combine_nodes_circuit,
    level_flags_circuit,
    node_position_bits_circuit,
)
from verifier.hashing import Digest
from verifier.merkle import default_digests
from verifier.proof import CommonData, ProofWithPublicInputs, VerifierKey

WHITELIST_DEPTH = 4
"""Room for 16 whitelisted circuits (session shapes and the aggregation circuit)."""


def block_scheme(depth: int) -> AggregationScheme:
    """The aggregation scheme of a global tree of the given depth."""

    def combine(b: CircuitBuilder, left: Sequence[Target], right: Sequence[Target]) -> tuple[list[Target], object]:
        return combine_nodes_circuit(b, left, right, depth)

    return AggregationScheme(statement_len=NODE_STATEMENT_LEN, whitelist_depth=WHITELIST_DEPTH, combine=combine)


@dataclass
class BlockCircuit:
    """Verifies the top node of a block's tree and states prev root -> new root."""

    circuit: CircuitData
    child: ChildTargets
    whitelist_root: DigestTarget
    block_number: Target
    siblings: ClimbTargets

    @staticmethod
    def build(
        scheme: AggregationScheme, aggregation: AggregationCircuit, depth: int, whitelist: Whitelist
    ) -> BlockCircuit:
        b = CircuitBuilder(scheme.config)
        whitelist_root = b.constant_digest(whitelist.root)
        child = verify_whitelisted_child_circuit(b, scheme, aggregation.shape, whitelist_root)
        node = NodeTargets.from_list(child.proof.public_inputs[:NODE_STATEMENT_LEN])
        flags = level_flags_circuit(b, node.level, depth)
        bits = node_position_bits_circuit(b, node, flags, depth)
        siblings = [b.add_virtual_digest() for _ in range(depth)]
        always = [b.one()] * depth
        old, new, data = climb_circuit(b, node, bits, flags, always, siblings, default_digests(depth))
        b.connect_digest(node.read_root, old)
        block_number = b.add_virtual_target()
        b.register_public_inputs([*old, *new, block_number, *data, *whitelist_root])
        return BlockCircuit(b.build(), child, whitelist_root, block_number, ClimbTargets(siblings))

    def prove(
        self, top: ChildProof, siblings: Sequence[Digest], block_number: int, whitelist: Whitelist
    ) -> ProofWithPublicInputs:
        inputs = {self.block_number: block_number}
        set_child_inputs(inputs, self.child, top, top.vk.common, whitelist)
        inputs.update(climb_inputs(self.siblings, siblings))
        return self.circuit.prove(inputs)


@dataclass
class BlockCircuits:
    """Everything needed to prove blocks of a global tree of depth D."""

    depth: int
    scheme: AggregationScheme
    aggregation: AggregationCircuit
    whitelist: Whitelist
    block: BlockCircuit

    @staticmethod
    def build(depth: int, leaf_keys: Callable[[AggregationScheme, CommonData], Sequence[VerifierKey]]) -> BlockCircuits:
        """Build the aggregation circuit, then the leaf circuits (``leaf_keys`` builds them with the
        universal shape and returns their keys), then the whitelist and the block circuit."""
        scheme = block_scheme(depth)
        aggregation = build_aggregation_circuit(scheme)
        digests = [vk.circuit_digest for vk in leaf_keys(scheme, aggregation.shape)]
        whitelist = Whitelist([*digests, aggregation.verifier_key.circuit_digest], WHITELIST_DEPTH)
        block = BlockCircuit.build(scheme, aggregation, depth, whitelist)
        return BlockCircuits(depth, scheme, aggregation, whitelist, block)

    def aggregate(
        self,
        left: ChildProof,
        right: ChildProof,
        left_siblings: Sequence[Digest],
        right_siblings: Sequence[Digest],
    ) -> ProofWithPublicInputs:
        targets: CombineTargets = self.aggregation.combine_targets
        inputs = climb_inputs(targets.left, left_siblings) | climb_inputs(targets.right, right_siblings)
        return self.aggregation.prove(left, right, self.whitelist, inputs)

    def prove_block(self, top: ChildProof, siblings: Sequence[Digest], block_number: int) -> ProofWithPublicInputs:
        return self.block.prove(top, siblings, block_number, self.whitelist)
