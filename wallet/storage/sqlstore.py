"""The wallet store written once for both backends: accounts, tokens, emails, outbox, credentials, status cache, shares.

``SqlWalletStore`` holds every ``WalletStore`` method whose SQL SQLite and
PostgreSQL share, written with ``?`` placeholders (``webbase.pg`` turns them into
psycopg's). ``SqliteWalletStore`` and ``PgWalletStore`` give it a handful of
statement primitives, their transactions, the mapping of their unique-violation
errors, and the few places where the dialects really differ: the aggregated
columns (``group_concat`` / ``string_agg``), "one of these values" (``IN (…)`` /
``= ANY(?)``), text search (FTS5 trigrams / ``pg_trgm``), and how a batch of
credentials goes in (``add_credentials``: a lookup per row in SQLite's one
writer, ``ON CONFLICT DO NOTHING`` where processes race on PostgreSQL).

Because the statements and the ``Conflict`` codes and words live here, both
backends give the same answers and refuse the same things in the same terms.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Any, ClassVar, Literal

from ..errors import Conflict
from .interface import CredentialPage, CredentialQuery
from .records import AccountRecord, CredentialRecord, EmailRecord, OutboxMessage, ShareRecord, StatusListRecord
from .rows import account_row, credential_row, email_row, like_escape, search_text, share_row

Row = dict[str, Any]

MAX_PAGE = 200

INSERT_CREDENTIAL = (
    "INSERT INTO credentials (id, account_id, content_hash, format, document, issuer_id, issuer_name, "
    "achievement_name, image, description, tags, search, valid_from, valid_until, added_at, source, "
    "state, state_detail, status_checked_at, status_attempted_at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
INSERT_TAG = "INSERT INTO credential_tags (credential_id, account_id, tag, credential_seq) VALUES (?, ?, ?, ?)"
INSERT_STATUS_URL = "INSERT INTO credential_status_urls (credential_id, url) VALUES (?, ?)"

# Which unique value of an account another one holds already (None: the database did not say).
Taken = Literal["did", "email"] | None


def credential_params(record: CredentialRecord) -> list[Any]:
    """The values of ``INSERT_CREDENTIAL`` for one record (the derived ``tags`` and ``search`` columns included)."""
    return [record.id, record.account_id, record.content_hash, record.format, record.document, record.issuer_id,
            record.issuer_name, record.achievement_name, record.image, record.description,
            json.dumps(list(record.tags)), search_text(record), record.valid_from, record.valid_until,
            record.added_at, record.source, record.state, record.state_detail, record.status_checked_at,
            record.status_attempted_at]


def _account_exists(account: AccountRecord, taken: Taken) -> str:
    if taken == "did":
        return f"an account with the holder did {account.did} exists already"
    if taken == "email":
        return f"an account with the email {account.login_email} exists already"
    return "the account exists already"


class SqlWalletStore:
    """Every ``WalletStore`` method but the backend's own (connections, transactions, job claims, shared limits)."""

    # The credential's status URLs (``c``) as one newline-joined text, or NULL.
    STATUS_URLS: ClassVar[str]
    # The share's (``s``) credential ids in their order as one newline-joined text, or NULL.
    SHARE_CREDENTIAL_IDS: ClassVar[str]
    # How many ids ``get_credentials`` puts in one statement (SQLite binds each as a parameter).
    IDS_PER_STATEMENT: ClassVar[int]
    # The backend's integrity errors (a unique index refusing a row), mapped to ``Conflict`` here.
    INTEGRITY_ERRORS: ClassVar[tuple[type[Exception], ...]]

    # --- what a backend provides ---------------------------------------------------------------

    def transaction(self) -> AbstractContextManager[None]:  # pragma: no cover - provided by the backend
        """One transaction for every call inside; a nested one is a savepoint of the outer."""
        raise NotImplementedError

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:  # pragma: no cover
        raise NotImplementedError

    def _run(self, sql: str, params: Sequence[Any] = ()) -> int:  # pragma: no cover
        """Run one statement; the number of rows it changed."""
        raise NotImplementedError

    def _insert_id(self, sql: str, params: Sequence[Any]) -> int:  # pragma: no cover
        """Insert one row into a table whose ``id`` the database assigns; return that id."""
        raise NotImplementedError

    def _taken(self, exc: Exception, account: AccountRecord) -> Taken:  # pragma: no cover
        """Which of the account's unique values the integrity error ``exc`` says is taken."""
        raise NotImplementedError

    def _is_one_of(self, column: str, values: Sequence[Any]) -> tuple[str, list[Any]]:
        """A condition that ``column`` is one of ``values`` (at least one), and its parameters."""
        return f"{column} IN ({','.join('?' * len(values))})", list(values)

    def _text_match(self, text: str) -> tuple[str, Any]:
        """A condition that the credential's lower-cased ``search`` text contains ``text`` (lower-cased, not empty).

        ``search`` is stored lower-cased, so a plain LIKE is the case-insensitive substring match;
        a backend with a substring index (FTS5 trigrams) may use it instead for the same answers.
        """
        return "c.search LIKE ? ESCAPE '\\'", "%" + like_escape(text) + "%"

    def _one(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        rows = self._rows(sql, params)
        return rows[0] if rows else None

    # --- accounts, tokens, emails ----------------------------------------------------------------

    def create_account(self, account: AccountRecord, first_email: EmailRecord) -> None:
        try:
            with self.transaction():
                self._run("INSERT INTO accounts (id, login_email, password_hash, did, holder_key_sealed, created_at) "
                          "VALUES (?, ?, ?, ?, ?, ?)",
                          [account.id, account.login_email, account.password_hash, account.did,
                           account.holder_key_sealed, account.created_at])
                self._insert_email(first_email)
        except self.INTEGRITY_ERRORS as exc:
            raise Conflict(_account_exists(account, self._taken(exc, account)), code="account_exists") from None

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
        self._run("INSERT INTO tokens (token_hash, account_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
                  [token_hash, account_id, created_at, expires_at])

    def account_for_token(self, token_hash: str, *, now: str) -> AccountRecord | None:
        row = self._one("SELECT a.* FROM tokens t JOIN accounts a ON a.id = t.account_id "
                        "WHERE t.token_hash = ? AND t.expires_at > ?", [token_hash, now])
        return account_row(row) if row else None

    def delete_token(self, token_hash: str) -> bool:
        return bool(self._run("DELETE FROM tokens WHERE token_hash = ?", [token_hash]))

    def _insert_email(self, email: EmailRecord) -> None:
        self._run("INSERT INTO emails (account_id, email, created_at, confirmed_at, confirm_token_hash) "
                  "VALUES (?, ?, ?, ?, ?)",
                  [email.account_id, email.email, email.created_at, email.confirmed_at, email.confirm_token_hash])

    def add_email(self, email: EmailRecord) -> None:
        try:
            with self.transaction():
                self._insert_email(email)
        except self.INTEGRITY_ERRORS:
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
            with self.transaction():
                self._run("UPDATE emails SET confirmed_at = ?, confirm_token_hash = NULL "
                          "WHERE account_id = ? AND email = ?", [now, row["account_id"], row["email"]])
        except self.INTEGRITY_ERRORS:
            raise Conflict(f"{row['email']} has been confirmed by another account", code="email_exists") from None
        return email_row(dict(row, confirmed_at=now, confirm_token_hash=None))

    def email_confirmed_elsewhere(self, email: str, account_id: str) -> bool:
        return self._one("SELECT 1 FROM emails WHERE email = ? AND account_id != ? AND confirmed_at IS NOT NULL",
                         [email, account_id]) is not None

    # --- outbox ------------------------------------------------------------------------------------

    def add_outbox(self, message: OutboxMessage) -> int:
        return self._insert_id("INSERT INTO outbox (to_addr, subject, body, created_at, sent) VALUES (?, ?, ?, ?, ?)",
                               [message.to, message.subject, message.body, message.created_at, int(message.sent)])

    def list_outbox(self, *, to: str | None = None) -> list[OutboxMessage]:
        sql, params = "SELECT * FROM outbox", []
        if to is not None:
            sql, params = sql + " WHERE to_addr = ?", [to]
        return [OutboxMessage(to=r["to_addr"], subject=r["subject"], body=r["body"], created_at=r["created_at"],
                              sent=bool(r["sent"]), id=r["id"]) for r in self._rows(sql + " ORDER BY id", params)]

    # --- credentials -------------------------------------------------------------------------------

    def add_credentials(self, records: Sequence[CredentialRecord]) -> tuple[list[str], list[str]]:  # pragma: no cover
        """Insert new credentials; return (ids added, ids of those already held): one transaction."""
        raise NotImplementedError

    def list_credentials(self, account_id: str, query: CredentialQuery) -> CredentialPage:
        """A page, newest first. Every filter reads an index in credential order (or the text index),
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
        if text:
            condition, value = self._text_match(text)
            where.append(condition)
            params.append(value)
        if query.issued_from is not None:
            where.append("c.valid_from >= ?")
            params.append(query.issued_from)
        if query.issued_before is not None:
            where.append("c.valid_from < ?")
            params.append(query.issued_before)
        if query.cursor is not None:
            where.append(f"{order} < ?")
            params.append(query.cursor)
        limit = max(1, min(query.limit, MAX_PAGE))
        rows = self._credential_rows(f"WHERE {' AND '.join(where)} ORDER BY {order} DESC LIMIT ?", [*params, limit + 1],
                                     source=source)
        items = rows[:limit]
        next_cursor = items[-1].seq if len(rows) > limit and items else None
        return CredentialPage(tuple(items), next_cursor)

    def _credential_rows(self, tail: str, params: Sequence[Any], *,
                         source: str = "FROM credentials c ") -> list[CredentialRecord]:
        rows = self._rows(f"SELECT c.*, {self.STATUS_URLS} AS status_urls " + source + tail, params)
        return [credential_row(row) for row in rows]

    def get_credential(self, account_id: str, credential_id: str) -> CredentialRecord | None:
        rows = self._credential_rows("WHERE c.account_id = ? AND c.id = ?", [account_id, credential_id])
        return rows[0] if rows else None

    def get_credentials(self, account_id: str, credential_ids: Sequence[str]) -> list[CredentialRecord]:
        by_id = {}
        step = self.IDS_PER_STATEMENT
        for start in range(0, len(credential_ids), step):
            condition, params = self._is_one_of("c.id", credential_ids[start:start + step])
            for record in self._credential_rows(f"WHERE c.account_id = ? AND {condition}", [account_id, *params]):
                by_id[record.id] = record
        return [by_id[i] for i in credential_ids if i in by_id]

    def all_credentials(self, account_id: str) -> Iterator[CredentialRecord]:
        yield from self._credential_rows("WHERE c.account_id = ? ORDER BY c.seq", [account_id])

    def delete_credential(self, account_id: str, credential_id: str) -> bool:
        with self.transaction():
            deleted = self._run("DELETE FROM credentials WHERE account_id = ? AND id = ?", [account_id, credential_id])
            if deleted:
                self._run("DELETE FROM share_credentials WHERE credential_id = ?", [credential_id])
        return bool(deleted)

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
        self._run("UPDATE credentials SET state = ?, state_detail = ?, status_checked_at = ?, "
                  "status_attempted_at = ? WHERE id = ?",
                  [state, detail, status_checked_at, status_attempted_at, credential_id])

    def status_urls_in_use(self) -> list[str]:
        return [row["url"] for row in self._rows("SELECT DISTINCT url FROM credential_status_urls ORDER BY url")]

    def credentials_relying_on(self, url: str) -> list[CredentialRecord]:
        return self._credential_rows("WHERE c.id IN (SELECT credential_id FROM credential_status_urls WHERE url = ?) "
                                     "ORDER BY c.seq", [url])

    # --- status cache ------------------------------------------------------------------------------

    def put_status_list(self, record: StatusListRecord) -> None:
        self._run("INSERT INTO status_lists (url, document, fetched_at, verified, error) VALUES (?, ?, ?, ?, ?) "
                  "ON CONFLICT (url) DO UPDATE SET document = excluded.document, fetched_at = excluded.fetched_at, "
                  "verified = excluded.verified, error = excluded.error",
                  [record.url, record.document, record.fetched_at, int(record.verified), record.error])

    def get_status_lists(self, urls: Iterable[str]) -> list[StatusListRecord]:
        wanted = list(dict.fromkeys(urls))
        if not wanted:
            return []
        condition, params = self._is_one_of("url", wanted)
        return [StatusListRecord(url=r["url"], document=r["document"], fetched_at=r["fetched_at"],
                                 verified=bool(r["verified"]), error=r["error"])
                for r in self._rows(f"SELECT * FROM status_lists WHERE {condition} ORDER BY url", params)]

    # --- shares ------------------------------------------------------------------------------------

    def add_share(self, share: ShareRecord) -> None:
        with self.transaction():
            self._run("INSERT INTO shares (id, account_id, token, note, expires_at, created_at, presentation, results, "
                      "checked_at, revoked_at, views) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                      [share.id, share.account_id, share.token, share.note, share.expires_at, share.created_at,
                       share.presentation, share.results, share.checked_at, share.revoked_at, share.views])
            self._set_share_credentials(share.id, share.credential_ids)

    def _set_share_credentials(self, share_id: str, credential_ids: Sequence[str]) -> None:
        self._run("DELETE FROM share_credentials WHERE share_id = ?", [share_id])
        for position, credential_id in enumerate(credential_ids):
            self._run("INSERT INTO share_credentials (share_id, credential_id, position) VALUES (?, ?, ?)",
                      [share_id, credential_id, position])

    def _share_rows(self, tail: str, params: Sequence[Any]) -> list[ShareRecord]:
        rows = self._rows(f"SELECT s.*, {self.SHARE_CREDENTIAL_IDS} AS credential_ids FROM shares s " + tail, params)
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
        return bool(self._run("UPDATE shares SET revoked_at = coalesce(revoked_at, ?) WHERE account_id = ? AND id = ?",
                              [now, account_id, share_id]))

    def count_view(self, share_id: str) -> None:
        self._run("UPDATE shares SET views = views + 1 WHERE id = ?", [share_id])

    def set_share_presentation(self, share_id: str, *, credential_ids: Sequence[str], presentation: str | None,
                               results: str | None, checked_at: str) -> None:
        with self.transaction():
            self._run("UPDATE shares SET presentation = ?, results = ?, checked_at = ? WHERE id = ?",
                      [presentation, results, checked_at, share_id])
            self._set_share_credentials(share_id, credential_ids)

    def shares_holding(self, credential_id: str) -> list[ShareRecord]:
        return self._share_rows("WHERE s.id IN (SELECT share_id FROM share_credentials WHERE credential_id = ?) "
                                "ORDER BY s.seq", [credential_id])
