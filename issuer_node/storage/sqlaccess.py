"""What the issuer store's shared SQL asks of a backend: a handful of statement primitives and dialect words.

The store families (``sqlstore``, ``awards``, ``applications``, ``bulk``) are
written once, in the SQL that SQLite and PostgreSQL agree on, with ``?``
placeholders; ``SqliteIssuerStore`` and ``PgIssuerStore`` provide the primitives
below and the few words where the dialects differ. Where a statement needs a
feature one backend lacks, the family calls a hook instead of branching on the
backend.

Concurrency: on SQLite every write transaction begins with ``BEGIN IMMEDIATE``,
so writers are serialized and a read-then-write inside ``atomic()`` cannot be
overtaken. PostgreSQL runs transactions side by side (READ COMMITTED); a family
that reads and then writes on what it read takes a lock first: ``FOR_UPDATE``
on the rows (status index allocation locks its list, ``SKIP LOCKED`` passing
over lists other transactions hold), or ``_serialize(name)`` (a
transaction-scoped advisory lock) for "only one of us at a time" sections such
as a bulk job's batch.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol


class Row(Protocol):
    """A result row, read by column name (``sqlite3.Row`` and psycopg's dict rows both are)."""

    def __getitem__(self, key: str, /) -> Any: ...


class SqlAccess:
    """The primitives and dialect words a backend gives the shared store code."""

    # A case-insensitive LIKE (SQLite's LIKE already is for ASCII; PostgreSQL says ILIKE).
    LIKE = "LIKE"
    # Appended to a SELECT that is followed by an UPDATE of the rows it read (PostgreSQL: row locks).
    FOR_UPDATE = ""
    # Appended to the SELECT of a claim: rows another process is claiming right now are passed over.
    SKIP_LOCKED = ""
    # The users.email match (SQLite's column is COLLATE NOCASE; PostgreSQL compares lower-cased).
    EMAIL_MATCH = "email = ?"
    # How many status lists of one purpose may be open at once for allocators running side by side.
    PARALLEL_LISTS = 1
    # The column giving status allocations in the order they were made.
    ALLOCATION_ORDER = "rowid"

    def atomic(self) -> AbstractContextManager[None]:  # pragma: no cover - provided by the backend
        raise NotImplementedError

    def _write(self) -> AbstractContextManager[None]:
        """The transaction of one store method: its own, or the caller's ``atomic()`` when one is open.

        SQLite makes it a savepoint (free: in-process). PostgreSQL joins the open
        transaction instead (a savepoint there costs two round trips per method, and a
        failed statement aborts the transaction up to the caller's savepoint anyway),
        so a store method's failure rolls back to the caller's nearest ``atomic()``.
        """
        return self.atomic()

    def _one(self, sql: str, params: Sequence[Any] = ()) -> Row | None:  # pragma: no cover
        raise NotImplementedError

    def _all_rows(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:  # pragma: no cover
        raise NotImplementedError

    def _run(self, sql: str, params: Sequence[Any] = ()) -> int:  # pragma: no cover
        """Run one statement; the number of rows it changed."""
        raise NotImplementedError

    def _run_many(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:  # pragma: no cover
        raise NotImplementedError

    def _insert_id(self, sql: str, params: Sequence[Any]) -> int:  # pragma: no cover
        """Insert one row into a table whose ``id`` the database assigns; return that id."""
        raise NotImplementedError

    def _serialize(self, name: str) -> None:
        """Inside ``atomic()``: wait until no other transaction holds ``name``, then hold it until commit.

        Nothing to do on SQLite, whose ``BEGIN IMMEDIATE`` already lets one writer in at a time.
        """

    def _value(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """The column ``n`` of the first row (write ``SELECT count(*) AS n …``), or None."""
        row = self._one(sql, params)
        return None if row is None else row["n"]


class StoreConflict(Exception):
    """A write lost a race the database settled (another process got there first); the transaction rolls back."""
