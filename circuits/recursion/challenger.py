"""In-circuit twin of ``verifier.transcript.Challenger`` (same duplex rules, same order).

The transcript starts from the native challenger's state after absorbing the
protocol label, as constants. Observing and drawing then place exactly the
Poseidon2 permutations the native challenger performs, so the challenges are
the same field elements.

Bits of a challenge. ``challenge_bits`` decomposes x into 64 bits with
x = lo + 2^32 hi (lo, hi range-checked to 32 bits) and rejects the
non-canonical decomposition: since p = 2^64 - 2^32 + 1, lo + 2^32 hi >= p
exactly when hi = 2^32 - 1 and lo > 0, so the circuit enforces
[hi == 2^32 - 1] * lo == 0. The bits are then the unique binary expansion of
the integer x, as in the native ``get_query_index`` and ``check_pow``.
"""

from __future__ import annotations

from collections.abc import Sequence

from circuits.builder import CircuitBuilder
from circuits.recursion.ext_value import ExtValue
from circuits.witness import Target
from verifier.poseidon2 import RATE
from verifier.transcript import CHALLENGE_BITS, Challenger

HALF_BITS = CHALLENGE_BITS // 2


class ChallengerTarget:
    """A duplex-sponge transcript inside a circuit."""

    def __init__(self, b: CircuitBuilder, native_start: Challenger | None = None) -> None:
        start = native_start if native_start is not None else Challenger()
        self.b = b
        self.state: list[Target] = [b.constant(v) for v in start.state]
        self.input_buffer: list[Target] = [b.constant(v) for v in start.input_buffer]
        self.output_buffer: list[Target] = [b.constant(v) for v in start.output_buffer]

    def _duplex(self) -> None:
        k = len(self.input_buffer)
        self.state = self.b.permute([*self.input_buffer, *self.state[k:]])
        self.input_buffer = []
        self.output_buffer = self.state[:RATE]

    def observe_element(self, t: Target) -> None:
        self.output_buffer = []
        self.input_buffer.append(t)
        if len(self.input_buffer) == RATE:
            self._duplex()

    def observe_elements(self, ts: Sequence[Target]) -> None:
        for t in ts:
            self.observe_element(t)

    def observe_digest(self, d: Sequence[Target]) -> None:
        self.observe_elements(d)

    def observe_ext(self, v: ExtValue) -> None:
        self.observe_element(v.t[0])
        self.observe_element(v.t[1])

    def get_challenge(self) -> Target:
        if self.input_buffer or not self.output_buffer:
            self._duplex()
        return self.output_buffer.pop()

    def get_ext_challenge(self) -> ExtValue:
        c0 = self.get_challenge()
        return ExtValue(self.b, (c0, self.get_challenge()))

    def get_query_index_bits(self, log_n: int) -> list[Target]:
        """The low ``log_n`` bits (little-endian) of a challenge: twin of ``get_query_index``."""
        return challenge_bits(self.b, self.get_challenge())[:log_n]

    def check_pow(self, witness: Target, bits: int) -> None:
        """Constrain the proof of work: twin of ``Challenger.check_pow`` (top ``bits`` bits zero).

        The top bits of the canonical value are zero exactly when the challenge is below
        2^(64 - bits), one range check (no canonical decomposition needed).
        """
        self.observe_element(witness)
        challenge = self.get_challenge()
        if bits:
            self.b.range_check(challenge, CHALLENGE_BITS - bits)


def challenge_bits(b: CircuitBuilder, x: Target) -> list[Target]:
    """The 64 little-endian bits of the canonical integer value of x."""
    lo, hi = b.add_hint([x], 2, lambda v: [v[0] & (2**HALF_BITS - 1), v[0] >> HALF_BITS])
    lo_bits = b.split_le(lo, HALF_BITS)
    hi_bits = b.split_le(hi, HALF_BITS)
    b.connect(b.arithmetic(1 << HALF_BITS, 1, hi, b.one(), lo), x)
    hi_all_ones = b.is_equal(hi, b.constant(2**HALF_BITS - 1))
    b.assert_zero(b.mul(hi_all_ones, lo))
    return lo_bits + hi_bits
