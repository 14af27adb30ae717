"""The session-proof file a user's wallet writes and the operator reads: a proven session, no secret.

Format (JSON, canonical: sorted keys, no whitespace)::

    {"version": 1,
     "user_id": u,
     "key_digest": [k0, k1, k2, k3],          H(secret): the user's leaf commits to it
     "read_root": [r0, r1, r2, r3],           the finalized global root the session read
     "operations": [{"op": "send", ...}, ...], the session's operations (rollup.session's format)
     "proof": "<hex>"}                        the session proof (verifier.serialization bytes)

Everything here is public: the operations and the key digest are what the
operator needs to keep the state (the outbox appends, deposits and claims
become public with the block anyway), and the proof stands in for the secret.
Parsing checks the shape of untrusted input and raises
:class:`MalformedSessionError`; whether the proof verifies and fits the chain
is :mod:`rollup.session_submission`'s job.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from rollup.errors import MalformedSessionError
from rollup.operations import Operation
from rollup.session import Session, operation_from_json, operation_to_json
from verifier.hashing import Digest

SESSION_PROOF_FILE_VERSION: int = 1
MAX_SESSION_PROOF_FILE_BYTES: int = 4 << 20
"""A session proof is about 100-150 kB (hex doubles it); anything far larger is refused unread."""
_KEYS = {"version", "user_id", "key_digest", "read_root", "operations", "proof"}


@dataclass(frozen=True)
class SessionProofFile:
    """A session proven by its user: the public session and its proof bytes."""

    user_id: int
    key_digest: Digest
    read_root: Digest
    operations: tuple[Operation, ...]
    proof: bytes

    def session(self) -> Session:
        """The session as the operator executes it: no secret, authorized by ``key_digest`` and the proof."""
        return Session(self.user_id, self.read_root, (), self.operations, self.key_digest)

    def to_bytes(self) -> bytes:
        """The file's content."""
        document = {
            "version": SESSION_PROOF_FILE_VERSION,
            "user_id": self.user_id,
            "key_digest": list(self.key_digest),
            "read_root": list(self.read_root),
            "operations": [operation_to_json(op) for op in self.operations],
            "proof": self.proof.hex(),
        }
        return json.dumps(document, sort_keys=True, separators=(",", ":")).encode()

    @staticmethod
    def from_bytes(data: bytes) -> SessionProofFile:
        """Parse :meth:`to_bytes` output; MalformedSessionError naming the first deviation."""
        if len(data) > MAX_SESSION_PROOF_FILE_BYTES:
            raise MalformedSessionError(
                f"a session-proof file is at most {MAX_SESSION_PROOF_FILE_BYTES} bytes, got {len(data)}"
            )
        try:
            document: Any = json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise MalformedSessionError(f"not a session-proof file (not JSON text): {exc}") from exc
        if not isinstance(document, dict) or set(document) != _KEYS:
            raise MalformedSessionError(f"a session-proof file is an object with exactly the keys {sorted(_KEYS)}")
        if document["version"] != SESSION_PROOF_FILE_VERSION:
            raise MalformedSessionError(
                f"session-proof file version {document['version']!r}; this program reads version "
                f"{SESSION_PROOF_FILE_VERSION}"
            )
        operations = document["operations"]
        if not isinstance(operations, list) or not operations:
            raise MalformedSessionError("operations must be a non-empty list")
        proof = document["proof"]
        if not isinstance(proof, str):
            raise MalformedSessionError("proof must be a hexadecimal string")
        try:
            proof_bytes = bytes.fromhex(proof)
        except ValueError as exc:
            raise MalformedSessionError(f"proof is not hexadecimal: {exc}") from exc
        return SessionProofFile(
            user_id=_int(document["user_id"], "user_id"),
            key_digest=_digest(document["key_digest"], "key_digest"),
            read_root=_digest(document["read_root"], "read_root"),
            operations=tuple(operation_from_json(item) for item in operations),
            proof=proof_bytes,
        )


def _int(value: Any, what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise MalformedSessionError(f"{what} must be an integer, got {value!r}")
    return value


def _digest(value: Any, what: str) -> Digest:
    if not isinstance(value, list) or len(value) != 4:
        raise MalformedSessionError(f"{what} must be a digest (a list of 4 integers)")
    a, b, c, d = (_int(x, what) for x in value)
    return (a, b, c, d)
