"""A circuit that proves any statement: the light client's checks, apart from proof verification, in isolation."""

from __future__ import annotations

from circuits.builder import CircuitBuilder
from circuits.circuit_data import CircuitData
from verifier.config import STANDARD_CONFIG, ProofConfig
from verifier.light_client import BLOCK_STATEMENT_LEN
from verifier.proof import ProofWithPublicInputs


class StatementCircuit:
    """A circuit exposing ``count`` free public inputs: it proves whatever statement it is given."""

    def __init__(self, count: int = BLOCK_STATEMENT_LEN, config: ProofConfig = STANDARD_CONFIG) -> None:
        builder = CircuitBuilder(config)
        self.inputs = builder.add_virtual_targets(count)
        builder.register_public_inputs(self.inputs)
        self.data: CircuitData = builder.build()

    def prove(self, elements: list[int]) -> ProofWithPublicInputs:
        return self.data.prove(dict(zip(self.inputs, elements, strict=True)))
