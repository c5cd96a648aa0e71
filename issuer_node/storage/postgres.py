"""The PostgreSQL implementation of ``IssuerStore``: several node processes on one shared database.

The statements are ``sqlstore``'s and the families' (shared with SQLite); this
module gives them ``webbase.pg.PgDatabase`` (a psycopg 3 pool, one transaction
per thread, nested ``atomic()`` blocks as savepoints) and PostgreSQL's words.

What SQLite gets from ``BEGIN IMMEDIATE`` (one writer at a time), this store
gets where it matters from locks: status index allocation locks the list it
allocates in (``FOR UPDATE SKIP LOCKED``: a transaction finding every open list
taken opens another, up to ``PARALLEL_LISTS`` per purpose, so issuers in
several processes sign side by side), a status bit change locks its list's
row, a bulk batch holds its job's advisory lock, and outbox claims pass over
rows another process is claiming (``SKIP LOCKED`` again). Everything else is a single conditional
statement (``UPDATE … WHERE redeemed_at IS NULL``, ``INSERT … ON CONFLICT``),
which PostgreSQL already settles between racing processes. Uniqueness that
protects users is in the schema: ``(list_key, idx)`` is a primary key.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from webbase.pg import PgDatabase, PgHitStore, to_pyformat
from webbase.ratelimit import HitStore

from . import pg_migrations
from .sqlaccess import Row
from .sqlstore import SqlIssuerStore


class _SweepingHitStore(PgHitStore):
    """The shared limiter counts, with old hits dropped now and then by whichever process is counting.

    A key that is never hit again (one address trying once) would otherwise keep
    its row for ever; the node has no background task that could sweep them.
    """

    KEEP_SECONDS = 86_400.0   # Longer than any limiter's window.
    EVERY_SECONDS = 3_600.0

    def __init__(self, db: PgDatabase) -> None:
        super().__init__(db)
        self._next_sweep = 0.0

    def record_hit(self, key: str, *, now: float, window: float, limit: int) -> float | None:
        if now >= self._next_sweep:
            self._next_sweep = now + self.EVERY_SECONDS
            self.sweep(now=now, older_than=max(self.KEEP_SECONDS, window))
        return super().record_hit(key, now=now, window=window, limit=limit)


class PgIssuerStore(SqlIssuerStore):
    """``IssuerStore`` on a PostgreSQL database; safe for many threads and many processes."""

    LIKE = "ILIKE"
    FOR_UPDATE = " FOR UPDATE"
    SKIP_LOCKED = " FOR UPDATE SKIP LOCKED"
    EMAIL_MATCH = "lower(email) = lower(?)"
    ALLOCATION_ORDER = "seq"
    PARALLEL_LISTS = 4

    def __init__(self, url: str, *, pool_size: int = 8) -> None:
        self.url = url
        self.db = PgDatabase(url, max_size=pool_size, name="satchel-issuer")
        try:
            pg_migrations.apply(self.db)
        except BaseException:
            self.db.close()
            raise
        self._hits = _SweepingHitStore(self.db)

    @contextmanager
    def atomic(self) -> Iterator[None]:
        with self.db.transaction():
            yield

    @contextmanager
    def _write(self) -> Iterator[None]:
        if self.db.in_transaction():
            yield
            return
        with self.db.transaction():
            yield

    def close(self) -> None:
        self.db.close()

    def shared_hit_store(self) -> HitStore | None:
        return self._hits

    # --- primitives ----------------------------------------------------------------------------------

    def _one(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        return self.db.one(sql, params)

    def _all_rows(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return list(self.db.rows(sql, params))

    def _run(self, sql: str, params: Sequence[Any] = ()) -> int:
        return self.db.execute(sql, params)

    def _run_many(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        batch = [list(r) for r in rows]
        if not batch:
            return
        if len(batch) == 1:  # One round trip (executemany pipelines, which costs a sync more for one row).
            self.db.execute(sql, batch[0])
            return
        with self.db.connection() as conn, conn.cursor() as cursor:
            cursor.executemany(to_pyformat(sql), batch)

    def _insert_id(self, sql: str, params: Sequence[Any]) -> int:
        row = self.db.one(f"{sql} RETURNING id", params)
        assert row is not None
        return int(row["id"])

    def _serialize(self, name: str) -> None:
        if not self.db.in_transaction():
            raise RuntimeError("_serialize needs a transaction (call it inside atomic())")
        self.db.execute("SELECT pg_advisory_xact_lock(hashtextextended(?, 0))", [name])
