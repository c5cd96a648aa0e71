"""The SQLite implementation of ``IssuerStore`` (sqlite-utils, WAL, foreign keys, versioned migrations).

The statements themselves are shared with PostgreSQL (``sqlstore.SqlIssuerStore``);
this module gives them connections, transactions and SQLite's dialect words.

One connection per thread: the event loop's thread reads on its own connection
while an executor thread holds a write transaction (WAL lets readers and one
writer proceed together), and other processes on the same file (the CLI while
the node serves) wait for the write lock up to ``BUSY_TIMEOUT_MS``. Writes
begin with ``BEGIN IMMEDIATE``, so a transaction that reads and then writes
(status index allocation) can never be overtaken between its read and its write.
"""

from __future__ import annotations

import secrets
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

from sqlite_utils import Database

from .migrations import apply_migrations, current_version
from .sqlaccess import Row
from .sqlstore import SqlIssuerStore

BUSY_TIMEOUT_MS = 30_000


class SqliteIssuerStore(SqlIssuerStore):
    """``IssuerStore`` on one SQLite file. Safe to share between the loop thread and executor threads."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        db = self._db()
        db.enable_wal()
        apply_migrations(db.conn)

    # --- connections and transactions ------------------------------------------------------------

    def _db(self) -> Database:
        db: Database | None = getattr(self._local, "db", None)
        if db is None:
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False,
                                   timeout=BUSY_TIMEOUT_MS / 1000)
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            conn.execute("PRAGMA synchronous = NORMAL")  # Safe in WAL mode; a crash loses no committed data.
            db = Database(conn, execute_plugins=False)
            self._local.db = db
            with self._lock:
                self._all.append(conn)
        return db

    @property
    def _conn(self) -> sqlite3.Connection:
        return self._db().conn

    @contextmanager
    def atomic(self) -> Iterator[None]:
        conn = self._conn
        if conn.in_transaction:
            name = f"sp_{secrets.token_hex(8)}"
            conn.execute(f"SAVEPOINT {name}")
            try:
                yield
            except BaseException:
                if conn.in_transaction:
                    conn.execute(f"ROLLBACK TO SAVEPOINT {name}")
                    conn.execute(f"RELEASE SAVEPOINT {name}")
                raise
            else:
                conn.execute(f"RELEASE SAVEPOINT {name}")
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        else:
            try:
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise

    def close(self) -> None:
        with self._lock:
            for conn in self._all:
                conn.close()
            self._all.clear()
        self._local = threading.local()

    def schema_version(self) -> int:
        return current_version(self._conn)

    def _one(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Row | None:
        cursor = self._conn.execute(sql, params)
        cursor.row_factory = sqlite3.Row
        return cast("sqlite3.Row | None", cursor.fetchone())

    def _all_rows(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        cursor = self._conn.execute(sql, params)
        cursor.row_factory = sqlite3.Row
        return list(cursor.fetchall())

    def _run(self, sql: str, params: Sequence[Any] = ()) -> int:
        return self._conn.execute(sql, params).rowcount

    def _run_many(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        self._conn.executemany(sql, rows)

    def _insert_id(self, sql: str, params: Sequence[Any]) -> int:
        return int(self._conn.execute(sql, params).lastrowid or 0)

