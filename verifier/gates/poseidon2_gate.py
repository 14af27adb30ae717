"""The Poseidon2 gate: one whole width-12 permutation per row (degree 7).

Layout (135 wires; inputs, outputs and the swap bit are routed):

    IN[0..12)  OUT[12..24)  SWAP 24  DELTA[25..29)
    FIRST_STATES[29..65):  the state after full rounds 1, 2, 3 (3 x 12)
    PARTIAL_SBOX_IN[65..87): the S-box input of each of the 22 partial rounds
    LAST_STATES[87..135):  the state entering each of the last 4 full rounds

The permutation input is IN with its two first digests swapped when SWAP = 1
(used to order a Merkle node's children by an index bit):

    DELTA_i = SWAP * (IN_{i+4} - IN_i),  input_i = IN_i + DELTA_i,
    input_{i+4} = IN_{i+4} - DELTA_i   (i < 4), input_i = IN_i (i >= 8).

Every S-box input is either a wire or an affine function of wires, and every
stored state is checked against the round function applied to the previous
stored state, so each constraint has degree 7. The constraints replay exactly
the round structure of ``verifier.poseidon2`` using its generic layer
functions, so gate and permutation cannot drift apart.
"""

from __future__ import annotations

from verifier.gates.base import Gate, GateVars, T
from verifier.poseidon2 import (
    FULL_ROUNDS_FIRST,
    FULL_ROUNDS_LAST,
    PARTIAL_ROUNDS,
    ROUND_CONSTANTS,
    SBOX_DEGREE,
    WIDTH,
    external_linear_layer,
    internal_linear_layer,
    sbox,
)

IN = 0
OUT = IN + WIDTH
SWAP = OUT + WIDTH
DELTA = SWAP + 1
FIRST_STATES = DELTA + 4
PARTIAL_SBOX_IN = FIRST_STATES + WIDTH * (len(FULL_ROUNDS_FIRST) - 1)
LAST_STATES = PARTIAL_SBOX_IN + len(PARTIAL_ROUNDS)
NUM_WIRES = LAST_STATES + WIDTH * len(FULL_ROUNDS_LAST)
NUM_ROUTED = SWAP + 1


def first_state_wire(round_index: int, lane: int) -> int:
    """Wire holding lane ``lane`` of the state after first-half full round ``round_index`` (0, 1, 2)."""
    return FIRST_STATES + WIDTH * round_index + lane


def last_state_wire(round_index: int, lane: int) -> int:
    """Wire holding lane ``lane`` of the state entering last-half full round ``round_index`` (0..3)."""
    return LAST_STATES + WIDTH * round_index + lane


def full_round(state: list[T], constants: tuple[int, ...]) -> list[T]:
    """M_E . sbox(state + c) over any algebra."""
    return external_linear_layer([sbox(x + c) for x, c in zip(state, constants, strict=True)])


class Poseidon2Gate(Gate):
    """Constrains OUT = Poseidon2(IN, optionally swapped)."""

    name = "Poseidon2"
    num_wires = NUM_WIRES
    degree = SBOX_DEGREE

    @property
    def num_constraints(self) -> int:
        stored_first = WIDTH * (len(FULL_ROUNDS_FIRST) - 1)
        stored_last = WIDTH * len(FULL_ROUNDS_LAST)
        return 1 + 4 + stored_first + len(PARTIAL_ROUNDS) + stored_last + WIDTH

    def eval_constraints(self, v: GateVars[T]) -> list[T]:
        w = v.wires
        swap = w[SWAP]
        out: list[T] = [swap * swap - swap]
        delta = [w[DELTA + i] for i in range(4)]
        out += [delta[i] - swap * (w[IN + i + 4] - w[IN + i]) for i in range(4)]
        state = [w[IN + i] + delta[i] for i in range(4)]
        state += [w[IN + i + 4] - delta[i] for i in range(4)]
        state += [w[IN + i] for i in range(8, WIDTH)]

        state = external_linear_layer(state)
        for k, r in enumerate(FULL_ROUNDS_FIRST):
            state = full_round(state, ROUND_CONSTANTS[r])
            if k < len(FULL_ROUNDS_FIRST) - 1:
                stored = [w[first_state_wire(k, lane)] for lane in range(WIDTH)]
                out += [s - x for s, x in zip(stored, state, strict=True)]
                state = stored
        for k, r in enumerate(PARTIAL_ROUNDS):
            sbox_in = w[PARTIAL_SBOX_IN + k]
            out.append(sbox_in - (state[0] + ROUND_CONSTANTS[r][0]))
            state[0] = sbox(sbox_in)
            state = internal_linear_layer(state)
        for k, r in enumerate(FULL_ROUNDS_LAST):
            stored = [w[last_state_wire(k, lane)] for lane in range(WIDTH)]
            out += [s - x for s, x in zip(stored, state, strict=True)]
            state = full_round(stored, ROUND_CONSTANTS[r])
        out += [w[OUT + lane] - state[lane] for lane in range(WIDTH)]
        return out
