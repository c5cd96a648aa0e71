"""``PgWalletStore``: the ``WalletStore`` interface on one PostgreSQL database shared by several processes.

The same tables, columns and answers as ``SqliteWalletStore`` (``pg_migrations.py``
keeps the two histories in step); what differs is what a shared database needs:

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

Statements are written with ``?`` placeholders (``webbase.pg`` turns them into psycopg's).
A transaction belongs to the calling thread (``webbase.pg``): code on the event loop must not
``await`` inside ``transaction()``, or another request's queries would join it. None does: the
wallet computes (verifies, signs) first and then writes in one synchronous block, as on SQLite.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg_pool import PoolTimeout

from webbase.dburl import DatabaseTarget
from webbase.pg import Connection, PgDatabase, PgHitStore, UniqueViolation, to_pyformat, wall_clock

from ..errors import Conflict, WalletError
from .interface import CredentialPage, CredentialQuery, JobClaims
from .pg_migrations import migrate
from .records import AccountRecord, CredentialRecord, EmailRecord, OutboxMessage, ShareRecord, StatusListRecord
from .rows import account_row, credential_row, email_row, like_escape, search_text, share_row

_MAX_PAGE = 200

_INSERT_CREDENTIAL = (
    "INSERT INTO credentials (id, account_id, content_hash, format, document, issuer_id, issuer_name, "
    "achievement_name, image, description, tags, search, valid_from, valid_until, added_at, source, "
    "state, state_detail, status_checked_at, status_attempted_at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (account_id, content_hash) DO NOTHING RETURNING seq")

# Session advisory locks of job claims live in their own key space (the second argument of hashtextextended).
_CLAIM_SEED = 0x77A1


class PgWalletStore:
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

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        return self.db.rows(sql, params)

    def _one(self, sql: str, params: Sequence[Any] = ()) -> dict[str, Any] | None:
        return self.db.one(sql, params)

    # -- accounts, tokens, emails ------------------------------------------------------------

    def create_account(self, account: AccountRecord, first_email: EmailRecord) -> None:
        try:
            with self.db.transaction():
                self.db.execute(
                    "INSERT INTO accounts (id, login_email, password_hash, did, holder_key_sealed, created_at) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    [account.id, account.login_email, account.password_hash, account.did, account.holder_key_sealed,
                     account.created_at])
                self._insert_email(first_email)
        except psycopg.IntegrityError as exc:
            raise Conflict(self._conflict_detail(exc, account), code="account_exists") from None

    def _conflict_detail(self, exc: psycopg.IntegrityError, account: AccountRecord) -> str:
        """The words SQLite's message gives: the holder did when it is taken (SQLite reports that
        index first), else the email; the failed savepoint is gone, so the lookup may run."""
        if self.account_by_did(account.did) is not None:
            return f"an account with the holder did {account.did} exists already"
        constraint = (exc.diag.constraint_name or "") if isinstance(exc, UniqueViolation) else ""
        if "login_email" in constraint or exc.diag.table_name == "emails":
            return f"an account with the email {account.login_email} exists already"
        return "the account exists already"

    def get_account(self, account_id: str) -> AccountRecord | None:
        row = self._one("SELECT * FROM accounts WHERE id = ?", [account_id])
        return account_row(row) if row else None

    def account_by_login(self, email: str) -> AccountRecord | None:
        row = self._one("SELECT * FROM accounts WHERE login_email = ?", [email])
        return account_row(row) if row else None

    def account_by_did(self, did: str) -> AccountRecord | None:
        row = self._one("SELECT * FROM accounts WHERE did = ?", [did])
        return account_row(row) if row else None

    def add_token(self, token_hash: str, account_id: str, *, created_at: str, expires_at: str) -> None:
        self.db.execute("INSERT INTO tokens (token_hash, account_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
                        [token_hash, account_id, created_at, expires_at])

    def account_for_token(self, token_hash: str, *, now: str) -> AccountRecord | None:
        row = self._one("SELECT a.* FROM tokens t JOIN accounts a ON a.id = t.account_id "
                        "WHERE t.token_hash = ? AND t.expires_at > ?", [token_hash, now])
        return account_row(row) if row else None

    def delete_token(self, token_hash: str) -> bool:
        return bool(self.db.execute("DELETE FROM tokens WHERE token_hash = ?", [token_hash]))

    def _insert_email(self, email: EmailRecord) -> None:
        self.db.execute("INSERT INTO emails (account_id, email, created_at, confirmed_at, confirm_token_hash) "
                        "VALUES (?, ?, ?, ?, ?)",
                        [email.account_id, email.email, email.created_at, email.confirmed_at, email.confirm_token_hash])

    def add_email(self, email: EmailRecord) -> None:
        try:
            with self.db.transaction():
                self._insert_email(email)
        except psycopg.IntegrityError:
            raise Conflict(f"{email.email} is already an address of this account, or confirmed by another",
                           code="email_exists") from None

    def list_emails(self, account_id: str) -> list[EmailRecord]:
        return [email_row(row) for row in self._rows("SELECT * FROM emails WHERE account_id = ? "
                                                     "ORDER BY created_at, email", [account_id])]

    def confirm_email(self, token_hash: str, *, now: str) -> EmailRecord | None:
        row = self._one("SELECT * FROM emails WHERE confirm_token_hash = ?", [token_hash])
        if row is None:
            return None
        try:
            with self.db.transaction():
                self.db.execute("UPDATE emails SET confirmed_at = ?, confirm_token_hash = NULL "
                                "WHERE account_id = ? AND email = ?", [now, row["account_id"], row["email"]])
        except psycopg.IntegrityError:
            raise Conflict(f"{row['email']} has been confirmed by another account", code="email_exists") from None
        return email_row(dict(row, confirmed_at=now, confirm_token_hash=None))

    def email_confirmed_elsewhere(self, email: str, account_id: str) -> bool:
        return self._one("SELECT 1 FROM emails WHERE email = ? AND account_id != ? AND confirmed_at IS NOT NULL",
                         [email, account_id]) is not None

    # -- outbox ------------------------------------------------------------------------------

    def add_outbox(self, message: OutboxMessage) -> int:
        row = self._one("INSERT INTO outbox (to_addr, subject, body, created_at, sent) VALUES (?, ?, ?, ?, ?) "
                        "RETURNING id", [message.to, message.subject, message.body, message.created_at,
                                         int(message.sent)])
        return int(row["id"]) if row else 0

    def list_outbox(self, *, to: str | None = None) -> list[OutboxMessage]:
        sql, params = "SELECT * FROM outbox", []
        if to is not None:
            sql, params = sql + " WHERE to_addr = ?", [to]
        return [OutboxMessage(to=r["to_addr"], subject=r["subject"], body=r["body"], created_at=r["created_at"],
                              sent=bool(r["sent"]), id=r["id"]) for r in self._rows(sql + " ORDER BY id", params)]

    # -- credentials -------------------------------------------------------------------------

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
            cursor.executemany(to_pyformat(_INSERT_CREDENTIAL), [[
                record.id, record.account_id, record.content_hash, record.format, record.document, record.issuer_id,
                record.issuer_name, record.achievement_name, record.image, record.description,
                json.dumps(list(record.tags)), search_text(record), record.valid_from, record.valid_until,
                record.added_at, record.source, record.state, record.state_detail, record.status_checked_at,
                record.status_attempted_at] for record in records], returning=True)
            seqs: list[int | None] = []
            for _ in cursor.results():
                row = cursor.fetchone()
                seqs.append(int(row["seq"]) if row else None)
            inserted = [(record, seq) for record, seq in zip(records, seqs, strict=True) if seq is not None]
            tags = [[record.id, record.account_id, tag, seq] for record, seq in inserted
                    for tag in dict.fromkeys(record.tags)]
            if tags:
                cursor.executemany("INSERT INTO credential_tags (credential_id, account_id, tag, credential_seq) "
                                   "VALUES (%s, %s, %s, %s)", tags)
            urls = [[record.id, url] for record, _ in inserted for url in dict.fromkeys(record.status_urls)]
            if urls:
                cursor.executemany("INSERT INTO credential_status_urls (credential_id, url) VALUES (%s, %s)", urls)
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

    def list_credentials(self, account_id: str, query: CredentialQuery) -> CredentialPage:
        """A page, newest first, by the same indexes as on SQLite; text goes through the trigram index."""
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
        if text:
            # ``search`` is stored lower-cased: a plain LIKE is the case-insensitive substring match
            # FTS5's trigram tokenizer gives on SQLite, and pg_trgm's GIN index serves it.
            where.append("c.search LIKE ? ESCAPE '\\'")
            params.append("%" + like_escape(text) + "%")
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

    def _credential_rows(self, tail: str, params: Sequence[Any], *,
                         source: str = "FROM credentials c ") -> list[CredentialRecord]:
        rows = self._rows("SELECT c.*, (SELECT string_agg(url, chr(10)) FROM credential_status_urls u "
                          "WHERE u.credential_id = c.id) AS status_urls " + source + tail, params)
        return [credential_row(row) for row in rows]

    def get_credential(self, account_id: str, credential_id: str) -> CredentialRecord | None:
        rows = self._credential_rows("WHERE c.account_id = ? AND c.id = ?", [account_id, credential_id])
        return rows[0] if rows else None

    def get_credentials(self, account_id: str, credential_ids: Sequence[str]) -> list[CredentialRecord]:
        if not credential_ids:
            return []
        by_id = {record.id: record for record in
                 self._credential_rows("WHERE c.account_id = ? AND c.id = ANY(?)", [account_id, list(credential_ids)])}
        return [by_id[i] for i in credential_ids if i in by_id]

    def all_credentials(self, account_id: str) -> Iterator[CredentialRecord]:
        yield from self._credential_rows("WHERE c.account_id = ? ORDER BY c.seq", [account_id])

    def delete_credential(self, account_id: str, credential_id: str) -> bool:
        with self.db.transaction():
            deleted = self.db.execute("DELETE FROM credentials WHERE account_id = ? AND id = ?",
                                      [account_id, credential_id])
            if deleted:
                self.db.execute("DELETE FROM share_credentials WHERE credential_id = ?", [credential_id])
        return bool(deleted)

    def count_credentials(self, account_id: str) -> int:
        return int(self.db.value("SELECT count(*) FROM credentials WHERE account_id = ?", [account_id]) or 0)

    def issuers(self, account_id: str, *, limit: int = 100) -> list[tuple[str, str | None, int]]:
        """(issuer id, the name its newest credential claims, how many), most first (as on SQLite)."""
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
                        "ON CONFLICT (url) DO UPDATE SET document = excluded.document, fetched_at = excluded.fetched_at, "
                        "verified = excluded.verified, error = excluded.error",
                        [record.url, record.document, record.fetched_at, int(record.verified), record.error])

    def get_status_lists(self, urls: Iterable[str]) -> list[StatusListRecord]:
        wanted = list(dict.fromkeys(urls))
        if not wanted:
            return []
        return [StatusListRecord(url=r["url"], document=r["document"], fetched_at=r["fetched_at"],
                                 verified=bool(r["verified"]), error=r["error"])
                for r in self._rows("SELECT * FROM status_lists WHERE url = ANY(?) ORDER BY url", [wanted])]

    # -- shares ------------------------------------------------------------------------------

    def add_share(self, share: ShareRecord) -> None:
        with self.db.transaction():
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
        rows = self._rows("SELECT s.*, (SELECT string_agg(credential_id, chr(10) ORDER BY position) FROM "
                          "share_credentials sc WHERE sc.share_id = s.id) AS credential_ids FROM shares s " + tail,
                          params)
        return [share_row(row) for row in rows]

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
        return bool(self.db.execute("UPDATE shares SET revoked_at = coalesce(revoked_at, ?) "
                                    "WHERE account_id = ? AND id = ?", [now, account_id, share_id]))

    def count_view(self, share_id: str) -> None:
        self.db.execute("UPDATE shares SET views = views + 1 WHERE id = ?", [share_id])

    def set_share_presentation(self, share_id: str, *, credential_ids: Sequence[str], presentation: str | None,
                               results: str | None, checked_at: str) -> None:
        with self.db.transaction():
            self.db.execute("UPDATE shares SET presentation = ?, results = ?, checked_at = ? WHERE id = ?",
                            [presentation, results, checked_at, share_id])
            self._set_share_credentials(share_id, credential_ids)

    def shares_holding(self, credential_id: str) -> list[ShareRecord]:
        return self._share_rows("WHERE s.id IN (SELECT share_id FROM share_credentials WHERE credential_id = ?) "
                                "ORDER BY s.seq", [credential_id])


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
