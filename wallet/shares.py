"""Share links: choose credentials, get a link; see views; revoke.

The token in the link carries 192 bits from ``secrets`` and is the only way to
the page; the share id (the presentation's challenge) is what the API names.
The presentation is signed and verified when the link is made, and again when
``rebuild_share`` is called (a status refresh changed a credential's standing, or
a credential was deleted); a view reads what is stored and never verifies.
A link's expiry is the link's own; a badge's validity is the badge's.
"""

from __future__ import annotations

import json
import secrets
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from credentials.xsd import format_datetime, parse_datetime
from webbase.cpu import run_cpu

from .accounts import holder_key
from .context import Wallet
from .errors import Gone, NotFound, Refused
from .importing import cached_status_lists
from .presenting import sign_and_check
from .storage import AccountRecord, CredentialRecord, ShareRecord

TOKEN_BYTES = 24
MAX_CREDENTIALS_PER_SHARE = 100
MAX_NOTE = 500


def share_url(wallet: Wallet, share: ShareRecord) -> str:
    return wallet.url(f"/s/{share.token}")


def parse_expiry(value: Any, *, now: datetime) -> str | None:
    if value is None:
        return None
    moment = parse_datetime(value) if isinstance(value, str) else None
    if moment is None:
        raise Refused("expires must be an ISO 8601 date-time with a time zone (such as 2027-01-31T12:00:00Z) or null",
                      code="bad_expiry")
    if moment <= now:
        raise Refused("expires must be in the future", code="bad_expiry")
    return format_datetime(moment)


async def create_share(wallet: Wallet, account: AccountRecord, credential_ids: Sequence[str], *,
                       expires: str | None, note: str | None) -> ShareRecord:
    """Make a link to a presentation of ``credential_ids`` (the account's own), signed now."""
    ids = list(dict.fromkeys(credential_ids))
    if not ids:
        raise Refused("choose at least one credential to share", code="no_credentials")
    if len(ids) > MAX_CREDENTIALS_PER_SHARE:
        raise Refused(f"a link holds at most {MAX_CREDENTIALS_PER_SHARE} credentials", code="too_many_credentials")
    if note is not None and len(note) > MAX_NOTE:
        raise Refused(f"the note must be at most {MAX_NOTE} characters", code="note_too_long")
    records = wallet.store.get_credentials(account.id, ids)
    if len(records) != len(ids):
        missing = sorted(set(ids) - {r.id for r in records})
        raise NotFound(f"no credential {missing[0]} in this wallet", code="credential_not_found")
    share_id = str(uuid.uuid4())
    now = wallet.now()
    checked_at = format_datetime(now)
    signed = await sign_share(wallet, account, share_id, records, now=now, checked_at=checked_at)
    share = ShareRecord(id=share_id, account_id=account.id, token=secrets.token_urlsafe(TOKEN_BYTES), note=note,
                        expires_at=parse_expiry(expires, now=now), created_at=checked_at, credential_ids=tuple(ids),
                        presentation=signed[0], results=signed[1], checked_at=checked_at)
    wallet.store.add_share(share)
    return share


async def sign_share(wallet: Wallet, account: AccountRecord, share_id: str, records: list[CredentialRecord], *,
                now: datetime, checked_at: str) -> tuple[str, str]:
    urls = list(dict.fromkeys(url for r in records for url in r.status_urls))
    lists = cached_status_lists(wallet, urls)
    signed = await run_cpu(sign_and_check, records, holder=holder_key(wallet, account), share_id=share_id,
                           domain=wallet.config.public_url, status_lists=lists, now=now, checked_at=checked_at)
    return json.dumps(signed.presentation, ensure_ascii=False), json.dumps(signed.results, ensure_ascii=False)


async def rebuild_share(wallet: Wallet, share_id: str) -> None:
    """Sign the share's presentation again with what the wallet now holds (fresh status lists, fewer credentials)."""
    share = wallet.store.share_by_id(share_id)
    account = wallet.store.get_account(share.account_id) if share is not None else None
    if share is None or account is None or share.revoked_at is not None:
        return
    records = wallet.store.get_credentials(account.id, list(share.credential_ids))
    now = wallet.now()
    checked_at = format_datetime(now)
    if not records:
        wallet.store.revoke_share(account.id, share.id, now=checked_at)
        return
    presentation, results = await sign_share(wallet, account, share.id, records, now=now, checked_at=checked_at)
    wallet.store.set_share_presentation(share.id, credential_ids=[r.id for r in records], presentation=presentation,
                                        results=results, checked_at=checked_at)


def share_summary(wallet: Wallet, share: ShareRecord, *, now: datetime) -> dict[str, Any]:
    return {"id": share.id, "url": share_url(wallet, share), "note": share.note, "expires": share.expires_at,
            "createdAt": share.created_at, "revokedAt": share.revoked_at, "views": share.views,
            "credentials": list(share.credential_ids), "checkedAt": share.checked_at,
            "active": link_state(share, now=now) == "active"}


def link_state(share: ShareRecord, *, now: datetime) -> str:
    if share.revoked_at is not None:
        return "revoked"
    expires = parse_datetime(share.expires_at)
    if expires is not None and now >= expires:
        return "expired"
    return "active"


def list_shares(wallet: Wallet, account: AccountRecord) -> list[dict[str, Any]]:
    now = wallet.now()
    return [share_summary(wallet, s, now=now) for s in wallet.store.list_shares(account.id)]


def revoke_share(wallet: Wallet, account: AccountRecord, share_id: str) -> None:
    if not wallet.store.revoke_share(account.id, share_id, now=wallet.now_text()):
        raise NotFound(f"no share {share_id} in this wallet", code="share_not_found")


def open_share(wallet: Wallet, token: str) -> ShareRecord:
    """The share behind a link, counting the view; 404 unknown, 410 revoked or expired (showing nothing)."""
    share = wallet.store.share_by_token(token)
    if share is None:
        raise NotFound("there is no share link at this address", code="share_not_found")
    state = link_state(share, now=wallet.now())
    if state == "revoked":
        raise Gone("this share link has been revoked by its owner", code="share_revoked")
    if state == "expired":
        raise Gone(f"this share link expired at {share.expires_at}", code="share_expired")
    wallet.store.count_view(share.id)
    return share
