"""Embedded SQLite storage of a chain: blocks, versioned state trees, sessions, proofs.

State is stored append-only, versioned by block number, so the state after
any block can be rebuilt without hashing and nothing finalized is ever
overwritten:

* ``accounts(user_id, block, ...)``: a user's key digest, balance and nonce as
  written by ``block``, for a session the operator executed (delegated proving);
* ``public_users(user_id, block, opaque_digest)``: the opaque digest a session
  its user proved published in ``block``; the operator holds nothing else of
  that user but its outbox (a user's latest row of either table says which
  kind of account it has);
* ``outbox_records(user_id, idx, block, recipient, address, amount)``: outbox preimages;
* ``tree_nodes(tree, owner, level, position, block, digest)``: every Merkle
  node a block wrote (tree 0 = global, 1 = outbox of ``owner``, 2 = claimed
  set of ``owner``); the state after block b takes, for each node, its row with
  the largest block <= b;
* ``block_sessions``: the sessions of each block the operator executed;
  ``pending_sessions`` and ``pending_proven``: the next block's sessions to
  execute, and the admitted sessions their users proved (public data, proof);
* ``proofs(block, node, proof)``: every proof of a block's aggregation tree;
  ``chain_proofs(block, proof)``: the chain proof of height ``block``.

A block is written in one transaction together with the removal of its
sessions from ``pending_sessions`` and the advance of the chain head; a
submitted session is written in its own transaction. A crash therefore loses
neither a finalized block nor a submitted session. Digests are stored as
32-byte blobs (4 little-endian field elements), validated as canonical when
read back; every other stored value is decoded defensively, so damage gives a
StorageError naming what is damaged (never a Python error).

The database defends itself (:meth:`Storage.open`): it is never created unless
asked for (an existing file with no tables, e.g. truncated to zero bytes, is
refused); its tables and columns must be those of the schema
(:mod:`rollup.storage_schema`); the chain head must equal the latest block,
blocks must be numbered from 1 without gaps, link root to root and hold the
sessions their public data names. A statement that meets a lock held by
another process waits (SQLite's busy timeout) and a transaction is tried
``DATABASE_BUSY_ATTEMPTS`` times; a failure inside a transaction rolls it
back and raises one StorageError (full disk, read-only file, held lock,
damage). A finished proof that cannot be stored is spilled to a file
(:mod:`rollup.proof_spill`) rather than dropped.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rollup.block import Block, ExecutedBlock, PendingSession, ProvenSession, PublishedSession
from rollup.block_plan import BLOCK_NODE, session_node_key, session_node_user
from rollup.database import Database
from rollup.errors import DuplicateUserError, StorageEnvironmentError, StorageError
from rollup.files import FileWriteError
from rollup.outbox import Outbox, TransferRecord
from rollup.params import (
    AMOUNT_LIMIT,
    CLAIMED_DEPTH,
    GLOBAL_TREE_DEPTH,
    MAX_USERS,
    OUTBOX_CAPACITY,
    OUTBOX_DEPTH,
    SPILLED_PROOFS_DIR,
)
from rollup.proof_spill import spill, spilled
from rollup.public_data_json import public_data_from_json, public_data_to_json
from rollup.session import Session, session_from_json, session_to_json
from rollup.smt import NodeKey, SparseMerkleTree
from rollup.state import Account, ChainState, PublicUser, UserTree
from rollup.witness import SessionPublicData
from verifier.chain import GENESIS_HEIGHT
from verifier.field import ELEMENT_BYTES, NonCanonicalError, P, from_bytes, to_bytes
from verifier.hashing import Digest

GLOBAL_TREE, OUTBOX_TREE, CLAIMED_TREE = 0, 1, 2
_TREE_DEPTHS = {GLOBAL_TREE: GLOBAL_TREE_DEPTH, OUTBOX_TREE: OUTBOX_DEPTH, CLAIMED_TREE: CLAIMED_DEPTH}
_OUTBOX_RECORD_LIMITS = (MAX_USERS, OUTBOX_CAPACITY, MAX_USERS, AMOUNT_LIMIT)
"""Exclusive bounds of a stored outbox record: user id, index, recipient, amount."""
_ACCOUNT_LIMITS = (MAX_USERS, AMOUNT_LIMIT, P)
"""Exclusive bounds of a stored account: user id, balance, nonce (a field element in the leaf)."""
log = logging.getLogger(__name__)


def encode_digest(digest: Digest) -> bytes:
    """32 bytes: the four elements little-endian."""
    return b"".join(to_bytes(x) for x in digest)


def decode_digest(blob: bytes) -> Digest:
    """Inverse of :func:`encode_digest`; StorageError on a wrong length or non-canonical element."""
    if not isinstance(blob, bytes) or len(blob) != 4 * ELEMENT_BYTES:
        raise StorageError(
            f"a stored digest is damaged (it must be {4 * ELEMENT_BYTES} bytes): restore the database from a backup"
        )
    try:
        a, b, c, d = (from_bytes(blob[i : i + ELEMENT_BYTES]) for i in range(0, len(blob), ELEMENT_BYTES))
    except NonCanonicalError as exc:
        raise StorageError(f"corrupt digest in the database ({exc}): restore it from a backup") from exc
    return (a, b, c, d)


@dataclass(frozen=True)
class StoredProvenSession:
    """A pending session its user proved, as stored: what the operator re-checks on opening
    (:func:`rollup.block.proven_session`)."""

    read_root: Digest
    old_leaf: Digest
    public_data: SessionPublicData
    proof: bytes


def _decode_entry(text: Any) -> SessionPublicData:
    """One session's stored public data (a :mod:`rollup.public_data_json` object)."""
    return public_data_from_json(json.loads(text))


