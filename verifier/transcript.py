"""The Fiat-Shamir transcript: a Poseidon2 duplex sponge in the style of Plonky2.

State: 12 lanes (rate = lanes 0..7, capacity = lanes 8..11), an input buffer and
an output buffer.

* observe(x): clear the output buffer, append x to the input buffer; when the
  input buffer holds RATE = 8 elements, duplex.
* duplex: overwrite lanes 0..k-1 with the k buffered inputs (lanes k..7 keep
  their values), permute, empty the input buffer, output buffer := lanes 0..7.
* get_challenge(): duplex first if inputs are pending or the output buffer is
  empty, then pop the *last* output (lane 7 after a fresh duplex, then 6, ...).

Domain separation. The initial state is all zero except capacity lane 9 =
``DOMAIN_TRANSCRIPT``; the rate never writes the capacity, so no transcript
permutation input equals a ``hash_elements`` (lane 9 = DOMAIN_HASH) or
``compress`` (DOMAIN_COMPRESS) input at the start, and transcripts are separated
from all other uses of the permutation. Protocols are separated from each other
by a label absorbed first: an ASCII string encoded as its byte length followed
by little-endian 7-byte chunks (each < 2^56 < p), an injective encoding.

Every observed value must be a canonical field element, so each transcript
has exactly one encoding. This exact logic is replayed inside the recursive
verifier circuit.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from verifier.extension import Ext
from verifier.field import canonical
from verifier.hashing import DOMAIN_LANE, DOMAIN_TRANSCRIPT
from verifier.poseidon2 import RATE, WIDTH, permute

PROTOCOL_LABEL: str = "zkrollup plonk+fri v1"
"""The default label: the PLONK + FRI proof system of this repository."""

LABEL_BYTES_PER_ELEMENT: int = 7
MAX_QUERY_INDEX_BITS: int = 32
CHALLENGE_BITS: int = 64


def encode_label(label: str) -> list[int]:
    """[byte length, 7-byte little-endian chunks...] of an ASCII label."""
    data = label.encode("ascii")
    chunks = range(0, len(data), LABEL_BYTES_PER_ELEMENT)
    return [len(data), *(int.from_bytes(data[i : i + LABEL_BYTES_PER_ELEMENT], "little") for i in chunks)]


class Challenger:
    """A duplex-sponge transcript; see the module docstring for the exact rules."""

    __slots__ = ("input_buffer", "output_buffer", "state")

    state: list[int]
    input_buffer: list[int]
    output_buffer: list[int]

    def __init__(self, label: str = PROTOCOL_LABEL) -> None:
        self.state = [0] * WIDTH
        self.state[DOMAIN_LANE] = DOMAIN_TRANSCRIPT
        self.input_buffer = []
        self.output_buffer = []
        self.observe_elements(encode_label(label))

    def copy(self) -> Challenger:
        """An independent fork with the same state and buffers."""
        clone = Challenger.__new__(Challenger)
        clone.state = list(self.state)
        clone.input_buffer = list(self.input_buffer)
        clone.output_buffer = list(self.output_buffer)
        return clone

    def next_duplex_input(self, extra: Sequence[int] = ()) -> list[int]:
        """The state the next duplex permutes if ``extra`` is observed first (pending + extra <= RATE)."""
        inputs = [*self.input_buffer, *extra]
        if len(inputs) > RATE:
            raise ValueError(f"{len(inputs)} inputs do not fit in one duplex (rate {RATE})")
        return inputs + self.state[len(inputs) :]

    def _duplex(self) -> None:
        self.state = permute(self.next_duplex_input())
        self.input_buffer.clear()
        self.output_buffer = self.state[:RATE]

    def observe_element(self, x: int) -> None:
        """Absorb one canonical field element."""
        value = canonical(x)
        self.output_buffer.clear()
        self.input_buffer.append(value)
        if len(self.input_buffer) == RATE:
            self._duplex()

    def observe_elements(self, values: Iterable[int]) -> None:
        for x in values:
            self.observe_element(x)

    def observe_digest(self, digest: Sequence[int]) -> None:
        self.observe_elements(digest)

    def observe_ext(self, value: Ext) -> None:
        """Absorb a0 then a1."""
        self.observe_element(value.a0)
        self.observe_element(value.a1)

    def get_challenge(self) -> int:
        """A field element (uniform in [0, p) in the random-permutation model)."""
        if self.input_buffer or not self.output_buffer:
            self._duplex()
        return self.output_buffer.pop()

    def get_n_challenges(self, n: int) -> list[int]:
        return [self.get_challenge() for _ in range(n)]

    def get_ext_challenge(self) -> Ext:
        """Two challenges c0, c1 (in that order) as c0 + c1 X."""
        c0 = self.get_challenge()
        return Ext(c0, self.get_challenge())

    def get_query_index(self, log_n: int) -> int:
        """The low ``log_n`` bits of a challenge, an index in [0, 2^log_n).

        Bias: p = q 2^k + 1 for k = log_n <= 32, so index 0 has q + 1 preimages
        in [0, p) and every other index q; the statistical distance from
        uniform is (2^k - 1) / (2^k p) < 1/p < 2^-63 per index.
        """
        if not 0 <= log_n <= MAX_QUERY_INDEX_BITS:
            raise ValueError(f"query index bits must be in [0, {MAX_QUERY_INDEX_BITS}], got {log_n}")
        return self.get_challenge() & ((1 << log_n) - 1)

    def check_pow(self, witness: int, bits: int) -> bool:
        """Proof of work: observe ``witness``, draw a challenge, accept iff its top ``bits`` bits (of 64) are zero.

        Mutates the transcript the same way whether or not the check passes.
        An honest prover needs ~2^bits permutations to find a witness.
        """
        if not 0 <= bits <= CHALLENGE_BITS:
            raise ValueError(f"proof-of-work bits must be in [0, {CHALLENGE_BITS}], got {bits}")
        self.observe_element(witness)
        return self.get_challenge() >> (CHALLENGE_BITS - bits) == 0
