"""The Poseidon2 linear-layer gate: one of Poseidon2's linear layers applied to 12 F_p2 values.

The recursive verifier evaluates the Poseidon2 gate's constraints at zeta, where
the wires are F_p2 values, and most of that work is Poseidon2's linear layers
(9 external, 22 internal per evaluation, ~45 extension ops each). This gate does
one in a row (as Plonky2's PoseidonMdsGate does for Poseidon's MDS layer):

    out = M_I . in + c * (M_E . in - M_I . in)      (c = the row's constant 0: internal, 1: external)

with in and out 12 F_p2 values (wire pairs, all routed) and the layers of
``verifier.poseidon2`` applied to each coordinate (they have integer
coefficients, so they act on F_p2 coordinate-wise). Degree 2.

Layout: IN[0..24) as (c0, c1) pairs, OUT[24..48) likewise; constant 0 selects
the layer.
"""

from __future__ import annotations

from verifier.gates.base import Gate, GateVars, T
from verifier.poseidon2 import WIDTH, external_linear_layer, internal_linear_layer

IN = 0
OUT = 2 * WIDTH
EXTERNAL = 1
INTERNAL = 0


class Poseidon2LinearGate(Gate):
    """out = M_E . in (constant 1) or M_I . in (constant 0) over F_p2."""

    name = "Poseidon2Linear"
    num_wires = 4 * WIDTH
    num_constants = 1
    degree = 2
    num_constraints = 2 * WIDTH

    @staticmethod
    def in_wires(lane: int) -> tuple[int, int]:
        return IN + 2 * lane, IN + 2 * lane + 1

    @staticmethod
    def out_wires(lane: int) -> tuple[int, int]:
        return OUT + 2 * lane, OUT + 2 * lane + 1

    def eval_constraints(self, v: GateVars[T]) -> list[T]:
        w = v.wires
        select = v.constants[0]
        out: list[T] = []
        layers = []
        for k in range(2):
            lanes = [w[self.in_wires(lane)[k]] for lane in range(WIDTH)]
            layers.append((internal_linear_layer(lanes), external_linear_layer(lanes)))
        for lane in range(WIDTH):
            for k in range(2):
                internal, external = layers[k][0][lane], layers[k][1][lane]
                out.append(w[self.out_wires(lane)[k]] - (internal + select * (external - internal)))
        return out
