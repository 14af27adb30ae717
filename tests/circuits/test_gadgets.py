"""The generic gadgets: Merkle climbs and updates, conditional equality and selection, against the native code."""

from __future__ import annotations

import pytest

from circuits.builder import CircuitBuilder
from circuits.gadgets import (
    assert_digest_equal_if,
    compute_root_from_path_circuit,
    merkle_update_circuit,
    select_digest,
)
from verifier.field import P
from verifier.merkle import compute_root_from_path


def test_merkle_gadgets_match_native() -> None:
    depth = 5
    b = CircuitBuilder()
    index = b.add_virtual_target()
    bits = b.split_le(index, depth)
    siblings = [b.add_virtual_digest() for _ in range(depth)]
    leaf, new_leaf, root = b.add_virtual_digest(), b.add_virtual_digest(), b.add_virtual_digest()
    old_nodes, new_nodes = merkle_update_circuit(b, leaf, new_leaf, bits, siblings)
    assert_digest_equal_if(b, b.one(), compute_root_from_path_circuit(b, leaf, bits, siblings), root)
    chosen = select_digest(b, bits[0], old_nodes[-1], new_nodes[-1])
    b.register_public_inputs([*old_nodes[-1], *new_nodes[-1], *chosen])
    circuit = b.build()
    sib = [tuple(range(4 * k, 4 * k + 4)) for k in range(depth)]
    leaf_v, new_v, i = (1, 2, 3, 4), (5, 6, 7, 8), 0b10011
    old_root = compute_root_from_path(leaf_v, i, sib)  # type: ignore[arg-type]
    new_root = compute_root_from_path(new_v, i, sib)  # type: ignore[arg-type]
    inputs = {index: i} | dict(zip(leaf, leaf_v, strict=True)) | dict(zip(new_leaf, new_v, strict=True))
    inputs |= dict(zip(root, old_root, strict=True))
    for s, v in zip(siblings, sib, strict=True):
        inputs |= dict(zip(s, v, strict=True))
    proof = circuit.prove(inputs)
    assert proof.public_inputs == (*old_root, *new_root, *new_root)
    circuit.verify(proof)
    inputs |= dict(zip(root, ((old_root[0] + 1) % P, *old_root[1:]), strict=True))
    with pytest.raises(ValueError):
        circuit.generate_witness(inputs)
