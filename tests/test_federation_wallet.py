"""Two districts' issuer nodes and one wallet on 127.0.0.1: a teacher gathers, shares, and sees a revocation.

The wallet issue's end-to-end line: an offer from district A redeemed over
OpenID4VCI, badges from district B as a JSON file and as a baked PNG, a VC-JWT
signed by another implementation (openbadgeslib), and a badge addressed to a
second confirmed email; one share link fetched as HTML and as JSON and checked
by ``satchel verify`` offline (status from the lists the presentation carries);
then district A revokes, the wallet refreshes, and both the page and a new
presentation say revoked.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import aiohttp
from cryptography.hazmat.primitives import serialization as ser
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from openbadgeslib.ob3 import Achievement, Issuer, OB3Signer, OpenBadgeCredential, did_key_from_pem

from issuer_node.app import adopt_bound_url, create_app
from issuer_node.config import IssuerConfig
from issuer_node.provisioning import init_node
from wallet.statusrefresh import refresh_status
from wallet.testing import bearer, confirmation_link, running_wallet, sign_up
from webbase.testing import serving


@asynccontextmanager
async def district(tmp_path: Path, slug: str, name: str, http: aiohttp.ClientSession) -> AsyncIterator[dict[str, Any]]:
    data = tmp_path / slug
    result = init_node(data, name=name, url=f"https://{slug}.example.org")
    app = create_app(IssuerConfig(data_dir=data))
    async with serving(app) as url:
        adopt_bound_url(app, url)
        async with http.post(f"{url}/api/achievements", headers=bearer(result.admin_token),
                             json={"name": f"{name}: Padlet in the Classroom", "description": "Runs a Padlet discussion",
                                   "criteria": {"narrative": "Share a Padlet lesson"}, "tags": ["padlet"]}) as r:
            assert r.status == 201, await r.text()
            achievement = (await r.json())["id"]
        yield {"url": url, "token": result.admin_token, "achievement": achievement, "did": result.did}


async def _issue(http: aiohttp.ClientSession, node: dict[str, Any], recipient: dict[str, str]) -> dict[str, Any]:
    async with http.post(f"{node['url']}/credentials/issue", headers=bearer(node["token"]),
                         json={"credential": {"achievement": node["achievement"], "recipient": recipient}}) as r:
        assert r.status == 201, await r.text()
        return dict((await r.json())["verifiableCredential"])


def _openbadgeslib_jwt(holder_did: str) -> str:
    private = Ed25519PrivateKey.generate()
    pem = private.private_bytes(ser.Encoding.PEM, ser.PrivateFormat.PKCS8, ser.NoEncryption())
    public = private.public_key().public_bytes(ser.Encoding.PEM, ser.PublicFormat.SubjectPublicKeyInfo)
    now = datetime.now(timezone.utc)
    credential = OpenBadgeCredential(
        issuer=Issuer(id=did_key_from_pem(public), name="Lakeside Teaching Institute"), recipient_id=holder_did,
        achievement=Achievement(id="https://lakeside.example/achievements/nearpod", name="Nearpod Lessons",
                                description="Builds an interactive Nearpod lesson", criteria_narrative="Teach one"),
        issuance_date=now - timedelta(days=1), expiration_date=now + timedelta(days=365))
    return str(OB3Signer(pem, algorithm="EdDSA").sign(credential))


def _verify(satchel: Any, write_json: Any, presentation: dict[str, Any], name: str, domain: str) -> Any:
    return satchel("verify", "--json", "--domain", domain, write_json(name, presentation))


async def test_a_teacher_gathers_badges_from_two_districts_shares_them_and_sees_a_revocation(
        tmp_path: Path, satchel: Any, write_json: Any) -> None:
    async with aiohttp.ClientSession() as http, \
            district(tmp_path, "district-a", "Riverside USD", http) as a, \
            district(tmp_path, "district-b", "Hillcrest ISD", http) as b, \
            running_wallet(tmp_path / "wallet") as wallet:
        account, token = await sign_up(http, wallet.url, "ana@school.example")
        auth = bearer(token)
        async with http.post(f"{wallet.url}/api/emails", json={"email": "ana.ruiz@home.example"}, headers=auth) as r:
            assert r.status in (200, 201, 202), await r.text()
        async with http.get(confirmation_link(wallet.wallet, "ana.ruiz@home.example")) as r:
            assert r.status == 200

        # District A: an offer, redeemed by the wallet over OpenID4VCI (bound to the holder's did).
        async with http.post(f"{a['url']}/api/awards", headers=bearer(a["token"]),
                             json={"achievement": a["achievement"], "email": "ana@school.example", "notify": False}) as r:
            assert r.status == 201, await r.text()
            offer = (await r.json())["offerUrl"]
        async with http.post(f"{wallet.url}/api/credentials", json={"offer": offer}, headers=auth) as r:
            assert r.status == 201, await r.text()
            assert len((await r.json())["added"]) == 1

        # District B: one badge as a JSON file, one as a baked PNG, one to the second confirmed email.
        json_badge = await _issue(http, b, {"did": account["did"]})
        png_source = await _issue(http, b, {"did": account["did"], "name": "Ana Ruiz"})
        async with http.get(f"{png_source['id']}/download.png",
                            headers=bearer(b["token"])) as r:
            assert r.status == 200, await r.text()
            png = await r.read()
        email_badge = await _issue(http, b, {"email": "ana.ruiz@home.example"})
        form = aiohttp.FormData()
        form.add_field("file", json.dumps(json_badge).encode(), filename="badge.json", content_type="application/json")
        form.add_field("file", png, filename="badge.png", content_type="image/png")
        form.add_field("file", json.dumps(email_badge).encode(), filename="home.json", content_type="application/json")
        async with http.post(f"{wallet.url}/api/credentials", data=form, headers=auth) as r:
            report = await r.json()
            assert r.status == 201, report
            assert len(report["added"]) == 3 and report["refused"] == [], report

        # Another implementation's VC-JWT.
        async with http.post(f"{wallet.url}/api/credentials", json={"credential": _openbadgeslib_jwt(account["did"])},
                             headers=auth) as r:
            report = await r.json()
            assert r.status == 201 and len(report["added"]) == 1, report

        async with http.get(f"{wallet.url}/api/credentials", headers=auth) as r:
            items = (await r.json())["items"]
        assert len(items) == 5
        offered = [item for item in items if a["did"] in json.dumps(item) or "Riverside" in json.dumps(item)]
        assert len(offered) == 1, items

        # The wallet's background task (woken by each import; off in tests) fetches and checks the lists.
        await refresh_status(wallet.wallet)

        # One share link with all five, as HTML and as the signed presentation.
        async with http.post(f"{wallet.url}/api/shares", headers=auth,
                             json={"credentials": [item["id"] for item in items], "expires": None, "note": "For Lakeside"}) as r:
            assert r.status == 201, await r.text()
            share_url = (await r.json())["url"]
        async with http.get(share_url) as r:
            assert r.status == 200 and "text/html" in r.headers["Content-Type"]
            assert "Riverside USD: Padlet in the Classroom" in await r.text()
        async with http.get(f"{share_url}.json") as r:
            assert r.status == 200
            presentation = await r.json()
        result = _verify(satchel, write_json, presentation, "share.json", wallet.url)
        assert result.code == 0, result.out
        report = result.json()
        assert report["verified"] is True
        # Every status entry of the four node-issued badges was checked offline against the carried lists;
        # only the openbadgeslib badge, which has no credentialStatus, could not be.
        statuses = [check for sub in report["nested"] for check in sub["checks"] if check["name"] == "status"]
        assert sorted(check["status"] for check in statuses) == ["not checked"] + ["passed"] * 8, statuses

        # District A revokes its badge; the wallet refreshes; page and a new presentation say revoked.
        a_credential = next(item for item in items if item["id"] == offered[0]["id"])
        async with http.get(f"{wallet.url}/api/credentials/{a_credential['id']}", headers=auth) as r:
            a_document = (await r.json())["credential"]
        key = a_document["id"].rsplit("/", 1)[1]
        async with http.post(f"{a['url']}/api/credentials/{key}/revoke", headers=bearer(a["token"]),
                             json={"reason": "issued in error"}) as r:
            assert r.status == 200, await r.text()
        await refresh_status(wallet.wallet)
        async with http.get(share_url) as r:
            assert "revoked" in (await r.text()).lower()
        async with http.get(f"{share_url}.json") as r:
            renewed = await r.json()
        assert renewed != presentation
        result = _verify(satchel, write_json, renewed, "share-after.json", wallet.url)
        assert result.code == 1, result.out
        assert '"revoked"' in result.out
