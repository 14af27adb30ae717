"""Why a proof is rejected: one exception type with a reason kind callers can branch on.

``VerificationError.kind`` names the failed check (a ``VerificationFailure``);
the message keeps the details (which query, which oracle, which length). The
checks run in this order, so the kind also says how far verification got:

    PUBLIC_INPUTS  the public inputs do not fit the circuit (count, canonical form)
    BAD_FORMAT     a length in the proof does not match the circuit's common data
    TRANSCRIPT     the replayed challenge zeta is unusable (it lies in the trace domain)
    VANISHING      the vanishing identity V(zeta) = Z_H(zeta) Q(zeta) fails (also what a proof
                   checked against another key of the same shape gives: the key's digest seeds
                   the transcript, so there is no separate wrong-key check)
    POW            the FRI proof-of-work witness is wrong
    MERKLE         an opening does not lead to its committed cap
    FRI            a folding step or the final polynomial does not match
"""

from __future__ import annotations

from enum import Enum


class VerificationFailure(Enum):
    """The kind of check a rejected proof failed (module docstring)."""

    PUBLIC_INPUTS = "public inputs"
    BAD_FORMAT = "bad format"
    TRANSCRIPT = "transcript"
    VANISHING = "vanishing"
    POW = "proof of work"
    MERKLE = "merkle"
    FRI = "fri"


class VerificationError(ValueError):
    """The proof is rejected: ``kind`` says which check failed, the message says the details."""

    def __init__(self, kind: VerificationFailure, message: str) -> None:
        super().__init__(message)
        self.kind = kind
