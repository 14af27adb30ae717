"""The node's own records, in ``DIR/node.sqlite`` beside the chain database.

* ``receipts``: one row per accepted submission (its id, user, promised block,
  the receipt's canonical JSON, when it was accepted) and, once its batch is
  signed, the batch root, index, size, audit path and signature;
* ``headers``: the signed header of every sealed block;
* ``proving``: when each block's proof was finished and how long it took;
* ``chain_proving``: the same for each height's chain proof step.

The chain itself (blocks, state, pending sessions, proofs) stays in
``rollup.sqlite`` (:mod:`rollup.storage`); this file holds only what the node
adds. A submission is first committed as a pending session there, then its
receipt here; a crash between the two leaves a pending session without a
receipt, which :meth:`NodeStore.missing_receipts` finds on restart so the node
writes its receipt then (the submitter saw no success, but the session is
included exactly once all the same).

One connection, shared by the server's threads under a lock (``sqlite3``
objects are not thread-safe by themselves); every write is its own transaction.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from verifier.chain import GENESIS_HEIGHT
from verifier.sequencer_signatures import BlockHeader

NODE_DATABASE = "node.sqlite"
BUSY_TIMEOUT_SECONDS = 30.0

_SCHEMA = """
CREATE TABLE IF NOT EXISTS receipts (
    submission TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL,
    block INTEGER NOT NULL,
    receipt TEXT NOT NULL,
    accepted_at REAL NOT NULL,
    batch_root BLOB,
    batch_index INTEGER,
    batch_size INTEGER,
    batch_path TEXT,
    signature BLOB
);
CREATE INDEX IF NOT EXISTS receipts_by_block ON receipts (block, user_id);
CREATE TABLE IF NOT EXISTS headers (
    number INTEGER PRIMARY KEY,
    header TEXT NOT NULL,
    signature BLOB NOT NULL,
    sealed_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS proving (
    block INTEGER PRIMARY KEY,
    seconds REAL NOT NULL,
    proven_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS chain_proving (
    height INTEGER PRIMARY KEY,
    seconds REAL NOT NULL,
    proven_at REAL NOT NULL
)
"""


@dataclass(frozen=True)
class ReceiptRow:
    """A stored receipt; the batch fields are None until its batch is signed."""

    submission: str
    user_id: int
    block: int
    receipt: dict[str, Any]
    accepted_at: float
    batch_root: bytes | None
    batch_index: int | None
    batch_size: int | None
    batch_path: list[bytes] | None
    signature: bytes | None

    def signed(self) -> dict[str, Any] | None:
        """The signed receipt as the node serves it (None while unsigned)."""
        if self.signature is None or self.batch_root is None or self.batch_path is None:
            return None
        return {
            "receipt": self.receipt,
            "batch": {
                "root": self.batch_root.hex(),
                "index": self.batch_index,
                "size": self.batch_size,
                "path": [p.hex() for p in self.batch_path],
            },
            "signature": self.signature.hex(),
        }


@dataclass(frozen=True)
class HeaderRow:
    header: BlockHeader
    signature: bytes
    sealed_at: float


_RECEIPT_COLUMNS = (
    "submission, user_id, block, receipt, accepted_at, batch_root, batch_index, batch_size, batch_path, signature"
)


def _receipt(row: tuple[Any, ...]) -> ReceiptRow:
    path = None if row[8] is None else [bytes.fromhex(p) for p in json.loads(row[8])]
    root = None if row[5] is None else bytes(row[5])
    signature = None if row[9] is None else bytes(row[9])
    return ReceiptRow(row[0], row[1], row[2], json.loads(row[3]), row[4], root, row[6], row[7], path, signature)


class NodeStore:
    """Receipts, signed headers and proving records of one node."""

    def __init__(self, path: Path) -> None:
        self._db = sqlite3.connect(
            str(path), isolation_level=None, check_same_thread=False, timeout=BUSY_TIMEOUT_SECONDS
        )
        self._lock = threading.Lock()
        with self._transaction() as db:
            for statement in filter(str.strip, _SCHEMA.split(";")):
                db.execute(statement)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _query(self, sql: str, parameters: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            return list(self._db.execute(sql, parameters))

    # ---------------------------------------------------------------- receipts

    def add_receipt(self, submission: str, user_id: int, block: int, receipt: dict[str, Any]) -> None:
        """Store an accepted submission's receipt (unsigned) in its own transaction."""
        with self._transaction() as db:
            db.execute(
                "INSERT INTO receipts (submission, user_id, block, receipt, accepted_at) VALUES (?, ?, ?, ?, ?)",
                (submission, user_id, block, json.dumps(receipt, sort_keys=True), time.time()),
            )

    def sign_batch(self, submissions: list[str], root: bytes, paths: list[list[bytes]], signature: bytes) -> None:
        """Record that one signature over ``root`` covers ``submissions`` (in leaf order, with their paths)."""
        rows = [
            (root, index, len(submissions), json.dumps([p.hex() for p in path]), signature, submission)
            for index, (submission, path) in enumerate(zip(submissions, paths, strict=True))
        ]
        with self._transaction() as db:
            db.executemany(
                "UPDATE receipts SET batch_root = ?, batch_index = ?, batch_size = ?, batch_path = ?, signature = ?"
                " WHERE submission = ?",
                rows,
            )

    def receipt(self, submission: str) -> ReceiptRow | None:
        rows = self._query(f"SELECT {_RECEIPT_COLUMNS} FROM receipts WHERE submission = ?", (submission,))
        return _receipt(rows[0]) if rows else None

    def block_receipts(self, block: int) -> list[ReceiptRow]:
        """The receipts promising ``block``, by user id."""
        rows = self._query(f"SELECT {_RECEIPT_COLUMNS} FROM receipts WHERE block = ? ORDER BY user_id", (block,))
        return [_receipt(row) for row in rows]

    def unsigned_receipts(self) -> list[ReceiptRow]:
        """Receipts whose batch was never signed (the node stopped in between)."""
        rows = self._query(f"SELECT {_RECEIPT_COLUMNS} FROM receipts WHERE signature IS NULL ORDER BY submission")
        return [_receipt(row) for row in rows]

    def receipt_count(self) -> int:
        return int(self._query("SELECT COUNT(*) FROM receipts")[0][0])

    def acceptance_times(self) -> dict[str, tuple[int, float]]:
        """submission -> (promised block, accepted at), for every receipt."""
        rows = self._query("SELECT submission, block, accepted_at FROM receipts")
        return {submission: (block, accepted) for submission, block, accepted in rows}

    # ----------------------------------------------------------------- headers

    def add_header(self, header: BlockHeader, signature: bytes) -> None:
        with self._transaction() as db:
            db.execute(
                "INSERT INTO headers (number, header, signature, sealed_at) VALUES (?, ?, ?, ?)",
                (header.number, json.dumps(header.to_json()), signature, time.time()),
            )

    def header(self, number: int) -> HeaderRow | None:
        rows = self._query("SELECT header, signature, sealed_at FROM headers WHERE number = ?", (number,))
        if not rows:
            return None
        document, signature, sealed_at = rows[0]
        return HeaderRow(BlockHeader.from_json(json.loads(document)), bytes(signature), sealed_at)

    def latest_header_number(self) -> int:
        """The highest signed header's block number, ``GENESIS_HEIGHT`` (0) when none: blocks are 1, 2, ..."""
        value = self._query("SELECT MAX(number) FROM headers")[0][0]
        return GENESIS_HEIGHT if value is None else int(value)

    # ----------------------------------------------------------------- proving

    def record_proving(self, block: int, seconds: float) -> None:
        with self._transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO proving (block, seconds, proven_at) VALUES (?, ?, ?)",
                (block, seconds, time.time()),
            )

    def proving(self, block: int) -> tuple[float, float] | None:
        """(seconds it took, when it finished) for a proven block."""
        rows = self._query("SELECT seconds, proven_at FROM proving WHERE block = ?", (block,))
        return (rows[0][0], rows[0][1]) if rows else None

    def record_chain_proving(self, height: int, seconds: float) -> None:
        with self._transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO chain_proving (height, seconds, proven_at) VALUES (?, ?, ?)",
                (height, seconds, time.time()),
            )

    def chain_proving(self, height: int) -> tuple[float, float] | None:
        """(seconds its step took, when it finished) for a chain-proven height."""
        rows = self._query("SELECT seconds, proven_at FROM chain_proving WHERE height = ?", (height,))
        return (rows[0][0], rows[0][1]) if rows else None
