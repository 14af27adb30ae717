"""The Poseidon2 permutation over Goldilocks, width 12 (scalar, exact).

Parameters (HorizenLabs reference instance, data in
``verifier/data/poseidon2_goldilocks_t12.json``): t = 12, S-box x^7,
R_F = 8 full rounds (4 before and 4 after) and R_P = 22 partial rounds.

    state <- M_E . state
    4 x full round:    state <- M_E . sbox(state + c_r)            (all lanes)
    22 x partial round: state[0] <- sbox(state[0] + c_r[0]); state <- M_I . state
    4 x full round:    state <- M_E . sbox(state + c_r)

External layer M_E (t = 12 = 3 blocks of 4): apply the 4x4 matrix M4 to each
block, then add to every lane the sum of the same lane over all blocks, i.e.
M_E = circ(2 M4, M4, M4).

Internal layer M_I = J + diag(d) (J the all-ones matrix): with s = sum(state),
state[i] <- s + d_i * state[i].

:func:`permute` runs the numba kernel of :mod:`verifier.poseidon2_jit` (~3 us
per call, conversions included, instead of ~250 us); :func:`permute_reference`
is the plain-int version, kept as the readable specification and test oracle.

The round structure is exposed as small functions (``external_linear_layer``,
``internal_linear_layer``, ``sbox``) that work on any values supporting +, *
and int constants, so the same code runs on ints here and symbolically inside
the Poseidon2 gate.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from importlib import resources
from typing import Any, TypeVar

import numpy as np

from verifier.field import P

WIDTH: int = 12
RATE: int = 8
CAPACITY: int = 4
DIGEST_SIZE: int = 4
SBOX_DEGREE: int = 7
ROUNDS_FULL: int = 8
ROUNDS_PARTIAL: int = 22
HALF_FULL: int = ROUNDS_FULL // 2
NUM_ROUNDS: int = ROUNDS_FULL + ROUNDS_PARTIAL


def _load_parameters() -> dict[str, Any]:
    text = resources.files("verifier").joinpath("data/poseidon2_goldilocks_t12.json").read_text()
    data: dict[str, Any] = json.loads(text)
    if data["field_modulus"] != P or data["width"] != WIDTH:
        raise RuntimeError("Poseidon2 parameter file does not match the Goldilocks width-12 instance")
    return data


_PARAMETERS = _load_parameters()

M4: tuple[tuple[int, ...], ...] = tuple(tuple(int(v) for v in row) for row in _PARAMETERS["m4"])
INTERNAL_DIAG_MINUS_ONE: tuple[int, ...] = tuple(int(v, 16) for v in _PARAMETERS["internal_diag_minus_one"])
ROUND_CONSTANTS: tuple[tuple[int, ...], ...] = tuple(
    tuple(int(v, 16) for v in row) for row in _PARAMETERS["round_constants"]
)
"""30 rows of 12: rows 0..3 and 26..29 are full rounds, rows 4..25 partial (only lane 0 used)."""

FULL_ROUNDS_FIRST: tuple[int, ...] = tuple(range(HALF_FULL))
PARTIAL_ROUNDS: tuple[int, ...] = tuple(range(HALF_FULL, HALF_FULL + ROUNDS_PARTIAL))
FULL_ROUNDS_LAST: tuple[int, ...] = tuple(range(HALF_FULL + ROUNDS_PARTIAL, NUM_ROUNDS))

KNOWN_ANSWER_INPUT: tuple[int, ...] = tuple(int(v) for v in _PARAMETERS["known_answer"]["input"])
KNOWN_ANSWER_OUTPUT: tuple[int, ...] = tuple(int(v, 16) for v in _PARAMETERS["known_answer"]["output"])

T = TypeVar("T")


def m4_block(a: T, b: T, c: T, d: T) -> tuple[T, T, T, T]:
    """Multiply one block (a, b, c, d) by M4 = [[5,7,1,3],[4,6,1,1],[1,3,5,7],[1,1,4,6]].

    By the Poseidon2 paper's addition chain (as ``verifier.poseidon2_jit``): t0 = a+b, t1 = c+d,
    t2 = 2b+t1, t3 = 2d+t0, t4 = 4t1+t3, t5 = 4t0+t2; M4 (a, b, c, d) = (t3+t5, t5, t2+t4, t4).
    Exact over the integers, so every algebra gets the matrix product; generic over any value
    type with + (no multiplications: in a traced tape 16 additions replace 10 products and 12 sums).
    """
    t0 = a + b  # type: ignore[operator]
    t1 = c + d  # type: ignore[operator]
    t2 = b + b + t1  # type: ignore[operator]
    t3 = d + d + t0  # type: ignore[operator]
    t1_2 = t1 + t1
    t4 = t1_2 + t1_2 + t3
    t0_2 = t0 + t0
    t5 = t0_2 + t0_2 + t2
    return t3 + t5, t5, t2 + t4, t4


def external_layer_formula(state: Sequence[T]) -> list[T]:
    """M_E . state by its definition: M4 on each block of 4, plus the lane-wise block sums (unreduced for ints)."""
    blocks = [m4_block(*state[4 * j : 4 * j + 4]) for j in range(WIDTH // 4)]
    sums = [blocks[0][lane] + blocks[1][lane] + blocks[2][lane] for lane in range(4)]  # type: ignore[operator]
    return [blocks[j][lane] + sums[lane] for j in range(WIDTH // 4) for lane in range(4)]


def internal_layer_formula(state: Sequence[T]) -> list[T]:
    """M_I . state = sum(state) + d_i * state[i] by its definition (unreduced for ints)."""
    total = state[0]
    for x in state[1:]:
        total = total + x  # type: ignore[operator]
    return [total + x * d for x, d in zip(state, INTERNAL_DIAG_MINUS_ONE, strict=True)]  # type: ignore[operator, misc]


def external_linear_layer(state: Sequence[T]) -> list[T]:
    """M_E . state: the formula on ints, else the algebra's ``poseidon2_linear_layer`` (``verifier.algebra``;
    the recursive verifier places one gate row instead of ~45 extension ops)."""
    first = state[0]
    if isinstance(first, int):
        return external_layer_formula(state)
    return first.poseidon2_linear_layer(state, True)  # type: ignore[attr-defined, no-any-return]


def internal_linear_layer(state: Sequence[T]) -> list[T]:
    """M_I . state, dispatched as in ``external_linear_layer``."""
    first = state[0]
    if isinstance(first, int):
        return internal_layer_formula(state)
    return first.poseidon2_linear_layer(state, False)  # type: ignore[attr-defined, no-any-return]


def sbox(x: T, reduce: Callable[[T], T] = lambda v: v) -> T:
    """x^7 computed as x^4 * x^2 * x (``reduce`` is applied after each product)."""
    x2 = reduce(x * x)  # type: ignore[operator]
    x4 = reduce(x2 * x2)  # type: ignore[operator]
    x3 = reduce(x2 * x)  # type: ignore[operator]
    return reduce(x4 * x3)  # type: ignore[operator]


def _mod_p(v: int) -> int:
    return v % P


def _full_round_reference(s: list[int], r: int) -> list[int]:
    """M_E . sbox(s + RC[r]) reduced mod p."""
    return [
        v % P
        for v in external_linear_layer([sbox((x + c) % P, _mod_p) for x, c in zip(s, ROUND_CONSTANTS[r], strict=True)])
    ]


def permute_reference(state: Sequence[int]) -> list[int]:
    """The Poseidon2 permutation of 12 field elements with Python ints (readable reference, test oracle).

    Inputs are taken mod p; outputs are canonical.
    """
    if len(state) != WIDTH:
        raise ValueError(f"Poseidon2 state has {WIDTH} elements, got {len(state)}")
    s = [v % P for v in external_linear_layer(list(state))]
    for r in FULL_ROUNDS_FIRST:
        s = _full_round_reference(s, r)
    for r in PARTIAL_ROUNDS:
        s[0] = sbox((s[0] + ROUND_CONSTANTS[r][0]) % P, _mod_p)
        s = [v % P for v in internal_linear_layer(s)]
    for r in FULL_ROUNDS_LAST:
        s = _full_round_reference(s, r)
    return s


# Imported here, not at the top: the kernels read the constants defined above
# (if verifier.poseidon2_jit is imported first, this resolves through sys.modules).
from verifier import poseidon2_jit as _jit  # noqa: E402


def permute(state: Sequence[int]) -> list[int]:
    """The Poseidon2 permutation of 12 field elements, computed by the numba kernel.

    Same function as :func:`permute_reference` on every state with lanes in
    [0, 2^64) (values >= p are taken mod p); outputs are canonical Python ints.
    """
    if len(state) != WIDTH:
        raise ValueError(f"Poseidon2 state has {WIDTH} elements, got {len(state)}")
    buffer = np.array(state, dtype=np.uint64)
    _jit.permute_inplace(buffer)
    return buffer.tolist()  # type: ignore[no-any-return]


def load_kernel() -> None:
    """Load the permutation kernel (from numba's on-disk cache, or compile it) ahead of timed work.

    The first call in a process pays this (about half a second), later calls
    cost microseconds; callers that report timings load it first.
    """
    permute([0] * WIDTH)
