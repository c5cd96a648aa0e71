"""Status refresh against a real issuer-like server on loopback serving a signed status list."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from credentials.keys import generate_key_pair
from credentials.statuslist import encode_bitstring, new_status_list, set_status
from wallet.statusrefresh import refresh_status
from wallet.testing import bearer, issue_badge, running_wallet, sign_up, signed_status_list
from webbase.testing import serving

pytestmark = pytest.mark.usefixtures("wallet_backend")  # SQLite and PostgreSQL (tests/wallet_backends.py)


class StatusServer:
    """Serves one status list credential, re-signed whenever a bit changes."""

    def __init__(self, issuer: Any) -> None:
        self.issuer = issuer
        self.bits = new_status_list()
        self.url = ""
        self.document: dict[str, Any] = {}
        self.app = web.Application()
        self.app.router.add_get("/status/1", self.serve)

    def publish(self) -> None:
        self.document = signed_status_list(self.issuer, self.url + "/status/1", self.bits)

    async def serve(self, request: web.Request) -> web.Response:
        return web.json_response(self.document)


def _verify(satchel: Callable[..., Any], tmp_path: Path, presentation: dict[str, Any], *, share_id: str,
            domain: str) -> tuple[int, dict[str, Any]]:
    path = tmp_path / "share.json"
    path.write_text(json.dumps(presentation))
    result = satchel("verify", "--json", "--challenge", share_id, "--domain", domain, str(path))
    return result.code, result.json()


async def test_revocation_at_the_issuer_reaches_the_wallet_its_share_page_and_presentation(
        tmp_path: Path, satchel: Callable[..., Any]) -> None:
    issuer = generate_key_pair()
    status = StatusServer(issuer)
    async with serving(status.app) as issuer_url, running_wallet(tmp_path / "w") as w, \
            aiohttp.ClientSession() as http:
        status.url = issuer_url
        status.publish()
        list_url = issuer_url + "/status/1"
        account, token = await sign_up(http, w.url, "ann@example.org")
        badge = issue_badge(issuer, did=account["did"], name="Revocable", status=(list_url, 7))
        async with http.post(f"{w.url}/api/credentials", json={"credential": badge}, headers=bearer(token)) as r:
            cid = (await r.json())["added"][0]["id"]
        async with http.post(f"{w.url}/api/shares", json={"credentials": [cid]}, headers=bearer(token)) as r:
            share = await r.json()
        async with http.get(f"{w.url}/api/credentials/{cid}", headers=bearer(token)) as r:
            assert "not checked since" in (await r.json())["status"]["line"]

        first = await refresh_status(w.wallet)
        assert first.lists_verified == [list_url] and first.shares_rebuilt == [share["id"]]
        stored = w.wallet.store.share_by_id(share["id"])
        assert stored is not None and json.loads(stored.results or "{}")["carriedStatusLists"] == [list_url]
        async with http.get(f"{w.url}/api/credentials/{cid}", headers=bearer(token)) as r:
            held = (await r.json())["status"]
        assert held["state"] == "valid" and held["checkedAt"] and "as of" in held["line"]
        async with http.get(share["url"] + ".json") as r:
            presentation = await r.json()
        code, report = _verify(satchel, tmp_path, presentation, share_id=share["id"], domain=w.url)
        assert code == 0
        assert [c["code"] for c in report["nested"][0]["checks"] if c["name"] == "status"] == ["not_revoked"]

        set_status(status.bits, 7, 1)
        status.publish()
        # A view never re-verifies: until the wallet refreshes, the page shows what was stored.
        async with http.get(share["url"]) as r:
            page = await r.text()
        assert "Verified: valid" in page and "Not verified" not in page
        second = await refresh_status(w.wallet)
        assert second.credentials_changed == [cid] and second.shares_rebuilt == [share["id"]]
        async with http.get(f"{w.url}/api/credentials?q=revocable", headers=bearer(token)) as r:
            assert (await r.json())["items"][0]["status"]["state"] == "revoked"
        async with http.get(share["url"]) as r:
            page = await r.text()
        assert "revoked" in page and "Not verified" in page
        async with http.get(share["url"] + ".json") as r:
            presentation = await r.json()
        code, report = _verify(satchel, tmp_path, presentation, share_id=share["id"], domain=w.url)
        assert code == 1
        assert [c["code"] for c in report["nested"][0]["checks"] if c["name"] == "status"] == ["revoked"]


async def test_a_list_that_does_not_verify_is_not_trusted(tmp_path: Path) -> None:
    issuer, impostor = generate_key_pair(), generate_key_pair()
    status = StatusServer(impostor)  # the list is signed by someone who is not the credential's issuer
    async with serving(status.app) as issuer_url, running_wallet(tmp_path / "w") as w, \
            aiohttp.ClientSession() as http:
        status.url = issuer_url
        status.publish()
        list_url = issuer_url + "/status/1"
        account, token = await sign_up(http, w.url, "ann@example.org")
        badge = issue_badge(issuer, did=account["did"], status=(list_url, 3))
        async with http.post(f"{w.url}/api/credentials", json={"credential": badge}, headers=bearer(token)) as r:
            cid = (await r.json())["added"][0]["id"]
        # The impostor's list verifies on its own (its proof is its issuer's) but says nothing of this badge.
        await refresh_status(w.wallet)
        async with http.get(f"{w.url}/api/credentials/{cid}", headers=bearer(token)) as r:
            held = (await r.json())["status"]
        assert held["checkedAt"] is None and "not checked since" in held["line"]
        # A list whose bytes were changed after signing is refused outright.
        forged = new_status_list()
        set_status(forged, 5, 1)
        status.document["credentialSubject"]["encodedList"] = encode_bitstring(forged)
        report = await refresh_status(w.wallet)
        assert list_url in report.lists_failed and "does not verify" in report.lists_failed[list_url]
        async with http.get(f"{w.url}/api/credentials/{cid}", headers=bearer(token)) as r:
            assert (await r.json())["status"]["checkedAt"] is None
