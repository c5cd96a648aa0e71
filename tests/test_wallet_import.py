"""Importing into the wallet over HTTP: verified first, addressed to the account, stored once."""

from __future__ import annotations

import copy
import io
import json
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from credentials.baking import bake_png, bake_svg
from credentials.keys import generate_key_pair
from credentials.presentation import build_presentation
from wallet.testing import bearer, confirmation_link, issue_badge, running_wallet, sign_up, tiny_png

pytestmark = pytest.mark.usefixtures("wallet_backend")  # SQLite and PostgreSQL (tests/wallet_backends.py)

SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="2" height="2"><rect width="2" height="2"/></svg>'


async def _post_json(http: aiohttp.ClientSession, url: str, token: str, credential: Any) -> tuple[int, dict[str, Any]]:
    async with http.post(f"{url}/api/credentials", json={"credential": credential}, headers=bearer(token)) as r:
        return r.status, await r.json()


async def _upload(http: aiohttp.ClientSession, url: str, token: str,
                  files: list[tuple[str, bytes]]) -> tuple[int, dict[str, Any]]:
    form = aiohttp.FormData()
    for name, data in files:
        form.add_field("file", data, filename=name, content_type="application/octet-stream")
    async with http.post(f"{url}/api/credentials", data=form, headers=bearer(token)) as r:
        return r.status, await r.json()


async def _held(http: aiohttp.ClientSession, url: str, token: str, query: str = "") -> list[dict[str, Any]]:
    async with http.get(f"{url}/api/credentials{query}", headers=bearer(token)) as r:
        assert r.status == 200
        return list((await r.json())["items"])


@pytest.fixture
def issuer():  # type: ignore[no-untyped-def]
    return generate_key_pair()


async def test_imports_json_png_svg_and_jwt_addressed_to_the_holder_did(tmp_path: Path, issuer) -> None:  # type: ignore[no-untyped-def]
    from credentials.vcjwt import sign_vc_jwt

    async with running_wallet(tmp_path / "w") as w, aiohttp.ClientSession() as http:
        account, token = await sign_up(http, w.url, "ann@example.org")
        did = account["did"]
        as_json = issue_badge(issuer, did=did, name="Fractions")
        status, body = await _post_json(http, w.url, token, as_json)
        assert status == 201 and [a["name"] for a in body["added"]] == ["Fractions"] and body["refused"] == []
        png = bake_png(tiny_png(), issue_badge(issuer, did=did, name="Geometry"))
        svg = bake_svg(SVG, issue_badge(issuer, did=did, name="Algebra"))
        jwt_credential = issue_badge(issuer, did=did, name="Statistics")
        jwt_credential.pop("proof")
        token_jwt = sign_vc_jwt(jwt_credential, signer=issuer)
        status, body = await _upload(http, w.url, token, [("geometry.png", png), ("algebra.svg", svg),
                                                          ("stats.jwt", token_jwt.encode())])
        assert status == 201, body
        assert sorted(a["name"] for a in body["added"]) == ["Algebra", "Geometry", "Statistics"]
        held = await _held(http, w.url, token)
        assert sorted(h["name"] for h in held) == ["Algebra", "Fractions", "Geometry", "Statistics"]
        assert all(h["issuer"] == {"id": issuer.did, "name": "Riverside District", "source": "claimed by the credential"}
                   for h in held)
        one = next(h for h in held if h["name"] == "Fractions")
        async with http.get(f"{w.url}/api/credentials/{one['id']}", headers=bearer(token)) as r:
            assert (await r.json())["credential"] == as_json


