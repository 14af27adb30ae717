"""In-circuit twin of ``verifier.merkle.verify_merkle_proof``.

The leaf is hashed with the in-circuit sponge, the path is climbed with one
Poseidon2 row per level (the index bit is the row's swap bit, so a right child
is compressed as (sibling, node), as natively), and the result must equal the
cap entry selected by the remaining high bits of the index (random access).
"""

from __future__ import annotations

from collections.abc import Sequence

from circuits.builder import CircuitBuilder, DigestTarget
from circuits.witness import Target


def recompose(b: CircuitBuilder, bits: Sequence[Target]) -> Target:
    """sum_i 2^i bits_i (one op per bit after the first)."""
    if not bits:
        return b.zero()
    acc = bits[0]
    for i, bit in enumerate(bits[1:], start=1):
        acc = b.arithmetic(1 << i, 1, bit, b.one(), acc)
    return acc


def select_cap_entry(
    b: CircuitBuilder, index_bits: Sequence[Target], table: Sequence[DigestTarget], index: Target | None = None
) -> DigestTarget:
    """table[index] for a power-of-two table, by random access on each coordinate.

    ``index`` may be given when the caller already recomposed ``index_bits`` (it must equal their sum).
    """
    if len(table) == 1:
        return table[0]
    if index is None:
        index = recompose(b, index_bits)
    picked = [b.random_access(index, [d[k] for d in table]) for k in range(4)]
    return picked[0], picked[1], picked[2], picked[3]


def verify_merkle_proof_circuit(
    b: CircuitBuilder,
    leaf: Sequence[Target],
    index_bits: Sequence[Target],
    siblings: Sequence[DigestTarget],
    cap: Sequence[DigestTarget],
    cap_index: Target | None = None,
) -> None:
    """Constrain ``leaf`` to be leaf ``index`` of the tree committed by ``cap`` (bits little-endian).

    ``cap_index``, if given, is the recomposed top bits of the index (every tree a FRI query opens
    shares them, so the query recomposes them once).
    """
    if len(index_bits) != len(siblings) + (len(cap).bit_length() - 1):
        raise ValueError("index bits must cover the path and the cap height")
    node = b.hash_elements(leaf)
    for bit, sibling in zip(index_bits, siblings, strict=False):
        node = b.compress(node, sibling, swap=bit)
    b.connect_digest(node, select_cap_entry(b, index_bits[len(siblings) :], cap, cap_index))
