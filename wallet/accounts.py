"""Accounts: sign-up with a fresh holder did:key, API tokens, and confirmed email addresses.

A badge addressed to an email (an OB 3.0 IdentityObject) belongs to the account
that *confirmed* that address: adding it is not enough, the confirmation link
must be followed. Passwords are Argon2id (``webbase.passwords``), tokens are
stored as sha256 hashes only, and the holder key never leaves ``KeyVault``.
"""

from __future__ import annotations

import logging
import re
import uuid
from dataclasses import dataclass
from datetime import timedelta

from credentials.keys import Ed25519KeyPair, generate_key_pair
from credentials.xsd import format_datetime
from webbase.cpu import run_cpu
from webbase.passwords import hash_password, verify_password
from webbase.tokens import hash_token, new_token

from .context import Wallet
from .errors import Conflict, NotFound, Refused, Unauthorized
from .storage import AccountRecord, EmailRecord, OutboxMessage

log = logging.getLogger("wallet")

TOKEN_TTL = timedelta(days=30)
MIN_PASSWORD = 8
MAX_EMAIL = 254
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
# A fixed, valid Argon2id hash: verifying against it when the account does not
# exist costs the same time as a real check, so the answer time does not tell
# which addresses have accounts.
_DUMMY_HASH: str | None = None


@dataclass(frozen=True)
class Delivery:
    """Where a confirmation link went: by SMTP, or into the outbox (with its row id)."""

    sent: bool
    outbox_id: int


def normalize_email(email: str) -> str:
    text = email.strip().lower()
    if len(text) > MAX_EMAIL or not _EMAIL.fullmatch(text):
        raise Refused(f"not an email address: {email[:80]!r}", code="bad_email")
    return text


async def create_account(wallet: Wallet, email: str, password: str) -> AccountRecord:
    """Create an account with a fresh holder did:key; its email waits for confirmation."""
    address = normalize_email(email)
    if len(password) < MIN_PASSWORD:
        raise Refused(f"the password must have at least {MIN_PASSWORD} characters", code="weak_password")
    if wallet.store.account_by_login(address) is not None:
        raise Conflict(f"an account with the email {address} exists already", code="account_exists")
    password_hash = await run_cpu(hash_password, password)
    pair = generate_key_pair()
    account_id = uuid.uuid4().hex
    account = AccountRecord(id=account_id, login_email=address, password_hash=password_hash, did=pair.did,
                            holder_key_sealed=wallet.vault.seal(account_id, pair), created_at=wallet.now_text())
    token = new_token()
    wallet.store.create_account(account, EmailRecord(account_id=account_id, email=address,
                                                     created_at=account.created_at,
                                                     confirm_token_hash=hash_token(token)))
    await send_confirmation(wallet, address, token)
    return account


def holder_key(wallet: Wallet, account: AccountRecord) -> Ed25519KeyPair:
    return wallet.vault.open(account.id, account.holder_key_sealed)


async def authenticate(wallet: Wallet, email: str, password: str) -> AccountRecord:
    """The account whose login email and password these are; ``Unauthorized`` otherwise (same answer either way)."""
    global _DUMMY_HASH
    try:
        address = normalize_email(email)
    except Refused:
        address = ""
    account = wallet.store.account_by_login(address) if address else None
    if account is None:
        if _DUMMY_HASH is None:
            _DUMMY_HASH = await run_cpu(hash_password, "not a password of anyone")
        await run_cpu(verify_password, _DUMMY_HASH, password)
        raise Unauthorized("wrong email or password", code="bad_credentials")
    if not await run_cpu(verify_password, account.password_hash, password):
        raise Unauthorized("wrong email or password", code="bad_credentials")
    return account


async def issue_token(wallet: Wallet, email: str, password: str) -> str:
    """A bearer token for the API (valid ``TOKEN_TTL``); only its hash is stored."""
    account = await authenticate(wallet, email, password)
    token = new_token()
    now = wallet.now()
    wallet.store.add_token(hash_token(token), account.id, created_at=format_datetime(now),
                           expires_at=format_datetime(now + TOKEN_TTL))
    return token


def account_for_token(wallet: Wallet, token: str) -> AccountRecord | None:
    return wallet.store.account_for_token(hash_token(token), now=wallet.now_text())


def revoke_token(wallet: Wallet, token: str) -> None:
    """Log out: the token stops working at once."""
    wallet.store.delete_token(hash_token(token))


async def add_email(wallet: Wallet, account: AccountRecord, email: str) -> tuple[EmailRecord, Delivery]:
    """Add an address to the account and send its confirmation link."""
    address = normalize_email(email)
    if wallet.store.email_confirmed_elsewhere(address, account.id):
        raise Conflict(f"{address} is confirmed by another account", code="email_exists")
    token = new_token()
    record = EmailRecord(account_id=account.id, email=address, created_at=wallet.now_text(),
                         confirm_token_hash=hash_token(token))
    wallet.store.add_email(record)
    delivery = await send_confirmation(wallet, address, token)
    return record, delivery


def confirm_email(wallet: Wallet, token: str) -> EmailRecord:
    """Follow a confirmation link: the address becomes the account's."""
    record = wallet.store.confirm_email(hash_token(token), now=wallet.now_text())
    if record is None:
        raise NotFound("this confirmation link is unknown or has been used", code="unknown_confirmation")
    return record


def confirmed_emails(wallet: Wallet, account_id: str) -> list[str]:
    return [e.email for e in wallet.store.list_emails(account_id) if e.confirmed_at is not None]


async def send_confirmation(wallet: Wallet, address: str, token: str) -> Delivery:
    link = wallet.url(f"/confirm/{token}")
    subject = "Confirm your email address for your Satchel wallet"
    body = (f"Someone (hopefully you) added {address} to a Satchel wallet account.\n\n"
            f"To confirm it, open this link:\n{link}\n\n"
            "Badges issued to this address will then appear in that account. "
            "If this was not you, ignore this message.\n")
    sent = False
    if wallet.mailer is not None:
        sent = await wallet.mailer.send(address, subject, body)
    outbox_id = wallet.store.add_outbox(OutboxMessage(to=address, subject=subject, body=body,
                                                      created_at=wallet.now_text(), sent=sent))
    if not sent:
        log.info("confirmation link for %s is in the outbox: table 'outbox' (id %d) of %s",
                 address, outbox_id, wallet.config.database_target.describe())
    return Delivery(sent=sent, outbox_id=outbox_id)
