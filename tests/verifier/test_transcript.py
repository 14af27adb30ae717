"""The Fiat-Shamir transcript (duplex sponge) and proof-of-work grinding."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from prover.pow import SEARCH_CHUNK, grind
from verifier.extension import Ext
from verifier.field import NonCanonicalError, P
from verifier.hashing import DOMAIN_COMPRESS, DOMAIN_HASH, DOMAIN_LANE, DOMAIN_TRANSCRIPT
from verifier.poseidon2 import RATE, WIDTH, permute_reference
from verifier.transcript import PROTOCOL_LABEL, Challenger, encode_label

values = st.lists(st.integers(0, P - 1), min_size=0, max_size=20)


def _challenges(label: str, observed: list[int], n: int = 3) -> list[int]:
    c = Challenger(label)
    c.observe_elements(observed)
    return c.get_n_challenges(n)


def test_initial_state_and_label_encoding() -> None:
    assert encode_label("") == [0]
    assert encode_label("abcdefgh") == [8, int.from_bytes(b"abcdefg", "little"), ord("h")]
    c = Challenger()
    expected = [0] * WIDTH
    expected[DOMAIN_LANE] = DOMAIN_TRANSCRIPT
    assert c.state == expected
    assert c.input_buffer == encode_label(PROTOCOL_LABEL)
    with pytest.raises(UnicodeEncodeError):
        Challenger("é")


def test_first_challenge_by_hand() -> None:
    """Label + 2 elements (< RATE) then one challenge = lane 7 of one permutation of the overwritten state."""
    inputs = [*encode_label("t"), 5, 6]
    state = inputs + [0] * (WIDTH - len(inputs))
    state[DOMAIN_LANE] = DOMAIN_TRANSCRIPT
    out = permute_reference(state)
    assert _challenges("t", [5, 6], 8) == out[RATE - 1 :: -1]


@settings(max_examples=20, deadline=None)
@given(values)
def test_deterministic_and_copy_forks(observed: list[int]) -> None:
    a = Challenger()
    a.observe_elements(observed)
    fork = a.copy()
    assert a.get_n_challenges(10) == fork.get_n_challenges(10) == _challenges(PROTOCOL_LABEL, observed, 10)
    a.observe_element(1)
    fork.observe_element(2)
    assert a.get_challenge() != fork.get_challenge()


@settings(max_examples=20, deadline=None)
@given(st.lists(st.integers(0, P - 1), min_size=2, max_size=12, unique=True))
def test_order_sensitive(observed: list[int]) -> None:
    swapped = list(observed)
    swapped[0], swapped[-1] = swapped[-1], swapped[0]
    assert _challenges("x", observed) != _challenges("x", swapped)


def test_domain_separation() -> None:
    assert _challenges("protocol A", [1, 2]) != _challenges("protocol B", [1, 2])
    # the length prefix makes labels unambiguous even when the packed bytes agree
    assert _challenges("a", []) != _challenges("a\x00", [])
    # the first permutation input carries the transcript tag, unlike any hash or compression input
    assert len({DOMAIN_HASH, DOMAIN_COMPRESS, DOMAIN_TRANSCRIPT}) == 3
    c = Challenger("")
    c.observe_elements([1, 2, 3])
    state = c.next_duplex_input()
    assert state[DOMAIN_LANE] == DOMAIN_TRANSCRIPT
    challenge = c.get_challenge()
    for tag in (DOMAIN_HASH, DOMAIN_COMPRESS):
        state[DOMAIN_LANE] = tag
        assert permute_reference(state)[RATE - 1] != challenge


@pytest.mark.parametrize("pending", [RATE - 1, RATE, RATE + 1, 2 * RATE])
def test_buffer_edges(pending: int) -> None:
    c = Challenger("")
    c.observe_elements(range(pending - 1))  # the label contributes one element
    assert len(c.input_buffer) == pending % RATE
    if pending % RATE == 0:
        assert len(c.output_buffer) == RATE  # a full buffer duplexes at once
    before = c.state
    challenge = c.get_challenge()
    assert c.input_buffer == []
    assert len(c.output_buffer) == RATE - 1
    if pending % RATE == 0:
        assert c.state == before  # no extra permutation: the pending outputs are used
    assert challenge == c.state[RATE - 1]
    rest = c.get_n_challenges(RATE - 1)
    assert rest == c.state[RATE - 2 :: -1]
    state = list(c.state)
    # an empty output buffer forces a permutation of the unchanged state
    assert c.get_challenge() == permute_reference(state)[RATE - 1]


def test_output_buffer_cleared_by_observation() -> None:
    a, b = Challenger(), Challenger()
    a.get_challenge()
    b.get_challenge()
    a.observe_element(0)
    assert a.output_buffer == []
    assert a.get_challenge() != b.get_challenge()


def test_ext_and_query_index() -> None:
    a, b = Challenger(), Challenger()
    e = a.get_ext_challenge()
    c0, c1 = b.get_n_challenges(2)
    assert e == Ext(c0, c1)
    a.observe_ext(Ext(3, 4))
    b.observe_elements([3, 4])
    assert a.get_challenge() == b.get_challenge()
    for log_n in (0, 1, 5, 32):
        fork = a.copy()
        index = a.get_query_index(log_n)
        assert index == fork.get_challenge() % (1 << log_n)
    with pytest.raises(ValueError):
        a.get_query_index(33)


def test_rejects_non_canonical_observations() -> None:
    c = Challenger()
    c.get_challenge()
    for bad in (P, -1, 2**64):
        with pytest.raises(NonCanonicalError):
            c.observe_element(bad)
    assert len(c.output_buffer) == RATE - 1  # a rejected value leaves the transcript untouched


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("pending", range(RATE))
def test_grind_passes_check_pow(pending: int, threads: int) -> None:
    bits = 8
    c = Challenger()
    c.observe_elements(range(pending))
    if pending == 3:
        c.get_challenge()  # also from a state with a non-empty output buffer
    state_before = (list(c.state), list(c.input_buffer), list(c.output_buffer))
    witness = grind(c, bits, threads)
    assert (c.state, c.input_buffer, c.output_buffer) == state_before
    assert c.copy().check_pow(witness, bits)
    # the smallest witness: every smaller candidate fails
    assert not any(c.copy().check_pow(w, bits) for w in range(witness))
    verifier_side = c.copy()
    assert verifier_side.check_pow(witness, bits)
    prover_side = c.copy()
    prover_side.observe_element(witness)
    prover_side.get_challenge()
    assert prover_side.get_challenge() == verifier_side.get_challenge()


def test_grinding_on_threads_finds_the_one_thread_witness() -> None:
    """A witness past the first chunk (18 bits: about 4 chunks of 2^16) is the same on 1, 2 and 3 threads."""
    c = Challenger()
    c.observe_elements([7, 8, 9])
    witnesses = {threads: grind(c, 18, threads) for threads in (1, 2, 3)}
    assert len(set(witnesses.values())) == 1
    witness = witnesses[1]
    assert c.copy().check_pow(witness, 18)
    assert witness >= SEARCH_CHUNK  # the search went past a thread's first chunk


def test_wrong_pow_witness_fails() -> None:
    bits = 12
    c = Challenger()
    witness = grind(c, bits)
    failures = sum(not c.copy().check_pow(w, bits) for w in range(witness + 1, witness + 201))
    assert failures >= 190  # each passes with probability 2^-12
    assert Challenger().check_pow(12345, 0)
    with pytest.raises(ValueError):
        c.check_pow(0, 65)
    with pytest.raises(ValueError):
        grind(c, -1)
    assert grind(c, 0) == 0