def _decode_public_data(text: Any) -> tuple[SessionPublicData, ...]:
    """A block's stored public data: a JSON list of :mod:`rollup.public_data_json` objects, each in range."""
    entries = json.loads(text)
    if not isinstance(entries, list):
        raise ValueError("public data must be a list")
    return tuple(public_data_from_json(entry) for entry in entries)


class Storage(Database):
    """A chain database: blocks, state trees, sessions, proofs and names (see the module docstring)."""

    def _check_contents(self) -> None:
        """The chain head, block numbering, root linkage and each block's sessions agree (see the module doc)."""
        head = self._rows("SELECT block FROM chain_head")
        count, lowest, highest = self._rows("SELECT COUNT(*), MIN(number), MAX(number) FROM blocks")[0]
        latest = GENESIS_HEIGHT if highest is None else highest
        if len(head) != 1 or head[0][0] != latest:
            recorded = head[0][0] if len(head) == 1 else "missing"
            raise StorageError(
                f"{self.location}: the chain head is block {recorded} but the latest stored block is {latest}: "
                "blocks were removed or added outside the rollup; restore the database from a backup"
            )
        if count != latest - GENESIS_HEIGHT or (count and lowest != GENESIS_HEIGHT + 1):
            raise StorageError(f"{self.location}: blocks are missing (stored {count}, latest {latest})")
        sessions: dict[int, set[int]] = defaultdict(set)
        for number, user_id in self._rows("SELECT block, user_id FROM block_sessions"):
            sessions[number].add(user_id)
        proven: dict[int, set[int]] = defaultdict(set)
        block_proven = {number for (number,) in self._rows("SELECT block FROM proofs WHERE node = ?", (BLOCK_NODE,))}
        for number, node in self._rows("SELECT block, node FROM proofs WHERE node LIKE 'session/%'"):
            proven[number].add(self._decoded(f"proof node {node!r} of block {number}", session_node_user, node))
        previous_root = None
        for number in range(GENESIS_HEIGHT + 1, latest + 1):
            block = self.block(number)
            if previous_root is not None and block.prev_root != previous_root:
                raise StorageError(f"{self.location}: block {number} does not extend the root of block {number - 1}")
            users = set(block.user_ids)
            vouched = users if number in block_proven else sessions[number] | proven[number]
            if not sessions[number] <= users or not users <= vouched:
                raise StorageError(
                    f"{self.location}: the stored sessions of block {number} differ from its public data (each "
                    "session is stored, or proven by its user with its proof stored, or the block proof is stored)"
                )
            previous_root = block.new_root

    # ----------------------------------------------------------------- blocks

    def latest_block_number(self) -> int:
        """Number of the last finalized block, ``GENESIS_HEIGHT`` (0) when there is none: blocks are 1, 2, ..."""
        value = self._rows("SELECT MAX(number) FROM blocks")[0][0]
        return GENESIS_HEIGHT if value is None else int(value)

    def block(self, number: int) -> Block:
        """The stored block ``number``; StorageError when absent or undecodable."""
        rows = self._rows(
            "SELECT number, prev_root, new_root, data_digest, public_data FROM blocks WHERE number = ?", (number,)
        )
        if not rows:
            raise StorageError(f"block {number} is not in {self.location}")
        row = rows[0]
        entries = self._decoded(f"public data of block {number}", _decode_public_data, row[4])
        return Block(row[0], decode_digest(row[1]), decode_digest(row[2]), entries, decode_digest(row[3]))

    def blocks(self) -> list[Block]:
        """Every finalized block in order."""
        return [self.block(number) for number in range(GENESIS_HEIGHT + 1, self.latest_block_number() + 1)]

    def block_sessions(self, number: int) -> list[Session]:
        """The sessions of block ``number`` the operator executed (delegated proving), by user id; the block's
        other sessions were proven by their users, who kept them (their proofs are the block's stored proofs)."""
        rows = self._rows("SELECT user_id, session FROM block_sessions WHERE block = ? ORDER BY user_id", (number,))
        return [self._decoded(f"session of user {u} in block {number}", session_from_json, text) for u, text in rows]

    def write_block(self, executed: ExecutedBlock) -> None:
        """Persist a block, its sessions and the state it wrote, advance the chain head, and drop those
        sessions from pending (atomic)."""
        block = executed.block
        if block.number != self.latest_block_number() + 1:
            raise StorageError(f"block {block.number} does not follow the stored block {self.latest_block_number()}")

        def write(db: sqlite3.Connection) -> None:
            public_data = json.dumps([public_data_to_json(e) for e in block.public_data])
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
            for item in executed.sessions:
                self._write_account(block.number, item)
            self._write_nodes(block.number, GLOBAL_TREE, 0, executed.global_tree.dirty_nodes())
            rows = [(u,) for u in block.user_ids]
            db.executemany("DELETE FROM pending_sessions WHERE user_id = ?", rows)
            db.executemany("DELETE FROM pending_proven WHERE user_id = ?", rows)
            db.execute("UPDATE chain_head SET block = ?", (block.number,))

        self._transaction(write)

    def _write_account(self, number: int, item: PendingSession) -> None:
        """A session's new account: the full state of a session the operator executed (with the session), or
        the opaque digest of a session known from its public data (with its user's proof, if it has one); the
        outbox appends either way."""
        user_id, account = item.user_id, item.account
        if isinstance(item, PublishedSession):
            self._db.execute(
                "INSERT INTO public_users (user_id, block, opaque_digest) VALUES (?, ?, ?)",
                (user_id, number, encode_digest(item.account.opaque_digest())),
            )
            if isinstance(item, ProvenSession):
                self._db.execute(
                    "INSERT INTO proofs (block, node, proof) VALUES (?, ?, ?)",
                    (number, session_node_key(user_id), item.proof),
                )
        else:
            tree = item.tree
            self._db.execute(
                "INSERT INTO block_sessions (block, user_id, session) VALUES (?, ?, ?)",
                (number, user_id, session_to_json(item.session)),
            )
            self._db.execute(
                "INSERT INTO accounts (user_id, block, key_digest, balance, nonce) VALUES (?, ?, ?, ?, ?)",
                (user_id, number, encode_digest(tree.key_digest), tree.balance, tree.nonce),
            )
            self._write_nodes(number, CLAIMED_TREE, user_id, tree.claimed.dirty_nodes())
        appends = item.public_data.appends
        self._db.executemany(
            "INSERT INTO outbox_records (user_id, idx, block, recipient, address, amount) VALUES (?, ?, ?, ?, ?, ?)",
            [(user_id, r.index, number, r.recipient, encode_digest(r.address), r.amount) for r in appends],
        )
        self._write_nodes(number, OUTBOX_TREE, user_id, account.outbox.tree.dirty_nodes())

    def _write_nodes(self, number: int, tree: int, owner: int, nodes: dict[NodeKey, Digest]) -> None:
        self._db.executemany(
            "INSERT INTO tree_nodes (tree, owner, level, position, block, digest) VALUES (?, ?, ?, ?, ?, ?)",
            [(tree, owner, level, position, number, encode_digest(d)) for (level, position), d in nodes.items()],
        )

    # ------------------------------------------------------------------ state

    def load_state(self, block_number: int | None = None, verify: bool = True) -> ChainState:
        """The finalized state after ``block_number`` (default: the latest; ``GENESIS_HEIGHT``: the empty chain).

        Rebuilt from stored nodes; StorageError when its root differs from the
        stored block's root or, with ``verify``, when any stored node, record
        or account does not hash consistently (about one compression per
        stored node).
        """
        number = self.latest_block_number() if block_number is None else block_number
        if not GENESIS_HEIGHT <= number <= self.latest_block_number():
            raise StorageError(f"no block {number} in {self.location} (latest is {self.latest_block_number()})")
        nodes: dict[tuple[int, int], dict[NodeKey, Digest]] = defaultdict(dict)
        rows = self._rows(
            "SELECT tree, owner, level, position, digest FROM tree_nodes WHERE block <= ? ORDER BY block", (number,)
        )
        for tree, owner, level, position, digest in rows:
            depth = _TREE_DEPTHS.get(tree, -1)
            self._require_ints("tree_nodes", (tree, owner, level), (len(_TREE_DEPTHS), MAX_USERS, depth + 1))
            self._require_ints("tree_nodes", (position,), (1 << (depth - level),))
            nodes[(tree, owner)][(level, position)] = decode_digest(digest)
        records: dict[int, list[TransferRecord]] = defaultdict(list)
        for user_id, index, recipient, address, amount in self._rows(
            "SELECT user_id, idx, recipient, address, amount FROM outbox_records "
            "WHERE block <= ? ORDER BY user_id, idx",
            (number,),
        ):
            self._require_ints("outbox_records", (user_id, index, recipient, amount), _OUTBOX_RECORD_LIMITS)
            records[user_id].append(TransferRecord(recipient, decode_digest(address), amount, index))
        latest: dict[int, tuple[int, tuple[Any, ...]]] = {}
        """User id -> (block, row) of its latest account row of either kind: a user proving its own sessions
        has public rows from its first such session on."""
        for user_id, block, key, balance, nonce in self._rows(
            "SELECT user_id, block, key_digest, balance, nonce FROM accounts WHERE block <= ?", (number,)
        ):
            self._require_ints("accounts", (user_id, balance, nonce), _ACCOUNT_LIMITS)
            if user_id not in latest or latest[user_id][0] < block:
                latest[user_id] = (block, (key, balance, nonce))
        for user_id, block, opaque in self._rows(
            "SELECT user_id, block, opaque_digest FROM public_users WHERE block <= ?", (number,)
        ):
            self._require_ints("public_users", (user_id,), (MAX_USERS,))
            if user_id not in latest or latest[user_id][0] < block:
                latest[user_id] = (block, (opaque,))
        users: dict[int, Account] = {}
        for user_id, (_, row) in latest.items():
            outbox = Outbox(records[user_id], SparseMerkleTree(OUTBOX_DEPTH, nodes[(OUTBOX_TREE, user_id)]))
            if len(row) == 1:
                users[user_id] = PublicUser(outbox, decode_digest(row[0]))
            else:
                key, balance, nonce = row
                claimed = SparseMerkleTree(CLAIMED_DEPTH, nodes[(CLAIMED_TREE, user_id)])
                users[user_id] = UserTree(decode_digest(key), balance, nonce, outbox, claimed)
        state = ChainState(number, SparseMerkleTree(GLOBAL_TREE_DEPTH, nodes[(GLOBAL_TREE, 0)]), users)
        if number > GENESIS_HEIGHT and state.root != self.block(number).new_root:
            raise StorageError(f"stored trees do not reproduce the root of block {number}")
        problem = next(state.inconsistencies(), None) if verify else None
        if problem is not None:
            raise StorageError(f"corrupt state after block {number} in {self.location}: {problem}")
        return state

    def _require_ints(self, table: str, values: tuple[Any, ...], limits: tuple[int, ...]) -> None:
        """StorageError unless every value is an int ``v`` with ``0 <= v < limit`` (a damaged row)."""
        if not all(type(v) is int and 0 <= v < limit for v, limit in zip(values, limits, strict=True)):
            raise StorageError(f"{self.location} holds a damaged {table} row {values!r}: restore it from a backup")

    # ----------------------------------------------------------------- proofs

    @property
    def spill_directory(self) -> Path | None:
        """Where proofs that could not be stored are kept (None for an in-memory database)."""
        return None if self.location == ":memory:" else Path(self.location).parent / SPILLED_PROOFS_DIR

    def write_proof(self, block_number: int, node: str, proof: bytes) -> None:
        """Store one proof of a block's aggregation tree (its own transaction; idempotent), together with
        every proof spilled earlier.

        If the database cannot take it (held lock after the bounded wait, full disk, read-only file), the
        proof is spilled to a file and a warning says where; only when that fails too is it an error.
        """
        waiting = {} if self.spill_directory is None else spilled(self.spill_directory)

        def write(db: sqlite3.Connection) -> None:
            if not GENESIS_HEIGHT < block_number <= self.latest_block_number():
                raise StorageError(f"cannot store a proof for block {block_number}: no such block")
            for (number, key), path in waiting.items():
                if (number, key) != (block_number, node):
                    db.execute(
                        "INSERT OR REPLACE INTO proofs (block, node, proof) VALUES (?, ?, ?)",
                        (number, key, path.read_bytes()),
                    )
            db.execute(
                "INSERT OR REPLACE INTO proofs (block, node, proof) VALUES (?, ?, ?)", (block_number, node, proof)
            )

        try:
            self._transaction(write)
        except StorageEnvironmentError as exc:
            if self.spill_directory is None:
                raise
            try:
                path = spill(self.spill_directory, block_number, node, proof)
            except FileWriteError as spill_failure:
                raise StorageEnvironmentError(
                    f"proof {node} of block {block_number} is lost: {exc}; and {spill_failure}"
                ) from exc
            log.warning(
                "%s; proof %s of block %d is kept in %s and stored by the next proof write",
                exc,
                node,
                block_number,
                path,
            )
            return
        for path in waiting.values():
            path.unlink(missing_ok=True)

    def block_proofs(self, block_number: int) -> dict[str, bytes]:
        """Every stored proof of a block, by node key ("session/U", "agg/L/P", "block"), spilled ones included."""
        proofs = {
            node: bytes(proof)
            for node, proof in self._rows("SELECT node, proof FROM proofs WHERE block = ?", (block_number,))
        }
        if self.spill_directory is not None:
            for (number, node), path in spilled(self.spill_directory).items():
                if number == block_number:
                    proofs[node] = path.read_bytes()
        return proofs

    def write_chain_proof(self, block_number: int, proof: bytes) -> None:
        """Store the chain proof of height ``block_number`` (its own transaction; idempotent)."""

        def write(db: sqlite3.Connection) -> None:
            if not GENESIS_HEIGHT < block_number <= self.latest_block_number():
                raise StorageError(f"cannot store a chain proof for block {block_number}: no such block")
            db.execute("INSERT OR REPLACE INTO chain_proofs (block, proof) VALUES (?, ?)", (block_number, proof))

        self._transaction(write)

    def chain_proofs(self) -> dict[int, bytes]:
        """Every stored chain proof, by height."""
        return {int(block): bytes(proof) for block, proof in self._rows("SELECT block, proof FROM chain_proofs")}

    def chain_proven_height(self) -> int:
        """The highest height with a stored chain proof (``GENESIS_HEIGHT`` when none), without reading proofs."""
        value = self._rows("SELECT MAX(block) FROM chain_proofs")[0][0]
        return GENESIS_HEIGHT if value is None else int(value)

    def chain_proof(self, height: int) -> bytes | None:
        """The stored chain proof of ``height`` (None when there is none)."""
        rows = self._rows("SELECT proof FROM chain_proofs WHERE block = ?", (height,))
        return bytes(rows[0][0]) if rows else None

    # --------------------------------------------------------------- sessions

    def block_proof_nodes(self, block_number: int) -> set[str]:
        """The node keys of a block's stored proofs, without reading the proofs."""
        rows = self._db.execute("SELECT node FROM proofs WHERE block = ?", (block_number,))
        return {node for (node,) in rows}

    def pending_sessions(self) -> list[Session]:
        """Submitted sessions the operator proves (delegated proving) waiting for the next block, by user id."""
        rows = self._rows("SELECT user_id, session FROM pending_sessions ORDER BY user_id")
        return [self._decoded(f"pending session of user {u}", session_from_json, text) for u, text in rows]

    def pending_proven(self) -> list[StoredProvenSession]:
        """Admitted sessions their users proved waiting for the next block, by user id."""
        rows = self._rows(
            "SELECT user_id, read_root, old_leaf, public_data, proof FROM pending_proven ORDER BY user_id"
        )
        return [
            StoredProvenSession(
                decode_digest(read_root),
                decode_digest(old_leaf),
                self._decoded(f"pending proven session of user {u}", _decode_entry, text),
                bytes(proof),
            )
            for u, read_root, old_leaf, text, proof in rows
        ]

    def _require_no_pending(self, db: sqlite3.Connection, user_id: int) -> None:
        for table in ("pending_sessions", "pending_proven"):
            if db.execute(f"SELECT 1 FROM {table} WHERE user_id = ?", (user_id,)).fetchone():
                raise DuplicateUserError(f"user {user_id} already has a pending session")

    def add_pending(self, session: Session) -> None:
        """Persist a submitted session (its own transaction); DuplicateUserError if the user already has one."""

        def write(db: sqlite3.Connection) -> None:
            self._require_no_pending(db, session.user_id)
            db.execute(
                "INSERT INTO pending_sessions (user_id, session) VALUES (?, ?)",
                (session.user_id, session_to_json(session)),
            )

        self._transaction(write)

    def add_pending_proven(self, proven: ProvenSession) -> None:
        """Persist an admitted session its user proved: what it read, its public data and its proof (its own
        transaction; DuplicateUserError if the user already has a pending session). Writing the block stores
        the proof as the block's proof of that session's node."""

        def write(db: sqlite3.Connection) -> None:
            self._require_no_pending(db, proven.user_id)
            db.execute(
                "INSERT INTO pending_proven (user_id, read_root, old_leaf, public_data, proof) VALUES (?, ?, ?, ?, ?)",
                (
                    proven.user_id,
                    encode_digest(proven.read_root),
                    encode_digest(proven.old_leaf),
                    json.dumps(public_data_to_json(proven.public_data)),
                    proven.proof,
                ),
            )

        self._transaction(write)

    def drop_pending(self, user_id: int) -> None:
        """Remove a user's submitted session (one that a crashed build left and that no longer applies)."""

        def write(db: sqlite3.Connection) -> None:
            db.execute("DELETE FROM pending_sessions WHERE user_id = ?", (user_id,))
            db.execute("DELETE FROM pending_proven WHERE user_id = ?", (user_id,))

        self._transaction(write)

    # ------------------------------------------------------------------ names

    def names(self) -> dict[str, int]:
        """The operator's names of user ids."""
        return {name: user_id for name, user_id in self._rows("SELECT name, user_id FROM names ORDER BY user_id")}

    def set_names(self, names: dict[str, int]) -> None:
        """Replace every name (one transaction); StorageError if two names share an id."""
        if len(set(names.values())) != len(names):
            raise StorageError("two names share a user id")

        def write(db: sqlite3.Connection) -> None:
            db.execute("DELETE FROM names")
            db.executemany("INSERT INTO names (name, user_id) VALUES (?, ?)", sorted(names.items()))

        self._transaction(write)
