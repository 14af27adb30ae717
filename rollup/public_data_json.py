"""The JSON form of a session's public data, shared by the chain database and the exported block data files.

One session's entry (hex digests are :func:`verifier.light_client.digest_hex`)::

    {"user_id": u, "deposit": d, "outbox_root": HEX, "opaque_digest": HEX,
     "appends": [{"recipient": r, "address": HEX, "amount": a, "index": j}, ...]}

Parsing checks every value's type and range (ids below 2^GLOBAL_TREE_DEPTH,
amounts below 2^MAX_AMOUNT_BITS, indices below 2^OUTBOX_DEPTH, canonical digest
elements) and raises ValueError naming the first deviation; whether the data
is what a proof binds is the caller's check.
"""

from __future__ import annotations

from typing import Any

from rollup.outbox import TransferRecord
from rollup.params import AMOUNT_LIMIT, MAX_USERS, OUTBOX_CAPACITY
from rollup.witness import SessionPublicData
from verifier.light_client import digest_hex, parse_digest_hex

_SESSION_KEYS = frozenset({"user_id", "deposit", "outbox_root", "opaque_digest", "appends"})
_RECORD_KEYS = frozenset({"recipient", "address", "amount", "index"})


def public_data_to_json(entry: SessionPublicData) -> dict[str, Any]:
    """The JSON object of one session's public data (see the module docstring)."""
    return {
        "user_id": entry.user_id,
        "deposit": entry.deposit,
        "outbox_root": digest_hex(entry.outbox_root),
        "opaque_digest": digest_hex(entry.opaque_digest),
        "appends": [
            {"recipient": r.recipient, "address": digest_hex(r.address), "amount": r.amount, "index": r.index}
            for r in entry.appends
        ],
    }


def public_data_from_json(document: Any) -> SessionPublicData:
    """Parse :func:`public_data_to_json` output; ValueError on any deviation."""
    _require_object(document, _SESSION_KEYS, "a session's public data")
    appends = document["appends"]
    if not isinstance(appends, list):
        raise ValueError("appends must be a list")
    return SessionPublicData(
        _bounded(document["user_id"], MAX_USERS, "user_id"),
        _bounded(document["deposit"], AMOUNT_LIMIT, "deposit"),
        parse_digest_hex(_text(document["outbox_root"], "outbox_root")),
        parse_digest_hex(_text(document["opaque_digest"], "opaque_digest")),
        tuple(_record_from_json(item) for item in appends),
    )


def _record_from_json(document: Any) -> TransferRecord:
    _require_object(document, _RECORD_KEYS, "an appended record")
    return TransferRecord(
        _bounded(document["recipient"], MAX_USERS, "recipient"),
        parse_digest_hex(_text(document["address"], "address")),
        _bounded(document["amount"], AMOUNT_LIMIT, "amount"),
        _bounded(document["index"], OUTBOX_CAPACITY, "index"),
    )


def _require_object(document: Any, keys: frozenset[str], what: str) -> None:
    if not isinstance(document, dict) or set(document) != keys:
        raise ValueError(f"{what} is an object with exactly the keys {sorted(keys)}")


def _bounded(value: Any, limit: int, what: str) -> int:
    if type(value) is not int or not 0 <= value < limit:
        raise ValueError(f"{what} must be an integer in [0, {limit}), got {value!r}")
    return value


def _text(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{what} must be a hex string, got {value!r}")
    return value
