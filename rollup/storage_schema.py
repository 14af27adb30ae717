"""The chain database's schema: its tables, how an existing file is checked and upgraded, and how
SQLite failures become one clear :class:`StorageError`.

Schema version 2 adds two tables to version 1:

* ``chain_head(singleton, block)``: the number of the latest finalized block,
  written in the same transaction as the block, so a block row deleted behind
  the chain's back (which would silently roll the chain back) is detected;
* ``names(name, user_id)``: the operator's names of user ids, which lived in
  ``users.json`` beside the database in version 1.

Schema version 3 numbers blocks from 1 (height 0 is the genesis state, as
chain proofs require; ``verifier.chain.GENESIS_HEIGHT``) and adds
``chain_proofs(block, proof)``, the chain proof of each height.

An older database is upgraded in place, in one transaction, when it is opened
(:func:`upgrade_schema`): from version 1 the head is its latest block; from
version 1 or 2 every block reference moves up by one, and stored proofs are
dropped, because each states its block's old number (``rollup block prove``
makes them again).

Schema version 4 adds two columns:

* ``outbox_records.address``: the recipient's address (key digest) that a
  transfer names since transfers are addressed by key;
* ``pending_sessions.proof``: the proof of a pending session its user proved
  (NULL for a session the operator proves itself).

A database holding transfers made before version 4 cannot be upgraded: those
records name no address, and the outbox digests they are in differ.

Schema version 5 changes no table but what two of them hold: a user's leaf is
H(outbox root, opaque digest) (``rollup.state``), so every stored leaf and
global-tree node changes, and a block's ``public_data`` is a list of
``rollup.public_data_json`` objects (new leaf parts and outbox appends) instead
of ``[user id, deposit, new leaf]`` lists. A database holding a block written
before version 5 cannot be upgraded: its leaves cannot be recomputed without
the users' keys, so it is refused (start a new chain).

Schema version 6 keeps users who prove their own sessions as public data
only: ``public_users(user_id, block, opaque_digest)`` (no balance, nonce or
claimed set; their outboxes stay in ``outbox_records`` and ``tree_nodes``),
and ``pending_proven(user_id, read_root, old_leaf, public_data, proof)`` for
admitted sessions their users proved; ``pending_sessions.proof`` goes, and
``block_sessions`` holds only the sessions the operator executed. A version-5
database is upgraded in place (:func:`_keep_only_public_data_of_own_proofs`).
"""

from __future__ import annotations

import functools
import sqlite3

from rollup.errors import DatabaseBusyError, SchemaVersionError, StorageEnvironmentError, StorageError
from rollup.params import SCHEMA_VERSION
from verifier.chain import GENESIS_HEIGHT

