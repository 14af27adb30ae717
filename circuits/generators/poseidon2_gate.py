"""Generator of the Poseidon2 gate (``verifier/gates/poseidon2_gate.py``)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numba import njit

from circuits.generators.base import Generator
from circuits.witness import Target, Witness
from prover.field_kernels import FieldArray
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
from verifier.goldilocks_jit import gl_add, gl_mul, gl_sub
from verifier.poseidon2 import FULL_ROUNDS_FIRST, FULL_ROUNDS_LAST, NUM_ROUNDS, PARTIAL_ROUNDS, ROUND_CONSTANTS, WIDTH
from verifier.poseidon2_jit import permute_columns_traced

_STORED_FIRST = np.array(FULL_ROUNDS_FIRST[1:], dtype=np.int64)
"""After first-half full round k comes round k + 1: the gate stores the states entering these rounds
(the last first-half round's output goes straight into the partial rounds)."""
_PARTIAL = np.array(PARTIAL_ROUNDS, dtype=np.int64)
_PARTIAL_RC0 = np.array([ROUND_CONSTANTS[r][0] for r in PARTIAL_ROUNDS], dtype=np.uint64)
_STORED_LAST = np.array(FULL_ROUNDS_LAST, dtype=np.int64)


@njit(cache=True)
def poseidon2_gate_row(inputs: FieldArray, swap: np.uint64, row: FieldArray) -> None:
    """Fill a Poseidon2 gate row from its IN wires and SWAP bit: DELTA, the stored states and OUT
    (layout in ``verifier.gates.poseidon2_gate``).

    The permutation runs once through ``verifier.poseidon2_jit.permute_columns_traced``; the
    stored states are read off its trace of the state entering each round.
    """
    state = np.empty((WIDTH, 1), dtype=np.uint64)
    for i in range(4):
        delta = gl_mul(swap, gl_sub(inputs[i + 4], inputs[i]))
        row[DELTA + i] = delta
        state[i, 0] = gl_add(inputs[i], delta)
        state[i + 4, 0] = gl_sub(inputs[i + 4], delta)
    for i in range(8, WIDTH):
        state[i, 0] = inputs[i]
    trace = np.empty((NUM_ROUNDS, WIDTH, 1), dtype=np.uint64)
    permute_columns_traced(state, trace)
    for k in range(_STORED_FIRST.shape[0]):
        for i in range(WIDTH):
            row[FIRST_STATES + WIDTH * k + i] = trace[_STORED_FIRST[k], i, 0]
    for k in range(_PARTIAL.shape[0]):
        row[PARTIAL_SBOX_IN + k] = gl_add(trace[_PARTIAL[k], 0, 0], _PARTIAL_RC0[k])
    for k in range(_STORED_LAST.shape[0]):
        for i in range(WIDTH):
            row[LAST_STATES + WIDTH * k + i] = trace[_STORED_LAST[k], i, 0]
    for i in range(WIDTH):
        row[OUT + i] = state[i, 0]


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
        inputs = np.array(w.get_many(range(b + IN, b + IN + WIDTH)), dtype=np.uint64)
        row = np.empty(NUM_WIRES, dtype=np.uint64)
        poseidon2_gate_row(inputs, np.uint64(swap), row)
        w.set_many(range(b + OUT, b + OUT + WIDTH), row[OUT : OUT + WIDTH].tolist())
        w.set_cells(b + DELTA, row[DELTA:])
