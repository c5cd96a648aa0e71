"""The issuer store's interface: what handlers and features may ask of storage, and nothing more.

One ``Protocol`` per table family, composed into ``IssuerStore``, so that a
later feature (awards and offers, applications, bulk jobs) adds its own family
protocol here and its methods to the implementations (``SqliteIssuerStore``,
``PgIssuerStore``, sharing their SQL in ``sqlstore``) without touching a handler
(DESIGN.md §4).

Transactions: every method is atomic on its own. A feature that needs several
calls to succeed or fail together wraps them in ``with store.atomic():``
(nested blocks are savepoints). Methods that change several rows do so in one
transaction themselves; called inside an ``atomic()`` block they are part of
it, and a failure rolls back to that block (a savepoint per method on SQLite).

Several processes: on PostgreSQL, transactions of different processes run side
by side. What must happen once (an index handed out, a code redeemed, a
message sent, a bulk row issued) is settled by the store itself, with a
constraint, a conditional statement, a row lock or an advisory lock, never by
a read in the caller followed by a write.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any, Protocol

from webbase.ratelimit import HitStore

from .applications import ApplicationStore
from .awards import AwardStore
from .bulk import BulkStore
from .records import Achievement, CredentialRecord, NewCredential, Organization, OutboxMessage, Role, StatusList, StatusPurpose, StatusSlot, User


class BaseStore(Protocol):
    def atomic(self) -> AbstractContextManager[None]:
        """One write transaction (a savepoint when nested); commits on success, rolls back on an exception."""
        ...

    def close(self) -> None: ...

    def schema_version(self) -> int:
        """The highest migration applied."""
        ...

    def get_setting(self, name: str) -> str | None: ...

    def set_setting(self, name: str, value: str) -> None: ...

    def ensure_setting(self, name: str, value: str) -> str:
        """The setting's value, storing ``value`` first when there is none: racing processes all get the first one."""
        ...

    def shared_hit_store(self) -> HitStore | None:
        """Rate-limit counts shared by every process on this database (PostgreSQL); None keeps them per process."""
        ...

    def get_organization(self) -> Organization | None: ...

    def save_organization(self, organization: Organization) -> None: ...

    def put_image(self, data: bytes, media_type: str) -> str:
        """Store image bytes by content (sha256 hex, returned); storing the same bytes twice is a no-op."""
        ...

    def get_image(self, digest: str) -> tuple[bytes, str] | None: ...


class CatalogStore(Protocol):
    """Achievements (the badges an organization defines)."""

    def add_achievement(self, achievement: Achievement) -> None: ...

    def get_achievement(self, key: str) -> Achievement | None:
        """By uuid key or by full id URL."""
        ...

    def list_achievements(self, *, include_retired: bool = True) -> list[Achievement]: ...

    def set_achievement_retired(self, key: str, retired: bool) -> bool:
        """False when there is no such achievement."""
        ...

    def update_achievement(self, key: str, *, name: str, description: str, criteria: str, tags: Sequence[str],
                           evidence_policy: str) -> bool:
        """Change what an achievement says (never its id); False when there is no such achievement."""
        ...


class RegisterStore(Protocol):
    """Issued credentials, status lists and the allocation of their bits."""

    def allocate_status(self, purpose: StatusPurpose, credential_keys: Sequence[str], *, url_base: str,
                        size: int) -> list[StatusSlot]:
        """Give each credential a random position never handed out before, in the open list of ``purpose``.

        A list takes allocations until three quarters of it are used; then a new
        list (``{url_base}/{key}``, ``size`` bits) is opened. Must run inside the
        ``atomic()`` block that also calls ``insert_credentials`` for these keys:
        the allocation rows refer to the credentials, and that reference is
        checked at commit, so an index is never reserved for nothing.
        """
        ...

    def insert_credentials(self, credentials: Sequence[NewCredential]) -> None:
        """Store signed credentials, all in one transaction."""
        ...

    def get_credential(self, key: str) -> CredentialRecord | None:
        """By uuid key or by full id URL."""
        ...

    def list_credentials(self, *, achievement_key: str | None = None, recipient: str | None = None,
                         limit: int = 100, offset: int = 0) -> list[CredentialRecord]: ...

    def count_credentials(self) -> int: ...

    def set_revoked(self, key: str, *, at: datetime, reason: str) -> None: ...

    def set_suspended(self, key: str, suspended: bool, *, reason: str | None) -> None: ...

    def get_status_list(self, key: str) -> StatusList | None: ...

    def list_status_lists(self) -> list[StatusList]: ...

    def set_status_bit(self, list_key: str, index: int, value: bool) -> int:
        """Set one bit and bump the list's version (returned)."""
        ...

    def save_signed_status_list(self, key: str, *, version: int, document: dict[str, Any],
                                valid_until: datetime) -> bool:
        """Cache the signed list for ``version``; False (nothing saved) when the bits moved on meanwhile."""
        ...

    def allocated_indices(self, list_key: str) -> Iterator[int]: ...


class AccountStore(Protocol):
    """Operators (admins, reviewers), their API tokens, and the mail outbox."""

    def add_user(self, email: str, role: Role, *, password_hash: str | None, created: datetime) -> User: ...

    def get_user(self, user_id: int) -> User | None: ...

    def get_user_by_email(self, email: str) -> User | None: ...

    def list_users(self) -> list[User]: ...

    def set_password_hash(self, user_id: int, password_hash: str) -> None: ...

    def add_api_token(self, token_hash: str, user_id: int, *, created: datetime, label: str | None = None) -> None: ...

    def user_for_token(self, token_hash: str) -> User | None: ...

    def add_outbox(self, to: str, subject: str, body: str, *, created: datetime) -> int: ...

    def list_outbox(self, *, limit: int = 100) -> list[OutboxMessage]: ...

    def mark_sent(self, message_id: int, *, at: datetime) -> None: ...

    def claim_outbox(self, worker: str, *, now: datetime, stale_before: datetime, max_attempts: int,
                     limit: int) -> list[OutboxMessage]:
        """Claim up to ``limit`` unsent messages for ``worker`` (oldest first), atomically.

        A message is claimable when unsent, tried fewer than ``max_attempts``
        times, and unclaimed or claimed before ``stale_before`` (its sender
        died). Two processes claiming at once never get the same message.
        """
        ...

    def release_outbox(self, message_id: int, worker: str, *, failed: bool) -> None:
        """Give a claimed, unsent message back (counting a failed attempt when ``failed``)."""
        ...


class IssuerStore(BaseStore, CatalogStore, RegisterStore, AccountStore, AwardStore, ApplicationStore, BulkStore,
                  Protocol):
    """The whole storage interface of one issuer node."""
