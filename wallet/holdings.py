"""The learner's held credentials: list (filtered, paginated), read, delete.

Every call is scoped to one account: another account's credential is "not
found", exactly like one that does not exist. Deleting a credential takes it out
of the share links that held it; their presentations are signed again without
it (``shares.rebuild_share``), and a link left with nothing is revoked.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

from .context import Wallet
from .errors import NotFound, Refused
from .storage import AccountRecord, CredentialQuery, CredentialRecord

MAX_LIMIT = 200


def status_line(record: CredentialRecord) -> str:
    """The learner-facing status in plain words, never "not revoked" without a verified list."""
    if record.status_checked_at:
        return f"{record.state}, as of {record.status_checked_at}"
    if record.status_urls:
        since = record.status_attempted_at or record.added_at
        return f"{record.state}; revocation status not checked since {since}"
    return f"{record.state}; its issuer publishes no status list"


def credential_summary(record: CredentialRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "issuer": {"id": record.issuer_id, "name": record.issuer_name, "source": "claimed by the credential"},
        "name": record.achievement_name,
        "description": record.description,
        "tags": list(record.tags),
        "validFrom": record.valid_from,
        "validUntil": record.valid_until,
        "addedAt": record.added_at,
        "format": record.format,
        "status": {"state": record.state, "detail": record.state_detail, "checkedAt": record.status_checked_at,
                   "attemptedAt": record.status_attempted_at, "lists": list(record.status_urls),
                   "line": status_line(record)},
    }


def credential_document(record: CredentialRecord) -> dict[str, Any] | str:
    return json.loads(record.document) if record.format == "json" else record.document


def parse_query(params: dict[str, str]) -> CredentialQuery:
    """Read ``issuer``, ``tag``, ``q``, ``from``, ``until`` (dates of issue), ``limit`` and ``cursor`` (400 when bad)."""
    try:
        limit = int(params.get("limit", "50"))
        cursor = int(params["cursor"]) if params.get("cursor") else None
    except ValueError:
        raise Refused("limit and cursor must be integers", code="bad_query") from None
    if not 1 <= limit <= MAX_LIMIT:
        raise Refused(f"limit must be between 1 and {MAX_LIMIT}", code="bad_query")
    issued_from = _day(params.get("from"), "from")
    until = _day(params.get("until"), "until")
    return CredentialQuery(issuer=params.get("issuer") or None, tag=params.get("tag") or None,
                           text=params.get("q") or None, limit=limit, cursor=cursor,
                           issued_from=issued_from.isoformat() if issued_from else None,
                           issued_before=(until + timedelta(days=1)).isoformat() if until else None)


def _day(value: str | None, name: str) -> date | None:
    """A ``from``/``until`` filter: a calendar date (YYYY-MM-DD) of the credential's validFrom, UTC."""
    if not value:
        return None
    text = value.strip()
    try:
        if len(text) != 10:
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError:
        raise Refused(f"{name} must be a date such as 2026-09-01", code="bad_query") from None


def list_credentials(wallet: Wallet, account: AccountRecord, query: CredentialQuery) -> dict[str, Any]:
    page = wallet.store.list_credentials(account.id, query)
    return {"items": [credential_summary(r) for r in page.items],
            "nextCursor": str(page.next_cursor) if page.next_cursor is not None else None}


def get_credential(wallet: Wallet, account: AccountRecord, credential_id: str) -> CredentialRecord:
    record = wallet.store.get_credential(account.id, credential_id)
    if record is None:
        raise NotFound(f"no credential {credential_id} in this wallet", code="credential_not_found")
    return record


async def delete_credential(wallet: Wallet, account: AccountRecord, credential_id: str) -> None:
    from .shares import rebuild_share

    record = get_credential(wallet, account, credential_id)
    affected = wallet.store.shares_holding(record.id)
    wallet.store.delete_credential(account.id, record.id)
    for share in affected:
        if share.revoked_at is None:
            await rebuild_share(wallet, share.id)
