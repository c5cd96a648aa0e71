"""Helpers for the wallet's tests and bench (never used by the server): issuers, badges, a running wallet.

Credentials made here are really signed (``credentials.ob3`` + ``add_proof``):
the wallet under test verifies them exactly as it would a district's badges.
"""

from __future__ import annotations

import re
import struct
import uuid
import zlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import aiohttp

from credentials.dataintegrity import add_proof
from credentials.keys import Ed25519KeyPair
from credentials.loader import bundled_loader
from credentials.ob3 import build_credential
from credentials.statuslist import build_status_list_credential, status_entry
from webbase.dburl import DatabaseTarget
from webbase.runner import start_site

from .config import init_data_dir, load_config
from .context import MailSender, Wallet, open_wallet
from .web.app import create_app, set_public_url

PASSWORD = "correct horse battery"


def issue_badge(issuer: Ed25519KeyPair, *, did: str | None = None, email: str | None = None, name: str = "Fractions",
                issuer_name: str = "Riverside District", tags: list[str] | None = None,
                status: tuple[str, int] | None = None, valid_from: datetime | None = None,
                valid_until: datetime | None = None) -> dict[str, Any]:
    """A signed OB 3.0 credential to ``did`` or (hashed) ``email``; ``status`` = (list URL, index)."""
    start = valid_from or datetime.now(timezone.utc) - timedelta(days=1)
    credential = build_credential(
        issuer={"id": issuer.did, "name": issuer_name},
        achievement={"id": f"urn:uuid:{uuid.uuid4()}", "name": name, "description": f"Can teach {name}.",
                     "criteria": {"narrative": "Completed the course."}, "tags": tags or ["math"]},
        recipient_did=did, recipient_email=email, credential_id=f"urn:uuid:{uuid.uuid4()}",
        valid_from=start, valid_until=valid_until)
    if status is not None:
        credential["credentialStatus"] = status_entry(list_credential_id=status[0], index=status[1],
                                                      purpose="revocation")
    return add_proof(credential, signer=issuer, loader=bundled_loader(), created=start)


def signed_status_list(issuer: Ed25519KeyPair, url: str, bits: bytes | bytearray) -> dict[str, Any]:
    now = datetime.now(timezone.utc) - timedelta(minutes=1)
    unsigned = build_status_list_credential(list_id=url, issuer=issuer.did, purpose="revocation", bits=bits,
                                            valid_from=now)
    return add_proof(unsigned, signer=issuer, loader=bundled_loader(), created=now)


def tiny_png() -> bytes:
    """A valid 1x1 greyscale PNG to bake credentials into."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00\x00")) + chunk(b"IEND", b"")


@dataclass
class RunningWallet:
    url: str
    wallet: Wallet
    data_dir: Path


# The store ``running_wallet`` uses when it is given none: None is the data directory's SQLite file.
# The tests' ``wallet_backend`` fixture sets a PostgreSQL database here to run a module on both backends.
DEFAULT_DATABASE: DatabaseTarget | None = None


@asynccontextmanager
async def running_wallet(data_dir: Path, *, public_url: str | None = None, mailer: MailSender | None = None,
                         database: DatabaseTarget | None = None) -> AsyncIterator[RunningWallet]:
    """A wallet server on 127.0.0.1 (a free port) over a fresh data directory; no background refresh."""
    database = database or DEFAULT_DATABASE
    if not (data_dir / "server.secret").exists():
        init_data_dir(data_dir, public_url=public_url, database=database)
    wallet = open_wallet(load_config(data_dir, default_public_url="http://127.0.0.1", database=database),
                         mailer=mailer)
    app = create_app(wallet, background_refresh=False)
    site = await start_site(app, "127.0.0.1", 0)
    if public_url is None:
        set_public_url(app, site.url)
    try:
        yield RunningWallet(site.url, wallet, data_dir)
    finally:
        await site.stop()
        wallet.close()


async def sign_up(http: aiohttp.ClientSession, base: str, email: str, password: str = PASSWORD) -> tuple[dict[str, Any], str]:
    """Create an account and log in: (the account JSON, a bearer token)."""
    async with http.post(f"{base}/api/accounts", json={"email": email, "password": password}) as response:
        assert response.status == 201, await response.text()
        account = await response.json()
    async with http.post(f"{base}/api/tokens", json={"email": email, "password": password}) as response:
        assert response.status == 201, await response.text()
        token = (await response.json())["token"]
    return account, token


def confirmation_link(wallet: Wallet, email: str) -> str:
    """The newest confirmation link the outbox holds for ``email``."""
    messages = wallet.store.list_outbox(to=email)
    assert messages, f"no message to {email} in the outbox"
    match = re.search(r"https?://\S+/confirm/\S+", messages[-1].body)
    assert match, "the message holds no confirmation link"
    return match.group(0)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
