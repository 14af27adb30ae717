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

**Shrinking.** The block circuit is the tree's last proof and verifies exactly
one proof, so it is itself the shrinking step: it is proven in
``verifier.config.SHRINK_CONFIG`` (rate 1/128, 11 queries), which makes the
block proof about 62 kB instead of 131 kB. Its rows do not depend on its own
configuration (its verifier follows the child's shape, the tree's), so it
stays at 2^12 rows, the most at which that configuration reaches the
documented security (checked when it is built). A separate wrapper circuit
would add a proof without making the last one smaller (``docs/recursion.md``).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from circuits.builder import CircuitBuilder, DigestTarget
from circuits.circuit_data import CircuitData
from circuits.recursion.aggregation import (
    AggregationCircuit,
    AggregationScheme,
    ChildProof,
    ChildTargets,
    LiftCircuit,
    Whitelist,
    build_aggregation_circuit,
    build_aggregation_variant,
    build_lift_circuit,
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
from verifier.config import SHRINK_CONFIG, ProofConfig
from verifier.hashing import Digest
from verifier.merkle import default_digests
from verifier.plonk import VerificationError, verify_proof
from verifier.proof import CommonData, ProofWithPublicInputs, VerifierKey
from verifier.soundness import require_documented_security

WHITELIST_DEPTH = 5
"""Room for 32 whitelisted circuits, 26 taken: with three session shapes (2^9, 2^11 and 2^13 rows), the six
session circuits (the small one, the medium send and medium sessions of one shape, and the full send, mixed and
full sessions of another), the batch circuit (a leaf of the full session's shape, ``rollup.circuits.batch``), sixteen
aggregation circuits (one per ordered pair of the four child shapes: the three leaf shapes and the tree's) and
three lifts (one per leaf shape)."""


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
        scheme: AggregationScheme,
        aggregation: AggregationCircuit,
        depth: int,
        whitelist: Whitelist,
        config: ProofConfig = SHRINK_CONFIG,
    ) -> BlockCircuit:
        """The block circuit, proven in ``config``: by default the shrinking configuration, so the block
        proof (the one proof that leaves the prover) is small; the tree's own configuration gives the
        proof before shrinking (the shrink benchmark compares the two)."""
        b = CircuitBuilder(config)
        whitelist_root = b.constant_digest(whitelist.root)
        child = verify_whitelisted_child_circuit(b, scheme, aggregation.shape, whitelist_root)
        node = NodeTargets.from_elements(child.proof.public_inputs[:NODE_STATEMENT_LEN])
        flags = level_flags_circuit(b, node.level, depth)
        bits = node_position_bits_circuit(b, node, flags, depth)
        siblings = [b.add_virtual_digest() for _ in range(depth)]
        always = [b.one()] * depth
        old, new, data = climb_circuit(b, node, bits, flags, always, siblings, default_digests(depth))
        b.connect_digest(node.read_root, old)
        block_number = b.add_virtual_target()
        b.register_public_inputs([*old, *new, block_number, *data, *whitelist_root])
        circuit = b.build()
        require_documented_security(circuit.verifier_key)  # at rate 1/128 only up to 2^12 rows
        return BlockCircuit(circuit, child, whitelist_root, block_number, ClimbTargets(siblings))

    def prove(
        self, top: ChildProof, siblings: Sequence[Digest], block_number: int, whitelist: Whitelist
    ) -> ProofWithPublicInputs:
        inputs = {self.block_number: block_number}
        set_child_inputs(inputs, self.child, top, top.vk.common, whitelist)
        inputs.update(climb_inputs(self.siblings, siblings))
        return self.circuit.prove(inputs)


