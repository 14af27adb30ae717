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
