"""Hashing on top of Poseidon2: a sponge to 4-element digests, and 2-to-1 compression.

State layout (width 12): lanes 0..7 are the rate, lanes 8..11 the capacity.
Every use of the permutation is domain-separated through the capacity, set
before the first permutation:

* ``hash_elements(m)``: capacity = (len(m), DOMAIN_HASH, 0, 0). The message is
  absorbed in chunks of RATE = 8 by overwriting the rate lanes, the last
  chunk zero-padded, one permutation per chunk (an empty message still gets
  one permutation). The digest is lanes 0..3 of the final state. Binding the
  length in the capacity makes zero padding unambiguous: messages of
  different lengths start from different states.
* ``compress(left, right)``: state = left || right || (0, DOMAIN_COMPRESS, 0, 0),
  one permutation, digest = lanes 0..3. Used for Merkle nodes.
* The Fiat-Shamir transcript uses DOMAIN_TRANSCRIPT (see ``transcript.py``).

Because the domain tag sits in a capacity lane that the message can never
write, a hash input can never collide with a compression input or a transcript
state.
"""

from __future__ import annotations

from collections.abc import Sequence

from verifier.poseidon2 import CAPACITY, DIGEST_SIZE, RATE, WIDTH, permute

Digest = tuple[int, int, int, int]
"""Four canonical field elements."""

DOMAIN_HASH: int = 1
DOMAIN_COMPRESS: int = 2
DOMAIN_TRANSCRIPT: int = 3

LENGTH_LANE: int = RATE
DOMAIN_LANE: int = RATE + 1

ZERO_DIGEST: Digest = (0, 0, 0, 0)

assert RATE + CAPACITY == WIDTH


def sponge_initial_state(length: int) -> list[int]:
    """The state before absorbing a message of ``length`` elements."""
    state = [0] * WIDTH
    state[LENGTH_LANE] = length
    state[DOMAIN_LANE] = DOMAIN_HASH
    return state


def hash_elements(message: Sequence[int]) -> Digest:
    """Poseidon2 sponge hash of a list of canonical field elements to a digest."""
    state = sponge_initial_state(len(message))
    for start in range(0, max(len(message), 1), RATE):
        chunk = list(message[start : start + RATE])
        state[:RATE] = chunk + [0] * (RATE - len(chunk))
        state = permute(state)
    return (state[0], state[1], state[2], state[3])


def compress_initial_state(left: Digest, right: Digest) -> list[int]:
    """The state whose permutation compresses ``left`` and ``right``."""
    state = [*left, *right, 0, 0, 0, 0]
    state[DOMAIN_LANE] = DOMAIN_COMPRESS
    return state


def compress(left: Digest, right: Digest) -> Digest:
    """2-to-1 compression of two digests (one permutation): a Merkle node."""
    state = permute(compress_initial_state(left, right))
    return (state[0], state[1], state[2], state[3])


assert DIGEST_SIZE == 4
