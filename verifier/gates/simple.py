"""Small gates: no-op, constants, public inputs, base-field and extension arithmetic.

Every equation below must hold on a row whose selector is 1.

* Noop: no constraint (padding rows).
* Constant(k): w_i = c_i for i < k.
* PublicInput: w_i = h_i for i < 4, where h = hash of the public inputs (the
  verifier computes h itself, so the circuit's public inputs are bound).
* Arithmetic(m): for each op i < m, out_i = c_0 * x_i * y_i + c_1 * z_i with
  (x_i, y_i, z_i, out_i) = w_{4i .. 4i+3}; one (c_0, c_1) per row.
* ArithmeticExtension(m): the same over F_p2, each operand two wires
  (a0 + a1 X, X^2 = 7), so op i uses w_{8i .. 8i+7}.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Self

from verifier.extension import W
from verifier.gates.base import Gate, GateVars, T


class NoopGate(Gate):
    """A row with no constraints."""

    name = "Noop"
    num_wires = 0
    degree = 0
    num_constraints = 0

    def eval_constraints(self, v: GateVars[T]) -> list[T]:
        return []


class ConstantGate(Gate):
    """Wires 0..k-1 equal the row's constants 0..k-1."""

    def __init__(self, num_consts: int) -> None:
        self.num_consts = num_consts

    @property
    def name(self) -> str:
        return f"Constant({self.num_consts})"

    @property
    def num_wires(self) -> int:
        return self.num_consts

    @property
    def num_constants(self) -> int:
        return self.num_consts

    degree = 1

    @property
    def num_constraints(self) -> int:
        return self.num_consts

    def eval_constraints(self, v: GateVars[T]) -> list[T]:
        return [v.wires[i] - v.constants[i] for i in range(self.num_consts)]


class PublicInputGate(Gate):
    """Wires 0..3 equal the hash of the public inputs."""

    name = "PublicInput"
    num_wires = 4
    degree = 1
    num_constraints = 4

    def eval_constraints(self, v: GateVars[T]) -> list[T]:
        return [v.wires[i] - v.public_inputs_hash[i] for i in range(4)]


class ArithmeticOpsGate(Gate):
    """The shape both arithmetic gates share: ``num_ops`` independent ops per row,
    each on ``WIRES_PER_OP`` consecutive wires, all sharing the row constants (c0, c1)."""

    KIND: str
    WIRES_PER_OP: int
    CONSTRAINTS_PER_OP: int
    num_constants = 2
    degree = 3

    def __init__(self, num_ops: int) -> None:
        self.num_ops = num_ops

    @classmethod
    def for_routed_wires(cls, num_routed_wires: int) -> Self:
        """As many ops as fit in the routed wires (every operand must take part in copy constraints)."""
        return cls(num_routed_wires // cls.WIRES_PER_OP)

    @property
    def name(self) -> str:
        return f"{self.KIND}({self.num_ops})"

    @property
    def num_wires(self) -> int:
        return self.WIRES_PER_OP * self.num_ops

    @property
    def num_constraints(self) -> int:
        return self.CONSTRAINTS_PER_OP * self.num_ops


class ArithmeticGate(ArithmeticOpsGate):
    """m independent ops out = c0*x*y + c1*z sharing the row constants (c0, c1)."""

    KIND = "Arithmetic"
    WIRES_PER_OP = 4
    CONSTRAINTS_PER_OP = 1

    @staticmethod
    def wires_of_op(i: int) -> tuple[int, int, int, int]:
        """Columns of (x, y, z, out) for op i."""
        base = ArithmeticGate.WIRES_PER_OP * i
        return base, base + 1, base + 2, base + 3

    def eval_constraints(self, v: GateVars[T]) -> list[T]:
        c0, c1 = v.constants[0], v.constants[1]
        out = []
        for i in range(self.num_ops):
            x, y, z, res = (v.wires[j] for j in self.wires_of_op(i))
            out.append(res - (c0 * x * y + c1 * z))
        return out


def ext_mul_components(a: Sequence[T], b: Sequence[T]) -> tuple[T, T]:
    """(a0 + a1 X)(b0 + b1 X) with X^2 = W, over any algebra."""
    return a[0] * b[0] + a[1] * b[1] * W, a[0] * b[1] + a[1] * b[0]


class ArithmeticExtensionGate(ArithmeticOpsGate):
    """m ops out = c0*x*y + c1*z over F_p2; operands are wire pairs."""

    KIND = "ArithmeticExtension"
    WIRES_PER_OP = 8
    CONSTRAINTS_PER_OP = 2

    @staticmethod
    def wires_of_op(i: int) -> tuple[tuple[int, int], tuple[int, int], tuple[int, int], tuple[int, int]]:
        """Column pairs of (x, y, z, out) for op i."""
        b = ArithmeticExtensionGate.WIRES_PER_OP * i
        return (b, b + 1), (b + 2, b + 3), (b + 4, b + 5), (b + 6, b + 7)

    def eval_constraints(self, v: GateVars[T]) -> list[T]:
        c0, c1 = v.constants[0], v.constants[1]
        out: list[T] = []
        for i in range(self.num_ops):
            x, y, z, res = ([v.wires[j] for j in pair] for pair in self.wires_of_op(i))
            xy = ext_mul_components(x, y)
            out.append(res[0] - (c0 * xy[0] + c1 * z[0]))
            out.append(res[1] - (c0 * xy[1] + c1 * z[1]))
        return out
