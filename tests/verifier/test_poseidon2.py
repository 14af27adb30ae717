"""Poseidon2: the reference permutation against the known-answer vector, and the numba kernels against it.

Also the sponge and compression built on it: lengths are bound (no padding
collisions) and hashing is domain-separated from compression.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from verifier.field import P
from verifier.hashing import compress, compress_initial_state, hash_elements, sponge_initial_state
from verifier.poseidon2 import KNOWN_ANSWER_INPUT, KNOWN_ANSWER_OUTPUT, WIDTH, m4_block, permute, permute_reference
from verifier.poseidon2_jit import (
    BLOCK,
    permute_columns_inplace,
    permute_columns_traced,
    permute_inplace,
    permute_rows_inplace,
)

EDGES = [0, 1, P - 1, P - 2, 2**32, 2**32 - 1, 2**63, P - 2**32]
elements = st.one_of(st.sampled_from(EDGES), st.integers(0, P - 1))
states = st.lists(elements, min_size=WIDTH, max_size=WIDTH)


def _random_states(n: int, seed: int) -> np.ndarray:
    """n random canonical states with a few all-0 and all-(p-1) rows mixed in."""
    out = np.random.default_rng(seed).integers(0, P, size=(n, WIDTH), dtype=np.uint64)
    out[: min(n, 2)] = 0
    out[2:4] = P - 1
    return out


def test_reference_known_answer() -> None:
    assert permute_reference(KNOWN_ANSWER_INPUT) == list(KNOWN_ANSWER_OUTPUT)


def test_permute_known_answer() -> None:
    assert permute(KNOWN_ANSWER_INPUT) == list(KNOWN_ANSWER_OUTPUT)
    assert all(type(v) is int for v in permute(KNOWN_ANSWER_INPUT))


def test_scalar_kernel_known_answer() -> None:
    state = np.array(KNOWN_ANSWER_INPUT, dtype=np.uint64)
    permute_inplace(state)
    assert state.tolist() == list(KNOWN_ANSWER_OUTPUT)


@pytest.mark.parametrize("edge", [0, P - 1])
def test_constant_edge_states(edge: int) -> None:
    state = [edge] * WIDTH
    assert permute(state) == permute_reference(state)


@settings(max_examples=40, deadline=None)
@given(states)
def test_permute_matches_reference(state: list[int]) -> None:
    assert permute(state) == permute_reference(state)


@settings(max_examples=20, deadline=None)
@given(st.lists(st.integers(P, 2**64 - 1), min_size=WIDTH, max_size=WIDTH))
def test_non_canonical_lanes_are_reduced(state: list[int]) -> None:
    assert permute(state) == permute_reference(state) == permute([v - P for v in state])


def test_permute_rejects_wrong_width() -> None:
    with pytest.raises(ValueError, match="12 elements"):
        permute([0] * 11)
    with pytest.raises(ValueError, match="12 elements"):
        permute_reference([0] * 13)


@pytest.mark.parametrize("n", [0, 1, 5, BLOCK, BLOCK + 3, 3 * BLOCK - 1])
def test_batch_kernels_match_reference(n: int) -> None:
    start = _random_states(n, seed=n)
    rows = start.copy()
    permute_rows_inplace(rows)
    columns = start.T.copy()  # a copy: for n = 1 the transpose is already contiguous
    permute_columns_inplace(columns)
    assert np.array_equal(columns.T, rows)
    for i in sorted({0, 2, n // 2, n - 1} & set(range(n))):
        assert rows[i].tolist() == permute_reference(start[i].tolist())


def test_traced_kernel_records_the_state_entering_each_round() -> None:
    """trace[r] steps to trace[r + 1] by round r of the reference schedule; the output is the permutation."""
    from verifier.poseidon2 import (
        FULL_ROUNDS_FIRST,
        FULL_ROUNDS_LAST,
        NUM_ROUNDS,
        ROUND_CONSTANTS,
        external_linear_layer,
        internal_linear_layer,
        sbox,
    )

    start = _random_states(3, seed=9)
    columns = start.T.copy()
    trace = np.empty((NUM_ROUNDS, WIDTH, 3), dtype=np.uint64)
    permute_columns_traced(columns, trace)
    assert [list(c) for c in columns.T.tolist()] == [permute_reference(s) for s in start.tolist()]
    entering = [*(trace[r, :, 1].tolist() for r in range(NUM_ROUNDS)), columns[:, 1].tolist()]
    assert entering[0] == [v % P for v in external_linear_layer([v % P for v in start[1].tolist()])]
    for r in range(NUM_ROUNDS):
        s = [(x + c) % P for x, c in zip(entering[r], ROUND_CONSTANTS[r], strict=True)]
        if r in FULL_ROUNDS_FIRST or r in FULL_ROUNDS_LAST:
            stepped = external_linear_layer([sbox(x) % P for x in s])
        else:
            stepped = internal_linear_layer([sbox(s[0]) % P, *entering[r][1:]])
        assert [v % P for v in stepped] == entering[r + 1]


def test_hash_lengths_distinct_and_stable() -> None:
    digests = [hash_elements(list(range(n))) for n in range(21)]
    assert len(set(digests)) == len(digests)
    assert digests == [hash_elements(list(range(n))) for n in range(21)]
    # zero padding is unambiguous: a trailing zero changes the digest
    assert len({hash_elements([0] * n) for n in range(21)}) == 21


def test_hash_matches_reference_sponge() -> None:
    message = [P - 1, 0, *range(1, 10)]
    state = sponge_initial_state(len(message))
    for start in (0, 8):
        chunk = message[start : start + 8]
        state[:8] = chunk + [0] * (8 - len(chunk))
        state = permute_reference(state)
    assert hash_elements(message) == tuple(state[:4])


def test_compress_is_domain_separated_from_hash() -> None:
    left, right = (1, 2, 3, 4), (5, 6, 7, 8)
    digest = compress(left, right)
    assert digest == tuple(permute_reference(compress_initial_state(left, right))[:4])
    assert digest != hash_elements([*left, *right])
    assert compress(right, left) != digest


M4 = ((5, 7, 1, 3), (4, 6, 1, 1), (1, 3, 5, 7), (1, 1, 4, 6))


@given(st.lists(st.integers(min_value=-(2**70), max_value=2**70), min_size=4, max_size=4))
def test_m4_addition_chain_is_the_matrix_product_over_the_integers(block: list[int]) -> None:
    """The chain is exact over Z (so over every algebra): M4 times the block, row by row."""
    assert m4_block(*block) == tuple(sum(m * x for m, x in zip(row, block, strict=True)) for row in M4)
