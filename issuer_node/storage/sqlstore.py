"""The issuer store written once for both backends: settings, catalog, register, status lists, operators, outbox.

``SqlIssuerStore`` holds every method of ``IssuerStore`` (the table families'
mixins included) in the SQL SQLite and PostgreSQL share; ``SqliteIssuerStore``
and ``PgIssuerStore`` add the connection handling and the few dialect words
(``sqlaccess.SqlAccess``). Times are stored as ISO 8601 UTC text on both
backends, so comparisons and orderings are the same string comparisons.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Iterator, Sequence
from datetime import datetime, timezone
from typing import Any, cast

from webbase.ratelimit import HitStore

from .applications import SqlApplicationStore
from .awards import SqlAwardStore
from .bulk import SqlBulkStore
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
from .sqlaccess import Row
from .values import compact_json as _dumps
from .values import parse_timestamp as _dt
from .values import timestamp_text as _ts

# A list takes allocations until this share of it is used, so that a random
# probe finds a free index in at most four tries on average.
FILL_LIMIT = 0.75


def _placeholders(count: int) -> str:
    return ", ".join("?" * count)


class SqlIssuerStore(SqlAwardStore, SqlApplicationStore, SqlBulkStore):
    """Every ``IssuerStore`` method but the backend's own (connections, ``atomic``, ``close``, ``schema_version``)."""

    def close(self) -> None:  # pragma: no cover - provided by the backend
        raise NotImplementedError

    def schema_version(self) -> int:
        return int(self._value("SELECT max(version) AS n FROM migrations") or 0)

    def shared_hit_store(self) -> HitStore | None:
        """Rate-limit counts every process on this database shares; None keeps them in each process."""
        return None

    # --- settings, organization, images -----------------------------------------------------------

    def get_setting(self, name: str) -> str | None:
        row = self._one("SELECT value FROM settings WHERE name = ?", (name,))
        return None if row is None else str(row["value"])

    def set_setting(self, name: str, value: str) -> None:
        with self._write():
            self._run("INSERT INTO settings (name, value) VALUES (?, ?) "
                      "ON CONFLICT(name) DO UPDATE SET value = excluded.value", (name, value))

    def ensure_setting(self, name: str, value: str) -> str:
        with self._write():
            self._run("INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT(name) DO NOTHING", (name, value))
            row = self._one("SELECT value FROM settings WHERE name = ?", (name,))
        assert row is not None
        return str(row["value"])

    def get_organization(self) -> Organization | None:
        row = self._one("SELECT * FROM organization WHERE id = 1")
        if row is None:
            return None
        return Organization(did=row["did"], name=row["name"], url=row["url"], image=row["image"],
                            email=row["email"], description=row["description"])

    def save_organization(self, organization: Organization) -> None:
        with self._write():
            self._run(
                "INSERT INTO organization (id, did, name, url, image, email, description) VALUES (1, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT(id) DO UPDATE SET did = excluded.did, name = excluded.name, url = excluded.url, "
                "image = excluded.image, email = excluded.email, description = excluded.description",
                (organization.did, organization.name, organization.url, organization.image, organization.email,
                 organization.description))

    def put_image(self, data: bytes, media_type: str) -> str:
        digest = hashlib.sha256(data).hexdigest()
        with self._write():
            self._run("INSERT INTO images (digest, media_type, data) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                      (digest, media_type, data))
        return digest

    def get_image(self, digest: str) -> tuple[bytes, str] | None:
        row = self._one("SELECT data, media_type FROM images WHERE digest = ?", (digest,))
        return None if row is None else (bytes(row["data"]), str(row["media_type"]))

    # --- achievements ------------------------------------------------------------------------------

    def add_achievement(self, achievement: Achievement) -> None:
        with self._write():
            self._run(
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
        with self._write():
            changed = self._run("UPDATE achievements SET retired = ? WHERE key = ? OR id = ?", (int(retired), key, key))
        return changed > 0

    def update_achievement(self, key: str, *, name: str, description: str, criteria: str, tags: Sequence[str],
                           evidence_policy: str) -> bool:
        with self._write():
            changed = self._run(
                "UPDATE achievements SET name = ?, description = ?, criteria = ?, tags = ?, evidence_policy = ? "
                "WHERE key = ? OR id = ?", (name, description, criteria, _dumps(list(tags)), evidence_policy, key, key))
        return changed > 0

    # --- status lists and credentials -------------------------------------------------------------

    def _open_list(self, purpose: StatusPurpose, *, url_base: str, size: int) -> Row:
        """The open list of ``purpose`` this transaction allocates in, locked for it until commit.

        On SQLite the write lock makes it the one open list. On PostgreSQL a list
        another transaction is allocating in is passed over (``SKIP LOCKED``), and
        when every open list is taken a new one is opened, up to ``PARALLEL_LISTS``
        open at once; past that the transaction waits for the oldest. Allocators in
        several processes thus run side by side, each in a list of its own.
        """
        select = ("SELECT key, url, size, allocated FROM status_lists WHERE purpose = ? AND closed = 0 "
                  "ORDER BY created, key LIMIT 1")
        row = self._one(select + self.SKIP_LOCKED, (purpose,))
        if row is None and self.PARALLEL_LISTS > 1:
            if int(self._value("SELECT count(*) AS n FROM status_lists WHERE purpose = ? AND closed = 0",
                               (purpose,))) >= self.PARALLEL_LISTS:
                row = self._one(select + self.FOR_UPDATE, (purpose,))  # None if it was closed meanwhile.
        if row is not None:
            return row
        key = f"{purpose[0]}{secrets.token_hex(6)}"
        url = f"{url_base.rstrip('/')}/{key}"
        self._run("INSERT INTO status_lists (key, url, purpose, size, bits, created) VALUES (?, ?, ?, ?, ?, ?)",
                  (key, url, purpose, size, bytes(size // 8), _ts(datetime.now(timezone.utc))))
        created = self._one("SELECT key, url, size, allocated FROM status_lists WHERE key = ?", (key,))
        assert created is not None
        return created

    def _free_indices(self, list_key: str, list_size: int, wanted: int, chosen: set[int]) -> list[int]:
        """``wanted`` random indices of the list, none allocated before nor in ``chosen``, in the order drawn.

        Candidates are drawn uniformly and the taken ones dropped (one query per
        round of draws), so each is uniform over the free indices: an index says
        nothing about when its credential was issued.
        """
        picked: list[int] = []
        while len(picked) < wanted:
            draws: list[int] = []
            for _ in range(2 * (wanted - len(picked)) + 4):
                index = secrets.randbelow(list_size)
                if index not in chosen and index not in draws:
                    draws.append(index)
            taken: set[int] = set()
            for start in range(0, len(draws), 500):
                part = draws[start:start + 500]
                taken |= {int(r["idx"]) for r in self._all_rows(
                    f"SELECT idx FROM status_allocations WHERE list_key = ? AND idx IN ({_placeholders(len(part))})",
                    (list_key, *part))}
            for index in draws:
                if index not in taken and len(picked) < wanted:
                    picked.append(index)
                    chosen.add(index)
        return picked

    def allocate_status(self, purpose: StatusPurpose, credential_keys: Sequence[str], *, url_base: str,
                        size: int) -> list[StatusSlot]:
        slots: list[StatusSlot] = []
        with self._write():
            # One allocator per list at a time (``_open_list`` locks it); the primary key (list_key, idx)
            # would refuse a second hand-out of one index anyway, but then the whole issuance would fail.
            pending = list(credential_keys)
            while pending:
                row = self._open_list(purpose, url_base=url_base, size=size)
                list_key, list_url, list_size, allocated = row["key"], row["url"], int(row["size"]), int(row["allocated"])
                room = max(int(list_size * FILL_LIMIT) - allocated, 0)
                batch = pending[:room]
                indices = self._free_indices(list_key, list_size, len(batch), set())
                taken = [(list_key, index, credential_key) for index, credential_key in zip(indices, batch)]
                slots += [StatusSlot(list_key=list_key, list_url=list_url, purpose=purpose, index=index)
                          for index in indices]
                self._run_many("INSERT INTO status_allocations (list_key, idx, credential_key) VALUES (?, ?, ?)", taken)
                full = allocated + len(taken) >= int(list_size * FILL_LIMIT)
                self._run("UPDATE status_lists SET allocated = allocated + ?, closed = ? WHERE key = ?",
                          (len(taken), int(full), list_key))
                pending = pending[len(taken):]
        return slots

    def insert_credentials(self, credentials: Sequence[NewCredential]) -> None:
        with self._write():
            self._run_many(
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
            clauses.append(f"(recipient_email = ? OR recipient_did = ? OR recipient_name {self.LIKE} ?)")
            params += [recipient.lower(), recipient, f"%{recipient}%"]
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        rows = self._all_rows(f"SELECT * FROM credentials {where} ORDER BY issued_at DESC, key LIMIT ? OFFSET ?",
                              (*params, limit, offset))
        return [_credential(r, self._slots_for(r["key"])) for r in rows]

    def count_credentials(self) -> int:
        return int(self._value("SELECT count(*) AS n FROM credentials"))

    def set_revoked(self, key: str, *, at: datetime, reason: str) -> None:
        with self._write():
            self._run("UPDATE credentials SET revoked_at = ?, revoked_reason = ? WHERE key = ?", (_ts(at), reason, key))

    def set_suspended(self, key: str, suspended: bool, *, reason: str | None) -> None:
        with self._write():
            self._run("UPDATE credentials SET suspended = ?, suspended_reason = ? WHERE key = ?",
                      (int(suspended), reason, key))

    def get_status_list(self, key: str) -> StatusList | None:
        row = self._one("SELECT * FROM status_lists WHERE key = ?", (key,))
        return None if row is None else _status_list(row)

    def list_status_lists(self) -> list[StatusList]:
        return [_status_list(r) for r in self._all_rows("SELECT * FROM status_lists ORDER BY created, key")]

    def set_status_bit(self, list_key: str, index: int, value: bool) -> int:
        with self._write():
            # Read, change one bit, write back: the row stays locked in between (two revocations at once keep both).
            row = self._one(f"SELECT bits, size, version FROM status_lists WHERE key = ?{self.FOR_UPDATE}", (list_key,))
            if row is None:
                raise KeyError(list_key)
            bits = bytearray(row["bits"])
            if not 0 <= index < int(row["size"]):
                raise IndexError(index)
            mask = 1 << (7 - index % 8)  # Bitstring Status List §2.2: index 0 is the left-most bit.
            bits[index // 8] = (bits[index // 8] | mask) if value else (bits[index // 8] & ~mask & 0xFF)
            version = int(row["version"]) + 1
            self._run("UPDATE status_lists SET bits = ?, version = ? WHERE key = ?", (bytes(bits), version, list_key))
        return version

    def save_signed_status_list(self, key: str, *, version: int, document: dict[str, Any],
                                valid_until: datetime) -> bool:
        with self._write():
            changed = self._run(
                "UPDATE status_lists SET signed_version = ?, signed_document = ?, signed_valid_until = ? "
                "WHERE key = ? AND version = ?", (version, _dumps(document), _ts(valid_until), key, version))
        return changed > 0

    def allocated_indices(self, list_key: str) -> Iterator[int]:
        for row in self._all_rows(f"SELECT idx FROM status_allocations WHERE list_key = ? ORDER BY {self.ALLOCATION_ORDER}",
                                  (list_key,)):
            yield int(row["idx"])

    # --- users, tokens, outbox ----------------------------------------------------------------------

    def add_user(self, email: str, role: Role, *, password_hash: str | None, created: datetime) -> User:
        with self._write():
            user_id = self._insert_id("INSERT INTO users (email, role, password_hash, created) VALUES (?, ?, ?, ?)",
                                      (email, role, password_hash, _ts(created)))
            user = self.get_user(user_id)
        assert user is not None
        return user

    def get_user(self, user_id: int) -> User | None:
        row = self._one("SELECT * FROM users WHERE id = ?", (user_id,))
        return None if row is None else _user(row)

    def get_user_by_email(self, email: str) -> User | None:
        row = self._one(f"SELECT * FROM users WHERE {self.EMAIL_MATCH}", (email,))
        return None if row is None else _user(row)

    def list_users(self) -> list[User]:
        return [_user(r) for r in self._all_rows("SELECT * FROM users ORDER BY id")]

    def set_password_hash(self, user_id: int, password_hash: str) -> None:
        with self._write():
            self._run("UPDATE users SET password_hash = ? WHERE id = ?", (password_hash, user_id))

    def add_api_token(self, token_hash: str, user_id: int, *, created: datetime, label: str | None = None) -> None:
        with self._write():
            self._run("INSERT INTO api_tokens (hash, user_id, label, created) VALUES (?, ?, ?, ?)",
                      (token_hash, user_id, label, _ts(created)))

    def user_for_token(self, token_hash: str) -> User | None:
        row = self._one("SELECT u.* FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.hash = ?", (token_hash,))
        return None if row is None else _user(row)

    def add_outbox(self, to: str, subject: str, body: str, *, created: datetime) -> int:
        with self._write():
            return self._insert_id("INSERT INTO outbox (recipient, subject, body, created) VALUES (?, ?, ?, ?)",
                                   (to, subject, body, _ts(created)))

    def list_outbox(self, *, limit: int = 100) -> list[OutboxMessage]:
        rows = self._all_rows("SELECT * FROM outbox ORDER BY id DESC LIMIT ?", (limit,))
        return [_outbox(r) for r in rows]

    def mark_sent(self, message_id: int, *, at: datetime) -> None:
        with self._write():
            self._run("UPDATE outbox SET sent_at = ? WHERE id = ?", (_ts(at), message_id))

    def claim_outbox(self, worker: str, *, now: datetime, stale_before: datetime, max_attempts: int,
                     limit: int) -> list[OutboxMessage]:
        with self._write():
            rows = self._all_rows(
                "UPDATE outbox SET claimed_by = ?, claimed_at = ? WHERE id IN (SELECT id FROM outbox "
                "WHERE sent_at IS NULL AND attempts < ? AND (claimed_at IS NULL OR claimed_at < ?) "
                f"ORDER BY id LIMIT ?{self.SKIP_LOCKED}) RETURNING *",
                (worker, _ts(now), max_attempts, _ts(stale_before), limit))
        return sorted((_outbox(r) for r in rows), key=lambda m: m.id)

    def release_outbox(self, message_id: int, worker: str, *, failed: bool) -> None:
        with self._write():
            self._run("UPDATE outbox SET claimed_by = NULL, claimed_at = NULL, attempts = attempts + ? "
                      "WHERE id = ? AND claimed_by = ?", (int(failed), message_id, worker))


# --- row → record ---------------------------------------------------------------------------------


def _achievement(row: Row) -> Achievement:
    return Achievement(
        key=row["key"], id=row["id"], name=row["name"], description=row["description"], criteria=row["criteria"],
        image=row["image"], tags=tuple(json.loads(row["tags"])),
        alignments=tuple(Alignment(a["targetName"], a["targetUrl"]) for a in json.loads(row["alignments"])),
        achievement_type=row["achievement_type"], evidence_policy=cast(EvidencePolicy, row["evidence_policy"]),
        retired=bool(row["retired"]), created=_dt(row["created"]) or datetime.min)


def _credential(row: Row, slots: tuple[StatusSlot, ...]) -> CredentialRecord:
    return CredentialRecord(
        key=row["key"], id=row["id"], achievement_key=row["achievement_key"], document=json.loads(row["document"]),
        issued_at=_dt(row["issued_at"]) or datetime.min, recipient_did=row["recipient_did"],
        recipient_email=row["recipient_email"], recipient_name=row["recipient_name"], salt=row["salt"],
        revoked_at=_dt(row["revoked_at"]), revoked_reason=row["revoked_reason"], suspended=bool(row["suspended"]),
        suspended_reason=row["suspended_reason"], slots=slots)


def _status_list(row: Row) -> StatusList:
    signed = row["signed_document"]
    return StatusList(
        key=row["key"], url=row["url"], purpose=row["purpose"], size=int(row["size"]), bits=bytes(row["bits"]),
        version=int(row["version"]), allocated=int(row["allocated"]), closed=bool(row["closed"]),
        signed_version=row["signed_version"], signed_document=json.loads(signed) if signed else None,
        signed_valid_until=_dt(row["signed_valid_until"]))


def _user(row: Row) -> User:
    return User(id=int(row["id"]), email=row["email"], role=cast(Role, row["role"]),
                password_hash=row["password_hash"], created=_dt(row["created"]) or datetime.min)


def _outbox(row: Row) -> OutboxMessage:
    return OutboxMessage(id=int(row["id"]), to=row["recipient"], subject=row["subject"], body=row["body"],
                         created=_dt(row["created"]) or datetime.min, sent_at=_dt(row["sent_at"]))
