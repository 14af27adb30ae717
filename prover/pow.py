"""Proof-of-work grinding: find a witness that ``Challenger.check_pow`` accepts.

check_pow(w, bits) observes w and draws one challenge. The input buffer holds
k < RATE pending elements before w is observed, so the challenge is lane 7 of
permute(S_w), where S_w is the current state with lanes 0..k-1 overwritten by
the pending inputs and lane k by w (``Challenger.next_duplex_input([w])``).
Candidates w = 0, 1, 2, ... are tried in vectorized blocks of that state
until lane 7 has its top ``bits`` bits zero (expected 2^bits tries).

With t proof threads (:mod:`prover.threads`) the candidates are searched in
windows of t consecutive chunks, one chunk per thread; the answer is the
smallest hit of the first window holding one, which is the smallest witness
overall, so the proof does not depend on t.

The challenger is left untouched: the caller runs ``check_pow(witness, bits)``
afterwards (it then continues exactly as the verifier's transcript does).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from numba import njit

from prover.threads import proof_threads, run_in_parts
from verifier.field import P
from verifier.poseidon2 import RATE, WIDTH
from verifier.poseidon2_jit import BLOCK, permute_columns_inplace
from verifier.transcript import CHALLENGE_BITS, Challenger

SEARCH_CHUNK: int = 1 << 16
"""Candidates per kernel call."""

_CHALLENGE_LANE = RATE - 1
_NOT_FOUND = -1


@njit(cache=True, nogil=True)
def _search(base: npt.NDArray[np.uint64], lane: int, shift: np.uint64, start: int, count: int) -> int:
    """The first w in [start, start + count) with permute(base with lane <- w)[7] >> shift == 0, or -1."""
    buf = np.empty((WIDTH, BLOCK), dtype=np.uint64)
    for block in range(start, start + count, BLOCK):
        for i in range(WIDTH):
            buf[i, :] = base[i]
        for j in range(BLOCK):
            buf[lane, j] = block + j
        permute_columns_inplace(buf)
        for j in range(BLOCK):
            if buf[_CHALLENGE_LANE, j] >> shift == 0:
                return block + j
    return _NOT_FOUND


def grind(challenger: Challenger, bits: int, threads: int | None = None) -> int:
    """The smallest witness w with ``challenger.copy().check_pow(w, bits)`` true; the challenger is not modified.

    Expected work: 2^bits permutations, on ``threads`` threads (default: the proof's, :func:`proof_threads`).
    """
    if not 0 <= bits <= CHALLENGE_BITS:
        raise ValueError(f"proof-of-work bits must be in [0, {CHALLENGE_BITS}], got {bits}")
    if bits == 0:
        return 0
    threads = proof_threads() if threads is None else threads
    base = np.array(challenger.next_duplex_input([0]), dtype=np.uint64)
    lane = len(challenger.input_buffer)
    shift = np.uint64(CHALLENGE_BITS - bits)
    window = SEARCH_CHUNK * threads
    for start in range(0, P - window, window):
        hits = [_NOT_FOUND] * threads

        def search_chunks(first: int, stop: int, start: int = start, hits: list[int] = hits) -> None:
            for chunk in range(first, stop):
                hits[chunk] = _search(base, lane, shift, start + chunk * SEARCH_CHUNK, SEARCH_CHUNK)

        run_in_parts(threads, search_chunks, threads)
        found = [w for w in hits if w != _NOT_FOUND]
        if found:
            return min(found)
    raise RuntimeError(f"no {bits}-bit proof-of-work witness below p - {window}")