async def test_a_badge_to_an_email_needs_that_email_confirmed(tmp_path: Path, issuer) -> None:  # type: ignore[no-untyped-def]
    async with running_wallet(tmp_path / "w") as w, aiohttp.ClientSession() as http:
        _, token = await sign_up(http, w.url, "ann@example.org")
        badge = issue_badge(issuer, email="ann.work@district.example", name="Second email badge")
        async with http.post(f"{w.url}/api/emails", json={"email": "ann.work@district.example"},
                             headers=bearer(token)) as r:
            assert r.status == 201
        status, body = await _post_json(http, w.url, token, badge)
        assert status == 200 and body["added"] == []
        assert body["refused"][0]["checks"][0]["code"] == "not_addressed_to_account"
        assert await _held(http, w.url, token) == []
        async with http.get(confirmation_link(w.wallet, "ann.work@district.example")) as r:
            assert r.status == 200
        status, body = await _post_json(http, w.url, token, badge)
        assert status == 201 and body["added"][0]["name"] == "Second email badge"


async def test_a_badge_for_someone_else_is_refused(tmp_path: Path, issuer) -> None:  # type: ignore[no-untyped-def]
    async with running_wallet(tmp_path / "w") as w, aiohttp.ClientSession() as http:
        _, token = await sign_up(http, w.url, "ann@example.org")
        status, body = await _post_json(http, w.url, token, issue_badge(issuer, did=generate_key_pair().did))
        assert status == 200 and body["refused"][0]["checks"][0]["code"] == "not_addressed_to_account"
        assert await _held(http, w.url, token) == []


async def test_the_same_credential_from_json_png_and_a_presentation_is_stored_once(tmp_path: Path, issuer) -> None:  # type: ignore[no-untyped-def]
    async with running_wallet(tmp_path / "w") as w, aiohttp.ClientSession() as http:
        account, token = await sign_up(http, w.url, "ann@example.org")
        badge = issue_badge(issuer, did=account["did"])
        other = issue_badge(issuer, did=account["did"], name="Reading")
        status, body = await _post_json(http, w.url, token, badge)
        first_id = body["added"][0]["id"]
        presentation = build_presentation([badge, other], holder=account["did"], id="urn:uuid:0b0e3d5c-1111-4111-8111-000000000001")
        reordered = json.dumps(dict(reversed(list(badge.items())))).encode()
        status, body = await _upload(http, w.url, token, [
            ("again.json", reordered), ("baked.png", bake_png(tiny_png(), badge)),
            ("vp.json", json.dumps(presentation).encode())])
        assert status == 201
        assert [d["id"] for d in body["duplicates"]] == [first_id, first_id, first_id]
        assert [a["name"] for a in body["added"]] == ["Reading"]
        assert body["added"][0]["item"] == "vp.json#verifiableCredential[1]"
        assert len(await _held(http, w.url, token)) == 2


@pytest.mark.parametrize("tamper", ["name", "subject", "proof", "undefined_term"])
async def test_a_tampered_credential_is_refused_and_not_stored(tmp_path: Path, issuer, tamper: str) -> None:  # type: ignore[no-untyped-def]
    async with running_wallet(tmp_path / "w") as w, aiohttp.ClientSession() as http:
        account, token = await sign_up(http, w.url, "ann@example.org")
        badge = copy.deepcopy(issue_badge(issuer, did=account["did"]))
        if tamper == "name":
            badge["credentialSubject"]["achievement"]["name"] = "Doctorate"
        elif tamper == "subject":
            badge["validFrom"] = "2001-01-01T00:00:00Z"
        elif tamper == "proof":
            badge["proof"]["proofValue"] = badge["proof"]["proofValue"][:-4] + "abcd"
        else:
            badge["credentialSubject"]["grade"] = "A+"
        status, body = await _post_json(http, w.url, token, badge)
        assert status == 200 and body["added"] == [] and len(body["refused"]) == 1
        assert any(c["status"] == "failed" for c in body["refused"][0]["checks"])
        assert await _held(http, w.url, token) == []


