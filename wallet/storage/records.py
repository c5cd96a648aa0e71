"""The wallet's stored values: frozen records that every storage backend reads and writes.

Times are ISO 8601 UTC strings (``2026-12-01T19:00:00Z``) so that they sort as text
and survive any backend unchanged. Documents stay JSON text (or a compact JWT):
the bytes an issuer signed are what the wallet keeps.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Credential states shown to the learner (and stored so a list page never re-verifies).
VALID, EXPIRED, NOT_YET_VALID, REVOKED, SUSPENDED, INVALID = (
    "valid", "expired", "not yet valid", "revoked", "suspended", "invalid")


@dataclass(frozen=True)
class AccountRecord:
    id: str
    login_email: str
    password_hash: str
    did: str
    holder_key_sealed: bytes = field(repr=False)
    created_at: str


@dataclass(frozen=True)
class EmailRecord:
    account_id: str
    email: str
    created_at: str
    confirmed_at: str | None = None
    confirm_token_hash: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class OutboxMessage:
    to: str
    subject: str
    body: str
    created_at: str
    sent: bool = False
    id: int | None = None


@dataclass(frozen=True)
class CredentialRecord:
    """One held credential, with the summary fields lists and pages show without parsing it again."""

    id: str
    account_id: str
    content_hash: str
    format: str                       # "json" (a JSON-LD credential) or "jwt" (a compact VC-JWT)
    document: str                     # the JSON text or the compact JWT, as received
    issuer_id: str
    issuer_name: str | None
    achievement_name: str | None
    image: str | None
    description: str | None
    tags: tuple[str, ...]
    valid_from: str | None
    valid_until: str | None
    added_at: str
    source: str                       # how it came: "json", "png", "svg", "jwt", "presentation", "export", ...
    state: str = VALID
    state_detail: str = ""
    status_urls: tuple[str, ...] = ()  # the status list credentials it relies on
    status_checked_at: str | None = None   # when revocation was last established from a verified list
    status_attempted_at: str | None = None  # when a refresh last tried
    seq: int | None = None


@dataclass(frozen=True)
class StatusListRecord:
    """The status cache: the last status list credential fetched from ``url``, and whether it verified."""

    url: str
    document: str | None
    fetched_at: str
    verified: bool
    error: str | None = None


@dataclass(frozen=True)
class ShareRecord:
    id: str                           # the presentation's challenge; shown in the API
    account_id: str
    token: str = field(repr=False)    # the secret in the link (>= 128 bits)
    note: str | None
    expires_at: str | None
    created_at: str
    credential_ids: tuple[str, ...]
    presentation: str | None = None   # the signed VP, JSON text
    results: str | None = None        # JSON: the verification report and per-badge summaries, computed at signing
    checked_at: str | None = None
    revoked_at: str | None = None
    views: int = 0
