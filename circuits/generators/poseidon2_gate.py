"""Generator of the Poseidon2 gate (``verifier/gates/poseidon2_gate.py``)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from circuits.generators.base import Generator
from circuits.witness import Target, Witness
from prover.field_kernels import FieldArray
from verifier.field import P
from verifier.gates.poseidon2_gate import (
    DELTA,
    FIRST_STATES,
    IN,
    LAST_STATES,
    NUM_WIRES,
    OUT,
    PARTIAL_SBOX_IN,
    SWAP,
)
from verifier.poseidon2 import FULL_ROUNDS_FIRST, FULL_ROUNDS_LAST, NUM_ROUNDS, PARTIAL_ROUNDS, ROUND_CONSTANTS, WIDTH
from verifier.poseidon2_jit import permute_columns_traced


def poseidon2_gate_row(inputs: Sequence[int], swap: int) -> FieldArray:
    """The wire values of a Poseidon2 gate row from its IN wires and SWAP bit (layout in
    ``verifier.gates.poseidon2_gate``): DELTA, the stored round states and OUT.

    The permutation runs once through ``verifier.poseidon2_jit.permute_columns_traced``; the
    stored states are read off its trace of the state entering each round.
    """
    row = np.zeros(NUM_WIRES, dtype=np.uint64)
    row[IN : IN + WIDTH] = inputs
    row[SWAP] = swap
    delta = [swap * (inputs[i + 4] - inputs[i]) % P for i in range(4)]
    row[DELTA : DELTA + 4] = delta
    state = np.array(
        [[(inputs[i] + delta[i]) % P] for i in range(4)]
        + [[(inputs[i + 4] - delta[i]) % P] for i in range(4)]
        + [[inputs[i]] for i in range(8, WIDTH)],
        dtype=np.uint64,
    )
    trace = np.empty((NUM_ROUNDS, WIDTH, 1), dtype=np.uint64)
    permute_columns_traced(state, trace)
    # after first-half full round k = entering round k + 1 (the last one's output is not stored)
    row[FIRST_STATES:PARTIAL_SBOX_IN] = trace[list(FULL_ROUNDS_FIRST[1:]), :, 0].ravel()
    row[PARTIAL_SBOX_IN:LAST_STATES] = [(int(trace[r, 0, 0]) + ROUND_CONSTANTS[r][0]) % P for r in PARTIAL_ROUNDS]
    row[LAST_STATES:NUM_WIRES] = trace[list(FULL_ROUNDS_LAST), :, 0].ravel()
    row[OUT : OUT + WIDTH] = state[:, 0]
    return row


class Poseidon2Generator(Generator):
    """Fills a Poseidon2 gate row: delta, every stored round state, and the output."""

    def __init__(self, row_base: Target) -> None:
        self.base = row_base

    def dependencies(self) -> Sequence[Target]:
        return [self.base + IN + i for i in range(WIDTH)] + [self.base + SWAP]

    def run(self, w: Witness) -> None:
        b = self.base
        swap = w.get(b + SWAP)
        if swap not in (0, 1):
            raise ValueError(f"Poseidon2 swap bit must be 0 or 1, got {swap}")
        row = poseidon2_gate_row(w.get_many(range(b + IN, b + IN + WIDTH)), swap)
        w.set_many(range(b + OUT, b + OUT + WIDTH), row[OUT : OUT + WIDTH].tolist())
        w.set_cells(b + DELTA, row[DELTA:])
