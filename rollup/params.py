"""Every fixed size of the rollup's state model, in one place.

The circuits of a later issue are built for exactly these shapes, so changing
any of them changes every verifier key:

* the global tree has ``2^GLOBAL_TREE_DEPTH`` leaves, one per user id;
* a user's outbox has ``2^OUTBOX_DEPTH`` slots;
* a user's claimed set is keyed by ``(sender id, outbox index)`` packed into
  ``GLOBAL_TREE_DEPTH + OUTBOX_DEPTH`` bits, so it is a sparse tree of depth
  ``CLAIMED_DEPTH`` and every possible transfer has its own leaf;
* amounts, deposits and balances are integers in ``[0, 2^MAX_AMOUNT_BITS)``,
  range-checked in-circuit by a bit decomposition (48 bits keep the sum of two
  values far below p = 2^64 - 2^32 + 1, so no addition wraps around);
* a secret key is ``SECRET_SIZE`` field elements (about 256 bits);
* a session holds at most ``SESSION_SLOTS`` sends and claims (the operation
  slots of the block tree's full session circuit, as many as fit its 2^13 rows
  beside the zero-knowledge blinding rows; a registration takes no slot);
* a session of sends only holds at most ``SEND_SESSION_SLOTS`` of them: the block
  tree's full *send session* circuit has send-only slots (``SlotKind.SEND`` in
  ``rollup.slot_layout``) of about 39.6 rows each (34 Poseidon2 rows: the
  record, two climbs of the OUTBOX_DEPTH = 16 levels of the outbox path, the
  appends digest; the rest range checks and selects) instead of about 120.4 for a
  slot that also takes claims. With about 43 rows for the session's start, end and
  public inputs and 59 zero-knowledge blinding rows, 204 slots take 8,127 + 59 =
  8,186 of the 8,192 rows and a 205th does not fit (8,166 + 59 rows);
* a session whose claims are all among its first ``MIXED_ANY_SLOTS`` operations holds at
  most ``MIXED_SESSION_SLOTS`` operations: the block tree's *mixed full session* has
  ``MIXED_ANY_SLOTS`` slots of any kind (about 121 rows each) followed by
  ``MIXED_SESSION_SLOTS - MIXED_ANY_SLOTS`` send-only slots (about 39 rows each), in
  the same 2^13 rows: 16 + 155 slots take 8,108 gate rows + 59 blinding rows = 8,167
  of 8,192; a 156th send slot does not fit (8,147 + 59), nor a 17th slot of any kind
  in place of a send slot (8,148 + 59). A slot of any kind costs about three send
  slots, so each claim slot more in the prefix costs three operations of capacity;
  16 claims first keep 171 operations (against 67 for the full session), which puts a
  full mixed session near 29 ms of proving CPU per transaction, well under the 50 ms
  target, while a session of more claims, or a claim later, falls back to the full
  session. The layouts are ``rollup.slot_layout.BLOCK_TREE_LAYOUTS``;
* a session of at most ``SMALL_SESSION_SLOTS`` operations is proven in the block
  tree by the small session circuit, of ``2^SMALL_SESSION_DEGREE_BITS`` rows (the
  most slots that fit them), so sparse traffic does not pay for a full session;
* a session of sends only that the small session does not hold and of at most
  ``MEDIUM_SEND_SESSION_SLOTS`` sends is proven by the *medium send session*, of
  ``2^MEDIUM_SESSION_DEGREE_BITS`` = 2,048 rows (about a quarter of a full session's
  proof): its send-only slots cost the full send session's 39.6 rows each, so with the
  same ~43 rows of start, end and public inputs and 59 blinding rows, 49 slots take
  1,974 + 59 = 2,033 of the 2,048 rows and a 50th does not fit (2,012 + 59);
* a session of at most ``MEDIUM_SESSION_SLOTS`` operations with claims that the small session
  does not hold is proven by the *medium session*, in the same 2^11 rows and shape: its
  slots of any kind cost about 120.4 rows each, 16 take 1,954 + 59 = 2,013 of the 2,048
  rows and a 17th does not fit;
* the full sessions (the send, mixed and full ones above) have ``2^FULL_SESSION_DEGREE_BITS``
  rows, the aggregation tree's own degree, so they share the batch circuit's leaf shape;
* the operator proves up to ``BATCH_SESSIONS`` delegated sessions of at most
  ``BATCH_SLOTS`` operations each that are alone in one subtree of height
  ``BATCH_LEVEL`` as one batch proof of that subtree (``rollup.circuits.batch``):
  2^BATCH_LEVEL = BATCH_SESSIONS, so a subtree never holds more sessions than a batch.
"""

from __future__ import annotations

from pathlib import Path

GLOBAL_TREE_DEPTH: int = 20
OUTBOX_DEPTH: int = 16
CLAIMED_DEPTH: int = GLOBAL_TREE_DEPTH + OUTBOX_DEPTH
MAX_AMOUNT_BITS: int = 48
SECRET_SIZE: int = 4
SESSION_SLOTS: int = 67
SEND_SESSION_SLOTS: int = 204
MIXED_ANY_SLOTS: int = 16
MIXED_SESSION_SLOTS: int = 171
SMALL_SESSION_SLOTS: int = 3
SMALL_SESSION_DEGREE_BITS: int = 9
MEDIUM_SEND_SESSION_SLOTS: int = 49
MEDIUM_SESSION_SLOTS: int = 16
MEDIUM_SESSION_DEGREE_BITS: int = 11
FULL_SESSION_DEGREE_BITS: int = 13
BATCH_LEVEL: int = 4
BATCH_SESSIONS: int = 1 << BATCH_LEVEL
BATCH_SLOTS: int = SMALL_SESSION_SLOTS

MAX_USERS: int = 1 << GLOBAL_TREE_DEPTH
OUTBOX_CAPACITY: int = 1 << OUTBOX_DEPTH
AMOUNT_LIMIT: int = 1 << MAX_AMOUNT_BITS
"""Exclusive upper bound of amounts and balances."""

SCHEMA_VERSION: int = 6
"""Version of the SQLite schema written by :mod:`rollup.storage` (3: blocks are numbered from 1;
4: transfers name the recipient's address, and a pending session may carry its user's proof;
5: leaves are H(outbox root, opaque digest) and block public data carries the outbox appends;
6: users proving their own sessions are stored as public data only, with their pending sessions' proofs)."""
DEFAULT_CHAIN_DIR: Path = Path("chain")
DATABASE_FILENAME: str = "rollup.sqlite"
DATABASE_BUSY_TIMEOUT_SECONDS: float = 5.0
"""How long one database statement waits for a lock another process holds (SQLite's busy timeout)."""
DATABASE_BUSY_ATTEMPTS: int = 3
"""How many times a write transaction that met a held lock is tried in all (so the wait is bounded)."""
SPILLED_PROOFS_DIR: str = "spilled-proofs"
"""Beside the database: finished proofs that could not be stored in it, kept until the next write stores them."""
