"""Importing credentials: verify each one, check it is addressed to the account, store it once.

Policy (issue 14): every item is verified with ``verifier.verify`` first (proof,
contexts and undefined terms, schema, validity, and status when a verified list
is cached) and must verify; it must be addressed to the account: its
``credentialSubject.id`` is the account's holder did, or an OB 3.0
IdentityObject matches one of its *confirmed* emails. A refused item is not
stored. The accepted ones are stored in one transaction, once per account
(identity: the hash of the canonical form; see ``badge.content_hash``).

Verification is CPU work: ``examine`` is a plain function that callers run
through ``webbase.cpu.run_cpu``; storage stays on the caller's thread.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from credentials.errors import CredentialError
from credentials.ob3 import matches_identity
from verifier.report import FAILED, Check
from verifier.verify import VerifyOptions, verify
from webbase.cpu import run_cpu

from .accounts import confirmed_emails
from .badge import BadgeFacts, content_hash, read_facts
from .context import Wallet
from .reading import Candidate, Item, Unreadable
from .standing import standing_of
from .storage import AccountRecord, CredentialRecord
from .storage.records import VALID


@dataclass(frozen=True)
class Examined:
    """A candidate after verification: the record to store, or the checks that refused it."""

    label: str
    record: CredentialRecord | None = None
    refused: tuple[Check, ...] = ()


@dataclass
class ImportReport:
    added: list[dict[str, Any]] = field(default_factory=list)
    duplicates: list[dict[str, Any]] = field(default_factory=list)
    refused: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"added": self.added, "duplicates": self.duplicates, "refused": self.refused}


def examine(candidate: Candidate, *, account_id: str, did: str, emails: Sequence[str],
            status_lists: Sequence[dict[str, Any]], now: datetime, added_at: str) -> Examined:
    """Verify one candidate and decide; never raises for a bad document (CPU-bound: run it off the loop)."""
    target: dict[str, Any] | str = candidate.document if candidate.document is not None else candidate.jwt or ""
    report = verify(target, VerifyOptions(now=now, status_lists=tuple(status_lists), clock=now))
    if not report.verified:
        bad = tuple(c for c in report.checks if c.status == FAILED) or tuple(
            c for c in report.checks if c.name == "proof")
        return Examined(candidate.label, refused=bad)
    try:
        facts = read_facts(candidate)
    except CredentialError as exc:
        return Examined(candidate.label, refused=(Check("syntax", FAILED, exc.code, str(exc)),))
    addressed = _addressed(facts, did=did, emails=emails)
    if addressed is not None:
        return Examined(candidate.label, refused=(addressed,))
    standing = standing_of(report)
    record = CredentialRecord(
        id=uuid.uuid4().hex, account_id=account_id, content_hash=content_hash(candidate),
        format="jwt" if candidate.jwt is not None else "json",
        document=candidate.jwt if candidate.jwt is not None else json.dumps(candidate.document, ensure_ascii=False),
        issuer_id=facts.issuer_id, issuer_name=facts.issuer_name, achievement_name=facts.name, image=facts.image,
        description=facts.description, tags=facts.tags, valid_from=facts.valid_from, valid_until=facts.valid_until,
        added_at=added_at, source=candidate.source, state=standing.state if standing.state else VALID,
        state_detail=standing.detail, status_urls=facts.status_urls,
        status_checked_at=added_at if standing.status_established else None,
        status_attempted_at=added_at if standing.status_established else None)
    return Examined(candidate.label, record=record)


def _addressed(facts: BadgeFacts, *, did: str, emails: Sequence[str]) -> Check | None:
    """None when the credential is the account's; otherwise the failed ``recipient`` check saying why not."""
    if did in facts.subject_ids:
        return None
    for identity in facts.identity_objects:
        if any(matches_identity(identity, email) for email in emails):
            return None
    if facts.subject_ids:
        detail = (f"the credential is about {facts.subject_ids[0]}, not this account's holder did {did}")
    elif facts.identity_objects:
        detail = ("the credential is addressed to an email address that is not one of this account's confirmed "
                  "emails (add and confirm it first)")
    else:
        detail = "the credential names no recipient this account can claim (no subject id, no identity)"
    return Check("recipient", FAILED, "not_addressed_to_account", detail)


async def import_candidates(wallet: Wallet, account: AccountRecord, items: Sequence[Item]) -> ImportReport:
    """Verify and store ``items`` for ``account``; the per-item report (issue 14's answer shape)."""
    report = ImportReport()
    emails = confirmed_emails(wallet, account.id)
    now = wallet.now()
    added_at = wallet.now_text()
    examined: list[Examined] = []
    for item in items:
        if isinstance(item, Unreadable):
            report.refused.append({"item": item.label, "checks": [item.check.to_json()]})
            continue
        lists = cached_status_lists(wallet, _status_urls_of(item))
        examined.append(await run_cpu(examine, item, account_id=account.id, did=account.did, emails=emails,
                                      status_lists=lists, now=now, added_at=added_at))
    accepted = [e for e in examined if e.record is not None]
    # One content hash imported twice in the same upload: the second is a duplicate of the first.
    unique: dict[str, CredentialRecord] = {}
    for e in accepted:
        assert e.record is not None
        unique.setdefault(e.record.content_hash, e.record)
    added_ids, duplicate_ids = wallet.store.add_credentials(list(unique.values()))
    stored = {record.content_hash: record for record in wallet.store.get_credentials(account.id,
                                                                                      added_ids + duplicate_ids)}
    added_now = set(added_ids)
    for e in examined:
        if e.record is None:
            report.refused.append({"item": e.label, "checks": [c.to_json() for c in e.refused]})
            continue
        held = stored[e.record.content_hash]
        entry = {"item": e.label, "id": held.id, "name": held.achievement_name, "issuer": held.issuer_id}
        if held.id in added_now and unique[e.record.content_hash] is e.record:
            report.added.append(entry)
        else:
            report.duplicates.append(entry)
    return report


def cached_status_lists(wallet: Wallet, urls: Sequence[str]) -> list[dict[str, Any]]:
    """The verified status list credentials the status cache holds for ``urls``."""
    out = []
    for record in wallet.store.get_status_lists(urls):
        if record.verified and record.document:
            out.append(json.loads(record.document))
    return out


def _status_urls_of(candidate: Candidate) -> list[str]:
    document = candidate.document
    if document is None:
        return []
    entries = document.get("credentialStatus")
    entries = entries if isinstance(entries, list) else [entries]
    return [str(e["statusListCredential"]) for e in entries
            if isinstance(e, dict) and isinstance(e.get("statusListCredential"), str)]
