"""A tiny form-filling client for the wallet's learner pages (no JavaScript, like a plain browser).

It keeps cookies (the session and pre-session cookies), reads the CSRF token
from the page a form is on, and never follows redirects on its own, so tests
see the 303s the pages answer with.
"""

from __future__ import annotations

import html
import json
import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import aiohttp

from credentials.dataintegrity import add_proof
from credentials.keys import Ed25519KeyPair
from credentials.loader import bundled_loader
from credentials.ob3 import build_credential
from credentials.statuslist import status_entry

_CSRF = re.compile(r'name="csrf_token" value="([^"]*)"')


def csrf_of(page: str) -> str:
    match = _CSRF.search(page)
    assert match, "the page has no form with a CSRF token"
    return html.unescape(match.group(1))


@dataclass
class Page:
    status: int
    text: str
    location: str | None
    headers: Any


class Learner:
    """One browser: its own cookie jar on one wallet."""

    def __init__(self, base: str) -> None:
        self.base = base
        # 127.0.0.1 is an IP address: aiohttp's jar keeps cookies for it only when "unsafe".
        self.http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))

    async def close(self) -> None:
        await self.http.close()

    async def get(self, path: str) -> Page:
        async with self.http.get(self.base + path, allow_redirects=False) as r:
            return Page(r.status, await r.text(errors="replace"), r.headers.get("Location"), r.headers)

    async def get_bytes(self, path: str) -> tuple[int, bytes, str]:
        async with self.http.get(self.base + path, allow_redirects=False) as r:
            return r.status, await r.read(), r.content_type

    async def post(self, path: str, data: Any, *, form_page: str | None = None, csrf: bool = True) -> Page:
        """Post ``data`` (a dict, a list of pairs, or ``aiohttp.FormData``) with the CSRF token of ``form_page``."""
        if csrf:
            page = await self.get(form_page or path)
            for fallback in ("/login", "/account"):  # a page that sends this visitor away: another one has the token
                if page.status != 200:
                    page = await self.get(fallback)
            token = csrf_of(page.text)
            if isinstance(data, aiohttp.FormData):
                data.add_field("csrf_token", token)
            elif isinstance(data, dict):
                data = {"csrf_token": token, **data}
            else:
                data = [("csrf_token", token), *data]
        async with self.http.post(self.base + path, data=data, allow_redirects=False) as r:
            return Page(r.status, await r.text(errors="replace"), r.headers.get("Location"), r.headers)

    async def post_bytes(self, path: str, data: Any, *, form_page: str) -> tuple[int, bytes, Any]:
        data = {"csrf_token": csrf_of((await self.get(form_page)).text), **data}
        async with self.http.post(self.base + path, data=data, allow_redirects=False) as r:
            return r.status, await r.read(), r.headers

    async def sign_up(self, email: str, password: str = "correct horse battery") -> Page:
        page = await self.post("/signup", {"email": email, "password": password, "password_again": password})
        assert page.status == 303, page.text[:500]
        return page

    async def log_in(self, email: str, password: str = "correct horse battery") -> Page:
        return await self.post("/login", {"email": email, "password": password})


def make_badge(issuer: Ed25519KeyPair, *, did: str | None = None, email: str | None = None, name: str = "Fractions",
               issuer_name: str = "Riverside District", tags: list[str] | None = None,
               valid_from: datetime | None = None, valid_until: datetime | None = None,
               evidence: list[dict[str, Any]] | None = None, status_url: str | None = None) -> dict[str, Any]:
    """A really signed OB 3.0 credential (``build_credential`` + ``add_proof``)."""
    start = valid_from or datetime.now(timezone.utc) - timedelta(days=1)
    credential = build_credential(
        issuer={"id": issuer.did, "name": issuer_name},
        achievement={"id": f"urn:uuid:{uuid.uuid4()}", "name": name, "description": f"Can teach {name}.",
                     "criteria": {"narrative": "Completed the course."}, "tags": tags or ["math"]},
        recipient_did=did, recipient_email=email, evidence=evidence, credential_id=f"urn:uuid:{uuid.uuid4()}",
        valid_from=start, valid_until=valid_until)
    if status_url is not None:
        credential["credentialStatus"] = status_entry(list_credential_id=status_url, index=3, purpose="revocation")
    return add_proof(credential, signer=issuer, loader=bundled_loader(), created=start)


def did_on(page: str) -> str:
    match = re.search(r'<code class="did">([^<]+)</code>', page)
    assert match, "the account page shows no holder did"
    return html.unescape(match.group(1))


def files(*named: tuple[str, bytes | dict]) -> aiohttp.FormData:  # type: ignore[type-arg]
    form = aiohttp.FormData()
    for filename, content in named:
        data = content if isinstance(content, bytes) else json.dumps(content).encode()
        form.add_field("files", data, filename=filename, content_type="application/json")
    return form


def share_id_of(location: str) -> str:
    match = re.search(r"created=([0-9a-f-]+)", location)
    assert match, location
    return match.group(1)