@dataclass
class BlockCircuits:
    """Everything needed to prove blocks of a global tree of depth D.

    Leaves (session proofs) come in shapes of their own: zero-knowledge, and of the degree
    their size needs, so a small session is not padded to the tree's 2^13 rows. Every child
    slot of an in-circuit verifier is built for one shape, so ``aggregations`` holds one
    aggregation circuit per ordered pair of child shapes among the leaves' and the tree's
    (the plain pair is ``aggregation``), all of them proving in the tree's shape, and
    ``lifts`` one lift circuit per leaf shape, which re-states a lone leaf at the top in the
    tree's shape before the block circuit verifies it. Every one of these keys is in the
    whitelist (docs/recursion.md, "Sessions of several sizes").
    """

    depth: int
    scheme: AggregationScheme
    aggregation: AggregationCircuit
    whitelist: Whitelist
    block: BlockCircuit
    aggregations: dict[tuple[CommonData, CommonData], AggregationCircuit]
    lifts: dict[CommonData, LiftCircuit]

    @staticmethod
    def build(depth: int, leaf_keys: Callable[[AggregationScheme, CommonData], Sequence[VerifierKey]]) -> BlockCircuits:
        """Build the aggregation circuit, then the leaf circuits (``leaf_keys`` builds them, each in a
        shape of its choosing, given the scheme and the tree's shape, and returns their keys), the
        aggregation variant of every other pair of child shapes and the lift of every leaf shape,
        then the whitelist and the block circuit."""
        scheme = block_scheme(depth)
        aggregation = build_aggregation_circuit(scheme)
        tree = aggregation.shape
        leaves = list(leaf_keys(scheme, tree))
        leaf_shapes = [shape for shape in dict.fromkeys(vk.common for vk in leaves) if shape != tree]
        aggregations = {(tree, tree): aggregation}
        for left, right in itertools.product([*leaf_shapes, tree], repeat=2):
            if (left, right) not in aggregations:
                aggregations[(left, right)] = build_aggregation_variant(scheme, tree, (left, right))
        lifts = {shape: build_lift_circuit(scheme, tree, shape) for shape in leaf_shapes}
        keys = [*leaves, *(c.verifier_key for c in aggregations.values()), *(c.verifier_key for c in lifts.values())]
        whitelist = Whitelist([vk.circuit_digest for vk in keys], WHITELIST_DEPTH)
        block = BlockCircuit.build(scheme, aggregation, depth, whitelist)
        return BlockCircuits(depth, scheme, aggregation, whitelist, block, aggregations, lifts)

    def aggregation_for(self, left: CommonData, right: CommonData) -> AggregationCircuit:
        """The aggregation circuit whose slots verify children of these shapes (KeyError if none)."""
        return self.aggregations[(left, right)]

    def aggregation_key_of(self, proof: ProofWithPublicInputs) -> VerifierKey:
        """The key of the aggregation circuit that made ``proof`` (every variant has the tree's shape,
        so the one whose key verifies it; the plain one if none does, whose verification then fails).
        Provers that know the plan name the key instead (``rollup.block_proving.plan_jobs``)."""
        for circuit in self.aggregations.values():
            try:
                verify_proof(circuit.verifier_key, proof.proof, proof.public_inputs)
            except VerificationError:
                continue
            return circuit.verifier_key
        return self.aggregation.verifier_key

    def aggregate(
        self,
        left: ChildProof,
        right: ChildProof,
        left_siblings: Sequence[Digest],
        right_siblings: Sequence[Digest],
    ) -> ProofWithPublicInputs:
        """Aggregate with the circuit whose slots take these children's shapes."""
        circuit = self.aggregation_for(left.vk.common, right.vk.common)
        targets: CombineTargets = circuit.combine_targets
        inputs = climb_inputs(targets.left, left_siblings) | climb_inputs(targets.right, right_siblings)
        return circuit.prove(left, right, self.whitelist, inputs)

    def tree_top(self, top: ChildProof) -> ChildProof:
        """The top node in the tree's shape, which the block circuit verifies: a node of another shape
        (a lone session) is lifted first, by the lift of its shape."""
        if top.vk.common == self.aggregation.shape:
            return top
        lift = self.lifts.get(top.vk.common)
        if lift is None:
            raise ValueError("the top node has another shape than the tree's and no lift circuit takes it")
        return ChildProof(lift.prove(top, self.whitelist), lift.verifier_key)

    def prove_block(self, top: ChildProof, siblings: Sequence[Digest], block_number: int) -> ProofWithPublicInputs:
        """The block proof (in the shrinking configuration) of the top node of the tree."""
        return self.block.prove(self.tree_top(top), siblings, block_number, self.whitelist)
