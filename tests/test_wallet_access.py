"""Who may call what: every wallet route as anonymous, as another account, and as the owner.

The table must list every route the app serves (a new route without a row fails
``test_the_table_covers_every_route``). "Another account" calls the route with
its own valid token on the owner's resources: it gets 404 for them (never 403,
which would confirm they exist), and lists only its own things. The owner's
token once revoked, and one past its expiry, are answered as anonymous is.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from test_wallet_pages_access import page_routes

from credentials.keys import generate_key_pair
from credentials.xsd import format_datetime
from wallet.portability import open_export
from wallet.testing import bearer, confirmation_link, issue_badge, running_wallet, sign_up
from wallet.web.app import create_app
from webbase.openapi import build_openapi
from webbase.tokens import hash_token, new_token


@dataclass(frozen=True)
class Row:
    method: str
    path: str                 # {cred}, {share}, {token} are filled with the owner's
    anonymous: int
    other: int
    owner: int
    json: Any = None
    public: bool = False      # the route is meant for anyone (sign-up, login, share links, confirmation)


ROWS = [
    Row("GET", "/api/account", 401, 200, 200),
    Row("POST", "/api/emails", 401, 201, 201, json={"email": "{who}.extra@example.org"}),
    Row("GET", "/api/emails", 401, 200, 200),
    Row("POST", "/api/credentials", 401, 200, 200, json={"credential": "{badge}"}),
    Row("GET", "/api/credentials", 401, 200, 200),
    Row("GET", "/api/credentials/{cred}", 401, 404, 200),
    Row("DELETE", "/api/credentials/{cred}", 401, 404, 204),
    Row("POST", "/api/status/refresh", 401, 202, 202),  # any account may ask for a pass over every list
    Row("POST", "/api/shares", 401, 404, 201, json={"credentials": ["{cred}"]}),
    Row("GET", "/api/shares", 401, 200, 200),
    Row("DELETE", "/api/shares/{share}", 401, 404, 204),
    Row("POST", "/api/export", 401, 200, 200, json={"passphrase": "a long passphrase"}),
    Row("POST", "/api/accounts", 201, 201, 201, json={"email": "{fresh}@example.org", "password": "a good password"},
        public=True),
    Row("POST", "/api/tokens", 201, 201, 201, json={"email": "ann@example.org", "password": "correct horse battery"},
        public=True),
    Row("POST", "/api/import", 415, 415, 415, public=True),
    Row("GET", "/confirm/{confirm}", 200, 200, 200, public=True),  # the link itself is the capability
    Row("GET", "/s/{token}", 200, 200, 200, public=True),
    Row("GET", "/s/{token}.json", 200, 200, 200, public=True),
    Row("GET", "/openapi.json", 200, 200, 200, public=True),
    Row("DELETE", "/api/tokens", 401, 204, 204),  # last: it ends the caller's token
]


def test_the_table_covers_every_route(tmp_path: Path) -> None:
    from wallet.config import init_data_dir, load_config
    from wallet.context import open_wallet

    init_data_dir(tmp_path / "w", public_url="http://127.0.0.1:1")
    wallet = open_wallet(load_config(tmp_path / "w"))
    try:
        app = create_app(wallet, background_refresh=False)
        served = set()
        for route in app.router.routes():
            info = route.resource.get_info() if route.resource else {}
            path = info.get("path") or info.get("formatter")
            if route.method == "HEAD" or path is None or path.startswith("/static/"):
                continue
            served.add((route.method, path.replace("{token:[A-Za-z0-9_-]{16,128}}", "{token}")))
        documented = {(method.upper(), path) for path, ops in build_openapi(app, title="t", version="1")["paths"].items()
                      for method in ops}
    finally:
        wallet.close()
    assert {(m, p.replace("{token:[A-Za-z0-9_-]{16,128}}", "{token}")) for m, p in served} <= documented | {
        ("GET", "/openapi.json")}
    table = {(row.method, row.path.replace("{cred}", "{id}").replace("{share}", "{id}").replace("{confirm}", "{token}"))
             for row in ROWS}
    # The learner pages (session cookie, not bearer tokens) have their own table in test_wallet_pages_access.
    assert served - page_routes() == table


# Ann's own token once revoked (logged out: its row is deleted), and one of Ann's tokens past its expiry:
# both are answered exactly as anonymous callers are, with none of Ann's data.
AS_ANONYMOUS = ("revoked-token", "expired-token")


async def _dead_token(http: aiohttp.ClientSession, w: Any, account_id: str, who: str) -> str:
    if who == "revoked-token":
        async with http.post(f"{w.url}/api/tokens", json={"email": "ann@example.org",
                                                          "password": "correct horse battery"}) as r:
            token = str((await r.json())["token"])
        async with http.delete(f"{w.url}/api/tokens", headers=bearer(token)) as r:
            assert r.status == 204
        return token
    token = new_token()
    past = datetime.now(timezone.utc) - timedelta(days=1)
    w.wallet.store.add_token(hash_token(token), account_id, created_at=format_datetime(past - timedelta(days=30)),
                             expires_at=format_datetime(past))
    return token


@pytest.mark.parametrize("who", ["anonymous", "other", "owner", *AS_ANONYMOUS])
async def test_every_route_answers_each_caller_as_the_table_says(tmp_path: Path, who: str) -> None:
    issuer = generate_key_pair()
    async with running_wallet(tmp_path / "w") as w, aiohttp.ClientSession() as http:
        ann, ann_token = await sign_up(http, w.url, "ann@example.org")
        _, bob_token = await sign_up(http, w.url, "bob@example.org")
        confirm = confirmation_link(w.wallet, "bob@example.org").rsplit("/", 1)[1]
        dead = await _dead_token(http, w, ann["id"], who) if who in AS_ANONYMOUS else ""
        headers = {"anonymous": {}, "other": bearer(bob_token), "owner": bearer(ann_token),
                   "revoked-token": bearer(dead), "expired-token": bearer(dead)}[who]
        for index, row in enumerate(ROWS):
            # Fresh owner resources for every row, so a DELETE does not spoil the next one.
            badge = issue_badge(issuer, did=ann["did"], name=f"Badge {index}")
            async with http.post(f"{w.url}/api/credentials", json={"credential": badge}, headers=bearer(ann_token)) as r:
                cred = (await r.json())["added"][0]["id"]
            async with http.post(f"{w.url}/api/shares", json={"credentials": [cred]}, headers=bearer(ann_token)) as r:
                share = await r.json()
            fill = {"{cred}": cred, "{share}": share["id"], "{token}": share["url"].rsplit("/", 1)[1],
                    "{confirm}": confirm, "{who}": who, "{fresh}": f"{who}{index}"}
            path = row.path
            for key, value in fill.items():
                path = path.replace(key, value)
            body = json.loads(_fill(json.dumps(row.json), fill, badge)) if row.json is not None else None
            async with http.request(row.method, w.url + path, json=body, headers=headers) as r:
                expected = row.anonymous if who in AS_ANONYMOUS else getattr(row, who)
                payload = await r.read()
                assert r.status == expected, f"{who} {row.method} {row.path}: {r.status} {payload[:200]!r}"
                if r.status >= 400 and not path.startswith(("/confirm/", "/s/")):
                    assert r.content_type == "application/problem+json", (row.path, r.content_type)
            if who in AS_ANONYMOUS and not row.public:
                assert f"Badge {index}".encode() not in payload and ann["did"].encode() not in payload
                assert fill["{token}"].encode() not in payload and b"ann@example.org" not in payload
                assert json.loads(payload)["type"] == "urn:satchel:problem:unauthorized", payload[:200]
            if who == "other" and not row.public:
                # Another account's answers never contain the owner's credential or share link
                # (a 404 may repeat the id the caller sent, nothing more).
                if (row.method, row.path) != ("POST", "/api/credentials"):  # there Bob sent the badge himself
                    assert f"Badge {index}".encode() not in payload and ann["did"].encode() not in payload
                assert fill["{token}"].encode() not in payload
                if row.path == "/api/export":
                    exported = open_export(payload, "a long passphrase")
                    assert exported["account"]["loginEmail"] == "bob@example.org"
                    assert exported["credentials"] == [] and exported["shares"] == []


def _fill(text: str, fill: dict[str, str], badge: dict[str, Any]) -> str:
    text = text.replace('"{badge}"', json.dumps(badge))
    for key, value in fill.items():
        text = text.replace(key, value)
    return text
