"""``SqliteWalletStore``: the ``WalletStore`` interface on one SQLite file (sqlite-utils, WAL).

The statements are ``sqlstore.SqlWalletStore``'s (shared with PostgreSQL); this module
gives them a connection, transactions and SQLite's dialect: ``group_concat``, ``IN (…)``
lists, text search through the FTS5 trigram index, and ``lastrowid``.

One connection per store, used from one thread (the server's event loop); the
queries are small and indexed, and CPU-heavy work (verifying, signing) runs
elsewhere, so the loop is never held for long. Multi-row changes go through
``db.atomic()``; nested ones become savepoints of the outer transaction.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from .interface import JobClaims
from .migrations import apply_migrations
from .records import AccountRecord, CredentialRecord
from .sqlstore import INSERT_CREDENTIAL, INSERT_STATUS_URL, INSERT_TAG, Row, SqlWalletStore, Taken, credential_params


class SqliteWalletStore(SqlWalletStore):
    STATUS_URLS = ("(SELECT group_concat(url, char(10)) FROM credential_status_urls u "
                   "WHERE u.credential_id = c.id)")
    # group_concat keeps the order of its input rows: the subquery gives them by position.
    SHARE_CREDENTIAL_IDS = ("(SELECT group_concat(credential_id, char(10)) FROM "
                            "(SELECT credential_id FROM share_credentials sc WHERE sc.share_id = s.id ORDER BY position))")
    IDS_PER_STATEMENT = 500
    INTEGRITY_ERRORS = (sqlite3.IntegrityError,)

    def __init__(self, path: Path | str) -> None:
        self.db = Database(str(path))
        self.db.enable_wal()
        self.db.execute("PRAGMA foreign_keys = ON")
        self.db.execute("PRAGMA busy_timeout = 5000")
        apply_migrations(self.db)

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self.db.atomic():
            yield

    @contextmanager
    def job_claims(self) -> Iterator[JobClaims]:
        """One process serves a SQLite file: every job is its own."""
        yield _EveryJob()

    def shared_hit_store(self) -> None:
        return None

    def forget_rate_hits(self, *, older_than_seconds: float) -> int:
        return 0  # the limiters of a SQLite wallet count in memory

    # --- primitives and dialect ----------------------------------------------------------------

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return list(self.db.query(sql, list(params)))

    def _run(self, sql: str, params: Sequence[Any] = ()) -> int:
        return self.db.execute(sql, list(params)).rowcount

    def _insert_id(self, sql: str, params: Sequence[Any]) -> int:
        return int(self.db.execute(sql, list(params)).lastrowid or 0)

    def _taken(self, exc: Exception, account: AccountRecord) -> Taken:
        """SQLite names the index that refused the row in its message."""
        message = str(exc)
        if "login_email" in message or "emails" in message:
            return "email"
        if "did" in message:
            return "did"
        return None

    def _text_match(self, text: str) -> tuple[str, Any]:
        if len(text) < 3:
            return super()._text_match(text)
        # The trigram tokenizer matches any substring of three characters or more.
        phrase = '"' + text.replace('"', '""') + '"'
        return "c.seq IN (SELECT rowid FROM credentials_fts WHERE credentials_fts MATCH ?)", phrase

    # --- credentials -----------------------------------------------------------------------------

    def add_credentials(self, records: Sequence[CredentialRecord]) -> tuple[list[str], list[str]]:
        """Insert new credentials; return (ids added, ids of those already held): one transaction.

        One process writes a SQLite file, so a lookup before each insert cannot be overtaken."""
        added: list[str] = []
        duplicates: list[str] = []
        with self.db.atomic():
            for record in records:
                existing = self._one("SELECT id FROM credentials WHERE account_id = ? AND content_hash = ?",
                                     [record.account_id, record.content_hash])
                if existing is not None:
                    duplicates.append(existing["id"])
                    continue
                seq = self._insert_id(INSERT_CREDENTIAL, credential_params(record))
                for tag in dict.fromkeys(record.tags):
                    self._run(INSERT_TAG, [record.id, record.account_id, tag, seq])
                for url in dict.fromkeys(record.status_urls):
                    self._run(INSERT_STATUS_URL, [record.id, url])
                added.append(record.id)
        return added, duplicates


class _EveryJob:
    def claim(self, key: str) -> bool:
        return True
