"""Status refresh: fetch the status lists held credentials rely on, verify them, record the outcome.

For each status list URL in use: fetch it (``webbase.fetch``: http(s) only, a
timeout, a size limit, no redirect to another host), read it with the strict
JSON reader, and trust it only when ``verifier.verify`` accepts it (its proof by
a key of its issuer, its validity period) and its ``id`` is the URL it was
fetched from. Then every credential relying on it is checked again against the
verified lists; a changed standing re-signs the share links holding that
credential, so their pages and presentations say so.

A list that cannot be fetched or does not verify leaves the credentials as they
were, with "status not checked since …": the cached list is never dropped for a
bad one, and "not revoked" is never claimed without a verified list.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from credentials.errors import CredentialError
from credentials.strictjson import parse_json
from credentials.vcdm import issuer_id
from credentials.xsd import format_datetime, parse_datetime
from verifier.report import Report
from verifier.verify import VerifyOptions, verify
from webbase.cpu import run_cpu
from webbase.fetch import fetch_limited

from .context import Wallet
from .importing import cached_status_lists
from .standing import standing_of
from .storage import CredentialRecord, StatusListRecord
from .storage.records import VALID

log = logging.getLogger("wallet")

MAX_LIST_BYTES = 2 * 1024 * 1024
FETCH_TIMEOUT = 10.0
STATUS_LIST_TYPES = {"BitstringStatusListCredential", "StatusList2021Credential"}

RATE_HITS_KEPT_SECONDS = 86_400.0

Fetcher = Callable[[str], Awaitable[bytes]]


@dataclass
class RefreshReport:
    lists_verified: list[str] = field(default_factory=list)
    lists_failed: dict[str, str] = field(default_factory=dict)
    credentials_changed: list[str] = field(default_factory=list)
    shares_rebuilt: list[str] = field(default_factory=list)


def _default_fetch(wallet: Wallet) -> Fetcher:
    async def fetch(url: str) -> bytes:
        return await fetch_limited(url, timeout=FETCH_TIMEOUT, max_bytes=MAX_LIST_BYTES,
                                   policy=wallet.config.address_policy)

    return fetch


def check_list(document: Any, *, url: str, now: datetime, issuers: Collection[str] | None = None) -> str | None:
    """None when ``document`` is a status list credential for ``url`` that verifies; otherwise why not (CPU-bound).

    ``issuers``: the issuers of the credentials relying on ``url``; a list signed by
    anyone else (a valid proof by the wrong key) is not trusted for them.
    """
    if not isinstance(document, dict):
        return "the status list is not a JSON object"
    types = document.get("type")
    types = types if isinstance(types, list) else [types]
    if not set(map(str, types)) & STATUS_LIST_TYPES:
        return "the document is not a status list credential"
    if document.get("id") != url:
        return f"the status list's id {str(document.get('id'))[:100]!r} is not the URL it was fetched from"
    report: Report = verify(document, VerifyOptions(now=now, clock=now))
    if not report.verified:
        failed = [f"{c.name}: {c.detail}" for c in report.checks if c.status == "failed"]
        return "the status list does not verify: " + ("; ".join(failed) or "its proof could not be checked")
    if issuers is not None and issuer_id(document) not in issuers:
        return (f"the status list is issued by {str(issuer_id(document))[:100]}, not by the issuer of the "
                "credentials relying on it")
    return None


async def refresh_status(wallet: Wallet, *, fetch: Fetcher | None = None) -> RefreshReport:
    """One refresh pass over every status list in use (tests call this directly).

    Several wallet processes on one database each run this pass; each list is claimed
    (``WalletStore.job_claims``) by one of them for the length of the pass, and the others
    skip it, so no list is fetched, verified and applied twice at once. A list claimed
    elsewhere is left to that process, credentials and shares relying on it included.
    """
    with wallet.store.job_claims() as claims:
        urls = [url for url in wallet.store.status_urls_in_use() if claims.claim(f"wallet.status-list:{url}")]
        return await _refresh_lists(wallet, urls, fetch or _default_fetch(wallet))


async def _refresh_lists(wallet: Wallet, urls: list[str], fetch: Fetcher) -> RefreshReport:
    report = RefreshReport()
    now = wallet.now()
    now_text = format_datetime(now)
    changed_lists: set[str] = set()
    for url in urls:
        previous = next(iter(wallet.store.get_status_lists([url])), None)
        try:
            document = parse_json(await fetch(url), max_bytes=MAX_LIST_BYTES)
            issuers = {r.issuer_id for r in wallet.store.credentials_relying_on(url)}
            problem = await run_cpu(check_list, document, url=url, now=now, issuers=issuers)
        except CredentialError as exc:
            document, problem = None, str(exc)
        if problem is not None:
            report.lists_failed[url] = problem
            log.warning("status list %s not used: %s", url, problem)
            wallet.store.put_status_list(StatusListRecord(
                url=url, document=previous.document if previous else None,
                fetched_at=previous.fetched_at if previous else now_text,
                verified=previous.verified if previous else False, error=problem))
            continue
        text = json.dumps(document, ensure_ascii=False, sort_keys=True)
        if previous is None or previous.document != text or not previous.verified:
            changed_lists.add(url)
        wallet.store.put_status_list(StatusListRecord(url=url, document=text, fetched_at=now_text, verified=True))
        report.lists_verified.append(url)
    affected_shares: list[str] = []
    seen: set[str] = set()
    for url in urls:
        for record in wallet.store.credentials_relying_on(url):
            if record.id in seen:
                continue
            seen.add(record.id)
            if await _recheck(wallet, record, changed=bool(set(record.status_urls) & changed_lists),
                              failed=bool(set(record.status_urls) & set(report.lists_failed)), now=now):
                report.credentials_changed.append(record.id)
                affected_shares += [s.id for s in wallet.store.shares_holding(record.id) if s.revoked_at is None]
    from .shares import rebuild_share

    for share_id in dict.fromkeys(affected_shares):
        await rebuild_share(wallet, share_id)
        report.shares_rebuilt.append(share_id)
    return report


async def _recheck(wallet: Wallet, record: CredentialRecord, *, changed: bool, failed: bool, now: datetime) -> bool:
    """Bring one credential's standing up to date.

    True when its shares must be signed again: its state changed, or its
    revocation status was established for the first time (so the share can now
    carry the list and say so).
    """
    now_text = format_datetime(now)
    expiry = parse_datetime(record.valid_until)
    lapsed = record.state == VALID and expiry is not None and now > expiry
    if not changed and not lapsed and record.status_checked_at is not None:
        # The same verified list as last time says the same thing: only the date moves.
        wallet.store.set_credential_state(record.id, state=record.state, detail=record.state_detail,
                                          status_checked_at=record.status_checked_at if failed else now_text,
                                          status_attempted_at=now_text)
        return False
    lists = cached_status_lists(wallet, list(record.status_urls))
    target: dict[str, Any] | str = json.loads(record.document) if record.format == "json" else record.document
    verdict = await run_cpu(verify, target, VerifyOptions(now=now, status_lists=tuple(lists), clock=now))
    standing = standing_of(verdict)
    checked_at = now_text if standing.status_established and not failed else record.status_checked_at
    wallet.store.set_credential_state(record.id, state=standing.state, detail=standing.detail,
                                      status_checked_at=checked_at, status_attempted_at=now_text)
    return standing.state != record.state or (record.status_checked_at is None and checked_at is not None)


async def refresh_forever(wallet: Wallet, *, interval: float, wake: asyncio.Event) -> None:
    """The background task: a pass now, then every ``interval`` seconds or when ``wake`` is set (after an import)."""
    while True:
        try:
            await refresh_status(wallet)
        except asyncio.CancelledError:
            raise
        except Exception:  # A bad pass must not end the task; the next one tries again.
            log.exception("status refresh failed")
        try:
            # Housekeeping rides on the same task: rate-limit hits older than any window (a day is
            # more than the longest, sign-up's hour) are dropped from the shared database.
            wallet.store.forget_rate_hits(older_than_seconds=RATE_HITS_KEPT_SECONDS)
        except Exception:
            log.exception("dropping old rate-limit hits failed")
        try:
            await asyncio.wait_for(wake.wait(), timeout=interval)
        except TimeoutError:
            pass
        wake.clear()
