"""Embedded SQLite storage of a chain: blocks, versioned state trees, sessions, proofs.

State is stored append-only, versioned by block number, so the state after
any block can be rebuilt without hashing and nothing finalized is ever
overwritten:

* ``accounts(user_id, block, ...)``: a user's key digest, balance and nonce as
  written by ``block``;
* ``outbox_records(user_id, idx, block, recipient, amount)``: outbox preimages;
* ``tree_nodes(tree, owner, level, position, block, digest)``: every Merkle
  node a block wrote (tree 0 = global, 1 = outbox of ``owner``, 2 = claimed
  set of ``owner``); the state after block b takes, for each node, its row with
  the largest block <= b.

A block is written in one transaction together with the removal of its
sessions from ``pending_sessions``; a submitted session is written in its own
transaction. A crash therefore loses neither a finalized block nor a submitted
session. Digests are stored as 32-byte blobs (4 little-endian field elements),
validated as canonical when read back.
"""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType

from rollup.block import Block, ExecutedBlock
from rollup.errors import DuplicateUserError, SchemaVersionError, StorageError
from rollup.outbox import Outbox, TransferRecord
from rollup.params import CLAIMED_DEPTH, GLOBAL_TREE_DEPTH, OUTBOX_DEPTH, SCHEMA_VERSION
from rollup.session import Session, session_from_json, session_to_json
from rollup.smt import NodeKey, SparseMerkleTree
from rollup.state import ChainState, UserTree
from rollup.witness import SessionPublicData
from verifier.field import ELEMENT_BYTES, NonCanonicalError, from_bytes, to_bytes
from verifier.hashing import Digest

GLOBAL_TREE, OUTBOX_TREE, CLAIMED_TREE = 0, 1, 2

_SCHEMA = """
CREATE TABLE schema_version (version INTEGER NOT NULL);
CREATE TABLE blocks (
    number INTEGER PRIMARY KEY,
    prev_root BLOB NOT NULL,
    new_root BLOB NOT NULL,
    data_digest BLOB NOT NULL,
    public_data TEXT NOT NULL
);
CREATE TABLE block_sessions (
    block INTEGER NOT NULL REFERENCES blocks(number),
    user_id INTEGER NOT NULL,
    session TEXT NOT NULL,
    PRIMARY KEY (block, user_id)
);
CREATE TABLE pending_sessions (user_id INTEGER PRIMARY KEY, session TEXT NOT NULL);
CREATE TABLE accounts (
    user_id INTEGER NOT NULL,
    block INTEGER NOT NULL REFERENCES blocks(number),
    key_digest BLOB NOT NULL,
    balance INTEGER NOT NULL,
    nonce INTEGER NOT NULL,
    PRIMARY KEY (user_id, block)
);
CREATE TABLE outbox_records (
    user_id INTEGER NOT NULL,
    idx INTEGER NOT NULL,
    block INTEGER NOT NULL REFERENCES blocks(number),
    recipient INTEGER NOT NULL,
    amount INTEGER NOT NULL,
    PRIMARY KEY (user_id, idx)
);
CREATE TABLE tree_nodes (
    tree INTEGER NOT NULL,
    owner INTEGER NOT NULL,
    level INTEGER NOT NULL,
    position INTEGER NOT NULL,
    block INTEGER NOT NULL REFERENCES blocks(number),
    digest BLOB NOT NULL,
    PRIMARY KEY (tree, owner, level, position, block)
);
CREATE TABLE proofs (
    block INTEGER NOT NULL REFERENCES blocks(number),
    node TEXT NOT NULL,
    proof BLOB NOT NULL,
    PRIMARY KEY (block, node)
);
"""


def encode_digest(digest: Digest) -> bytes:
    """32 bytes: the four elements little-endian."""
    return b"".join(to_bytes(x) for x in digest)


def decode_digest(blob: bytes) -> Digest:
    """Inverse of :func:`encode_digest`; StorageError on a wrong length or non-canonical element."""
    if not isinstance(blob, bytes) or len(blob) != 4 * ELEMENT_BYTES:
        raise StorageError(f"a stored digest must be {4 * ELEMENT_BYTES} bytes")
    try:
        a, b, c, d = (from_bytes(blob[i : i + ELEMENT_BYTES]) for i in range(0, len(blob), ELEMENT_BYTES))
    except NonCanonicalError as exc:
        raise StorageError(f"corrupt digest in the database: {exc}") from exc
    return (a, b, c, d)


