"""Generic gadgets over :class:`circuits.builder.CircuitBuilder`: digests, conditional checks, Merkle paths.

Every gadget takes the builder as its first argument and only uses the
builder's public helpers, so it adds no gate type and no builder method.

Merkle paths follow :func:`verifier.merkle.compute_root_from_path`: bit k of the
leaf index says whether the node at level k is a right child, in which case the
parent is ``compress(sibling, node)``, else ``compress(node, sibling)``. In the
circuit the bit is the swap input of the Poseidon2 row, so one row per level.
The bits must be boolean; callers take them from ``split_le`` of the index,
which both range-checks the index and binds the path to it.
"""

from __future__ import annotations

from collections.abc import Sequence

from circuits.builder import CircuitBuilder, DigestTarget
from circuits.witness import Target

# ---------------------------------------------------------------- digests


def add_virtual_digests(b: CircuitBuilder, count: int) -> list[DigestTarget]:
    """``count`` fresh digest inputs."""
    return [b.add_virtual_digest() for _ in range(count)]


def select_digest(b: CircuitBuilder, bit: Target, if_zero: Sequence[Target], if_one: Sequence[Target]) -> DigestTarget:
    """bit ? if_one : if_zero, element-wise (``bit`` must be boolean)."""
    d = [b.select(bit, x, y) for x, y in zip(if_zero, if_one, strict=True)]
    return d[0], d[1], d[2], d[3]


# ------------------------------------------------------------- conditional checks


def logical_not(b: CircuitBuilder, bit: Target) -> Target:
    """1 - bit (``bit`` boolean)."""
    return b.sub(b.one(), bit)


def assert_equal_if(b: CircuitBuilder, condition: Target, x: Target, y: Target) -> None:
    """condition * (x - y) == 0: x == y whenever the (boolean) condition is 1."""
    b.assert_zero(b.mul(condition, b.sub(x, y)))


def assert_digest_equal_if(b: CircuitBuilder, condition: Target, x: Sequence[Target], y: Sequence[Target]) -> None:
    """assert_equal_if on each of the four elements."""
    for xi, yi in zip(x, y, strict=True):
        assert_equal_if(b, condition, xi, yi)


# ---------------------------------------------------------------- Merkle paths


def climb_path_circuit(
    b: CircuitBuilder, leaf: Sequence[Target], bits: Sequence[Target], siblings: Sequence[DigestTarget]
) -> list[DigestTarget]:
    """The nodes met climbing from ``leaf``: entry k is the node at level k (entry 0 is the leaf).

    ``bits[k]`` (boolean) is bit k of the leaf index; one Poseidon2 row per level.
    """
    if len(bits) != len(siblings):
        raise ValueError(f"a path of {len(siblings)} siblings needs {len(siblings)} index bits, got {len(bits)}")
    node: DigestTarget = (leaf[0], leaf[1], leaf[2], leaf[3])
    nodes = [node]
    for bit, sibling in zip(bits, siblings, strict=True):
        node = b.compress(node, sibling, swap=bit)
        nodes.append(node)
    return nodes


def compute_root_from_path_circuit(
    b: CircuitBuilder, leaf: Sequence[Target], bits: Sequence[Target], siblings: Sequence[DigestTarget]
) -> DigestTarget:
    """In-circuit twin of :func:`verifier.merkle.compute_root_from_path`."""
    return climb_path_circuit(b, leaf, bits, siblings)[-1]


def merkle_update_circuit(
    b: CircuitBuilder,
    old_leaf: Sequence[Target],
    new_leaf: Sequence[Target],
    bits: Sequence[Target],
    siblings: Sequence[DigestTarget],
) -> tuple[list[DigestTarget], list[DigestTarget]]:
    """Climb the old and the new leaf along the same path (a write leaves the siblings unchanged).

    Returns both lists of nodes (level 0 = leaf ... level d = root): with
    ``old_nodes[h]`` equal to a known root the write is proven to replace
    ``old_leaf`` by ``new_leaf`` in a tree of height h, whose new root is
    ``new_nodes[h]``. Costs 2d Poseidon2 rows.
    """
    return climb_path_circuit(b, old_leaf, bits, siblings), climb_path_circuit(b, new_leaf, bits, siblings)
