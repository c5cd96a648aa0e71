"""The values the issuer store returns: frozen dataclasses, one per table row shape.

Documents (a signed credential, a signed status list) stay JSON dicts; the rest
are plain typed values. Times are ``datetime`` in UTC.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

Role = Literal["admin", "reviewer"]
EvidencePolicy = Literal["required", "optional"]
StatusPurpose = Literal["revocation", "suspension"]
ROLES: tuple[Role, ...] = ("admin", "reviewer")
EVIDENCE_POLICIES: tuple[EvidencePolicy, ...] = ("required", "optional")
STATUS_PURPOSES: tuple[StatusPurpose, ...] = ("revocation", "suspension")


@dataclass(frozen=True)
class Organization:
    """The issuer ``Profile``'s content; ``did`` is the node key's did:key."""

    did: str
    name: str
    url: str
    image: str | None = None
    email: str | None = None
    description: str | None = None


@dataclass(frozen=True)
class Alignment:
    target_name: str
    target_url: str


@dataclass(frozen=True)
class Achievement:
    """A badge the organization defines. ``key`` is the uuid in its URL; ``id`` the URL itself, fixed at creation."""

    key: str
    id: str
    name: str
    description: str
    criteria: str
    image: str | None
    tags: tuple[str, ...]
    alignments: tuple[Alignment, ...]
    evidence_policy: EvidencePolicy
    retired: bool
    created: datetime
    achievement_type: str | None = None


@dataclass(frozen=True)
class StatusSlot:
    """One allocated position: bit ``index`` of status list ``list_key`` (published at ``list_url``)."""

    list_key: str
    list_url: str
    purpose: StatusPurpose
    index: int


@dataclass(frozen=True)
class NewCredential:
    """A signed credential ready to be stored (its status slots were allocated in the same transaction)."""

    key: str
    id: str
    achievement_key: str
    document: dict[str, Any]
    issued_at: datetime
    recipient_did: str | None = None
    recipient_email: str | None = None
    recipient_name: str | None = None
    salt: str | None = None


@dataclass(frozen=True)
class CredentialRecord:
    """The issuer's register entry for one credential."""

    key: str
    id: str
    achievement_key: str
    document: dict[str, Any]
    issued_at: datetime
    recipient_did: str | None
    recipient_email: str | None
    recipient_name: str | None
    salt: str | None
    revoked_at: datetime | None
    revoked_reason: str | None
    suspended: bool
    suspended_reason: str | None
    slots: tuple[StatusSlot, ...] = field(default=())


@dataclass(frozen=True)
class StatusList:
    """A status list: its bits, the version they are at, and the signed document last published for them.

    ``version`` grows with every change of a bit; the cached signed document is
    current when ``signed_version == version`` (and it is still valid).
    """

    key: str
    url: str
    purpose: StatusPurpose
    size: int
    bits: bytes
    version: int
    allocated: int
    closed: bool
    signed_version: int | None
    signed_document: dict[str, Any] | None
    signed_valid_until: datetime | None


@dataclass(frozen=True)
class User:
    id: int
    email: str
    role: Role
    password_hash: str | None
    created: datetime


@dataclass(frozen=True)
class OutboxMessage:
    id: int
    to: str
    subject: str
    body: str
    created: datetime
    sent_at: datetime | None
