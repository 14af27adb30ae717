"""Why the node refuses a request: an HTTP status, a machine-readable kind and a sentence.

Every refusal has the body ``{"error": KIND, "reason": SENTENCE}``. Nothing
refused is stored: a submission is checked completely before its first write.
"""

from __future__ import annotations

import re

from rollup.errors import (
    DuplicateUserError,
    MalformedSessionError,
    RollupError,
    SessionTooLargeError,
    StaleRootError,
)
from rollup.session_submission import RefusalReason, SessionRefusedError


class RequestRefusedError(Exception):
    """A refused request (4xx)."""

    def __init__(self, status: int, kind: str, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.kind = kind
        self.reason = reason


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name.removesuffix("Error")).lower()


def refusal_for(exc: RollupError) -> RequestRefusedError:
    """The refusal for a rule the session breaks.

    400 malformed input; 409 a conflict with the chain (stale read root, a
    second session of a user in one block); 422 any other broken rule
    (overdraft, nonce, authorization, more operations than a session proof
    holds, ...), named after its exception.
    """
    if isinstance(exc, SessionTooLargeError):
        return RequestRefusedError(422, "session_too_large", str(exc))
    if isinstance(exc, MalformedSessionError):
        return RequestRefusedError(400, "malformed_session", str(exc))
    if isinstance(exc, StaleRootError):
        return RequestRefusedError(409, "stale_root", str(exc))
    if isinstance(exc, DuplicateUserError):
        return RequestRefusedError(409, "duplicate_user", str(exc))
    return RequestRefusedError(422, _snake(type(exc).__name__), str(exc))


_PROOF_REFUSAL_STATUS = {
    RefusalReason.MALFORMED: 400,
    RefusalReason.DUPLICATE: 409,
    RefusalReason.STALE_ROOT: 409,
    RefusalReason.WRONG_OLD_LEAF: 409,
}
"""Refusals of a session-proof file that are not 422 (a proof or its operations that break a rule)."""


def proof_refusal(exc: SessionRefusedError) -> RequestRefusedError:
    """The refusal of a session-proof file, named after its typed reason (``stale root`` -> ``stale_root``).

    400 the file is malformed; 409 a conflict with the chain (a second session of the user in the block,
    a read root or old leaf that is no longer the finalized one: prove again); 422 otherwise (the proof
    does not verify under the whitelisted session key, or does not prove the file's operations)."""
    kind = exc.reason.value.replace(" ", "_")
    return RequestRefusedError(_PROOF_REFUSAL_STATUS.get(exc.reason, 422), kind, str(exc))
