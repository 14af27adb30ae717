"""Universal 2-to-1 aggregation: trees of proofs under one constant key, whitelist enforcement."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pytest

from circuits.builder import CircuitBuilder
from circuits.circuit_data import CircuitData
from circuits.recursion.aggregation import (
    AggregationCircuit,
    AggregationScheme,
    ChildProof,
    Whitelist,
    build_aggregation_circuit,
    build_aggregation_variant,
)
from circuits.witness import Target
from verifier.plonk import VerificationError, verify_proof
from verifier.proof import ProofWithPublicInputs

pytestmark = pytest.mark.slow


def combine(b: CircuitBuilder, left: Sequence[Target], right: Sequence[Target]) -> tuple[list[Target], None]:
    """Parent statement: (sum of values, number of leaves); no extra witness."""
    return [b.add(left[0], right[0]), b.add(left[1], right[1])], None


SCHEME = AggregationScheme(statement_len=2, whitelist_depth=3, combine=combine)


@dataclass
class Leaf:
    circuit: CircuitData
    x: Target
    root: Sequence[Target]

    def prove(self, value: int, whitelist_root: Sequence[int]) -> ChildProof:
        inputs = {self.x: value, **dict(zip(self.root, whitelist_root, strict=True))}
        return ChildProof(self.circuit.prove(inputs), self.circuit.verifier_key)


def leaf_circuit(agg: AggregationCircuit, offset: int, zero_knowledge: bool = False) -> Leaf:
    """A leaf proving y = x^2 + offset, statement (y, 1); with ``zero_knowledge`` of the ZK leaf shape."""
    shape = SCHEME.zk_leaf_shape(agg.shape.degree_bits) if zero_knowledge else agg.shape
    b = CircuitBuilder(shape.config)
    x = b.add_virtual_target()
    y = b.add_const(b.mul(x, x), offset)
    root = SCHEME.register_leaf_statement(b, [y, b.one()])
    return Leaf(b.build(shape), x, root)


@pytest.fixture(scope="module")
def setup() -> tuple[AggregationCircuit, Leaf, Leaf, Whitelist]:
    agg = build_aggregation_circuit(SCHEME)
    leaf = leaf_circuit(agg, 1)
    outsider = leaf_circuit(agg, 2)
    whitelist = Whitelist([leaf.circuit.verifier_key.circuit_digest, agg.verifier_key.circuit_digest], 3)
    return agg, leaf, outsider, whitelist


def aggregate_tree(agg: AggregationCircuit, children: list[ChildProof], whitelist: Whitelist) -> ProofWithPublicInputs:
    while len(children) > 1:
        children = [
            ChildProof(agg.prove(children[i], children[i + 1], whitelist), agg.verifier_key)
            for i in range(0, len(children), 2)
        ]
    return children[0].proof


def test_tree_of_8_leaves_and_tree_of_2_verify_under_one_key(
    setup: tuple[AggregationCircuit, Leaf, Leaf, Whitelist],
) -> None:
    agg, leaf, _, whitelist = setup
    values = list(range(3, 11))
    root8 = aggregate_tree(agg, [leaf.prove(v, whitelist.root) for v in values], whitelist)
    root2 = aggregate_tree(agg, [leaf.prove(v, whitelist.root) for v in values[:2]], whitelist)
    for root, vals in ((root8, values), (root2, values[:2])):
        verify_proof(agg.verifier_key, root.proof, root.public_inputs)
        assert root.public_inputs[:2] == (sum(v * v + 1 for v in vals), len(vals))
        assert root.public_inputs[2:] == whitelist.root
    assert len(agg.verifier_key.constants_sigmas_cap) == 16


def test_non_whitelisted_child_cannot_be_aggregated(setup: tuple[AggregationCircuit, Leaf, Leaf, Whitelist]) -> None:
    agg, leaf, outsider, whitelist = setup
    good = leaf.prove(4, whitelist.root)
    foreign = outsider.prove(4, whitelist.root)
    with pytest.raises(ValueError, match="not in the whitelist"):
        agg.prove(good, foreign, whitelist)


def test_forged_whitelist_is_exposed_or_rejected(setup: tuple[AggregationCircuit, Leaf, Leaf, Whitelist]) -> None:
    """A prover who whitelists its own circuit must publish that whitelist's root, which the verifier rejects;
    mixing it with children bound to the real whitelist root cannot be proven."""
    agg, leaf, outsider, whitelist = setup
    forged = Whitelist([*whitelist.digests, outsider.circuit.verifier_key.circuit_digest], 3)
    root = agg.prove(leaf.prove(1, forged.root), outsider.prove(1, forged.root), forged)
    verify_proof(agg.verifier_key, root.proof, root.public_inputs)
    assert root.public_inputs[2:] != whitelist.root  # a light client pinned to the real root rejects it
    with pytest.raises(VerificationError):
        verify_proof(agg.verifier_key, root.proof, [*root.public_inputs[:2], *whitelist.root])
    with pytest.raises(ValueError):
        agg.prove(leaf.prove(1, whitelist.root), outsider.prove(1, forged.root), forged)


def test_zero_knowledge_leaves_aggregate_through_variants(
    setup: tuple[AggregationCircuit, Leaf, Leaf, Whitelist],
) -> None:
    """ZK leaves in (ZK, ZK) and (ZK, plain) slots; the variants' proofs have the tree's shape, so the
    plain aggregation circuit takes them; a child in a slot of the other mode cannot be aggregated."""
    agg, plain_leaf, _, _ = setup
    zk_leaf = leaf_circuit(agg, 1, zero_knowledge=True)
    zk_shape = zk_leaf.circuit.common
    both = build_aggregation_variant(SCHEME, agg.shape, (zk_shape, zk_shape))
    mixed = build_aggregation_variant(SCHEME, agg.shape, (zk_shape, agg.shape))
    keys = [zk_leaf.circuit.verifier_key, plain_leaf.circuit.verifier_key, agg.verifier_key]
    whitelist = Whitelist([vk.circuit_digest for vk in (*keys, both.verifier_key, mixed.verifier_key)], 3)
    zk_children = [zk_leaf.prove(v, whitelist.root) for v in (3, 4, 5)]
    assert all(c.vk.common.config.zero_knowledge for c in zk_children)
    pair = ChildProof(both.prove(zk_children[0], zk_children[1], whitelist), both.verifier_key)
    plain = plain_leaf.prove(6, whitelist.root)
    plain_pair = ChildProof(agg.prove(plain, plain, whitelist), agg.verifier_key)
    triple = ChildProof(mixed.prove(zk_children[2], plain_pair, whitelist), mixed.verifier_key)
    root = agg.prove(pair, triple, whitelist)
    verify_proof(agg.verifier_key, root.proof, root.public_inputs)
    assert root.public_inputs[:2] == (sum(v * v + 1 for v in (3, 4, 5, 6, 6)), 5)
    with pytest.raises(ValueError, match="shape"):
        agg.prove(zk_children[0], plain, whitelist)
    with pytest.raises(ValueError, match="shape"):
        both.prove(plain, zk_children[0], whitelist)
