"""The session-proof file a user's wallet writes and the operator reads: a proven session's public data, no secret.

Format (JSON, canonical: sorted keys, no whitespace)::

    {"version": 2,
     "read_root": HEX,                        the finalized global root the session read
     "session": {"user_id": u, "deposit": d, "outbox_root": HEX, "opaque_digest": HEX,
                 "appends": [{"recipient": r, "address": HEX, "amount": a, "index": j}, ...]},
     "proof": "<hex>"}                        the session proof (verifier.serialization bytes)

``session`` is the session's entry in its block's public data exactly as the
block publishes it (:mod:`rollup.public_data_json`); the proof's statement
binds it (new leaf = leaf_digest(outbox_root, opaque_digest), data digest =
its digest). Nothing else of the session leaves the user: not its operations,
not its key digest, not its balance; the proof stands in for the secret and
for the rules. Version 1 carried the operations and the key digest (so the
operator re-executed the session and learnt the balance) and is refused.

Parsing checks the shape of untrusted input and raises
:class:`MalformedSessionError`; whether the proof verifies and fits the chain
is :mod:`rollup.session_submission`'s job.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from rollup.errors import MalformedSessionError
from rollup.public_data_json import public_data_from_json, public_data_to_json
from rollup.witness import SessionPublicData
from verifier.hashing import Digest
from verifier.light_client import digest_hex, parse_digest_hex

SESSION_PROOF_FILE_VERSION: int = 2
MAX_SESSION_PROOF_FILE_BYTES: int = 4 << 20
"""A session proof is about 100-150 kB (hex doubles it); anything far larger is refused unread."""
_KEYS = {"version", "read_root", "session", "proof"}


@dataclass(frozen=True)
class SessionProofFile:
    """A session proven by its user: what it read, its public data and its proof bytes."""

    read_root: Digest
    public_data: SessionPublicData
    proof: bytes

    @property
    def user_id(self) -> int:
        """The session's user."""
        return self.public_data.user_id

    def to_bytes(self) -> bytes:
        """The file's content."""
        document = {
            "version": SESSION_PROOF_FILE_VERSION,
            "read_root": digest_hex(self.read_root),
            "session": public_data_to_json(self.public_data),
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
        if isinstance(document, dict) and "version" in document and document["version"] != SESSION_PROOF_FILE_VERSION:
            raise MalformedSessionError(
                f"session-proof file version {document['version']!r}; this program reads version "
                f"{SESSION_PROOF_FILE_VERSION} (version 1 files carried the operations, which the operator no "
                "longer takes: prove the session again with this version's wallet)"
            )
        if not isinstance(document, dict) or set(document) != _KEYS:
            raise MalformedSessionError(f"a session-proof file is an object with exactly the keys {sorted(_KEYS)}")
        proof = document["proof"]
        if not isinstance(proof, str):
            raise MalformedSessionError("proof must be a hexadecimal string")
        try:
            proof_bytes = bytes.fromhex(proof)
            read_root = parse_digest_hex(_text(document["read_root"]))
            public_data = public_data_from_json(document["session"])
        except ValueError as exc:
            raise MalformedSessionError(f"not a usable session-proof file: {exc}") from exc
        return SessionProofFile(read_root, public_data, proof_bytes)


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"read_root must be a hex string, got {value!r}")
    return value