class Storage:
    """A chain database (one SQLite file, or ``":memory:"``)."""

    def __init__(self, connection: sqlite3.Connection, location: str) -> None:
        """Wrap an open connection whose schema has been checked (use :meth:`open`)."""
        self._db = connection
        self.location = location

    @classmethod
    def open(cls, path: Path | str) -> Storage:
        """Open or create the database at ``path``; SchemaVersionError for an unknown schema version."""
        location = str(path)
        if location != ":memory:":
            Path(location).parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(location, isolation_level=None)
        try:
            connection.execute("PRAGMA foreign_keys = ON")
            storage = cls(connection, location)
            storage._prepare_schema()
        except sqlite3.DatabaseError as exc:
            connection.close()
            raise StorageError(f"{location} is not a usable SQLite database: {exc}") from exc
        except StorageError:
            connection.close()
            raise
        return storage

    def close(self) -> None:
        """Close the connection."""
        self._db.close()

    def __enter__(self) -> Storage:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def _prepare_schema(self) -> None:
        tables = {row[0] for row in self._db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if not tables:
            with self._transaction() as db:
                for statement in filter(str.strip, _SCHEMA.split(";")):
                    db.execute(statement)
                db.execute("INSERT INTO schema_version (version) VALUES (?)", (SCHEMA_VERSION,))
            return
        if "schema_version" not in tables:
            raise StorageError(f"{self.location} is not a rollup chain database (no schema_version table)")
        versions = [row[0] for row in self._db.execute("SELECT version FROM schema_version")]
        if versions != [SCHEMA_VERSION]:
            raise SchemaVersionError(
                f"{self.location} has schema version {versions}; this code reads version {SCHEMA_VERSION} only"
            )

    # ----------------------------------------------------------------- blocks

    def latest_block_number(self) -> int:
        """Number of the last finalized block, -1 when there is none."""
        row = self._db.execute("SELECT MAX(number) FROM blocks").fetchone()
        return -1 if row[0] is None else int(row[0])

    def block(self, number: int) -> Block:
        """The stored block ``number``; StorageError when absent."""
        row = self._db.execute(
            "SELECT number, prev_root, new_root, data_digest, public_data FROM blocks WHERE number = ?", (number,)
        ).fetchone()
        if row is None:
            raise StorageError(f"block {number} is not in {self.location}")
        entries = tuple(
            SessionPublicData(user_id, deposit, (leaf[0], leaf[1], leaf[2], leaf[3]))
            for user_id, deposit, leaf in json.loads(row[4])
        )
        return Block(row[0], decode_digest(row[1]), decode_digest(row[2]), entries, decode_digest(row[3]))

    def blocks(self) -> list[Block]:
        """Every finalized block in order."""
        return [self.block(number) for number in range(self.latest_block_number() + 1)]

    def block_sessions(self, number: int) -> list[Session]:
        """The sessions that produced block ``number``, by user id."""
        rows = self._db.execute("SELECT session FROM block_sessions WHERE block = ? ORDER BY user_id", (number,))
        return [session_from_json(row[0]) for row in rows]

    def write_block(self, executed: ExecutedBlock) -> None:
        """Persist a block, its sessions and the state it wrote, and drop those sessions from pending (atomic)."""
        block = executed.block
        if block.number != self.latest_block_number() + 1:
            raise StorageError(f"block {block.number} does not follow the stored block {self.latest_block_number()}")
        with self._transaction() as db:
            public_data = json.dumps([[e.user_id, e.deposit, list(e.new_leaf)] for e in block.public_data])
            db.execute(
                "INSERT INTO blocks (number, prev_root, new_root, data_digest, public_data) VALUES (?, ?, ?, ?, ?)",
                (
                    block.number,
                    encode_digest(block.prev_root),
                    encode_digest(block.new_root),
                    encode_digest(block.data_digest),
                    public_data,
                ),
            )
            self._write_user_trees(executed)
            self._write_nodes(block.number, GLOBAL_TREE, 0, executed.global_tree.dirty_nodes())
            db.executemany("DELETE FROM pending_sessions WHERE user_id = ?", [(u,) for u in block.user_ids])

    def _write_user_trees(self, executed: ExecutedBlock) -> None:
        number = executed.block.number
        for item in executed.sessions:
            user_id, tree = item.trace.user_id, item.tree
            old_length = item.trace.old_state.outbox_len if item.trace.old_state is not None else 0
            self._db.execute(
                "INSERT INTO block_sessions (block, user_id, session) VALUES (?, ?, ?)",
                (number, user_id, session_to_json(item.session)),
            )
            self._db.execute(
                "INSERT INTO accounts (user_id, block, key_digest, balance, nonce) VALUES (?, ?, ?, ?, ?)",
                (user_id, number, encode_digest(tree.key_digest), tree.balance, tree.nonce),
            )
            self._db.executemany(
                "INSERT INTO outbox_records (user_id, idx, block, recipient, amount) VALUES (?, ?, ?, ?, ?)",
                [(user_id, r.index, number, r.recipient, r.amount) for r in tree.outbox.records[old_length:]],
            )
            self._write_nodes(number, OUTBOX_TREE, user_id, tree.outbox.tree.dirty_nodes())
            self._write_nodes(number, CLAIMED_TREE, user_id, tree.claimed.dirty_nodes())

    def _write_nodes(self, number: int, tree: int, owner: int, nodes: dict[NodeKey, Digest]) -> None:
        self._db.executemany(
            "INSERT INTO tree_nodes (tree, owner, level, position, block, digest) VALUES (?, ?, ?, ?, ?, ?)",
            [(tree, owner, level, position, number, encode_digest(d)) for (level, position), d in nodes.items()],
        )

    # ------------------------------------------------------------------ state

    def load_state(self, block_number: int | None = None, verify: bool = True) -> ChainState:
        """The finalized state after ``block_number`` (default: the latest; -1: the empty chain).

        Rebuilt from stored nodes; StorageError when its root differs from the
        stored block's root or, with ``verify``, when any stored node, record
        or account does not hash consistently (about one compression per
        stored node).
        """
        number = self.latest_block_number() if block_number is None else block_number
        if not -1 <= number <= self.latest_block_number():
            raise StorageError(f"no block {number} in {self.location} (latest is {self.latest_block_number()})")
        nodes: dict[tuple[int, int], dict[NodeKey, Digest]] = defaultdict(dict)
        rows = self._db.execute(
            "SELECT tree, owner, level, position, digest FROM tree_nodes WHERE block <= ? ORDER BY block", (number,)
        )
        for tree, owner, level, position, digest in rows:
            nodes[(tree, owner)][(level, position)] = decode_digest(digest)
        records: dict[int, list[TransferRecord]] = defaultdict(list)
        for user_id, index, recipient, amount in self._db.execute(
            "SELECT user_id, idx, recipient, amount FROM outbox_records WHERE block <= ? ORDER BY user_id, idx",
            (number,),
        ):
            records[user_id].append(TransferRecord(recipient, amount, index))
        accounts: dict[int, tuple[bytes, int, int]] = {}
        for user_id, key, balance, nonce in self._db.execute(
            "SELECT user_id, key_digest, balance, nonce FROM accounts WHERE block <= ? ORDER BY block", (number,)
        ):
            accounts[user_id] = (key, balance, nonce)
        users = {
            user_id: UserTree(
                decode_digest(key),
                balance,
                nonce,
                Outbox(records[user_id], SparseMerkleTree(OUTBOX_DEPTH, nodes[(OUTBOX_TREE, user_id)])),
                SparseMerkleTree(CLAIMED_DEPTH, nodes[(CLAIMED_TREE, user_id)]),
            )
            for user_id, (key, balance, nonce) in accounts.items()
        }
        state = ChainState(number, SparseMerkleTree(GLOBAL_TREE_DEPTH, nodes[(GLOBAL_TREE, 0)]), users)
        if number >= 0 and state.root != self.block(number).new_root:
            raise StorageError(f"stored trees do not reproduce the root of block {number}")
        problem = next(state.inconsistencies(), None) if verify else None
        if problem is not None:
            raise StorageError(f"corrupt state after block {number} in {self.location}: {problem}")
        return state

    # --------------------------------------------------------------- sessions

    # ----------------------------------------------------------------- proofs

    def write_proof(self, block_number: int, node: str, proof: bytes) -> None:
        """Store one proof of a block's aggregation tree (its own transaction; idempotent)."""
        if not 0 <= block_number <= self.latest_block_number():
            raise StorageError(f"cannot store a proof for block {block_number}: no such block")
        with self._transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO proofs (block, node, proof) VALUES (?, ?, ?)", (block_number, node, proof)
            )

    def block_proofs(self, block_number: int) -> dict[str, bytes]:
        """Every stored proof of a block, by node key ("session/U", "agg/L/P", "block")."""
        rows = self._db.execute("SELECT node, proof FROM proofs WHERE block = ?", (block_number,))
        return {node: bytes(proof) for node, proof in rows}

    def pending_sessions(self) -> list[Session]:
        """Submitted sessions waiting for the next block, by user id."""
        rows = self._db.execute("SELECT session FROM pending_sessions ORDER BY user_id")
        return [session_from_json(row[0]) for row in rows]

    def add_pending(self, session: Session) -> None:
        """Persist a submitted session (its own transaction); DuplicateUserError if the user already has one."""
        try:
            with self._transaction() as db:
                db.execute(
                    "INSERT INTO pending_sessions (user_id, session) VALUES (?, ?)",
                    (session.user_id, session_to_json(session)),
                )
        except sqlite3.IntegrityError as exc:
            raise DuplicateUserError(f"user {session.user_id} already has a pending session") from exc
