"""A real wallet's share link, read by the verifier service: what an employer does with the link a teacher sent."""

from __future__ import annotations

import html
import re
from pathlib import Path

import aiohttp
from verifier_service_support import csrf_token

from credentials.keys import generate_key_pair
from verifier.registry import TrustRegistry
from verifier_web.app import create_app
from verifier_web.config import ServiceConfig
from wallet.testing import bearer, issue_badge, running_wallet, sign_up
from webbase.testing import serving


def _words(page: str) -> str:
    return re.sub(r" ([:.,;)])", r"\1", " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split()))


async def test_a_wallet_share_link_is_verified_with_the_registry_naming_the_issuer(tmp_path: Path) -> None:
    district = generate_key_pair()
    config = ServiceConfig(registry=TrustRegistry({district.did: "Riverside School District"}),
                           allow_hosts=frozenset({"127.0.0.1"}))
    async with running_wallet(tmp_path / "wallet") as wallet, aiohttp.ClientSession() as http:
        account, token = await sign_up(http, wallet.url, "teacher@riverside.example")
        badge = issue_badge(district, did=account["did"], name="Nearpod Interactive Lessons")
        async with http.post(f"{wallet.url}/api/credentials", json={"credential": badge}, headers=bearer(token)) as r:
            assert r.status in (200, 201), await r.text()
            added = await r.json()
        async with http.post(f"{wallet.url}/api/shares", json={"credentials": [item["id"] for item in added["added"]]},
                             headers=bearer(token)) as r:
            assert r.status == 201, await r.text()
            share_url = (await r.json())["url"]

        async with serving(create_app(config)) as verifier, aiohttp.ClientSession(
                cookie_jar=aiohttp.CookieJar(unsafe=True)) as browser:
            async with browser.get(verifier + "/") as r:
                form_token = csrf_token(await r.text())
            async with browser.post(verifier + "/verify/link", data={"csrf_token": form_token, "link": share_url}) as r:
                assert r.status == 200
                words = _words(await r.text())
    assert "Nearpod Interactive Lessons" in words
    assert "Riverside School District (confirmed by the trust registry)" in words
    assert "Issuer known? Trusted:" in words and "Signature Valid:" in words
    assert "Domain (protection against replay): passed." in words
    assert "Presented by the person it was issued to: passed." in words
