"""The SQLite implementation of ``IssuerStore`` (sqlite-utils, WAL, foreign keys, versioned migrations).

One connection per thread: the event loop's thread reads on its own connection
while an executor thread holds a write transaction (WAL lets readers and one
writer proceed together), and other processes on the same file (the CLI while
the node serves) wait for the write lock up to ``BUSY_TIMEOUT_MS``. Writes
begin with ``BEGIN IMMEDIATE``, so a transaction that reads and then writes
(status index allocation) can never be overtaken between its read and its write.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, cast

from sqlite_utils import Database

from .applications import SqliteApplicationStore
from .awards import SqliteAwardStore
from .bulk import SqliteBulkStore
from .migrations import apply_migrations, current_version
from .records import (
    Achievement,
    Alignment,
    CredentialRecord,
    EvidencePolicy,
    NewCredential,
    Organization,
    OutboxMessage,
    Role,
    StatusList,
    StatusPurpose,
    StatusSlot,
    User,
)

BUSY_TIMEOUT_MS = 30_000
# A list takes allocations until this share of it is used, so that a random
# probe finds a free index in at most four tries on average.
FILL_LIMIT = 0.75


def _ts(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="microseconds")


def _dt(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class SqliteIssuerStore(SqliteAwardStore, SqliteApplicationStore, SqliteBulkStore):
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

    def _all_rows(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        cursor = self._conn.execute(sql, params)
        cursor.row_factory = sqlite3.Row
        return cursor.fetchall()

    # --- settings, organization, images -----------------------------------------------------------

    def get_setting(self, name: str) -> str | None:
        row = self._one("SELECT value FROM settings WHERE name = ?", (name,))
        return None if row is None else str(row["value"])

    def set_setting(self, name: str, value: str) -> None:
        with self.atomic():
            self._conn.execute("INSERT INTO settings (name, value) VALUES (?, ?) "
                               "ON CONFLICT(name) DO UPDATE SET value = excluded.value", (name, value))

    def get_organization(self) -> Organization | None:
        row = self._one("SELECT * FROM organization WHERE id = 1")
        if row is None:
            return None
        return Organization(did=row["did"], name=row["name"], url=row["url"], image=row["image"],
                            email=row["email"], description=row["description"])

    def save_organization(self, organization: Organization) -> None:
        with self.atomic():
            self._conn.execute(
                "INSERT INTO organization (id, did, name, url, image, email, description) VALUES (1, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT(id) DO UPDATE SET did = excluded.did, name = excluded.name, url = excluded.url, "
                "image = excluded.image, email = excluded.email, description = excluded.description",
                (organization.did, organization.name, organization.url, organization.image, organization.email,
                 organization.description))

    def put_image(self, data: bytes, media_type: str) -> str:
        digest = hashlib.sha256(data).hexdigest()
        with self.atomic():
            self._conn.execute("INSERT OR IGNORE INTO images (digest, media_type, data) VALUES (?, ?, ?)",
                               (digest, media_type, data))
        return digest

    def get_image(self, digest: str) -> tuple[bytes, str] | None:
        row = self._one("SELECT data, media_type FROM images WHERE digest = ?", (digest,))
        return None if row is None else (bytes(row["data"]), str(row["media_type"]))

    # --- achievements ------------------------------------------------------------------------------

    def add_achievement(self, achievement: Achievement) -> None:
        with self.atomic():
            self._conn.execute(
                "INSERT INTO achievements (key, id, name, description, criteria, image, tags, alignments, "
                "achievement_type, evidence_policy, retired, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (achievement.key, achievement.id, achievement.name, achievement.description, achievement.criteria,
                 achievement.image, _dumps(list(achievement.tags)),
                 _dumps([{"targetName": a.target_name, "targetUrl": a.target_url} for a in achievement.alignments]),
                 achievement.achievement_type, achievement.evidence_policy, int(achievement.retired),
                 _ts(achievement.created)))

    def get_achievement(self, key: str) -> Achievement | None:
        row = self._one("SELECT * FROM achievements WHERE key = ? OR id = ?", (key, key))
        return None if row is None else _achievement(row)

    def list_achievements(self, *, include_retired: bool = True) -> list[Achievement]:
        where = "" if include_retired else "WHERE retired = 0"
        return [_achievement(r) for r in self._all_rows(f"SELECT * FROM achievements {where} ORDER BY created, key")]

    def set_achievement_retired(self, key: str, retired: bool) -> bool:
        with self.atomic():
            cursor = self._conn.execute("UPDATE achievements SET retired = ? WHERE key = ? OR id = ?",
                                        (int(retired), key, key))
        return cursor.rowcount > 0

    def update_achievement(self, key: str, *, name: str, description: str, criteria: str, tags: Sequence[str],
                           evidence_policy: str) -> bool:
        with self.atomic():
            cursor = self._conn.execute(
                "UPDATE achievements SET name = ?, description = ?, criteria = ?, tags = ?, evidence_policy = ? "
                "WHERE key = ? OR id = ?", (name, description, criteria, _dumps(list(tags)), evidence_policy, key, key))
        return cursor.rowcount > 0

    # --- status lists and credentials -------------------------------------------------------------

    def _open_list(self, purpose: StatusPurpose, *, url_base: str, size: int) -> sqlite3.Row:
        row = self._one("SELECT key, url, size, allocated FROM status_lists WHERE purpose = ? AND closed = 0 "
                        "ORDER BY created, key LIMIT 1", (purpose,))
        if row is not None:
            return row
        key = f"{purpose[0]}{secrets.token_hex(6)}"
        url = f"{url_base.rstrip('/')}/{key}"
        self._conn.execute("INSERT INTO status_lists (key, url, purpose, size, bits, created) VALUES (?, ?, ?, ?, ?, ?)",
                           (key, url, purpose, size, bytes(size // 8), _ts(datetime.now(timezone.utc))))
        created = self._one("SELECT key, url, size, allocated FROM status_lists WHERE key = ?", (key,))
        assert created is not None
        return created

    def allocate_status(self, purpose: StatusPurpose, credential_keys: Sequence[str], *, url_base: str,
                        size: int) -> list[StatusSlot]:
        slots: list[StatusSlot] = []
        with self.atomic():
            conn = self._conn
            pending = list(credential_keys)
            while pending:
                row = self._open_list(purpose, url_base=url_base, size=size)
                list_key, list_url, list_size, allocated = row["key"], row["url"], int(row["size"]), int(row["allocated"])
                room = int(list_size * FILL_LIMIT) - allocated
                taken: list[tuple[str, int, str]] = []
                chosen: set[int] = set()
                for credential_key in pending[:max(room, 0)]:
                    while True:
                        index = secrets.randbelow(list_size)
                        if index in chosen:
                            continue
                        if conn.execute("SELECT 1 FROM status_allocations WHERE list_key = ? AND idx = ?",
                                        (list_key, index)).fetchone() is None:
                            break
                    chosen.add(index)
                    taken.append((list_key, index, credential_key))
                    slots.append(StatusSlot(list_key=list_key, list_url=list_url, purpose=purpose, index=index))
                conn.executemany("INSERT INTO status_allocations (list_key, idx, credential_key) VALUES (?, ?, ?)", taken)
                full = allocated + len(taken) >= int(list_size * FILL_LIMIT)
                conn.execute("UPDATE status_lists SET allocated = allocated + ?, closed = ? WHERE key = ?",
                             (len(taken), int(full), list_key))
                pending = pending[len(taken):]
        return slots

    def insert_credentials(self, credentials: Sequence[NewCredential]) -> None:
        with self.atomic():
            self._conn.executemany(
                "INSERT INTO credentials (key, id, achievement_key, recipient_did, recipient_email, recipient_name, "
                "salt, document, issued_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(c.key, c.id, c.achievement_key, c.recipient_did, c.recipient_email, c.recipient_name, c.salt,
                  _dumps(c.document), _ts(c.issued_at)) for c in credentials])

    def _slots_for(self, credential_key: str) -> tuple[StatusSlot, ...]:
        rows = self._all_rows("SELECT a.list_key, a.idx, l.url, l.purpose FROM status_allocations a "
                              "JOIN status_lists l ON l.key = a.list_key WHERE a.credential_key = ? "
                              "ORDER BY l.purpose", (credential_key,))
        return tuple(StatusSlot(list_key=r["list_key"], list_url=r["url"], purpose=r["purpose"], index=int(r["idx"]))
                     for r in rows)

    def get_credential(self, key: str) -> CredentialRecord | None:
        row = self._one("SELECT * FROM credentials WHERE key = ? OR id = ?", (key, key))
        return None if row is None else _credential(row, self._slots_for(row["key"]))

    def list_credentials(self, *, achievement_key: str | None = None, recipient: str | None = None,
                         limit: int = 100, offset: int = 0) -> list[CredentialRecord]:
        clauses: list[str] = []
        params: list[Any] = []
        if achievement_key is not None:
            clauses.append("achievement_key = ?")
            params.append(achievement_key)
        if recipient is not None:
            clauses.append("(recipient_email = ? OR recipient_did = ? OR recipient_name LIKE ?)")
            params += [recipient.lower(), recipient, f"%{recipient}%"]
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        rows = self._all_rows(f"SELECT * FROM credentials {where} ORDER BY issued_at DESC, key LIMIT ? OFFSET ?",
                              (*params, limit, offset))
        return [_credential(r, self._slots_for(r["key"])) for r in rows]

    def count_credentials(self) -> int:
        row = self._conn.execute("SELECT count(*) FROM credentials").fetchone()
        return int(row[0])

    def set_revoked(self, key: str, *, at: datetime, reason: str) -> None:
        with self.atomic():
            self._conn.execute("UPDATE credentials SET revoked_at = ?, revoked_reason = ? WHERE key = ?",
                               (_ts(at), reason, key))

    def set_suspended(self, key: str, suspended: bool, *, reason: str | None) -> None:
        with self.atomic():
            self._conn.execute("UPDATE credentials SET suspended = ?, suspended_reason = ? WHERE key = ?",
                               (int(suspended), reason, key))

    def get_status_list(self, key: str) -> StatusList | None:
        row = self._one("SELECT * FROM status_lists WHERE key = ?", (key,))
        return None if row is None else _status_list(row)

    def list_status_lists(self) -> list[StatusList]:
        return [_status_list(r) for r in self._all_rows("SELECT * FROM status_lists ORDER BY created, key")]

    def set_status_bit(self, list_key: str, index: int, value: bool) -> int:
        with self.atomic():
            row = self._one("SELECT bits, size, version FROM status_lists WHERE key = ?", (list_key,))
            if row is None:
                raise KeyError(list_key)
            bits = bytearray(row["bits"])
            if not 0 <= index < int(row["size"]):
                raise IndexError(index)
            mask = 1 << (7 - index % 8)  # Bitstring Status List §2.2: index 0 is the left-most bit.
            bits[index // 8] = (bits[index // 8] | mask) if value else (bits[index // 8] & ~mask & 0xFF)
            version = int(row["version"]) + 1
            self._conn.execute("UPDATE status_lists SET bits = ?, version = ? WHERE key = ?",
                               (bytes(bits), version, list_key))
        return version

    def save_signed_status_list(self, key: str, *, version: int, document: dict[str, Any],
                                valid_until: datetime) -> bool:
        with self.atomic():
            cursor = self._conn.execute(
                "UPDATE status_lists SET signed_version = ?, signed_document = ?, signed_valid_until = ? "
                "WHERE key = ? AND version = ?", (version, _dumps(document), _ts(valid_until), key, version))
        return cursor.rowcount > 0

    def allocated_indices(self, list_key: str) -> Iterator[int]:
        for (index,) in self._conn.execute("SELECT idx FROM status_allocations WHERE list_key = ? ORDER BY rowid",
                                           (list_key,)):
            yield int(index)

    # --- users, tokens, outbox ----------------------------------------------------------------------

    def add_user(self, email: str, role: Role, *, password_hash: str | None, created: datetime) -> User:
        with self.atomic():
            cursor = self._conn.execute("INSERT INTO users (email, role, password_hash, created) VALUES (?, ?, ?, ?)",
                                        (email, role, password_hash, _ts(created)))
        user = self.get_user(int(cursor.lastrowid or 0))
        assert user is not None
        return user

    def get_user(self, user_id: int) -> User | None:
        row = self._one("SELECT * FROM users WHERE id = ?", (user_id,))
        return None if row is None else _user(row)

    def get_user_by_email(self, email: str) -> User | None:
        row = self._one("SELECT * FROM users WHERE email = ?", (email,))
        return None if row is None else _user(row)

    def list_users(self) -> list[User]:
        return [_user(r) for r in self._all_rows("SELECT * FROM users ORDER BY id")]

    def set_password_hash(self, user_id: int, password_hash: str) -> None:
        with self.atomic():
            self._conn.execute("UPDATE users SET password_hash = ? WHERE id = ?", (password_hash, user_id))

    def add_api_token(self, token_hash: str, user_id: int, *, created: datetime, label: str | None = None) -> None:
        with self.atomic():
            self._conn.execute("INSERT INTO api_tokens (hash, user_id, label, created) VALUES (?, ?, ?, ?)",
                               (token_hash, user_id, label, _ts(created)))

    def user_for_token(self, token_hash: str) -> User | None:
        row = self._one("SELECT u.* FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.hash = ?", (token_hash,))
        return None if row is None else _user(row)

    def add_outbox(self, to: str, subject: str, body: str, *, created: datetime) -> int:
        with self.atomic():
            cursor = self._conn.execute("INSERT INTO outbox (recipient, subject, body, created) VALUES (?, ?, ?, ?)",
                                        (to, subject, body, _ts(created)))
        return int(cursor.lastrowid or 0)

    def list_outbox(self, *, limit: int = 100) -> list[OutboxMessage]:
        rows = self._all_rows("SELECT * FROM outbox ORDER BY id DESC LIMIT ?", (limit,))
        return [OutboxMessage(id=int(r["id"]), to=r["recipient"], subject=r["subject"], body=r["body"],
                              created=_dt(r["created"]) or datetime.min, sent_at=_dt(r["sent_at"])) for r in rows]

    def mark_sent(self, message_id: int, *, at: datetime) -> None:
        with self.atomic():
            self._conn.execute("UPDATE outbox SET sent_at = ? WHERE id = ?", (_ts(at), message_id))


# --- row → record ---------------------------------------------------------------------------------


def _achievement(row: sqlite3.Row) -> Achievement:
    return Achievement(
        key=row["key"], id=row["id"], name=row["name"], description=row["description"], criteria=row["criteria"],
        image=row["image"], tags=tuple(json.loads(row["tags"])),
        alignments=tuple(Alignment(a["targetName"], a["targetUrl"]) for a in json.loads(row["alignments"])),
        achievement_type=row["achievement_type"], evidence_policy=cast(EvidencePolicy, row["evidence_policy"]),
        retired=bool(row["retired"]), created=_dt(row["created"]) or datetime.min)


def _credential(row: sqlite3.Row, slots: tuple[StatusSlot, ...]) -> CredentialRecord:
    return CredentialRecord(
        key=row["key"], id=row["id"], achievement_key=row["achievement_key"], document=json.loads(row["document"]),
        issued_at=_dt(row["issued_at"]) or datetime.min, recipient_did=row["recipient_did"],
        recipient_email=row["recipient_email"], recipient_name=row["recipient_name"], salt=row["salt"],
        revoked_at=_dt(row["revoked_at"]), revoked_reason=row["revoked_reason"], suspended=bool(row["suspended"]),
        suspended_reason=row["suspended_reason"], slots=slots)


def _status_list(row: sqlite3.Row) -> StatusList:
    signed = row["signed_document"]
    return StatusList(
        key=row["key"], url=row["url"], purpose=row["purpose"], size=int(row["size"]), bits=bytes(row["bits"]),
        version=int(row["version"]), allocated=int(row["allocated"]), closed=bool(row["closed"]),
        signed_version=row["signed_version"], signed_document=json.loads(signed) if signed else None,
        signed_valid_until=_dt(row["signed_valid_until"]))


def _user(row: sqlite3.Row) -> User:
    return User(id=int(row["id"]), email=row["email"], role=cast(Role, row["role"]),
                password_hash=row["password_hash"], created=_dt(row["created"]) or datetime.min)