async def test_unreadable_items_are_reported_per_item(tmp_path: Path, issuer) -> None:  # type: ignore[no-untyped-def]
    async with running_wallet(tmp_path / "w") as w, aiohttp.ClientSession() as http:
        account, token = await sign_up(http, w.url, "ann@example.org")
        status, body = await _upload(http, w.url, token, [
            ("good.json", json.dumps(issue_badge(issuer, did=account["did"])).encode()),
            ("plain.png", tiny_png()), ("notes.txt", b"hello"), ("list.json", b"[1, 2]")])
        assert status == 201 and len(body["added"]) == 1
        codes = {r["item"]: r["checks"][0]["code"] for r in body["refused"]}
        assert codes == {"plain.png": "image_without_credential", "notes.txt": "unreadable_input",
                         "list.json": "not_json_object"}


async def test_wrong_types_and_oversized_uploads_are_problems(tmp_path: Path) -> None:
    async with running_wallet(tmp_path / "w") as w, aiohttp.ClientSession() as http:
        _, token = await sign_up(http, w.url, "ann@example.org")
        async with http.post(f"{w.url}/api/credentials", data=b"x", headers={**bearer(token), "Content-Type": "text/plain"}) as r:
            assert r.status == 415 and r.content_type == "application/problem+json"
        async with http.post(f"{w.url}/api/credentials", json={"nothing": 1}, headers=bearer(token)) as r:
            assert r.status == 400 and (await r.json())["type"].endswith(":missing_field")
        big = b"{" + b" " * (9 * 1024 * 1024) + b"}"
        form = aiohttp.FormData()
        form.add_field("file", io.BytesIO(big), filename="big.json", content_type="application/json")
        async with http.post(f"{w.url}/api/credentials", data=form, headers=bearer(token)) as r:
            assert r.status == 413 and r.content_type == "application/problem+json"


async def test_list_filters_by_issuer_tag_and_text_paginates_and_deletes(tmp_path: Path) -> None:
    district_a, district_b = generate_key_pair(), generate_key_pair()
    async with running_wallet(tmp_path / "w") as w, aiohttp.ClientSession() as http:
        account, token = await sign_up(http, w.url, "ann@example.org")
        files = [(f"a{n}.json", json.dumps(issue_badge(district_a, did=account["did"], name=f"Math {n}",
                                                       tags=["math"])).encode()) for n in range(3)]
        files += [(f"b{n}.json", json.dumps(issue_badge(district_b, did=account["did"], name=f"Art {n}",
                                                        issuer_name="Hillside", tags=["art"])).encode()) for n in range(2)]
        status, body = await _upload(http, w.url, token, files)
        assert len(body["added"]) == 5
        assert {h["name"] for h in await _held(http, w.url, token, f"?issuer={district_b.did}")} == {"Art 0", "Art 1"}
        assert len(await _held(http, w.url, token, "?tag=math")) == 3
        assert [h["name"] for h in await _held(http, w.url, token, "?q=riverside%20art")] == []
        assert {h["name"] for h in await _held(http, w.url, token, "?q=t%201")} == {"Art 1"}
        assert {h["name"] for h in await _held(http, w.url, token, "?q=HILLSIDE")} == {"Art 0", "Art 1"}
        names, cursor = [], ""
        while True:
            async with http.get(f"{w.url}/api/credentials?limit=2{cursor}", headers=bearer(token)) as r:
                page = await r.json()
            names += [i["name"] for i in page["items"]]
            if page["nextCursor"] is None:
                break
            cursor = f"&cursor={page['nextCursor']}"
        assert len(names) == 5 and len(set(names)) == 5
        async with http.get(f"{w.url}/api/credentials?limit=0", headers=bearer(token)) as r:
            assert r.status == 400
        victim = (await _held(http, w.url, token, "?q=art 1"))[0]["id"]
        async with http.delete(f"{w.url}/api/credentials/{victim}", headers=bearer(token)) as r:
            assert r.status == 204
        async with http.get(f"{w.url}/api/credentials/{victim}", headers=bearer(token)) as r:
            assert r.status == 404
        assert len(await _held(http, w.url, token)) == 4
