"""Block proving circuits: combining subtree statements up the global tree, and the block root.

**Node statement.** Every proof of a block's aggregation tree attests one
subtree of the global sparse Merkle tree (depth D):

    (level, position, old_root[4], new_root[4], read_root[4], data_root[4])

the subtree of height ``level`` whose leftmost leaf is ``position`` (so the
low ``level`` bits of position are zero) had root ``old_root`` before the
block and ``new_root`` after it; every session in it read ``read_root``; and
``data_root`` is the root of the block-data tree over the subtree (leaf
H(uid, deposit, new_leaf) per session, empty subtrees default). A session
proof is the level-0 node at its user id.

**Combine** (``combine_nodes`` natively, ``combine_nodes_circuit`` in-circuit).
Two children L, R with levels l_L, l_R and positions u_L, u_R combine at the
parent level l_P = bitlength(u_L xor u_R) with

    l_L < l_P,  l_R < l_P,  bit_{l_P - 1}(u_L) = 0,  bit_{l_P - 1}(u_R) = 1,
    bit_k(u_L) = bit_k(u_R) for k >= l_P,           read_L = read_R,

each child climbing from its level to l_P - 1 over the *untouched* siblings
(witnesses, the same for its old and new root, since no session of the block
wrote there; the data root climbs over empty defaults), and then

    old_P = C(old_L', old_R'), new_P = C(new_L', new_R'), data_P = C(data_L', data_R'),
    u_P = u_L with bits below l_P cleared, read_P = read_L.

So a chain of untouched levels is climbed inside one proof, and the number of
aggregation proofs is the number of sessions minus one.

**Block root** (``BlockCircuit``). Verifies one whitelisted child, climbs it
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
from circuits.gadgets import select_digest
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
from verifier.hashing import Digest, compress
from verifier.merkle import default_digests
from verifier.proof import CommonData, ProofWithPublicInputs, VerifierKey

NODE_STATEMENT_LEN = 18
WHITELIST_DEPTH = 4
"""Room for 16 whitelisted circuits (session shapes and the aggregation circuit)."""


# =============================================================== plain data (native)


@dataclass(frozen=True)
class NodeStatement:
    level: int
    position: int
    old_root: Digest
    new_root: Digest
    read_root: Digest
    data_root: Digest

    def elements(self) -> list[int]:
        return [self.level, self.position, *self.old_root, *self.new_root, *self.read_root, *self.data_root]

    @staticmethod
    def from_elements(v: Sequence[int]) -> NodeStatement:
        if len(v) < NODE_STATEMENT_LEN:
            raise ValueError(f"a node statement has {NODE_STATEMENT_LEN} elements, got {len(v)}")
        d = [tuple(int(x) for x in v[2 + 4 * i : 6 + 4 * i]) for i in range(4)]
        return NodeStatement(int(v[0]), int(v[1]), d[0], d[1], d[2], d[3])  # type: ignore[arg-type]


def parent_level(left: NodeStatement, right: NodeStatement) -> int:
    """The level where the subtrees of two nodes meet."""
    return (left.position ^ right.position).bit_length()


def climb(node: Digest, position: int, start: int, stop: int, siblings: Sequence[Digest]) -> Digest:
    """Climb from level ``start`` to level ``stop`` (siblings[k] used at level k)."""
    for k in range(start, stop):
        node = compress(siblings[k], node) if (position >> k) & 1 else compress(node, siblings[k])
    return node


def combine_nodes(
    left: NodeStatement,
    right: NodeStatement,
    left_siblings: Sequence[Digest],
    right_siblings: Sequence[Digest],
    depth: int,
) -> NodeStatement:
    """Native twin of ``combine_nodes_circuit``; raises ValueError when the children do not combine."""
    level = parent_level(left, right)
    defaults = default_digests(depth)
    for child, bit in ((left, 0), (right, 1)):
        if child.level >= level or child.position & ((1 << child.level) - 1):
            raise ValueError(
                f"child at level {child.level}, position {child.position} does not fit under level {level}"
            )
        if (child.position >> (level - 1)) & 1 != bit:
            raise ValueError("children are not in the left and right halves of their parent")
    if left.read_root != right.read_root:
        raise ValueError("children read different roots")
    lifted = []
    for child, siblings in ((left, left_siblings), (right, right_siblings)):
        lifted.append(
            (
                climb(child.old_root, child.position, child.level, level - 1, siblings),
                climb(child.new_root, child.position, child.level, level - 1, siblings),
                climb(child.data_root, child.position, child.level, level - 1, defaults),
            )
        )
    (lo, ln, ld), (ro, rn, rd) = lifted
    position = left.position >> level << level
    return NodeStatement(level, position, compress(lo, ro), compress(ln, rn), left.read_root, compress(ld, rd))


def climb_to_root(node: NodeStatement, siblings: Sequence[Digest], depth: int) -> tuple[Digest, Digest, Digest]:
    """(old, new, data) roots of the whole tree from a node (native twin of the block circuit's climb)."""
    defaults = default_digests(depth)
    return (
        climb(node.old_root, node.position, node.level, depth, siblings),
        climb(node.new_root, node.position, node.level, depth, siblings),
        climb(node.data_root, node.position, node.level, depth, defaults),
    )


# =============================================================== targets


@dataclass(frozen=True)
class NodeTargets:
    level: Target
    position: Target
    old_root: DigestTarget
    new_root: DigestTarget
    read_root: DigestTarget
    data_root: DigestTarget

    @staticmethod
    def from_list(t: Sequence[Target]) -> NodeTargets:
        d = [(t[2 + 4 * i], t[3 + 4 * i], t[4 + 4 * i], t[5 + 4 * i]) for i in range(4)]
        return NodeTargets(t[0], t[1], d[0], d[1], d[2], d[3])

    def elements(self) -> list[Target]:
        return [self.level, self.position, *self.old_root, *self.new_root, *self.read_root, *self.data_root]


@dataclass(frozen=True)
class LevelFlags:
    """One-hot encoding of a level in 0..D, and at_least[k] = [k >= level] for k in 0..D."""

    one_hot: list[Target]
    at_least: list[Target]


def level_flags_circuit(b: CircuitBuilder, level: Target, depth: int) -> LevelFlags:
    """Constrain one_hot to encode ``level`` (booleans, one set, sum k * one_hot_k = level)."""
    one_hot = b.add_hint([level], depth + 1, lambda v: [int(v[0] == k) for k in range(depth + 1)])
    for bit in one_hot:
        b.assert_bool(bit)
    b.connect(b.linear_combination([(1, bit) for bit in one_hot]), b.one())
    b.connect(b.linear_combination([(k, bit) for k, bit in enumerate(one_hot) if k]), level)
    at_least = []
    acc = b.zero()
    for bit in one_hot:
        acc = b.add(acc, bit)
        at_least.append(acc)
    return LevelFlags(one_hot, at_least)


@dataclass(frozen=True)
class ClimbTargets:
    """Untouched siblings, one per level (unused levels are ignored)."""

    siblings: list[DigestTarget]


def climb_circuit(
    b: CircuitBuilder,
    node: NodeTargets,
    bits: Sequence[Target],
    child: LevelFlags,
    stop_flags: Sequence[Target],
    siblings: Sequence[DigestTarget],
    defaults: Sequence[Digest],
) -> tuple[DigestTarget, DigestTarget, DigestTarget]:
    """Twin of ``climb`` for (old, new, data): level k is climbed when child.at_least[k] and stop_flags[k] are 1."""
    old, new, data = node.old_root, node.new_root, node.data_root
    for k, (bit, sibling) in enumerate(zip(bits, siblings, strict=True)):
        active = b.mul(child.at_least[k], stop_flags[k])
        old = select_digest(b, active, old, b.compress(old, sibling, swap=bit))
        new = select_digest(b, active, new, b.compress(new, sibling, swap=bit))
        data = select_digest(b, active, data, b.compress(data, b.constant_digest(defaults[k]), swap=bit))
    return old, new, data


def node_position_bits_circuit(b: CircuitBuilder, node: NodeTargets, flags: LevelFlags, depth: int) -> list[Target]:
    """Bits of the position (< 2^D), constrained zero below the node's level."""
    bits = b.split_le(node.position, depth)
    for k, bit in enumerate(bits):
        b.assert_zero(b.mul(b.sub(b.one(), flags.at_least[k]), bit))
    return bits


@dataclass(frozen=True)
class CombineTargets:
    left: ClimbTargets
    right: ClimbTargets


def combine_nodes_circuit(
    b: CircuitBuilder, left_list: Sequence[Target], right_list: Sequence[Target], depth: int
) -> tuple[list[Target], CombineTargets]:
    """In-circuit twin of ``combine_nodes`` (see the module docstring)."""
    left, right = NodeTargets.from_list(left_list), NodeTargets.from_list(right_list)
    (level,) = b.add_hint([left.position, right.position], 1, lambda v: [(v[0] ^ v[1]).bit_length()])
    parent = level_flags_circuit(b, level, depth)
    # climb level k iff k + 1 < l_P, i.e. parent.at_least[k + 1] == 0
    below_parent = [b.sub(b.one(), parent.at_least[k + 1]) for k in range(depth)]
    defaults = default_digests(depth)
    lifted = []
    child_bits = []
    climbs = []
    for node, side in ((left, 0), (right, 1)):
        flags = level_flags_circuit(b, node.level, depth)
        for k in range(depth + 1):
            b.assert_zero(b.mul(flags.one_hot[k], parent.at_least[k]))  # child level < parent level
        bits = node_position_bits_circuit(b, node, flags, depth)
        # bit l_P - 1 of the position is 0 on the left, 1 on the right
        at_split = b.linear_combination([(1, b.mul(parent.one_hot[k + 1], bits[k])) for k in range(depth)])
        b.connect(at_split, b.constant(side))
        siblings = [b.add_virtual_digest() for _ in range(depth)]
        lifted.append(climb_circuit(b, node, bits, flags, below_parent, siblings, defaults))
        child_bits.append(bits)
        climbs.append(ClimbTargets(siblings))
    for k in range(depth):
        b.assert_zero(b.mul(parent.at_least[k], b.sub(child_bits[0][k], child_bits[1][k])))
    b.connect_digest(left.read_root, right.read_root)
    (lo, ln, ld), (ro, rn, rd) = lifted
    position = b.linear_combination([(1 << k, b.mul(parent.at_least[k], bit)) for k, bit in enumerate(child_bits[0])])
    parent_node = NodeTargets(
        level, position, b.compress(lo, ro), b.compress(ln, rn), left.read_root, b.compress(ld, rd)
    )
    return parent_node.elements(), CombineTargets(climbs[0], climbs[1])


def climb_inputs(targets: ClimbTargets, siblings: Sequence[Digest]) -> dict[Target, int]:
    """Witness values for a child's untouched siblings (levels it does not climb may hold anything)."""
    inputs: dict[Target, int] = {}
    for t, d in zip(targets.siblings, siblings, strict=True):
        inputs.update(zip(t, d, strict=True))
    return inputs


# =============================================================== the circuits


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
