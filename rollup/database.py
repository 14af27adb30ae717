"""A SQLite database that defends itself: opened only as asked, checked, retried, and failing clearly.

* Opening never creates anything unless asked (``create``): a missing file is
  a StorageError and an existing file with no tables (e.g. truncated to zero
  bytes) an EmptyDatabaseError; a created file is owner-only (0600; SQLite
  gives its journal the same mode). The schema is then checked and upgraded
  (:mod:`rollup.storage_schema`), then the subclass checks its contents.
* A statement that meets a lock held by another process waits up to the busy
  timeout; a statement or write transaction is tried ``busy_attempts`` times
  in all, so the wait is bounded.
* A write transaction is committed whole or rolled back; a failure inside it
  (full disk, read-only file, held lock, damage) raises one StorageError
  naming the cause, never the "cannot rollback" of a second failure.
* Stored values are decoded through :meth:`Database._decoded`, so damage is a
  StorageError naming what is damaged, never a Python error.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import urllib.parse
from collections.abc import Callable, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, Self, TypeVar

from rollup.errors import DatabaseBusyError, EmptyDatabaseError, RollupError, StorageError
from rollup.fault_injection import write_point
from rollup.files import FILE_MODE, FileWriteError, describe_os_error, make_private_directory
from rollup.params import DATABASE_BUSY_ATTEMPTS, DATABASE_BUSY_TIMEOUT_SECONDS, SCHEMA_VERSION
from rollup.storage_schema import check_tables, create_schema, schema_version, storage_failure, upgrade_schema

T = TypeVar("T")


def _create_private_file(path: Path) -> None:
    """Create an empty owner-only file (SQLite gives its journal the same mode)."""
    make_private_directory(path.parent)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
    except OSError as exc:
        raise FileWriteError(f"cannot create {path}: {describe_os_error(exc)}") from exc


def _disk_full() -> sqlite3.Error:
    """The error SQLite raises when the disk is full (what the fault-injection hook raises for one)."""
    error = sqlite3.OperationalError("database or disk is full")
    error.sqlite_errorcode = sqlite3.SQLITE_FULL
    return error


class Database:
    """One SQLite connection (a file, or ``":memory:"``) that fails clearly (see the module docstring).

    Subclasses check their contents after the schema by overriding :meth:`_check_contents`.
    """

    def __init__(self, connection: sqlite3.Connection, location: str, busy_attempts: int) -> None:
        """Wrap an open connection (use :meth:`open`, which checks the schema)."""
        self._db = connection
        self.location = location
        self._busy_attempts = busy_attempts

    @classmethod
    def open(
        cls,
        path: Path | str,
        *,
        create: bool = True,
        busy_timeout: float = DATABASE_BUSY_TIMEOUT_SECONDS,
        busy_attempts: int = DATABASE_BUSY_ATTEMPTS,
    ) -> Self:
        """Open the database at ``path`` and check its schema and contents.

        With ``create`` a missing or table-less file is initialised; without it, a missing file is a
        StorageError and a table-less one an EmptyDatabaseError, and nothing is created.
        SchemaVersionError for an unknown schema version.
        """
        location = str(path)
        try:
            if location == ":memory:":
                connection = sqlite3.connect(location, isolation_level=None)
            else:
                file = Path(location)
                if not file.exists():
                    if not create:
                        raise StorageError(f"no chain database {file}")
                    _create_private_file(file)
                uri = f"file:{urllib.parse.quote(str(file.absolute()))}?mode=rw"
                connection = sqlite3.connect(uri, uri=True, isolation_level=None, timeout=busy_timeout)
        except sqlite3.Error as exc:
            raise storage_failure(exc, location) from exc
        database = cls(connection, location, busy_attempts)
        try:
            database._db.execute("PRAGMA foreign_keys = ON")
            database._prepare_schema(create)
            database._check_contents()
        except sqlite3.Error as exc:
            connection.close()
            raise storage_failure(exc, location) from exc
        except BaseException:
            connection.close()
            raise
        return database

    def close(self) -> None:
        """Close the connection."""
        self._db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # ------------------------------------------------------------ statements

    def _retrying(self, action: Callable[[], T]) -> T:
        """Run ``action``, again while it meets a held lock (at most ``busy_attempts`` times in all);
        any SQLite failure becomes one StorageError."""
        for attempt in range(1, self._busy_attempts + 1):
            try:
                return action()
            except sqlite3.Error as exc:
                failure = storage_failure(exc, self.location)
                if not isinstance(failure, DatabaseBusyError) or attempt == self._busy_attempts:
                    raise failure from exc
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _rows(self, sql: str, parameters: Sequence[Any] = ()) -> list[Any]:
        """Every row of a query."""
        return self._retrying(lambda: self._db.execute(sql, parameters).fetchall())

    def _transaction(self, body: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``body`` in one write transaction: committed whole, or rolled back and not at all."""

        def attempt() -> T:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                result = body(self._db)
                write_point(f"commit to {self.location}", _disk_full)
                self._db.execute("COMMIT")
            except BaseException:
                if self._db.in_transaction:
                    # SQLite may already have rolled back (e.g. on a full disk); if this fails too, the
                    # journal restores the file on the next open. The original failure is what to report.
                    with contextlib.suppress(sqlite3.Error):
                        self._db.execute("ROLLBACK")
                raise
            return result

        return self._retrying(attempt)

    def _decoded(self, what: str, decode: Callable[[Any], T], stored: Any) -> T:
        """``decode(stored)``, with a failure to decode stored data reported as a StorageError naming ``what``."""
        try:
            return decode(stored)
        except StorageError:
            raise
        except (RollupError, ValueError, TypeError, KeyError, IndexError, RecursionError) as exc:
            raise StorageError(
                f"{self.location} holds undecodable data ({what}: {exc}): restore it from a backup"
            ) from exc

    # ---------------------------------------------------------------- schema

    def _prepare_schema(self, create: bool) -> None:
        if not self._rows("SELECT name FROM sqlite_master WHERE type = 'table'"):
            if not create:
                size = Path(self.location).stat().st_size if self.location != ":memory:" else 0
                raise EmptyDatabaseError(f"{self.location} holds no chain ({size} bytes, no tables)")
            self._transaction(create_schema)
            return
        version = schema_version(self._db, self.location)
        if version != SCHEMA_VERSION:
            self._transaction(lambda db: upgrade_schema(db, version))
        check_tables(self._db, self.location)

    def _check_contents(self) -> None:
        """Check what the tables hold (StorageError on an inconsistency); nothing to check here."""
