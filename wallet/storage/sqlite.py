"""``SqliteWalletStore``: the ``WalletStore`` interface on one SQLite file (sqlite-utils, WAL).

One connection per store, used from one thread (the server's event loop); the
queries are small and indexed, and CPU-heavy work (verifying, signing) runs
elsewhere, so the loop is never held for long. Multi-row changes go through
``db.atomic()``; nested ones become savepoints of the outer transaction.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from ..errors import Conflict
from .interface import CredentialPage, CredentialQuery, JobClaims
from .migrations import apply_migrations
from .records import AccountRecord, CredentialRecord, EmailRecord, OutboxMessage, ShareRecord, StatusListRecord
from .rows import account_row as _account
from .rows import credential_row as _credential
from .rows import email_row as _email
from .rows import like_escape as _like_escape
from .rows import search_text as _search_text
from .rows import share_row as _share

_MAX_PAGE = 200


class SqliteWalletStore:
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

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        return list(self.db.query(sql, list(params)))

    def _one(self, sql: str, params: Sequence[Any] = ()) -> dict[str, Any] | None:
        rows = self._rows(sql, params)
        return rows[0] if rows else None

    # -- accounts, tokens, emails ------------------------------------------------------------

    def create_account(self, account: AccountRecord, first_email: EmailRecord) -> None:
        try:
            with self.db.atomic():
                self.db.execute(
                    "INSERT INTO accounts (id, login_email, password_hash, did, holder_key_sealed, created_at) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    [account.id, account.login_email, account.password_hash, account.did, account.holder_key_sealed,
                     account.created_at])
                self._insert_email(first_email)
        except sqlite3.IntegrityError as exc:
            raise Conflict(_conflict_detail(exc, account), code="account_exists") from None

    def get_account(self, account_id: str) -> AccountRecord | None:
        row = self._one("SELECT * FROM accounts WHERE id = ?", [account_id])
        return _account(row) if row else None

    def account_by_login(self, email: str) -> AccountRecord | None:
        row = self._one("SELECT * FROM accounts WHERE login_email = ?", [email])
        return _account(row) if row else None

    def account_by_did(self, did: str) -> AccountRecord | None:
        row = self._one("SELECT * FROM accounts WHERE did = ?", [did])
        return _account(row) if row else None

    def add_token(self, token_hash: str, account_id: str, *, created_at: str, expires_at: str) -> None:
        self.db.execute("INSERT INTO tokens (token_hash, account_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
                        [token_hash, account_id, created_at, expires_at])

    def account_for_token(self, token_hash: str, *, now: str) -> AccountRecord | None:
        row = self._one("SELECT a.* FROM tokens t JOIN accounts a ON a.id = t.account_id "
                        "WHERE t.token_hash = ? AND t.expires_at > ?", [token_hash, now])
        return _account(row) if row else None

    def delete_token(self, token_hash: str) -> bool:
        return bool(self.db.execute("DELETE FROM tokens WHERE token_hash = ?", [token_hash]).rowcount)

    def _insert_email(self, email: EmailRecord) -> None:
        self.db.execute("INSERT INTO emails (account_id, email, created_at, confirmed_at, confirm_token_hash) "
                        "VALUES (?, ?, ?, ?, ?)",
                        [email.account_id, email.email, email.created_at, email.confirmed_at, email.confirm_token_hash])

    def add_email(self, email: EmailRecord) -> None:
        try:
            with self.db.atomic():
                self._insert_email(email)
        except sqlite3.IntegrityError:
            raise Conflict(f"{email.email} is already an address of this account, or confirmed by another",
                           code="email_exists") from None

    def list_emails(self, account_id: str) -> list[EmailRecord]:
        return [_email(row) for row in self._rows("SELECT * FROM emails WHERE account_id = ? ORDER BY created_at, email",
                                                  [account_id])]

    def confirm_email(self, token_hash: str, *, now: str) -> EmailRecord | None:
        row = self._one("SELECT * FROM emails WHERE confirm_token_hash = ?", [token_hash])
        if row is None:
            return None
        try:
            with self.db.atomic():
                self.db.execute("UPDATE emails SET confirmed_at = ?, confirm_token_hash = NULL "
                                "WHERE account_id = ? AND email = ?", [now, row["account_id"], row["email"]])
        except sqlite3.IntegrityError:
            raise Conflict(f"{row['email']} has been confirmed by another account", code="email_exists") from None
        return _email(dict(row, confirmed_at=now, confirm_token_hash=None))

    def email_confirmed_elsewhere(self, email: str, account_id: str) -> bool:
        return self._one("SELECT 1 FROM emails WHERE email = ? AND account_id != ? AND confirmed_at IS NOT NULL",
                         [email, account_id]) is not None

    # -- outbox ------------------------------------------------------------------------------

    def add_outbox(self, message: OutboxMessage) -> int:
        cursor = self.db.execute("INSERT INTO outbox (to_addr, subject, body, created_at, sent) VALUES (?, ?, ?, ?, ?)",
                                 [message.to, message.subject, message.body, message.created_at, int(message.sent)])
        return int(cursor.lastrowid or 0)

    def list_outbox(self, *, to: str | None = None) -> list[OutboxMessage]:
        sql, params = "SELECT * FROM outbox", []
        if to is not None:
            sql, params = sql + " WHERE to_addr = ?", [to]
        return [OutboxMessage(to=r["to_addr"], subject=r["subject"], body=r["body"], created_at=r["created_at"],
                              sent=bool(r["sent"]), id=r["id"]) for r in self._rows(sql + " ORDER BY id", params)]

    # -- credentials -------------------------------------------------------------------------

    def add_credentials(self, records: Sequence[CredentialRecord]) -> tuple[list[str], list[str]]:
        """Insert new credentials; return (ids added, ids of those already held): one transaction."""
        added: list[str] = []
        duplicates: list[str] = []
        with self.db.atomic():
            for record in records:
                existing = self._one("SELECT id FROM credentials WHERE account_id = ? AND content_hash = ?",
                                     [record.account_id, record.content_hash])
                if existing is not None:
                    duplicates.append(existing["id"])
                    continue
                inserted = self.db.execute(
                    "INSERT INTO credentials (id, account_id, content_hash, format, document, issuer_id, issuer_name, "
                    "achievement_name, image, description, tags, search, valid_from, valid_until, added_at, source, "
                    "state, state_detail, status_checked_at, status_attempted_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [record.id, record.account_id, record.content_hash, record.format, record.document,
                     record.issuer_id, record.issuer_name, record.achievement_name, record.image, record.description,
                     json.dumps(list(record.tags)), _search_text(record), record.valid_from, record.valid_until,
                     record.added_at, record.source, record.state, record.state_detail, record.status_checked_at,
                     record.status_attempted_at])
                for tag in dict.fromkeys(record.tags):
                    self.db.execute("INSERT INTO credential_tags (credential_id, account_id, tag, credential_seq) "
                                    "VALUES (?, ?, ?, ?)", [record.id, record.account_id, tag, inserted.lastrowid])
                for url in dict.fromkeys(record.status_urls):
                    self.db.execute("INSERT INTO credential_status_urls (credential_id, url) VALUES (?, ?)",
                                    [record.id, url])
                added.append(record.id)
        return added, duplicates

    def list_credentials(self, account_id: str, query: CredentialQuery) -> CredentialPage:
        """A page, newest first. Every filter reads an index in credential order (or the FTS index),
        so the first page costs the same at 100 credentials as at 10,000."""
        if query.tag is not None:
            source = "FROM credential_tags t JOIN credentials c ON c.id = t.credential_id "
            where, order = ["t.account_id = ?", "t.tag = ?"], "t.credential_seq"
            params: list[Any] = [account_id, query.tag]
        else:
            source, where, params, order = "FROM credentials c ", ["c.account_id = ?"], [account_id], "c.seq"
        if query.issuer is not None:
            where.append("c.issuer_id = ?")
            params.append(query.issuer)
        text = (query.text or "").strip().lower()
        if len(text) >= 3:
            # The trigram tokenizer matches any substring of three characters or more.
            where.append("c.seq IN (SELECT rowid FROM credentials_fts WHERE credentials_fts MATCH ?)")
            params.append('"' + text.replace('"', '""') + '"')
        elif text:
            where.append("c.search LIKE ? ESCAPE '\\'")
            params.append("%" + _like_escape(text) + "%")
        if query.issued_from is not None:
            where.append("c.valid_from >= ?")
            params.append(query.issued_from)
        if query.issued_before is not None:
            where.append("c.valid_from < ?")
            params.append(query.issued_before)
        if query.cursor is not None:
            where.append(f"{order} < ?")
            params.append(query.cursor)
        limit = max(1, min(query.limit, _MAX_PAGE))
        rows = self._credential_rows(f"WHERE {' AND '.join(where)} ORDER BY {order} DESC LIMIT ?", [*params, limit + 1],
                                     source=source)
        items = rows[:limit]
        next_cursor = items[-1].seq if len(rows) > limit and items else None
        return CredentialPage(tuple(items), next_cursor)

    def _credential_rows(self, tail: str, params: Sequence[Any], *, source: str = "FROM credentials c ") -> list[CredentialRecord]:
        rows = self._rows("SELECT c.*, (SELECT group_concat(url, char(10)) FROM credential_status_urls u "
                          "WHERE u.credential_id = c.id) AS status_urls " + source + tail, params)
        return [_credential(row) for row in rows]

    def get_credential(self, account_id: str, credential_id: str) -> CredentialRecord | None:
        rows = self._credential_rows("WHERE c.account_id = ? AND c.id = ?", [account_id, credential_id])
        return rows[0] if rows else None

    def get_credentials(self, account_id: str, credential_ids: Sequence[str]) -> list[CredentialRecord]:
        by_id = {}
        for start in range(0, len(credential_ids), 500):
            chunk = list(credential_ids[start:start + 500])
            marks = ",".join("?" * len(chunk))
            for record in self._credential_rows(f"WHERE c.account_id = ? AND c.id IN ({marks})", [account_id, *chunk]):
                by_id[record.id] = record
        return [by_id[i] for i in credential_ids if i in by_id]

    def all_credentials(self, account_id: str) -> Iterator[CredentialRecord]:
        yield from self._credential_rows("WHERE c.account_id = ? ORDER BY c.seq", [account_id])

    def delete_credential(self, account_id: str, credential_id: str) -> bool:
        with self.db.atomic():
            cursor = self.db.execute("DELETE FROM credentials WHERE account_id = ? AND id = ?",
                                     [account_id, credential_id])
            if cursor.rowcount:
                self.db.execute("DELETE FROM share_credentials WHERE credential_id = ?", [credential_id])
        return bool(cursor.rowcount)

    def count_credentials(self, account_id: str) -> int:
        row = self._one("SELECT count(*) AS n FROM credentials WHERE account_id = ?", [account_id])
        return int(row["n"]) if row else 0

    def issuers(self, account_id: str, *, limit: int = 100) -> list[tuple[str, str | None, int]]:
        """(issuer id, the name its newest credential claims, how many) for the issuer filter, most first.

        The counts read the issuer index alone; each name is one index seek, so the cost
        follows the number of issuers, not of credentials' rows."""
        counted = self._rows("SELECT issuer_id, count(*) AS n FROM credentials WHERE account_id = ? "
                             "GROUP BY issuer_id ORDER BY n DESC, issuer_id LIMIT ?", [account_id, limit])
        out = []
        for row in counted:
            named = self._one("SELECT issuer_name FROM credentials WHERE account_id = ? AND issuer_id = ? "
                              "ORDER BY seq DESC LIMIT 1", [account_id, row["issuer_id"]])
            out.append((str(row["issuer_id"]), named["issuer_name"] if named else None, int(row["n"])))
        return out

    def set_credential_state(self, credential_id: str, *, state: str, detail: str, status_checked_at: str | None,
                             status_attempted_at: str | None) -> None:
        self.db.execute("UPDATE credentials SET state = ?, state_detail = ?, status_checked_at = ?, "
                        "status_attempted_at = ? WHERE id = ?",
                        [state, detail, status_checked_at, status_attempted_at, credential_id])

    def status_urls_in_use(self) -> list[str]:
        return [row["url"] for row in self._rows("SELECT DISTINCT url FROM credential_status_urls ORDER BY url")]

    def credentials_relying_on(self, url: str) -> list[CredentialRecord]:
        return self._credential_rows("WHERE c.id IN (SELECT credential_id FROM credential_status_urls WHERE url = ?) "
                                     "ORDER BY c.seq", [url])

    # -- status cache ------------------------------------------------------------------------

    def put_status_list(self, record: StatusListRecord) -> None:
        self.db.execute("INSERT INTO status_lists (url, document, fetched_at, verified, error) VALUES (?, ?, ?, ?, ?) "
                        "ON CONFLICT(url) DO UPDATE SET document = excluded.document, fetched_at = excluded.fetched_at, "
                        "verified = excluded.verified, error = excluded.error",
                        [record.url, record.document, record.fetched_at, int(record.verified), record.error])

    def get_status_lists(self, urls: Iterable[str]) -> list[StatusListRecord]:
        wanted = list(dict.fromkeys(urls))
        if not wanted:
            return []
        marks = ",".join("?" * len(wanted))
        return [StatusListRecord(url=r["url"], document=r["document"], fetched_at=r["fetched_at"],
                                 verified=bool(r["verified"]), error=r["error"])
                for r in self._rows(f"SELECT * FROM status_lists WHERE url IN ({marks}) ORDER BY url", wanted)]

    # -- shares ------------------------------------------------------------------------------

    def add_share(self, share: ShareRecord) -> None:
        with self.db.atomic():
            self.db.execute(
                "INSERT INTO shares (id, account_id, token, note, expires_at, created_at, presentation, results, "
                "checked_at, revoked_at, views) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [share.id, share.account_id, share.token, share.note, share.expires_at, share.created_at,
                 share.presentation, share.results, share.checked_at, share.revoked_at, share.views])
            self._set_share_credentials(share.id, share.credential_ids)

    def _set_share_credentials(self, share_id: str, credential_ids: Sequence[str]) -> None:
        self.db.execute("DELETE FROM share_credentials WHERE share_id = ?", [share_id])
        for position, credential_id in enumerate(credential_ids):
            self.db.execute("INSERT INTO share_credentials (share_id, credential_id, position) VALUES (?, ?, ?)",
                            [share_id, credential_id, position])

    def _share_rows(self, tail: str, params: Sequence[Any]) -> list[ShareRecord]:
        rows = self._rows("SELECT s.*, (SELECT group_concat(credential_id, char(10)) FROM "
                          "(SELECT credential_id FROM share_credentials sc WHERE sc.share_id = s.id ORDER BY position)) "
                          "AS credential_ids FROM shares s " + tail, params)
        return [_share(row) for row in rows]

    def list_shares(self, account_id: str) -> list[ShareRecord]:
        return self._share_rows("WHERE s.account_id = ? ORDER BY s.seq DESC", [account_id])

    def get_share(self, account_id: str, share_id: str) -> ShareRecord | None:
        rows = self._share_rows("WHERE s.account_id = ? AND s.id = ?", [account_id, share_id])
        return rows[0] if rows else None

    def share_by_token(self, token: str) -> ShareRecord | None:
        rows = self._share_rows("WHERE s.token = ?", [token])
        return rows[0] if rows else None

    def share_by_id(self, share_id: str) -> ShareRecord | None:
        rows = self._share_rows("WHERE s.id = ?", [share_id])
        return rows[0] if rows else None

    def revoke_share(self, account_id: str, share_id: str, *, now: str) -> bool:
        cursor = self.db.execute("UPDATE shares SET revoked_at = coalesce(revoked_at, ?) WHERE account_id = ? AND id = ?",
                                 [now, account_id, share_id])
        return bool(cursor.rowcount)

    def count_view(self, share_id: str) -> None:
        self.db.execute("UPDATE shares SET views = views + 1 WHERE id = ?", [share_id])

    def set_share_presentation(self, share_id: str, *, credential_ids: Sequence[str], presentation: str | None,
                               results: str | None, checked_at: str) -> None:
        with self.db.atomic():
            self.db.execute("UPDATE shares SET presentation = ?, results = ?, checked_at = ? WHERE id = ?",
                            [presentation, results, checked_at, share_id])
            self._set_share_credentials(share_id, credential_ids)

    def shares_holding(self, credential_id: str) -> list[ShareRecord]:
        return self._share_rows("WHERE s.id IN (SELECT share_id FROM share_credentials WHERE credential_id = ?) "
                                "ORDER BY s.seq", [credential_id])


class _EveryJob:
    def claim(self, key: str) -> bool:
        return True


def _conflict_detail(exc: sqlite3.IntegrityError, account: AccountRecord) -> str:
    message = str(exc)
    if "login_email" in message or "emails" in message:
        return f"an account with the email {account.login_email} exists already"
    if "did" in message:
        return f"an account with the holder did {account.did} exists already"
    return "the account exists already"
