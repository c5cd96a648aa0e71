"""Leaving with everything: the account export (one encrypted file) and its import on any Satchel wallet.

The export holds the holder key, the login (email and Argon2id password hash),
every email with its confirmed state, every credential as received, and every
share link's settings (token, expiry, note, revoked, views). The JSON is
compressed and sealed as a whole with ``credentials.secretbox`` (Argon2id from
the passphrase, AES-256-GCM): a wrong passphrase or any changed byte is refused.

Import restores the account with the same holder did on this server, in one
transaction: every check runs before the first write, so a refused file writes
nothing. Credentials are re-read and their standing checked here; share links
keep their tokens and are signed again for this server's public URL.
"""

from __future__ import annotations

import json
import uuid
import zlib
from dataclasses import replace
from typing import Any

from credentials.errors import CredentialError
from credentials.keys import key_pair_from_json
from credentials.secretbox import open_sealed, seal
from credentials.strictjson import parse_json
from verifier.verify import VerifyOptions, verify
from webbase.cpu import run_cpu

from .accounts import holder_key, normalize_email
from .badge import content_hash, read_facts
from .context import Wallet
from .errors import Conflict, ExportError, NotFound, Refused
from .reading import Candidate
from .shares import sign_share
from .standing import standing_of
from .storage import AccountRecord, CredentialRecord, EmailRecord, ShareRecord

FORMAT = "satchel-wallet-export"
VERSION = 1
MIN_PASSPHRASE = 8
MAX_EXPORT_JSON = 256 * 1024 * 1024


def export_payload(wallet: Wallet, account: AccountRecord) -> dict[str, Any]:
    """The account as one JSON value (contains the holder key: seal it before it leaves memory)."""
    return {
        "format": FORMAT, "version": VERSION, "exportedAt": wallet.now_text(),
        "account": {"loginEmail": account.login_email, "passwordHash": account.password_hash, "did": account.did,
                    "holderKey": holder_key(wallet, account).to_json(), "createdAt": account.created_at},
        "emails": [{"email": e.email, "createdAt": e.created_at, "confirmedAt": e.confirmed_at}
                   for e in wallet.store.list_emails(account.id)],
        "credentials": [{"id": c.id, "format": c.format, "document": c.document, "addedAt": c.added_at,
                         "source": c.source} for c in wallet.store.all_credentials(account.id)],
        "shares": [{"id": s.id, "token": s.token, "note": s.note, "expires": s.expires_at, "createdAt": s.created_at,
                    "revokedAt": s.revoked_at, "views": s.views, "credentials": list(s.credential_ids)}
                   for s in wallet.store.list_shares(account.id)],
    }


async def export_account(wallet: Wallet, account: AccountRecord, passphrase: str) -> bytes:
    if len(passphrase) < MIN_PASSPHRASE:
        raise Refused(f"the passphrase must have at least {MIN_PASSPHRASE} characters", code="weak_passphrase")
    data = zlib.compress(json.dumps(export_payload(wallet, account), ensure_ascii=False).encode(), 6)
    try:
        return await run_cpu(seal, data, passphrase)
    except CredentialError as exc:
        raise ExportError(f"the export cannot be sealed: {exc}", code="export_too_large") from None


def export_account_by_email(wallet: Wallet, email: str) -> AccountRecord:
    account = wallet.store.account_by_login(normalize_email(email))
    if account is None:
        raise NotFound(f"no account with the login email {email}", code="account_not_found")
    return account


def open_export(blob: bytes, passphrase: str) -> dict[str, Any]:
    """Decrypt and read an export (CPU-bound); ``ExportError`` for a wrong passphrase or a changed byte."""
    try:
        compressed = open_sealed(blob, passphrase)
    except CredentialError as exc:
        raise ExportError(f"the export does not open: {exc}", code="export_unreadable") from None
    inflater = zlib.decompressobj()
    try:
        data = inflater.decompress(compressed, MAX_EXPORT_JSON)
    except zlib.error as exc:
        raise ExportError(f"the export is damaged: {exc}") from None
    if inflater.unconsumed_tail:
        raise ExportError("the export is larger than this server accepts", code="export_too_large")
    try:
        payload = parse_json(data, max_bytes=MAX_EXPORT_JSON)
    except CredentialError as exc:
        raise ExportError(f"the export is damaged: {exc}") from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT or payload.get("version") != VERSION:
        raise ExportError(f"not a {FORMAT} version {VERSION} file")
    return payload


