"""Generator of the Poseidon2 linear-layer gate (``verifier/gates/poseidon2_linear.py``)."""

from __future__ import annotations

from collections.abc import Sequence

from circuits.generators.base import Generator
from circuits.witness import Target, Witness
from verifier.extension import Ext
from verifier.gates.poseidon2_linear import Poseidon2LinearGate
from verifier.poseidon2 import WIDTH, external_linear_layer, internal_linear_layer


class Poseidon2LinearGenerator(Generator):
    """Fills the outputs of a Poseidon2 linear-layer row (M_E or M_I over F_p2)."""

    def __init__(self, row_base: Target, external: bool) -> None:
        self.base = row_base
        self.external = external

    def dependencies(self) -> Sequence[Target]:
        return [self.base + w for lane in range(WIDTH) for w in Poseidon2LinearGate.in_wires(lane)]

    def run(self, w: Witness) -> None:
        b = self.base
        state = [Ext(*w.get_many(b + x for x in Poseidon2LinearGate.in_wires(lane))) for lane in range(WIDTH)]
        out = external_linear_layer(state) if self.external else internal_linear_layer(state)
        for lane, value in enumerate(out):
            w.set_many((b + x for x in Poseidon2LinearGate.out_wires(lane)), (value.a0, value.a1))
