"""PostgreSQL plumbing both servers' stores use: a pool, nested transactions, locked migrations.

The stores' interfaces are synchronous (handlers call them on the loop thread for
small indexed queries, and from executor threads for batches), so this uses
psycopg 3's synchronous API with its connection pool: each thread borrows a
connection for one statement, or keeps one for the length of a transaction.

``transaction()`` binds a connection to the calling thread; every query the thread
makes inside it (however deep in the store) runs on that connection, and a nested
``transaction()`` becomes a savepoint, so "one transaction on SQLite" stays one
transaction here. SQL may be written with SQLite's ``?`` placeholders; they are
turned into psycopg's ``%s`` once per statement text, so a store can share
statements with its SQLite twin where the dialects agree.

``apply_migrations`` runs a server's versioned history under a transaction-scoped
advisory lock: two processes starting at once on one database apply each step once.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

Row = dict[str, Any]
Connection = psycopg.Connection[Row]

UniqueViolation = psycopg.errors.UniqueViolation
IntegrityError = psycopg.IntegrityError


@functools.lru_cache(maxsize=2048)
def to_pyformat(sql: str) -> str:
    """``?`` placeholders to ``%s`` (a literal ``%`` doubled); ``?`` inside quotes is left alone."""
    out: list[str] = []
    quote: str | None = None
    for char in sql:
        if quote is not None:
            out.append("%%" if char == "%" else char)
            if char == quote:
                quote = None
        elif char in ("'", '"'):
            quote = char
            out.append(char)
        elif char == "?":
            out.append("%s")
        elif char == "%":
            out.append("%%")
        else:
            out.append(char)
    return "".join(out)


class PgDatabase:
    """A pool of connections to one PostgreSQL database, with per-thread transactions."""

    def __init__(self, url: str, *, min_size: int = 1, max_size: int = 8, name: str = "satchel",
                 timeout: float = 30.0) -> None:
        self.url = url
        self.pool: ConnectionPool[Connection] = ConnectionPool(
            url, min_size=min_size, max_size=max_size, timeout=timeout, name=name, open=False,
            kwargs={"row_factory": dict_row, "autocommit": True}, connection_class=psycopg.Connection[Row])
        self.pool.open(wait=True, timeout=timeout)
        self._local = threading.local()

    def close(self) -> None:
        self.pool.close()

    # --- transactions ------------------------------------------------------------------------

    def in_transaction(self) -> bool:
        return getattr(self._local, "conn", None) is not None

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """One transaction for everything this thread does inside; nested calls are savepoints."""
        conn: Connection | None = getattr(self._local, "conn", None)
        if conn is not None:
            with conn.transaction():
                yield conn
            return
        with self.pool.connection() as conn:
            self._local.conn = conn
            try:
                with conn.transaction():
                    yield conn
            finally:
                self._local.conn = None

    @contextmanager
    def connection(self) -> Iterator[Connection]:
        """The thread's transaction connection, or a pooled autocommit one for a single statement."""
        conn: Connection | None = getattr(self._local, "conn", None)
        if conn is not None:
            yield conn
            return
        with self.pool.connection() as pooled:
            yield pooled

    # --- statements ----------------------------------------------------------------------------

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        with self.connection() as conn:
            return conn.execute(to_pyformat(sql), list(params)).fetchall()

    def one(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        with self.connection() as conn:
            return conn.execute(to_pyformat(sql), list(params)).fetchone()

    def value(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """The first column of the first row, or None."""
        row = self.one(sql, params)
        return None if row is None else next(iter(row.values()))

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one statement; return the number of rows it touched."""
        with self.connection() as conn:
            return conn.execute(to_pyformat(sql), list(params)).rowcount

    def script(self, sql: str) -> None:
        """Several statements (DDL) in one call, inside the current transaction if any."""
        with self.connection() as conn:
            conn.execute(sql)  # a literal script from the code, no parameters


# --- migrations ------------------------------------------------------------------------------

@dataclass(frozen=True)
class PgMigration:
    version: int
    name: str
    apply: Callable[[PgDatabase], None] | str   # a function, or a DDL script


def apply_migrations(db: PgDatabase, migrations: Sequence[PgMigration], *, lock_key: int,
                     table: str = "schema_migrations") -> int:
    """Bring the database up to the newest migration under an advisory lock; return its version.

    Everything runs in one transaction holding ``pg_advisory_xact_lock(lock_key)``: a second
    process waits, then finds the steps recorded and applies nothing. PostgreSQL's DDL is
    transactional, so a failed step leaves the database as it was. A database newer than
    this program is refused (running older code on it could lose data).
    """
    versions = [m.version for m in migrations]
    if versions != list(range(1, len(versions) + 1)):
        raise RuntimeError(f"migration versions must be 1, 2, 3 … without gaps or repeats, not {versions}")
    newest = versions[-1] if versions else 0
    with db.transaction() as conn:
        conn.execute("SELECT pg_advisory_xact_lock(%s)", [lock_key])
        conn.execute(f"CREATE TABLE IF NOT EXISTS {table} (version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
                     "applied_at TEXT NOT NULL)")
        row = conn.execute(f"SELECT COALESCE(MAX(version), 0) AS v FROM {table}").fetchone()
        current = int(row["v"]) if row else 0
        if current > newest:
            raise RuntimeError(f"the database is at schema version {current}, newer than this program's {newest}; "
                               "upgrade Satchel")
        for migration in migrations:
            if migration.version <= current:
                continue
            if isinstance(migration.apply, str):
                conn.execute(migration.apply)
            else:
                migration.apply(db)
            conn.execute(f"INSERT INTO {table} (version, name, applied_at) VALUES (%s, %s, %s)",
                         [migration.version, migration.name,
                          datetime.now(timezone.utc).isoformat(timespec="seconds")])
            current = migration.version
    return current


# --- rate limits shared by every process ---------------------------------------------------------

RATE_HITS_DDL = """
CREATE TABLE IF NOT EXISTS rate_limit_hits (
    key TEXT NOT NULL,
    at DOUBLE PRECISION NOT NULL
);
CREATE INDEX IF NOT EXISTS rate_limit_hits_key_at ON rate_limit_hits (key, at);
"""


class PgHitStore:
    """``webbase.ratelimit.HitStore`` in PostgreSQL: one limit for all processes on the database.

    The table (``RATE_HITS_DDL``) is part of each server's migration history. Each hit is one
    short transaction holding an advisory lock on the key's hash, so two processes counting
    the same key cannot both see room for one more.
    """

    def __init__(self, db: PgDatabase) -> None:
        self.db = db

    def record_hit(self, key: str, *, now: float, window: float, limit: int) -> float | None:
        with self.db.transaction() as conn:
            conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 7))", [key])
            conn.execute("DELETE FROM rate_limit_hits WHERE key = %s AND at <= %s", [key, now - window])
            row = conn.execute("SELECT count(*) AS n, min(at) AS oldest FROM rate_limit_hits WHERE key = %s",
                               [key]).fetchone()
            if row is not None and int(row["n"]) >= limit:
                return float(row["oldest"])
            conn.execute("INSERT INTO rate_limit_hits (key, at) VALUES (%s, %s)", [key, now])
        return None

    def forget(self, key: str) -> None:
        self.db.execute("DELETE FROM rate_limit_hits WHERE key = ?", [key])

    def sweep(self, *, now: float, older_than: float) -> int:
        """Drop hits older than any window (background housekeeping)."""
        return self.db.execute("DELETE FROM rate_limit_hits WHERE at <= ?", [now - older_than])


def wall_clock() -> float:
    """Seconds since the epoch: the clock processes share (monotonic clocks are per process)."""
    return time.time()