def _restore_credential(item: dict[str, Any], *, account_id: str, now: Any) -> CredentialRecord:
    kind, document = item.get("format"), item.get("document")
    if kind not in ("json", "jwt") or not isinstance(document, str) or not isinstance(item.get("id"), str):
        raise ExportError("the export holds a credential entry of an unknown shape")
    candidate = (Candidate("export", "export", jwt=document) if kind == "jwt"
                 else Candidate("export", "export", document=json.loads(document)))
    facts = read_facts(candidate)
    target: dict[str, Any] | str = candidate.document if candidate.document is not None else document
    standing = standing_of(verify(target, VerifyOptions(now=now, clock=now)))
    return CredentialRecord(
        id=item["id"], account_id=account_id, content_hash=content_hash(candidate), format=kind, document=document,
        issuer_id=facts.issuer_id, issuer_name=facts.issuer_name, achievement_name=facts.name, image=facts.image,
        description=facts.description, tags=facts.tags, valid_from=facts.valid_from, valid_until=facts.valid_until,
        added_at=str(item.get("addedAt") or ""), source=str(item.get("source") or "export"), state=standing.state,
        state_detail=standing.detail, status_urls=facts.status_urls)


async def import_account(wallet: Wallet, blob: bytes, passphrase: str) -> AccountRecord:
    """Restore the account an export holds; nothing is written unless all of it can be."""
    payload = await run_cpu(open_export, blob, passphrase)
    try:
        acc = payload["account"]
        pair = key_pair_from_json(acc["holderKey"])
        login = normalize_email(acc["loginEmail"])
        if pair.did != acc["did"]:
            raise ExportError("the export's holder key is not the key of its did")
        password_hash = str(acc["passwordHash"])
        emails = [(normalize_email(e["email"]), str(e["createdAt"]), e.get("confirmedAt")) for e in payload["emails"]]
        credentials = list(payload["credentials"])
        shares = list(payload["shares"])
    except (KeyError, TypeError, CredentialError) as exc:
        raise ExportError(f"the export is incomplete or of an unknown shape ({exc})") from None
    if wallet.store.account_by_did(pair.did) is not None:
        raise Conflict(f"this server already holds the account of {pair.did}", code="account_exists")
    if wallet.store.account_by_login(login) is not None:
        raise Conflict(f"an account with the email {login} exists already on this server", code="account_exists")
    for address, _, confirmed in emails:
        if confirmed and wallet.store.email_confirmed_elsewhere(address, ""):
            raise Conflict(f"{address} is confirmed by another account on this server", code="email_exists")
    account_id = uuid.uuid4().hex
    account = AccountRecord(id=account_id, login_email=login, password_hash=password_hash, did=pair.did,
                            holder_key_sealed=wallet.vault.seal(account_id, pair),
                            created_at=str(acc.get("createdAt") or wallet.now_text()))
    now = wallet.now()
    records = [await run_cpu(_restore_credential, item, account_id=account_id, now=now) for item in credentials]
    by_id = {r.id: r for r in records}
    restored_shares = []
    for item in shares:
        ids = tuple(i for i in item.get("credentials", []) if i in by_id)
        share = ShareRecord(id=str(item["id"]), account_id=account_id, token=str(item["token"]), note=item.get("note"),
                            expires_at=item.get("expires"), created_at=str(item["createdAt"]), credential_ids=ids,
                            revoked_at=item.get("revokedAt") or (None if ids else wallet.now_text()),
                            views=int(item.get("views") or 0))
        if share.revoked_at is None:
            presentation, results = await sign_share(wallet, account, share.id, [by_id[i] for i in ids], now=now,
                                                     checked_at=wallet.now_text())
            share = replace(share, presentation=presentation, results=results, checked_at=wallet.now_text())
        restored_shares.append(share)
    first = next((e for e in emails if e[0] == login), (login, account.created_at, None))
    with wallet.store.transaction():
        wallet.store.create_account(account, EmailRecord(account_id=account_id, email=first[0], created_at=first[1],
                                                         confirmed_at=first[2]))
        for address, created, confirmed in emails:
            if address != login:
                wallet.store.add_email(EmailRecord(account_id=account_id, email=address, created_at=created,
                                                   confirmed_at=confirmed))
        wallet.store.add_credentials(records)
        for share in restored_shares:
            wallet.store.add_share(share)
    return account
