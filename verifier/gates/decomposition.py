"""Base decomposition and random access gates.

* BaseSum(m, B): w_0 = sum_{i<m} w_{1+i} B^i and every limb is in [0, B):
  prod_{j<B} (w_{1+i} - j) = 0 (degree B). With B = 2 this range-checks
  w_0 < 2^m and exposes its bits.
* RandomAccess(k, copies): for each copy, with index = sum_i b_i 2^i (bits b_i
  boolean, stored in advice wires) and items v_0 .. v_{2^k - 1},
  claimed = v_index, computed as a binary tree of selects
  (degree k + 1).
"""

from __future__ import annotations

from verifier.gates.base import Gate, GateVars, T, select


class BaseSumGate(Gate):
    """Decompose w_0 into m little-endian base-B limbs w_1..w_m."""

    def __init__(self, num_limbs: int, base: int = 2) -> None:
        if base < 2:
            raise ValueError("base must be at least 2")
        self.num_limbs = num_limbs
        self.base = base

    @property
    def name(self) -> str:
        return f"BaseSum({self.num_limbs},{self.base})"

    @property
    def num_wires(self) -> int:
        return 1 + self.num_limbs

    @property
    def degree(self) -> int:
        return self.base

    @property
    def num_constraints(self) -> int:
        return 1 + self.num_limbs

    SUM = 0

    @staticmethod
    def limb_wire(i: int) -> int:
        return 1 + i

    def eval_constraints(self, v: GateVars[T]) -> list[T]:
        limbs = [v.wires[self.limb_wire(i)] for i in range(self.num_limbs)]
        acc = limbs[-1]
        for limb in reversed(limbs[:-1]):
            acc = acc * self.base + limb
        out = [v.wires[self.SUM] - acc]
        for limb in limbs:
            product = limb
            for j in range(1, self.base):
                product = product * (limb - j)
            out.append(product)
        return out


class RandomAccessGate(Gate):
    """``copies`` lookups claimed = items[index] into vectors of 2^bits items."""

    def __init__(self, bits: int, copies: int) -> None:
        self.bits = bits
        self.copies = copies

    @staticmethod
    def for_config(bits: int, num_routed_wires: int, num_wires: int) -> RandomAccessGate:
        routed_per_copy = 2 + (1 << bits)
        copies = min(num_routed_wires // routed_per_copy, num_wires // (routed_per_copy + bits))
        return RandomAccessGate(bits, copies)

    @property
    def name(self) -> str:
        return f"RandomAccess({self.bits},{self.copies})"

    @property
    def vector_size(self) -> int:
        return 1 << self.bits

    @property
    def routed_per_copy(self) -> int:
        return 2 + self.vector_size

    @property
    def num_wires(self) -> int:
        return self.copies * (self.routed_per_copy + self.bits)

    @property
    def degree(self) -> int:
        return self.bits + 1

    @property
    def num_constraints(self) -> int:
        return self.copies * (self.bits + 2)

    def index_wire(self, copy: int) -> int:
        return copy * self.routed_per_copy

    def claimed_wire(self, copy: int) -> int:
        return copy * self.routed_per_copy + 1

    def item_wire(self, copy: int, i: int) -> int:
        return copy * self.routed_per_copy + 2 + i

    def bit_wire(self, copy: int, i: int) -> int:
        """Advice wires for the index bits sit after all routed copies."""
        return self.copies * self.routed_per_copy + copy * self.bits + i

    def eval_constraints(self, v: GateVars[T]) -> list[T]:
        w = v.wires
        out: list[T] = []
        for c in range(self.copies):
            bits = [w[self.bit_wire(c, i)] for i in range(self.bits)]
            out += [b * b - b for b in bits]
            recomposed = bits[-1]
            for b in reversed(bits[:-1]):
                recomposed = recomposed * 2 + b
            out.append(w[self.index_wire(c)] - recomposed)
            layer = [w[self.item_wire(c, i)] for i in range(self.vector_size)]
            for b in bits:
                layer = [select(b, layer[2 * j], layer[2 * j + 1]) for j in range(len(layer) // 2)]
            out.append(w[self.claimed_wire(c)] - layer[0])
        return out
