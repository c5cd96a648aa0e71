"""Share links over real HTTP: a signed presentation made with the link, an escaped page, 404/410, views."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from credentials.keys import generate_key_pair
from wallet.testing import bearer, issue_badge, running_wallet, sign_up

pytestmark = pytest.mark.usefixtures("wallet_backend")  # SQLite and PostgreSQL (tests/wallet_backends.py)


async def _import(http: aiohttp.ClientSession, url: str, token: str, badge: dict[str, Any]) -> str:
    async with http.post(f"{url}/api/credentials", json={"credential": badge}, headers=bearer(token)) as r:
        body = await r.json()
        assert r.status == 201, body
        return str(body["added"][0]["id"])


async def _share(http: aiohttp.ClientSession, url: str, token: str, ids: list[str], **extra: Any) -> dict[str, Any]:
    async with http.post(f"{url}/api/shares", json={"credentials": ids, **extra}, headers=bearer(token)) as r:
        body = await r.json()
        assert r.status == 201, body
        return dict(body)


async def test_share_page_escapes_credential_text_and_the_json_verifies_offline(
        tmp_path: Path, satchel: Callable[..., Any]) -> None:
    issuer = generate_key_pair()
    async with running_wallet(tmp_path / "w") as w, aiohttp.ClientSession() as http:
        account, token = await sign_up(http, w.url, "ann@example.org")
        hostile = issue_badge(issuer, did=account["did"], name="<script>alert('x')</script>",
                              issuer_name="<img src=x onerror=alert(1)>",
                              valid_until=datetime.now(timezone.utc) + timedelta(days=365))
        plain = issue_badge(issuer, did=account["did"], name="Fractions")
        ids = [await _import(http, w.url, token, hostile), await _import(http, w.url, token, plain)]
        expires = (datetime.now(timezone.utc) + timedelta(days=7)).strftime("%Y-%m-%dT%H:%M:%SZ")
        share = await _share(http, w.url, token, ids, expires=expires, note="For the <b>hiring</b> panel")
        assert share["url"].startswith(f"{w.url}/s/") and len(share["url"].rsplit("/", 1)[1]) >= 22
        async with http.get(share["url"], headers={"Accept": "text/html"}) as r:
            assert r.status == 200 and r.content_type == "text/html"
            page = await r.text()
        assert "<script>" not in page and "&lt;script&gt;alert(" in page
        assert "<img src=x" not in page and "<b>hiring</b>" not in page
        assert f"This link works until {expires}" in page and "This badge is valid until" in page
        assert "claimed by the credential" in page and "Checked at" in page and "Fractions" in page
        async with http.get(share["url"] + ".json") as r:
            assert r.status == 200
            presentation = await r.json()
        async with http.get(share["url"], headers={"Accept": "application/json"}) as r:
            assert await r.json() == presentation
        assert presentation["holder"] == account["did"]
        assert presentation["proof"]["challenge"] == share["id"]
        assert presentation["proof"]["domain"] == w.url
        assert presentation["proof"]["proofPurpose"] == "authentication"
        path = tmp_path / "share.json"
        path.write_text(json.dumps(presentation))
        result = satchel("verify", "--json", "--challenge", share["id"], "--domain", w.url, str(path))
        report = result.json()
        assert result.code == 0, result.out
        checks = {c["name"]: c["status"] for c in report["checks"]}
        assert checks["holder"] == checks["challenge"] == checks["domain"] == checks["proof"] == "passed"
        # Somebody else's challenge is a replay.
        assert satchel("verify", "--challenge", "another-share", "--domain", w.url, str(path)).code == 1
        async with http.get(f"{w.url}/api/shares", headers=bearer(token)) as r:
            listed = (await r.json())["shares"]
        assert listed[0]["id"] == share["id"] and listed[0]["views"] == 3 and listed[0]["note"].startswith("For the")


async def test_revoked_unknown_and_expired_links_show_nothing(tmp_path: Path) -> None:
    issuer = generate_key_pair()
    async with running_wallet(tmp_path / "w") as w, aiohttp.ClientSession() as http:
        account, token = await sign_up(http, w.url, "ann@example.org")
        cid = await _import(http, w.url, token, issue_badge(issuer, did=account["did"], name="Secret Badge"))
        revoked = await _share(http, w.url, token, [cid])
        soon = (datetime.now(timezone.utc) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        expiring = await _share(http, w.url, token, [cid], expires=soon)
        async with http.delete(f"{w.url}/api/shares/{revoked['id']}", headers=bearer(token)) as r:
            assert r.status == 204
        for suffix in ("", ".json"):
            async with http.get(revoked["url"] + suffix) as r:
                assert r.status == 410 and "Secret Badge" not in await r.text()
        async with http.get(f"{w.url}/s/{'A' * 32}") as r:
            assert r.status == 404 and "Secret Badge" not in await r.text()
        async with http.get(expiring["url"] + ".json") as r:
            assert r.status == 200
        w.wallet.clock = lambda: datetime.now(timezone.utc) + timedelta(hours=2)
        async with http.get(expiring["url"] + ".json") as r:
            assert r.status == 410 and (await r.json())["type"].endswith(":share_expired")


async def test_a_share_is_refused_for_credentials_that_are_not_the_accounts(tmp_path: Path) -> None:
    issuer = generate_key_pair()
    async with running_wallet(tmp_path / "w") as w, aiohttp.ClientSession() as http:
        ann, ann_token = await sign_up(http, w.url, "ann@example.org")
        _, bob_token = await sign_up(http, w.url, "bob@example.org")
        cid = await _import(http, w.url, ann_token, issue_badge(issuer, did=ann["did"]))
        async with http.post(f"{w.url}/api/shares", json={"credentials": [cid]}, headers=bearer(bob_token)) as r:
            assert r.status == 404
        for bad in ({"credentials": []}, {"credentials": [cid], "expires": "tomorrow"},
                    {"credentials": [cid], "expires": "2001-01-01T00:00:00Z"}, {"credentials": [7]}):
            async with http.post(f"{w.url}/api/shares", json=bad, headers=bearer(ann_token)) as r:
                assert r.status == 400 and r.content_type == "application/problem+json", bad


async def test_deleting_a_credential_takes_it_out_of_its_links(tmp_path: Path) -> None:
    issuer = generate_key_pair()
    async with running_wallet(tmp_path / "w") as w, aiohttp.ClientSession() as http:
        account, token = await sign_up(http, w.url, "ann@example.org")
        keep = await _import(http, w.url, token, issue_badge(issuer, did=account["did"], name="Keep"))
        drop = await _import(http, w.url, token, issue_badge(issuer, did=account["did"], name="Drop"))
        both = await _share(http, w.url, token, [keep, drop])
        alone = await _share(http, w.url, token, [drop])
        async with http.delete(f"{w.url}/api/credentials/{drop}", headers=bearer(token)) as r:
            assert r.status == 204
        async with http.get(both["url"] + ".json") as r:
            names = [c["credentialSubject"]["achievement"]["name"] for c in (await r.json())["verifiableCredential"]]
        assert names == ["Keep"]
        async with http.get(alone["url"]) as r:
            assert r.status == 410
