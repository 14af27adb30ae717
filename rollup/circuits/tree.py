"""In-circuit node statements of a block's aggregation tree: level flags, climbs, the 2-to-1 combine.

Twins of the native statements of :mod:`rollup.block_plan` (read its docstring
for the node statement and the combine rule): :func:`combine_nodes_circuit` is
``combine_nodes``, :func:`climb_circuit` is ``climb``. A level ``l`` in 0..D is
one-hot encoded (:class:`LevelFlags`), so "climb level k" becomes the product
of two flags and every level costs the same rows whichever is climbed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from circuits.builder import CircuitBuilder, DigestTarget
from circuits.gadgets import select_digest
from circuits.witness import Target
from rollup.block_plan import NodeStatement
from verifier.hashing import Digest
from verifier.merkle import default_digests

NodeTargets = NodeStatement
"""A node statement in the circuit: the same layout (``rollup.block_plan.NodeStatement``), with each
field a target (targets are wire indices, ints) instead of a value."""


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
    """In-circuit twin of ``combine_nodes`` (see :mod:`rollup.block_plan`)."""
    left, right = NodeTargets.from_elements(left_list), NodeTargets.from_elements(right_list)
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
