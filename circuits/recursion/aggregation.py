"""Universal 2-to-1 aggregation: one circuit verifying two proofs of any whitelisted circuit.

Every proof in an aggregation tree shares one *universal shape* (common data:
degree, gate list in selector order, public-input count), so a single
in-circuit verifier accepts leaf proofs and aggregation proofs alike. A child
is identified by the digest of its verifier key, computed in-circuit from the
key (a witness); that digest must be a leaf of the whitelist Merkle tree whose
root is part of every statement. The aggregation circuit's own key is
constant, so the top-level verifier needs one key however deep the tree is.

Public inputs of every proof in the tree:

    statement (statement_len elements) || whitelist root (4)

The caller supplies ``combine(builder, left_statement, right_statement)``,
the in-circuit rule deriving the parent statement from the children's. It
returns the parent statement and any object describing extra witness targets
it created (e.g. untouched Merkle siblings); the caller fills those through
``prove(..., combine_inputs=...)``.

Fixed point: the aggregation circuit verifies proofs of its own shape, so its
size depends on the shape it must fit; ``build_aggregation_circuit`` grows the
degree until the circuit fits the shape it verifies.

Zero-knowledge leaves. A leaf may be proven with zero knowledge: its shape is
the universal one with the zero-knowledge flag set (``zk_leaf_shape``), which
the verifying circuit fixes. ``build_aggregation_variant`` builds an aggregation
circuit of the tree's own (plain) shape whose children have other shapes, e.g.
two ZK leaves, or a ZK leaf and an aggregation proof; every variant's key goes
into the whitelist. A lone ZK leaf is re-stated in the tree's shape by a lift
circuit (``build_lift_circuit``: one child, the same statement), so a verifier
of the tree's shape (a block circuit) accepts it. Aggregation proofs themselves stay plain: their openings
are functions of their witness, the children's proofs and keys, which the
aggregator holds anyway and which are themselves zero-knowledge proofs.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np

from circuits.builder import CircuitBuilder, DigestTarget
from circuits.circuit_data import CircuitData
from circuits.recursion.merkle import verify_merkle_proof_circuit
from circuits.recursion.plonk import verify_proof_circuit
from circuits.recursion.proof_target import (
    ProofWithPublicInputsTarget,
    VerifierKeyTarget,
    add_virtual_proof,
    add_virtual_verifier_key,
    set_proof_target,
    set_verifier_key_target,
)
from circuits.witness import Target
from prover.merkle_tree import MerkleTree
from verifier.config import STANDARD_CONFIG, ProofConfig
from verifier.gates import (
    FriFoldGate,
    Gate,
    Poseidon2Gate,
    Poseidon2LinearGate,
    PublicInputGate,
    RandomAccessGate,
)
from verifier.hashing import DIGEST_SIZE, ZERO_DIGEST, Digest
from verifier.merkle import MerkleProof, verify_merkle_proof
from verifier.proof import CommonData, ProofWithPublicInputs, VerifierKey

T = TypeVar("T")
Combine = Callable[[CircuitBuilder, Sequence[Target], Sequence[Target]], tuple[list[Target], Any]]

AGGREGATION_CONFIG = dataclasses.replace(STANDARD_CONFIG, fri_arity_bits=4)
"""The proof configuration of every proof in an aggregation tree: ``STANDARD_CONFIG`` with FRI
folding arity 16 (Plonky2's recursion choice). For a 2^13 shape that is 2 folds instead of 3, so
each query opens one Merkle path fewer (4 fewer Poseidon2 rows per query in the recursive verifier);
security is unchanged (queries * rate_bits + pow_bits)."""

ZK_LEAF_QUERIES_TRADED = 1
"""FRI queries a zero-knowledge leaf trades for rate_bits proof-of-work bits each (27 queries and 19 bits
instead of 28 and 16: the same conjectured 100 bits). A ZK leaf costs its verifier about 3 Poseidon2 rows
more per query (salted leaves, one more quotient chunk, the mask); one query fewer saves about 100 rows,
which keeps an aggregation circuit verifying two ZK leaves within the tree's 2^13 rows. Grinding 3 more
bits costs the leaf's prover about 0.15 s of CPU (docs/benchmarks.md)."""

MIN_AGGREGATION_DEGREE_BITS = 12
MAX_AGGREGATION_DEGREE_BITS = 18


def universal_gates(config: ProofConfig) -> tuple[Gate, ...]:
    """Every gate type the builder places, in a fixed selector order.

    Random access is only placed by the recursive verifier (cap entries: 2^cap_height items;
    FRI cosets: 2^arity items), so only those sizes are listed.
    """
    b = CircuitBuilder(config)
    access_bits = sorted({config.cap_height, config.fri_arity_bits} - {0})
    return (
        b.constant_gate,
        b.arithmetic_gate,
        b.arithmetic_extension_gate,
        Poseidon2Gate(),
        b.range_gate,
        *(RandomAccessGate.for_config(bits, config.num_routed_wires, config.num_wires) for bits in access_bits),
        PublicInputGate(),
        b.reducing_gate(extension=False),
        b.reducing_gate(extension=True),
        FriFoldGate.for_config(config.fri_arity_bits, config.num_routed_wires, config.num_wires),
        Poseidon2LinearGate(),
    )


class Whitelist:
    """A Merkle tree of allowed verifier-key digests (leaf = the 4 digest elements)."""

    def __init__(self, digests: Sequence[Digest], depth: int) -> None:
        if len(digests) > 1 << depth:
            raise ValueError(f"{len(digests)} keys do not fit a whitelist of depth {depth}")
        self.depth = depth
        self.digests = list(digests)
        rows = self.digests + [ZERO_DIGEST] * ((1 << depth) - len(digests))
        self.tree = MerkleTree(np.array(rows, dtype=np.uint64), cap_height=0)
        self.root: Digest = self.tree.cap[0]

    def membership(self, digest: Digest) -> tuple[int, MerkleProof]:
        """(index, path) of an allowed digest; ValueError if it is not whitelisted."""
        if digest not in self.digests:
            raise ValueError(f"verifier key {digest} is not in the whitelist")
        index = self.digests.index(digest)
        proof = self.tree.prove(index)
        verify_merkle_proof(list(digest), index, proof, [self.root])
        return index, proof


@dataclass(frozen=True)
class RecursionScheme:
    """What every proof of a recursive family (a tree, a chain) agrees on: statement length,
    whitelist depth and proof configuration, hence one universal shape per degree."""

    statement_len: int
    whitelist_depth: int
    config: ProofConfig = AGGREGATION_CONFIG

    @property
    def num_public_inputs(self) -> int:
        return self.statement_len + DIGEST_SIZE

    def shape(self, degree_bits: int) -> CommonData:
        return CommonData(self.config, degree_bits, universal_gates(self.config), self.num_public_inputs)

    @property
    def zk_leaf_config(self) -> ProofConfig:
        """The scheme's configuration with zero knowledge (for leaves only), trading
        ``ZK_LEAF_QUERIES_TRADED`` queries for proof-of-work bits at equal conjectured security."""
        traded = ZK_LEAF_QUERIES_TRADED
        return dataclasses.replace(
            self.config,
            zero_knowledge=True,
            num_queries=self.config.num_queries - traded,
            pow_bits=self.config.pow_bits + traded * self.config.rate_bits,
        )

    def zk_leaf_shape(self, degree_bits: int) -> CommonData:
        """The universal shape with zero knowledge: same degree, gates and public inputs."""
        return CommonData(self.zk_leaf_config, degree_bits, universal_gates(self.config), self.num_public_inputs)

    def register_leaf_statement(self, b: CircuitBuilder, statement: Sequence[Target]) -> DigestTarget:
        """Register a leaf circuit's public inputs: its statement and a pass-through whitelist root."""
        if len(statement) != self.statement_len:
            raise ValueError(f"statement has {len(statement)} elements, scheme expects {self.statement_len}")
        if b.config not in (self.config, self.zk_leaf_config):
            raise ValueError("a leaf circuit must be built with the scheme's proof configuration (or its ZK twin)")
        root = b.add_virtual_digest()
        b.register_public_inputs([*statement, *root])
        return root


@dataclass(frozen=True, kw_only=True)
class AggregationScheme(RecursionScheme):
    """A recursion scheme whose proofs combine 2-to-1 by ``combine`` (an aggregation tree)."""

    combine: Combine


@dataclass(frozen=True)
class ChildTargets:
    vk: VerifierKeyTarget
    proof: ProofWithPublicInputsTarget
    index_bits: list[Target]
    siblings: list[DigestTarget]


@dataclass(frozen=True)
class ChildProof:
    """A proof to aggregate together with the key it verifies under."""

    proof: ProofWithPublicInputs
    vk: VerifierKey


@dataclass
class AggregationCircuit:
    scheme: AggregationScheme
    circuit: CircuitData
    whitelist_root: DigestTarget
    children: tuple[ChildTargets, ChildTargets]
    combine_targets: Any
    """What ``combine`` returned beside the parent statement."""
    child_shapes: tuple[CommonData, CommonData]
    """The common data each child slot verifies (the circuit's own shape, or a ZK leaf shape)."""

    @property
    def shape(self) -> CommonData:
        return self.circuit.common

    @property
    def verifier_key(self) -> VerifierKey:
        return self.circuit.verifier_key

    def prove(
        self,
        left: ChildProof,
        right: ChildProof,
        whitelist: Whitelist,
        combine_inputs: Mapping[Target, int] | None = None,
    ) -> ProofWithPublicInputs:
        """Aggregate two child proofs (each a leaf or an aggregation proof of this shape)."""
        inputs: dict[Target, int] = dict(zip(self.whitelist_root, whitelist.root, strict=True))
        inputs.update(combine_inputs or {})
        for child, targets, shape in zip((left, right), self.children, self.child_shapes, strict=True):
            set_child_inputs(inputs, targets, child, shape, whitelist)
        return self.circuit.prove(inputs)


def verify_whitelisted_child_circuit(
    b: CircuitBuilder, scheme: RecursionScheme, shape: CommonData, whitelist_root: DigestTarget
) -> ChildTargets:
    """Verify a child proof of ``shape`` whose key digest is in the whitelist and whose root matches."""
    vk = add_virtual_verifier_key(b, shape)
    proof = add_virtual_proof(b, shape)
    digest = verify_proof_circuit(b, shape, vk, proof)
    index_bits = b.add_virtual_targets(scheme.whitelist_depth)
    siblings = [b.add_virtual_digest() for _ in range(scheme.whitelist_depth)]
    verify_merkle_proof_circuit(b, list(digest), index_bits, siblings, [whitelist_root])
    b.connect_digest(proof.public_inputs[scheme.statement_len :], whitelist_root)
    return ChildTargets(vk, proof, index_bits, siblings)


def set_child_inputs(
    inputs: dict[Target, int], targets: ChildTargets, child: ChildProof, shape: CommonData, whitelist: Whitelist
) -> None:
    """Witness values for one whitelisted child."""
    if child.vk.common != shape:
        raise ValueError("child proof was not made with the shape this slot verifies")
    index, path = whitelist.membership(child.vk.circuit_digest)
    set_verifier_key_target(inputs, targets.vk, child.vk)
    set_proof_target(inputs, targets.proof, child.proof)
    inputs.update({bit: (index >> i) & 1 for i, bit in enumerate(targets.index_bits)})
    for t, d in zip(targets.siblings, path.siblings, strict=True):
        inputs.update(zip(t, d, strict=True))


_AggregationTargets = tuple[DigestTarget, tuple[ChildTargets, ChildTargets], Any]


def _aggregation_builder(
    scheme: AggregationScheme, child_shapes: tuple[CommonData, CommonData]
) -> tuple[CircuitBuilder, DigestTarget, tuple[ChildTargets, ChildTargets], Any]:
    b = CircuitBuilder(scheme.config)
    whitelist_root = b.add_virtual_digest()
    children = [verify_whitelisted_child_circuit(b, scheme, shape, whitelist_root) for shape in child_shapes]
    statements = [c.proof.public_inputs[: scheme.statement_len] for c in children]
    parent, combine_targets = scheme.combine(b, statements[0], statements[1])
    if len(parent) != scheme.statement_len:
        raise ValueError(f"combine returned {len(parent)} elements, scheme expects {scheme.statement_len}")
    b.register_public_inputs([*parent, *whitelist_root])
    return b, whitelist_root, (children[0], children[1]), combine_targets


def smallest_fixed_point(
    scheme: RecursionScheme, builder_for: Callable[[CommonData], tuple[CircuitBuilder, T]]
) -> tuple[CircuitData, T]:
    """Build a circuit that verifies proofs of its own shape, at the smallest degree where it fits.

    ``builder_for(shape)`` lays out the circuit verifying children of ``shape`` and returns the builder
    with whatever targets the caller needs back; the first shape the circuit fits is the fixed point.
    """
    for degree_bits in range(MIN_AGGREGATION_DEGREE_BITS, MAX_AGGREGATION_DEGREE_BITS + 1):
        shape = scheme.shape(degree_bits)
        b, targets = builder_for(shape)
        if b.finalize() <= shape.degree:
            return b.build(shape), targets
    raise ValueError("no recursive circuit fits within the supported degrees")


def build_aggregation_circuit(scheme: AggregationScheme) -> AggregationCircuit:
    """The aggregation circuit at the smallest degree where it verifies proofs of its own shape."""

    def builder_for(shape: CommonData) -> tuple[CircuitBuilder, _AggregationTargets]:
        b, root, children, combine_targets = _aggregation_builder(scheme, (shape, shape))
        return b, (root, children, combine_targets)

    circuit, (root, children, combine_targets) = smallest_fixed_point(scheme, builder_for)
    shape = circuit.common
    return AggregationCircuit(scheme, circuit, root, children, combine_targets, (shape, shape))


def build_aggregation_variant(
    scheme: AggregationScheme, shape: CommonData, child_shapes: tuple[CommonData, CommonData]
) -> AggregationCircuit:
    """An aggregation circuit of the tree's ``shape`` whose two slots verify ``child_shapes``.

    Its proofs have the tree's shape, so every other aggregation circuit accepts them. Raises
    CircuitError if the variant does not fit the shape.
    """
    b, root, children, combine_targets = _aggregation_builder(scheme, child_shapes)
    return AggregationCircuit(scheme, b.build(shape), root, children, combine_targets, child_shapes)


@dataclass
class LiftCircuit:
    """Verifies one whitelisted child of another shape and re-states it (same public inputs) in the tree's shape."""

    circuit: CircuitData
    whitelist_root: DigestTarget
    child: ChildTargets
    child_shape: CommonData

    @property
    def verifier_key(self) -> VerifierKey:
        return self.circuit.verifier_key

    def prove(self, child: ChildProof, whitelist: Whitelist) -> ProofWithPublicInputs:
        inputs: dict[Target, int] = dict(zip(self.whitelist_root, whitelist.root, strict=True))
        set_child_inputs(inputs, self.child, child, self.child_shape, whitelist)
        return self.circuit.prove(inputs)


def build_lift_circuit(scheme: AggregationScheme, shape: CommonData, child_shape: CommonData) -> LiftCircuit:
    """The lift circuit of the tree's ``shape`` for children of ``child_shape`` (e.g. a ZK leaf)."""
    b = CircuitBuilder(scheme.config)
    whitelist_root = b.add_virtual_digest()
    child = verify_whitelisted_child_circuit(b, scheme, child_shape, whitelist_root)
    b.register_public_inputs([*child.proof.public_inputs[: scheme.statement_len], *whitelist_root])
    return LiftCircuit(b.build(shape), whitelist_root, child, child_shape)
