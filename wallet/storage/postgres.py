"""``PgWalletStore``: the ``WalletStore`` interface on one PostgreSQL database shared by several processes.

The statements are ``sqlstore.SqlWalletStore``'s, shared with ``SqliteWalletStore``
(``pg_migrations.py`` keeps the two schema histories in step); this module gives them
``webbase.pg.PgDatabase`` and PostgreSQL's dialect (``string_agg``, ``= ANY(?)``,
``RETURNING``), and what a shared database needs:

* Uniqueness is the database's: two processes importing one credential at once both
  ``INSERT … ON CONFLICT DO NOTHING`` on ``credentials_once``; the one that finds the
  other's row reports a duplicate, never an error and never a second copy.
* A unique violation elsewhere (an account, an address) runs in a savepoint
  (``PgDatabase.transaction`` nests), so a ``Conflict`` leaves an outer transaction usable,
  exactly as a nested ``db.atomic()`` does on SQLite.
* ``job_claims`` holds session advisory locks on one pooled connection, so a background
  job (a status list's refresh) is taken by one process at a time; a process that dies
  drops its connection and with it its claims.
* ``shared_hit_store`` counts rate-limit hits in the database, for every process alike.

Text search is the shared ``LIKE`` on the lower-cased ``search`` column, which pg_trgm's
GIN index serves (the case-insensitive substring match FTS5's trigrams give on SQLite).

A transaction belongs to the calling thread (``webbase.pg``): code on the event loop must not
``await`` inside ``transaction()``, or another request's queries would join it. None does: the
wallet computes (verifies, signs) first and then writes in one synchronous block, as on SQLite.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg_pool import PoolTimeout

from webbase.dburl import DatabaseTarget
from webbase.pg import Connection, PgDatabase, PgHitStore, UniqueViolation, to_pyformat, wall_clock

from ..errors import WalletError
from .interface import JobClaims
from .pg_migrations import migrate
from .records import AccountRecord, CredentialRecord
from .sqlstore import INSERT_CREDENTIAL, INSERT_STATUS_URL, INSERT_TAG, Row, SqlWalletStore, Taken, credential_params

_INSERT_NEW_CREDENTIAL = INSERT_CREDENTIAL + " ON CONFLICT (account_id, content_hash) DO NOTHING RETURNING seq"

# Session advisory locks of job claims live in their own key space (the second argument of hashtextextended).
_CLAIM_SEED = 0x77A1


class PgWalletStore(SqlWalletStore):
    STATUS_URLS = "(SELECT string_agg(url, chr(10)) FROM credential_status_urls u WHERE u.credential_id = c.id)"
    SHARE_CREDENTIAL_IDS = ("(SELECT string_agg(credential_id, chr(10) ORDER BY position) FROM "
                            "share_credentials sc WHERE sc.share_id = s.id)")
    IDS_PER_STATEMENT = sys.maxsize  # one array parameter, whatever its length
    INTEGRITY_ERRORS = (psycopg.IntegrityError,)

    def __init__(self, url: str, *, pool_size: int = 8, connect_timeout: float = 15.0) -> None:
        where = DatabaseTarget("postgresql", url=url).describe()  # never the password
        try:
            self.db = PgDatabase(url, max_size=pool_size, name="satchel-wallet", timeout=connect_timeout)
        except (psycopg.Error, PoolTimeout) as exc:
            raise WalletError(f"cannot connect to the database {where}: {str(exc).strip()[:300]}",
                              code="database_unavailable") from None
        try:
            migrate(self.db)
        except BaseException:
            self.db.close()
            raise

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self.db.transaction():
            yield

    @contextmanager
    def job_claims(self) -> Iterator[JobClaims]:
        with self.db.pool.connection() as conn:
            claims = _AdvisoryClaims(conn)
            try:
                yield claims
            finally:
                if claims.held:
                    conn.execute("SELECT pg_advisory_unlock_all()")

    def shared_hit_store(self) -> PgHitStore:
        return PgHitStore(self.db)

    def forget_rate_hits(self, *, older_than_seconds: float) -> int:
        """Drop hits older than every limiter's window: keys that never come back leave nothing behind."""
        return PgHitStore(self.db).sweep(now=wall_clock(), older_than=older_than_seconds)

    # --- primitives and dialect ----------------------------------------------------------------

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return self.db.rows(sql, params)

    def _one(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        return self.db.one(sql, params)

    def _run(self, sql: str, params: Sequence[Any] = ()) -> int:
        return self.db.execute(sql, params)

    def _insert_id(self, sql: str, params: Sequence[Any]) -> int:
        row = self.db.one(sql + " RETURNING id", params)
        return int(row["id"]) if row else 0

    def _taken(self, exc: Exception, account: AccountRecord) -> Taken:
        """The words SQLite's message gives: the holder did when it is taken (SQLite reports that
        index first), else the email; the failed savepoint is gone, so the lookup may run."""
        if self.account_by_did(account.did) is not None:
            return "did"
        assert isinstance(exc, psycopg.IntegrityError)
        constraint = (exc.diag.constraint_name or "") if isinstance(exc, UniqueViolation) else ""
        if "login_email" in constraint or exc.diag.table_name == "emails":
            return "email"
        return None

    def _is_one_of(self, column: str, values: Sequence[Any]) -> tuple[str, list[Any]]:
        return f"{column} = ANY(?)", [list(values)]

    # --- credentials -----------------------------------------------------------------------------

    def add_credentials(self, records: Sequence[CredentialRecord]) -> tuple[list[str], list[str]]:
        """Insert new credentials; return (ids added, ids of those already held): one transaction.

        ``ON CONFLICT (account_id, content_hash) DO NOTHING`` waits for a concurrent insert of the
        same credential to commit, then inserts nothing; the row read next is the winner's, so the
        loser of a race answers "duplicate" with the id that is stored. The rows of a batch go in
        pipelined ``executemany`` calls (a round trip per table, not per row)."""
        if not records:
            return [], []
        with self.db.transaction() as conn:
            cursor = conn.cursor()
            cursor.executemany(to_pyformat(_INSERT_NEW_CREDENTIAL), [credential_params(record) for record in records],
                               returning=True)
            seqs: list[int | None] = []
            for _ in cursor.results():
                row = cursor.fetchone()
                seqs.append(int(row["seq"]) if row else None)
            inserted = [(record, seq) for record, seq in zip(records, seqs, strict=True) if seq is not None]
            tags = [[record.id, record.account_id, tag, seq] for record, seq in inserted
                    for tag in dict.fromkeys(record.tags)]
            if tags:
                cursor.executemany(to_pyformat(INSERT_TAG), tags)
            urls = [[record.id, url] for record, _ in inserted for url in dict.fromkeys(record.status_urls)]
            if urls:
                cursor.executemany(to_pyformat(INSERT_STATUS_URL), urls)
            held: dict[tuple[str, str], str] = {}
            missing = [record for record, seq in zip(records, seqs, strict=True) if seq is None]
            if missing:
                for row in conn.execute(
                        "SELECT c.id, c.account_id, c.content_hash FROM credentials c "
                        "JOIN unnest(%s::text[], %s::text[]) AS w(account_id, content_hash) "
                        "ON c.account_id = w.account_id AND c.content_hash = w.content_hash",
                        [[r.account_id for r in missing], [r.content_hash for r in missing]]).fetchall():
                    held[(row["account_id"], row["content_hash"])] = row["id"]
        added = [record.id for record, _ in inserted]
        duplicates = [held[(r.account_id, r.content_hash)] for r in missing if (r.account_id, r.content_hash) in held]
        return added, duplicates


class _AdvisoryClaims:
    """Session advisory locks on one held connection: ``claim`` never waits, it takes the job or not."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.held = False

    def claim(self, key: str) -> bool:
        row = self.conn.execute("SELECT pg_try_advisory_lock(hashtextextended(%s, %s)) AS ok",
                                [key, _CLAIM_SEED]).fetchone()
        taken = bool(row and row["ok"])
        self.held = self.held or taken
        return taken