_TABLES_V1 = """
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

_TABLES_ADDED_IN_V2 = """
CREATE TABLE chain_head (singleton INTEGER PRIMARY KEY CHECK (singleton = 0), block INTEGER NOT NULL);
CREATE TABLE names (name TEXT PRIMARY KEY, user_id INTEGER NOT NULL UNIQUE);
"""

_COLUMNS_ADDED_IN_V4 = {
    ("outbox_records", "address"): "ALTER TABLE outbox_records ADD COLUMN address BLOB NOT NULL DEFAULT X''",
}
"""(Version 4 also added ``pending_sessions.proof``, which version 6 drops again.)"""

_TABLES_ADDED_IN_V6 = """
CREATE TABLE public_users (
    user_id INTEGER NOT NULL,
    block INTEGER NOT NULL REFERENCES blocks(number),
    opaque_digest BLOB NOT NULL,
    PRIMARY KEY (user_id, block)
);
CREATE TABLE pending_proven (
    user_id INTEGER PRIMARY KEY,
    read_root BLOB NOT NULL,
    old_leaf BLOB NOT NULL,
    public_data TEXT NOT NULL,
    proof BLOB NOT NULL
);
"""


def _statements(script: str) -> list[str]:
    return [s for s in (part.strip() for part in script.split(";")) if s]


_TABLES_ADDED_IN_V3 = """
CREATE TABLE chain_proofs (block INTEGER PRIMARY KEY REFERENCES blocks(number), proof BLOB NOT NULL);
"""

_BLOCK_REFERENCES = (
    ("blocks", "number"),
    ("block_sessions", "block"),
    ("accounts", "block"),
    ("outbox_records", "block"),
    ("tree_nodes", "block"),
    ("chain_head", "block"),
)
"""Every column holding a block number (version 2; ``public_users.block`` is added in version 6)."""


def create_schema(db: sqlite3.Connection) -> None:
    """Create every table of the current version in an empty database (inside the caller's transaction)."""
    for statement in [
        *_statements(_TABLES_V1 + _TABLES_ADDED_IN_V2 + _TABLES_ADDED_IN_V3),
        *_COLUMNS_ADDED_IN_V4.values(),
        *_statements(_TABLES_ADDED_IN_V6),
    ]:
        db.execute(statement)
    db.execute("INSERT INTO schema_version (version) VALUES (?)", (SCHEMA_VERSION,))
    db.execute("INSERT INTO chain_head (singleton, block) VALUES (0, ?)", (GENESIS_HEIGHT,))


def _number_blocks_from_1(db: sqlite3.Connection) -> None:
    """Version 2 -> 3: every block number + 1 (through negatives, so no key collides on the way); the
    stored proofs state the old numbers, so they go."""
    db.execute("PRAGMA defer_foreign_keys = ON")
    db.execute("DELETE FROM proofs")
    for table, column in _BLOCK_REFERENCES:
        db.execute(f"UPDATE {table} SET {column} = -({column} + 1)")
        db.execute(f"UPDATE {table} SET {column} = -{column}")


def upgrade_schema(db: sqlite3.Connection, version: int) -> None:
    """Upgrade a database of an older known ``version`` to the current one (inside the caller's transaction)."""
    if version == 1:
        for statement in _statements(_TABLES_ADDED_IN_V2):
            db.execute(statement)
        db.execute("INSERT INTO chain_head (singleton, block) SELECT 0, COALESCE(MAX(number), -1) FROM blocks")
    if version <= 2:
        _number_blocks_from_1(db)
        for statement in _statements(_TABLES_ADDED_IN_V3):
            db.execute(statement)
    columns = table_columns(db)
    missing = [(table, column) for table, column in _COLUMNS_ADDED_IN_V4 if column not in columns.get(table, ())]
    if ("outbox_records", "address") in missing and db.execute("SELECT 1 FROM outbox_records LIMIT 1").fetchone():
        raise SchemaVersionError(
            f"the database has schema version {version} and holds transfers, which name no recipient address; "
            f"version {SCHEMA_VERSION} cannot read them (start a new chain)"
        )
    for key in missing:
        db.execute(_COLUMNS_ADDED_IN_V4[key])
    if _holds_blocks_of_the_old_leaf_layout(db):
        raise SchemaVersionError(
            f"the database has schema version {version} and holds blocks of the leaf layout before version 5 "
            f"(leaf = H(key, state root)); version {SCHEMA_VERSION} cannot read them (start a new chain)"
        )
    _keep_only_public_data_of_own_proofs(db, columns)
    for statement in _statements(_TABLES_ADDED_IN_V6):
        db.execute(statement)
    db.execute("UPDATE schema_version SET version = ?", (SCHEMA_VERSION,))


def _keep_only_public_data_of_own_proofs(db: sqlite3.Connection, columns: dict[str, tuple[str, ...]]) -> None:
    """Version 5 -> 6: the operator no longer keeps the operations of sessions their users proved.

    Such a session of a finalized block (stored with its user's key digest instead of a secret) is removed
    from ``block_sessions``: the block's public data and the user's stored proof stand for it. One still
    pending is dropped (its user's wallet sees that the next block does not include it, and proves again:
    a version-5 file carried the operations, not the public data). The user keeps the full account the
    version-5 operator computed until its next session its user proves makes it public.
    """
    db.execute("DELETE FROM block_sessions WHERE json_extract(session, '$.key_digest') IS NOT NULL")
    if "proof" in columns.get("pending_sessions", ()):
        db.execute("DELETE FROM pending_sessions WHERE proof IS NOT NULL")
        db.execute("ALTER TABLE pending_sessions DROP COLUMN proof")


def _holds_blocks_of_the_old_leaf_layout(db: sqlite3.Connection) -> bool:
    """True when a block's public data is a list of [user id, deposit, new leaf] lists (before version 5)."""
    return db.execute("SELECT 1 FROM blocks WHERE public_data LIKE '[[%' LIMIT 1").fetchone() is not None


UPGRADABLE_VERSIONS = frozenset({1, 2, 3, 4, 5})


@functools.cache
def expected_columns() -> dict[str, tuple[str, ...]]:
    """Every table of the current schema and its columns, read from a scratch in-memory database."""
    scratch = sqlite3.connect(":memory:")
    try:
        create_schema(scratch)
        return table_columns(scratch)
    finally:
        scratch.close()


def table_columns(db: sqlite3.Connection) -> dict[str, tuple[str, ...]]:
    """The tables of ``db`` and their column names."""
    names = [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    return {name: tuple(row[1] for row in db.execute(f"PRAGMA table_info({name!r})")) for name in names}


def schema_version(db: sqlite3.Connection, location: str) -> int:
    """The stored schema version; StorageError when the file is not a chain database,
    SchemaVersionError when the version is unknown."""
    tables = table_columns(db)
    if "schema_version" not in tables:
        raise StorageError(f"{location} is not a rollup chain database (no schema_version table)")
    versions = [row[0] for row in db.execute("SELECT version FROM schema_version")]
    if len(versions) != 1 or versions[0] not in UPGRADABLE_VERSIONS | {SCHEMA_VERSION}:
        raise SchemaVersionError(
            f"{location} has schema version {versions}; this code reads version {SCHEMA_VERSION} only"
        )
    return int(versions[0])


def check_tables(db: sqlite3.Connection, location: str) -> None:
    """StorageError naming every table that is missing or has other columns than the current schema."""
    present = table_columns(db)
    problems = [
        f"table {name} is missing" if name not in present else f"table {name} has columns {present[name]}"
        for name, columns in expected_columns().items()
        if present.get(name) != columns
    ]
    if problems:
        raise StorageError(f"{location} is damaged ({'; '.join(problems)}): restore it from a backup")


_BUSY = (
    DatabaseBusyError,
    "{location} is locked by another process; try again when it has finished (nothing was changed)",
)
_UNUSABLE = (StorageError, "{location} is not a usable SQLite database ({exc}): restore it from a backup")
_FAILURES: dict[int, tuple[type[StorageError], str]] = {
    sqlite3.SQLITE_BUSY: _BUSY,
    sqlite3.SQLITE_LOCKED: _BUSY,
    sqlite3.SQLITE_FULL: (
        StorageEnvironmentError,
        "{location}: the disk is full; free some space and run the command again (nothing was changed)",
    ),
    sqlite3.SQLITE_READONLY: (
        StorageEnvironmentError,
        "{location} cannot be written: the file or its directory is read-only (check the permissions)",
    ),
    sqlite3.SQLITE_CANTOPEN: (
        StorageEnvironmentError,
        "cannot open {location}: check that it and its directory exist and that you may read and write them",
    ),
    sqlite3.SQLITE_IOERR: (
        StorageEnvironmentError,
        "{location}: input/output error ({exc}); check the disk (nothing was changed)",
    ),
    sqlite3.SQLITE_CORRUPT: _UNUSABLE,
    sqlite3.SQLITE_NOTADB: _UNUSABLE,
}
"""SQLite primary error code -> the error reported and its message (``{location}``, ``{exc}`` filled in)."""
_OTHER_FAILURE = (StorageError, "{location}: database error: {exc}")


def storage_failure(exc: sqlite3.Error, location: str) -> StorageError:
    """One clear StorageError for a SQLite failure, by its primary error code (``_FAILURES``; the caller
    raises it)."""
    code = getattr(exc, "sqlite_errorcode", None)
    error, message = _OTHER_FAILURE if code is None else _FAILURES.get(code & 0xFF, _OTHER_FAILURE)
    return error(message.format(location=location, exc=exc))
