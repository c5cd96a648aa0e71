"""Web defences of the three servers, attacked over HTTP on 127.0.0.1: CSRF, cookies, rate limits, tokens.

CSRF: every state-changing route (POST, PUT, PATCH, DELETE) of the wallet, the issuer node
and the verifier service is read from the app's router and must be either a form case below
or an exempt API route with its reason (a new route in neither fails
``test_every_state_changing_route_is_a_form_case_or_an_exempt_api``). Each form is posted
by a browser-like client (its own cookie jar, signed in where the form needs it) without
the CSRF token, with a made-up token, and with the token of another session: each is refused
with 403 problem+json ``csrf_failed`` (asked for with ``Accept: application/problem+json``;
a browser gets the same 403 as an HTML page), the database and data files are byte for byte
unchanged, no session cookie is set, and the victim's session still works. With its own
token the same post gets through (not 403). Exempt API routes grant nothing from cookies:
with a signed-in session and no bearer token they answer 401.

Cookies: every Set-Cookie of the three servers is HttpOnly and SameSite=Lax; Secure when the
server's public URL is https, not Secure on plain http (so the demo on 127.0.0.1 works).

Rate limits: the (limit+1)-th attempt is 429 ``rate_limited`` with ``Retry-After``; a client
from another address (127.0.0.2, still loopback) is not affected.

Tokens: share tokens, offer tokens, pre-authorized codes, download tokens, applicant keys,
API and access tokens, email confirmation tokens and session nonces carry at least 128
random bits (length and alphabet over many samples, none repeated), and each works only
for its own purpose.

Trusted networks: ``--allow-network CIDR`` on the wallet's and the verifier's ``serve`` lets an
operator open a private network to outgoing fetches; without it an address there is refused
before any connection.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import re
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from evidence_harness import PDF, EvidenceNode, evidence_node  # noqa: F401
from smtp_sink import smtp  # noqa: F401
from verifier_service_support import issue as issue_credential_for_verifier

from credentials.keys import generate_key_pair
from issuer_node.accounts import add_user
from issuer_node.app import create_app as create_issuer_app
from issuer_node.config import IssuerConfig
from issuer_node.provisioning import init_node
from issuer_node.storage import open_store
from verifier_web.app import create_app as create_verifier_app
from verifier_web.config import ServiceConfig
from wallet.config import init_data_dir, load_config
from wallet.context import open_wallet
from wallet.testing import bearer, issue_badge, running_wallet, sign_up
from wallet.web.app import create_app as create_wallet_app
from webbase.testing import serving

PROBLEM_JSON = "application/problem+json"
CSRF_FAILED = "urn:satchel:problem:csrf_failed"
STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
WRONG_TOKEN = "bm90LXRoaXMtc2l0ZXMtdG9rZW4tYXQtYWxsLW5vcGUx"  # well-formed base64url, 43 characters


# --- the route tables -------------------------------------------------------------------------------

WALLET_FORMS = {
    ("POST", "/login"), ("POST", "/signup"), ("POST", "/logout"), ("POST", "/import"),
    ("POST", "/account/emails"), ("POST", "/account/export"), ("POST", "/credentials/refresh"),
    ("POST", "/credentials/{id}/delete"), ("POST", "/receive/offer"), ("POST", "/receive/qr"),
    ("POST", "/receive/files"), ("POST", "/shares"), ("POST", "/shares/{id}/revoke"),
}
# JSON API: authorized by a bearer token only (cookies are never read), or public.
WALLET_EXEMPT = {
    ("POST", "/api/accounts"): "public sign-up (JSON); an attacker could call it directly anyway",
    ("POST", "/api/tokens"): "public login (JSON); the token is in the answer, which another origin cannot read",
    ("DELETE", "/api/tokens"): "bearer token",
    ("POST", "/api/emails"): "bearer token",
    ("POST", "/api/credentials"): "bearer token",
    ("DELETE", "/api/credentials/{id}"): "bearer token",
    ("POST", "/api/status/refresh"): "bearer token",
    ("POST", "/api/shares"): "bearer token",
    ("DELETE", "/api/shares/{id}"): "bearer token",
    ("POST", "/api/export"): "bearer token",
    ("POST", "/api/import"): "public restore (JSON export and passphrase): grants nothing from cookies",
}
ISSUER_FORMS = {
    ("POST", "/admin/login"), ("POST", "/admin/logout"), ("POST", "/achievements/{key}/apply"),
    ("POST", "/applications/{id}/resubmit"), ("POST", "/admin/applications/{id}/decision"),
    ("POST", "/admin/achievements"), ("POST", "/admin/achievements/{key}"),
    ("POST", "/admin/achievements/{key}/retire"), ("POST", "/admin/credentials/{key}/status"),
    ("POST", "/admin/bulk"),
    # The JSON API also takes a reviewer's session cookie; then X-CSRF-Token must carry the token.
    ("POST", "/api/applications/{id}/decision"),
}
ISSUER_EXEMPT = {
    ("POST", "/token"): "OpenID4VCI token endpoint: the pre-authorized code is the credential",
    ("POST", "/nonce"): "OpenID4VCI nonce endpoint: changes nothing",
    ("POST", "/credential"): "OpenID4VCI credential endpoint: bearer access token",
    ("POST", "/api/applications"): "public apply (JSON or multipart), rate-limited: grants nothing from cookies",
    ("POST", "/api/applications/{id}/resubmit"): "the applicant's key in the URL is the credential",
    ("POST", "/api/achievements"): "admin bearer token",
    ("POST", "/api/achievements/{key}/retire"): "admin bearer token",
    ("POST", "/credentials/issue"): "admin bearer token",
    ("POST", "/api/credentials/{key}/revoke"): "admin bearer token",
    ("POST", "/api/credentials/{key}/suspend"): "admin bearer token",
    ("POST", "/api/credentials/{key}/unsuspend"): "admin bearer token",
    ("POST", "/api/awards"): "admin bearer token",
    ("DELETE", "/api/awards/{id}"): "admin bearer token",
}
VERIFIER_FORMS = {("POST", "/verify/link"), ("POST", "/verify/paste"), ("POST", "/verify/upload")}
VERIFIER_EXEMPT = {
    ("POST", "/credentials/verify"): "public JSON API: verifying changes nothing and reads no cookie",
    ("POST", "/presentations/verify"): "public JSON API: verifying changes nothing and reads no cookie",
}


def state_changing_routes(app: web.Application) -> set[tuple[str, str]]:
    """(method, canonical path) of every POST/PUT/PATCH/DELETE route of ``app``."""
    return {(route.method, route.resource.canonical) for route in app.router.routes()
            if route.method in STATE_CHANGING and route.resource is not None}


def test_every_state_changing_route_is_a_form_case_or_an_exempt_api(tmp_path: Path) -> None:
    init_data_dir(tmp_path / "w", public_url="http://127.0.0.1:1")
    wallet = open_wallet(load_config(tmp_path / "w"))
    try:
        wallet_routes = state_changing_routes(create_wallet_app(wallet, background_refresh=False))
    finally:
        wallet.close()
    init_node(tmp_path / "n", name="Riverside USD", url="https://riverside.example.org")
    issuer_routes = state_changing_routes(create_issuer_app(IssuerConfig(data_dir=tmp_path / "n")))
    verifier_routes = state_changing_routes(create_verifier_app(ServiceConfig()))
    for name, routes, forms, exempt in (("wallet", wallet_routes, WALLET_FORMS, WALLET_EXEMPT),
                                        ("issuer", issuer_routes, ISSUER_FORMS, ISSUER_EXEMPT),
                                        ("verifier", verifier_routes, VERIFIER_FORMS, VERIFIER_EXEMPT)):
        assert forms.isdisjoint(exempt), name
        assert routes - forms - set(exempt) == set(), f"{name}: state-changing routes without a CSRF case"
        assert (forms | set(exempt)) - routes == set(), f"{name}: cases for routes that no longer exist"


# --- a browser without JavaScript -------------------------------------------------------------------


@dataclass
class Answer:
    status: int
    text: str
    headers: Any
    content_type: str

    def cookies_set(self) -> list[str]:
        return list(self.headers.getall("Set-Cookie", []))


class Browser:
    """One browser: its own cookie jar (unsafe: 127.0.0.1 is an IP), never following redirects."""

    def __init__(self, base: str, *, local_address: str | None = None) -> None:
        self.base = base
        connector = aiohttp.TCPConnector(local_addr=(local_address, 0)) if local_address else None
        self.http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True), connector=connector)

    async def close(self) -> None:
        await self.http.close()

    async def get(self, path: str) -> Answer:
        async with self.http.get(self.base + path, allow_redirects=False) as r:
            return Answer(r.status, await r.text(errors="replace"), r.headers, r.content_type)

    async def token(self, page: str) -> str:
        """The CSRF token on ``page`` (a page that renders a form for this visitor)."""
        answer = await self.get(page)
        match = _CSRF.search(answer.text)
        assert match, f"{page} ({answer.status}) has no CSRF field"
        return match.group(1)

    async def send(self, post: Post, token: str | None, *, accept: str = PROBLEM_JSON) -> Answer:
        headers = {"Accept": accept}
        data: Any
        if post.json is not None:
            data = None
            if token is not None:
                headers["X-CSRF-Token"] = token
        elif post.multipart:
            data = aiohttp.FormData(default_to_multipart=True)
            if token is not None:
                data.add_field("csrf_token", token)
            for name, value in post.fields:
                data.add_field(name, value)
            for name, filename, content, content_type in post.files:
                data.add_field(name, io.BytesIO(content), filename=filename, content_type=content_type)
        else:
            data = ([("csrf_token", token)] if token is not None else []) + list(post.fields)
        async with self.http.post(self.base + post.path, data=data, json=post.json, headers=headers,
                                  allow_redirects=False) as r:
            return Answer(r.status, await r.text(errors="replace"), r.headers, r.content_type)


@dataclass
class Post:
    path: str
    fields: list[tuple[str, str]] = field(default_factory=list)
    files: list[tuple[str, str, bytes, str]] = field(default_factory=list)
    multipart: bool = False
    json: dict[str, Any] | None = None


@dataclass
class Attack:
    """One form: who posts it (``victim``), a session whose token is stolen (``other``), what is posted."""

    route: tuple[str, str]
    victim: Browser
    victim_page: str          # a page that shows the victim a form (its CSRF token)
    other: Browser
    other_page: str
    post: Post
    signed_in_page: str | None = None  # a page only the signed-in victim may open (its session must survive)


def snapshot(data_dir: Path) -> dict[str, Any]:
    """Every row of every table of every SQLite database in ``data_dir``, and every other file's digest."""
    state: dict[str, Any] = {}
    for path in sorted(data_dir.rglob("*")):
        if not path.is_file() or path.name.endswith(("-wal", "-shm", "-journal")):
            continue
        if path.suffix == ".db":
            with sqlite3.connect(path) as db:
                tables = [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
                state[str(path)] = {t: sorted(map(repr, db.execute(f'SELECT * FROM "{t}"'))) for t in tables}
            db.close()
        else:
            state[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return state


async def settled(data_dir: Path) -> dict[str, Any]:
    """The snapshot once background work (the outbox sending a queued email) has stopped changing it."""
    current = snapshot(data_dir)
    for _ in range(50):
        await asyncio.sleep(0.2)
        again = snapshot(data_dir)
        if again == current:
            return current
        current = again
    raise AssertionError(f"{data_dir} kept changing")


async def run_attack(attack: Attack, data_dir: Path | None, session_cookie: str,
                     side_effects: Callable[[], int] | None = None) -> list[str]:
    """Post the form three ways without its own token (each must be refused, changing nothing), then with it."""
    problems: list[str] = []
    route = f"{attack.route[0]} {attack.route[1]}"
    stolen = await attack.other.token(attack.other_page)
    own = await attack.victim.token(attack.victim_page)
    assert stolen != own, route
    before = await settled(data_dir) if data_dir is not None else None
    effects = side_effects() if side_effects is not None else 0
    for label, token in (("no token", None), ("a made-up token", WRONG_TOKEN), ("another session's token", stolen)):
        answer = await attack.victim.send(attack.post, token)
        if answer.status != 403 or answer.content_type != PROBLEM_JSON:
            problems.append(f"{route} with {label}: {answer.status} {answer.content_type} {answer.text[:200]}")
            continue
        body = json.loads(answer.text)
        if body.get("type") != CSRF_FAILED or body.get("status") != 403:
            problems.append(f"{route} with {label}: {body}")
        if any(cookie.startswith(session_cookie + "=") for cookie in answer.cookies_set()):
            problems.append(f"{route} with {label} set the session cookie")
        if data_dir is not None and (after := snapshot(data_dir)) != before:
            assert before is not None
            changed = sorted(f"{name}:{table}" for name in after for table in after[name]
                             if not isinstance(after[name], str) and after[name][table] != before.get(name, {}).get(table))
            problems.append(f"{route} with {label} changed the stored data: {changed}")
        if side_effects is not None and side_effects() != effects:
            problems.append(f"{route} with {label} made an outgoing request")
    if attack.post.json is None:  # A browser (Accept: text/html) gets the same refusal as a page.
        answer = await attack.victim.send(attack.post, None, accept="text/html,application/xhtml+xml,*/*;q=0.8")
        if answer.status != 403 or answer.content_type != "text/html" or "did not come from this site" not in answer.text:
            problems.append(f"{route} as a browser without a token: {answer.status} {answer.content_type}")
    if attack.signed_in_page is not None:
        still = await attack.victim.get(attack.signed_in_page)
        if still.status != 200:
            problems.append(f"{route}: the victim's session stopped working after refused posts ({still.status})")
    answer = await attack.victim.send(attack.post, own)
    if answer.status == 403 or answer.status >= 500:
        problems.append(f"{route} with its own token: {answer.status} {answer.text[:300]}")
    return problems


# --- the wallet -------------------------------------------------------------------------------------


@pytest.mark.slow
async def test_every_wallet_form_refuses_a_missing_wrong_or_stolen_csrf_token(tmp_path: Path) -> None:
    issuer = generate_key_pair()
    async with running_wallet(tmp_path / "w") as w, aiohttp.ClientSession() as http:
        ann_account, ann_token = await sign_up(http, w.url, "ann@example.org")
        await sign_up(http, w.url, "bob@example.org")
        ann, bob = Browser(w.url), Browser(w.url)
        anonymous: list[Browser] = []

        def stranger() -> Browser:
            anonymous.append(Browser(w.url))
            return anonymous[-1]

        try:
            for browser, email in ((ann, "ann@example.org"), (bob, "bob@example.org")):
                own = await browser.token("/login")
                answer = await browser.send(Post("/login", [("email", email), ("password", "correct horse battery")]),
                                            own)
                assert answer.status == 303, answer.text[:300]

            async def new_credential(name: str) -> tuple[str, dict[str, Any]]:
                badge = issue_badge(issuer, did=ann_account["did"], name=name)
                async with http.post(f"{w.url}/api/credentials", json={"credential": badge},
                                     headers=bearer(ann_token)) as r:
                    assert r.status in (200, 201), await r.text()
                    return (await r.json())["added"][0]["id"], badge

            async def new_share(credential: str) -> str:
                async with http.post(f"{w.url}/api/shares", json={"credentials": [credential]},
                                     headers=bearer(ann_token)) as r:
                    assert r.status == 201, await r.text()
                    return str((await r.json())["id"])

            shared, _ = await new_credential("Shared")
            doomed, _ = await new_credential("Doomed")
            _, upload = await new_credential("Uploaded")
            share = await new_share(shared)
            badge_file = ("files", "badge.json", json.dumps(issue_badge(issuer, did=ann_account["did"],
                                                                        name="Fresh")).encode(), "application/json")

            def signed_in(route: tuple[str, str], post: Post) -> Attack:
                return Attack(route, ann, "/account", bob, "/account", post, signed_in_page="/account")

            def visitor(route: tuple[str, str], post: Post) -> Attack:
                return Attack(route, stranger(), "/login", stranger(), "/login", post)

            attacks = [
                visitor(("POST", "/login"), Post("/login", [("email", "ann@example.org"),
                                                            ("password", "correct horse battery")])),
                visitor(("POST", "/signup"), Post("/signup", [("email", "carol@example.org"),
                                                              ("password", "a good password"),
                                                              ("password_again", "a good password")])),
                visitor(("POST", "/import"), Post("/import", [("passphrase", "a long passphrase")],
                                                  [("file", "satchel-export.bin", b"not an export", "application/octet-stream")],
                                                  multipart=True)),
                signed_in(("POST", "/account/emails"), Post("/account/emails", [("email", "ann.work@example.org")])),
                signed_in(("POST", "/account/export"), Post("/account/export", [
                    ("passphrase", "a long passphrase"), ("passphrase_again", "a long passphrase")])),
                signed_in(("POST", "/credentials/refresh"), Post("/credentials/refresh")),
                signed_in(("POST", "/credentials/{id}/delete"), Post(f"/credentials/{doomed}/delete")),
                signed_in(("POST", "/receive/offer"), Post("/receive/offer", [("offer", "not an offer")])),
                signed_in(("POST", "/receive/qr"), Post("/receive/qr", [("tx_code", "")], multipart=True)),
                signed_in(("POST", "/receive/files"), Post("/receive/files", files=[badge_file], multipart=True)),
                signed_in(("POST", "/shares"), Post("/shares", [("credential", shared), ("note", "panel")])),
                signed_in(("POST", "/shares/{id}/revoke"), Post(f"/shares/{share}/revoke")),
                signed_in(("POST", "/logout"), Post("/logout")),  # last: the accepted post ends Ann's session
            ]
            assert {a.route for a in attacks} == WALLET_FORMS
            assert upload  # imported once already: /receive/files posts a fresh one
            problems: list[str] = []
            for attack in attacks:
                problems += await run_attack(attack, w.data_dir, "satchel_wallet_session")
            assert problems == [], "\n".join(problems)
            # The accepted posts did what they say: Doomed is gone, the share is revoked, Ann is signed out.
            async with http.get(f"{w.url}/api/credentials/{doomed}", headers=bearer(ann_token)) as r:
                assert r.status == 404
            assert (await ann.get("/account")).status == 303
        finally:
            for browser in (ann, bob, *anonymous):
                await browser.close()


async def test_wallet_api_routes_grant_nothing_to_a_session_cookie(tmp_path: Path) -> None:
    """The exempt API routes read no cookie: a signed-in browser without a bearer token gets 401."""
    async with running_wallet(tmp_path / "w") as w, aiohttp.ClientSession() as http:
        await sign_up(http, w.url, "ann@example.org")
        ann = Browser(w.url)
        try:
            answer = await ann.send(Post("/login", [("email", "ann@example.org"), ("password", "correct horse battery")]),
                                    await ann.token("/login"))
            assert answer.status == 303
            token = await ann.token("/account")
            for (method, path), reason in WALLET_EXEMPT.items():
                if reason != "bearer token":
                    continue
                async with ann.http.request(method, w.url + path.replace("{id}", "0" * 32), json={},
                                            headers={"X-CSRF-Token": token}) as r:
                    assert r.status == 401, (method, path, r.status)
                    assert r.content_type == PROBLEM_JSON
        finally:
            await ann.close()


# --- the issuer node --------------------------------------------------------------------------------


@pytest.mark.slow
async def test_every_issuer_form_refuses_a_missing_wrong_or_stolen_csrf_token(evidence_node: EvidenceNode) -> None:
    node = evidence_node
    store = node.store()
    try:
        admin = add_user(store, "alex@riverside.example.org", "admin")
    finally:
        store.close()
    achievement = await node.define()
    other_achievement = await node.define(name="Formative Assessment")
    status, issued, _ = await node.call("POST", "/credentials/issue", token=node.admin_token, json={
        "credential": {"achievement": achievement["id"], "recipient": {"email": "ben@school.example"}}})
    assert status == 201, issued
    credential_key = issued["verifiableCredential"]["id"].rsplit("/", 1)[1]
    applications = []
    for _ in range(3):
        status, created, _ = await node.call("POST", "/api/applications", json={
            "name": "Ana Ruiz", "email": "ana@school.example", "achievement": achievement["id"], "narrative": "x"})
        assert status == 201, created
        applications.append((created["id"], re.search(r"key=([A-Za-z0-9_-]+)", created["status_url"]).group(1)))  # type: ignore[union-attr]
    resubmitting, key = applications[0]
    status, _, _ = await node.call("POST", f"/api/applications/{resubmitting}/decision", token=node.reviewer_token,
                                   json={"decision": "resubmit", "feedback": "Add a reflection."})
    assert status == 200

    browsers: list[Browser] = []

    def browser() -> Browser:
        browsers.append(Browser(node.url))
        return browsers[-1]

    async def signed_in(email: str, password: str) -> Browser:
        b = browser()
        answer = await b.send(Post("/admin/login", [("email", email), ("password", password)]),
                              await b.token("/admin/login"))
        assert answer.status == 303, answer.text[:300]
        return b

    try:
        alex = await signed_in(admin.user.email, admin.password)
        rita = await signed_in(node.reviewer_email, node.reviewer_password)

        def as_admin(route: tuple[str, str], post: Post) -> Attack:
            return Attack(route, alex, "/admin/achievements", rita, "/admin/applications", post,
                          signed_in_page="/admin/achievements")

        def visitor(route: tuple[str, str], post: Post, page: str = "/admin/login") -> Attack:
            return Attack(route, browser(), page, browser(), page, post)

        apply_fields = [("name", "Ben Ode"), ("email", "ben@school.example"), ("narrative", "My lesson plan."),
                        ("evidence_url", "https://video.example/ben")]
        csv = b"email,achievement,name\nben@school.example," + achievement["id"].encode() + b",Ben Ode\n"
        attacks = [
            visitor(("POST", "/admin/login"), Post("/admin/login", [("email", admin.user.email),
                                                                    ("password", admin.password)])),
            visitor(("POST", "/achievements/{key}/apply"),
                    Post(f"/achievements/{achievement['key']}/apply", apply_fields,
                         [("file", "plan.pdf", PDF, "application/pdf")], multipart=True),
                    page=f"/achievements/{achievement['key']}/apply"),
            visitor(("POST", "/applications/{id}/resubmit"),
                    Post(f"/applications/{resubmitting}/resubmit?key={key}",
                         [("key", key), ("narrative", "Reflection: it worked.")], multipart=True),
                    page=f"/applications/{resubmitting}?key={key}"),
            as_admin(("POST", "/admin/applications/{id}/decision"),
                     Post(f"/admin/applications/{applications[1][0]}/decision",
                          [("decision", "reject"), ("feedback", "Not this time."), ("score_0", "1")])),
            as_admin(("POST", "/api/applications/{id}/decision"),
                     Post(f"/api/applications/{applications[2][0]}/decision",
                          json={"decision": "reject", "feedback": "Not this time."})),
            as_admin(("POST", "/admin/achievements"),
                     Post("/admin/achievements", [("name", "Station Rotation"), ("description", "Runs stations"),
                                                  ("criteria", "Run three rotations"), ("tags", "blended"),
                                                  ("evidence", "optional")])),
            as_admin(("POST", "/admin/achievements/{key}"),
                     Post(f"/admin/achievements/{other_achievement['key']}", [
                         ("name", "Formative Assessment II"), ("description", "Checks understanding"),
                         ("criteria", "Three exit tickets"), ("tags", "assessment"), ("evidence", "optional")])),
            as_admin(("POST", "/admin/achievements/{key}/retire"),
                     Post(f"/admin/achievements/{other_achievement['key']}/retire", [("retired", "1")])),
            as_admin(("POST", "/admin/credentials/{key}/status"),
                     Post(f"/admin/credentials/{credential_key}/status", [("action", "suspend"),
                                                                          ("reason", "Under review")])),
            as_admin(("POST", "/admin/bulk"),
                     Post("/admin/bulk", [("action", "check")], [("file", "awards.csv", csv, "text/csv")],
                          multipart=True)),
            as_admin(("POST", "/admin/logout"), Post("/admin/logout")),  # last: it ends Alex's session
        ]
        assert {a.route for a in attacks} == ISSUER_FORMS
        problems: list[str] = []
        for attack in attacks:
            problems += await run_attack(attack, node.data, "satchel_issuer_session")
        assert problems == [], "\n".join(problems)
        _, register, _ = await node.call("GET", f"/credentials/{credential_key}", token=node.admin_token)
        assert register["suspended"] is True  # the accepted status form did its work
        assert (await alex.get("/admin/achievements")).status == 303  # and the accepted logout too
    finally:
        for b in browsers:
            await b.close()


async def test_issuer_api_routes_grant_nothing_to_a_session_cookie(evidence_node: EvidenceNode) -> None:
    node = evidence_node
    rita = Browser(node.url)
    try:
        answer = await rita.send(Post("/admin/login", [("email", node.reviewer_email),
                                                       ("password", node.reviewer_password)]),
                                 await rita.token("/admin/login"))
        assert answer.status == 303
        token = await rita.token("/admin/applications")
        for (method, path), reason in ISSUER_EXEMPT.items():
            if reason != "admin bearer token":
                continue
            async with rita.http.request(method, node.url + re.sub(r"\{[^}]+\}", "nothere", path), json={},
                                         headers={"X-CSRF-Token": token}) as r:
                assert r.status == 401, (method, path, r.status)
                assert r.content_type == PROBLEM_JSON
    finally:
        await rita.close()


# --- the verifier service ---------------------------------------------------------------------------


@pytest.fixture
async def share_host() -> AsyncIterator[tuple[str, list[str]]]:
    """A loopback server standing in for a wallet's share link; it records every request it gets."""
    seen: list[str] = []

    async def share(request: web.Request) -> web.Response:
        seen.append(request.path)
        return web.json_response({"not": "a presentation"})

    app = web.Application()
    app.router.add_get("/s/{token}", share)
    async with serving(app) as url:
        yield url, seen


async def test_every_verifier_form_refuses_a_missing_wrong_or_stolen_csrf_token(
        share_host: tuple[str, list[str]]) -> None:
    share_url, seen = share_host
    teacher, district = generate_key_pair(), generate_key_pair()
    badge = json.dumps(issue_credential_for_verifier(district, recipient=teacher.did)).encode()
    async with serving(create_verifier_app(ServiceConfig(online=True))) as url:
        browsers = [Browser(url) for _ in range(6)]
        try:
            attacks = [
                Attack(("POST", "/verify/link"), browsers[0], "/", browsers[1], "/",
                       Post("/verify/link", [("link", f"{share_url}/s/abcdefghijklmnopqrstuv")])),
                Attack(("POST", "/verify/paste"), browsers[2], "/", browsers[3], "/",
                       Post("/verify/paste", [("document", badge.decode())])),
                Attack(("POST", "/verify/upload"), browsers[4], "/", browsers[5], "/",
                       Post("/verify/upload", files=[("file", "badge.json", badge, "application/json")],
                            multipart=True)),
            ]
            assert {a.route for a in attacks} == VERIFIER_FORMS
            problems: list[str] = []
            for attack in attacks:
                problems += await run_attack(attack, None, "satchel_verifier_session", side_effects=lambda: len(seen))
            assert problems == [], "\n".join(problems)
            assert seen == ["/s/abcdefghijklmnopqrstuv"]  # fetched once: for the post with its own token
        finally:
            for b in browsers:
                await b.close()



# --- cookies ----------------------------------------------------------------------------------------


def cookie_flags(header: str) -> tuple[str, dict[str, str]]:
    """The cookie's name and its attributes (lower-case names; flags map to "")."""
    name_value, *attributes = [part.strip() for part in header.split(";")]
    flags = {}
    for attribute in attributes:
        key, _, value = attribute.partition("=")
        flags[key.strip().lower()] = value.strip()
    return name_value.partition("=")[0], flags


def cookie_problems(headers: list[str], *, secure: bool) -> list[str]:
    problems = []
    for header in headers:
        name, flags = cookie_flags(header)
        if "httponly" not in flags:
            problems.append(f"{name} is not HttpOnly: {header}")
        if flags.get("samesite", "").lower() not in ("lax", "strict"):
            problems.append(f"{name} has no SameSite=Lax/Strict: {header}")
        if ("secure" in flags) != secure:
            problems.append(f"{name} {'lacks' if secure else 'has'} Secure: {header}")
    return problems


class CookieWatcher(Browser):
    """A browser that keeps every Set-Cookie header it is sent; over https-configured servers it acts as
    if the connection were TLS (its jar sends Secure cookies back to this origin)."""

    def __init__(self, base: str, *, tls: bool) -> None:
        super().__init__(base)
        if tls:
            self.http._cookie_jar = aiohttp.CookieJar(unsafe=True, treat_as_secure_origin=[base])
        self.seen: list[str] = []

    async def get(self, path: str) -> Answer:
        answer = await super().get(path)
        self.seen += answer.cookies_set()
        return answer

    async def send(self, post: Post, token: str | None, *, accept: str = PROBLEM_JSON) -> Answer:
        answer = await super().send(post, token, accept=accept)
        self.seen += answer.cookies_set()
        return answer


@pytest.mark.parametrize("tls", [False, True], ids=["plain-http", "https-public-url"])
async def test_wallet_cookies_are_httponly_samesite_and_secure_behind_tls(tmp_path: Path, tls: bool) -> None:
    async with running_wallet(tmp_path / "w", public_url="https://wallet.example.org" if tls else None) as w:
        ann = CookieWatcher(w.url, tls=tls)
        try:
            await ann.get("/login")
            assert (await ann.send(Post("/login", [("email", "nobody@example.org"), ("password", "wrong password")]),
                                   await ann.token("/login"))).status == 401
            assert (await ann.send(Post("/signup", [("email", "ann@example.org"), ("password", "a good password"),
                                                    ("password_again", "a good password")]),
                                   await ann.token("/signup"))).status == 303
            assert (await ann.get("/account")).status == 200
            assert (await ann.send(Post("/logout"), await ann.token("/account"))).status == 303
            assert (await ann.send(Post("/login", [("email", "ann@example.org"), ("password", "a good password")]),
                                   await ann.token("/login"))).status == 303
            await ann.get("/import")
            names = {cookie_flags(header)[0] for header in ann.seen}
            assert {"satchel_wallet_session", "satchel_wallet_presession"} <= names, ann.seen
            assert cookie_problems(ann.seen, secure=tls) == []
        finally:
            await ann.close()


@pytest.mark.parametrize("tls", [False, True], ids=["plain-http", "https-public-url"])
async def test_issuer_cookies_are_httponly_samesite_and_secure_behind_tls(tmp_path: Path, tls: bool) -> None:
    data = tmp_path / "node"
    init_node(data, name="Riverside USD", url="https://riverside.example.org")
    store = open_store(data / "issuer.db")
    try:
        admin = add_user(store, "alex@riverside.example.org", "admin")
    finally:
        store.close()
    config = IssuerConfig(data_dir=data, public_url="https://badges.riverside.example.org" if tls else None)
    async with serving(create_issuer_app(config)) as url:
        alex = CookieWatcher(url, tls=tls)
        try:
            await alex.get("/")
            assert (await alex.send(Post("/admin/login", [("email", admin.user.email), ("password", "wrong")]),
                                    await alex.token("/admin/login"))).status == 401
            assert (await alex.send(Post("/admin/login", [("email", admin.user.email), ("password", admin.password)]),
                                    await alex.token("/admin/login"))).status == 303
            assert (await alex.get("/admin/achievements")).status == 200
            assert (await alex.send(Post("/admin/logout"), await alex.token("/admin/achievements"))).status == 303
            names = {cookie_flags(header)[0] for header in alex.seen}
            assert {"satchel_issuer_session", "satchel_issuer_presession"} <= names, alex.seen
            assert cookie_problems(alex.seen, secure=tls) == []
        finally:
            await alex.close()


@pytest.mark.parametrize("tls", [False, True], ids=["plain-http", "https-public-url"])
async def test_verifier_cookies_are_httponly_samesite_and_secure_behind_tls(tls: bool) -> None:
    config = ServiceConfig(public_url="https://verify.example.org" if tls else None)
    async with serving(create_verifier_app(config)) as url:
        visitor = CookieWatcher(url, tls=tls)
        try:
            assert (await visitor.send(Post("/verify/paste", [("document", "{}")]),
                                       await visitor.token("/"))).status == 200
            assert {cookie_flags(header)[0] for header in visitor.seen} == {"satchel_verifier_presession"}
            assert cookie_problems(visitor.seen, secure=tls) == []
        finally:
            await visitor.close()


# --- rate limits ------------------------------------------------------------------------------------

ELSEWHERE = "127.0.0.2"  # still loopback, but another client address to the limiters


def assert_limited(answer: Answer, *, problem: bool = True) -> None:
    """429 with a Retry-After of at least a second; problem+json ``rate_limited`` from an API."""
    assert answer.status == 429, (answer.status, answer.text[:300])
    assert int(answer.headers["Retry-After"]) >= 1
    if problem:
        assert answer.content_type == PROBLEM_JSON
        body = json.loads(answer.text)
        assert body["type"] == "urn:satchel:problem:rate_limited" and body["retryAfter"] >= 1
    else:
        assert "Too many attempts" in answer.text


async def api_post(browser: Browser, path: str, body: dict[str, Any]) -> Answer:
    async with browser.http.post(browser.base + path, json=body, allow_redirects=False) as r:
        return Answer(r.status, await r.text(), r.headers, r.content_type)


async def test_wallet_sign_up_is_rate_limited_per_address_on_the_api_the_page_and_import(tmp_path: Path) -> None:
    async with running_wallet(tmp_path / "w") as w:
        here, there = Browser(w.url), Browser(w.url, local_address=ELSEWHERE)
        try:
            # Thirty sign-ups an hour per address (weak passwords: each attempt counts, none is hashed).
            for n in range(30):
                answer = await api_post(here, "/api/accounts", {"email": f"u{n}@example.org", "password": "short"})
                assert answer.status == 400, answer.text
            assert_limited(await api_post(here, "/api/accounts", {"email": "a@example.org", "password": "a good password"}))
            page = await here.send(Post("/signup", [("email", "b@example.org"), ("password", "a good password"),
                                                    ("password_again", "a good password")]), await here.token("/signup"))
            assert_limited(page, problem=False)
            restore = await here.send(Post("/import", [("passphrase", "a long passphrase")],
                                           [("file", "export.bin", b"x", "application/octet-stream")], multipart=True),
                                      await here.token("/import"))
            assert_limited(restore, problem=False)
            # Another address signs up as usual.
            answer = await api_post(there, "/api/accounts", {"email": "c@example.org", "password": "a good password"})
            assert answer.status == 201, answer.text
            page = await there.send(Post("/signup", [("email", "d@example.org"), ("password", "a good password"),
                                                     ("password_again", "a good password")]), await there.token("/signup"))
            assert page.status == 303
        finally:
            await here.close()
            await there.close()


@pytest.mark.slow
async def test_wallet_login_is_limited_per_address_and_per_email_and_spares_others(tmp_path: Path) -> None:
    setup = aiohttp.TCPConnector(local_addr=("127.0.0.3", 0))  # sign_up logs in too: not from the tested addresses
    async with running_wallet(tmp_path / "w") as w, aiohttp.ClientSession(connector=setup) as http:
        await sign_up(http, w.url, "ann@example.org")
        await sign_up(http, w.url, "bob@example.org")
        browsers: list[Browser] = []

        def at(address: str) -> Browser:
            browsers.append(Browser(w.url, local_address=address))
            return browsers[-1]

        async def page_login(browser: Browser, email: str, password: str) -> Answer:
            return await browser.send(Post("/login", [("email", email), ("password", password)]),
                                      await browser.token("/login"))

        try:
            # Per address: ten wrong passwords for ten different emails, then this address waits ...
            sprayer = at("127.0.0.1")
            for n in range(10):
                assert (await page_login(sprayer, f"x{n}@example.org", "wrong password")).status == 401
            assert_limited(await page_login(sprayer, "ann@example.org", "correct horse battery"), problem=False)
            assert_limited(await api_post(sprayer, "/api/tokens", {"email": "ann@example.org",
                                                                   "password": "correct horse battery"}))
            # ... while Ann, elsewhere, logs in on the page and the API.
            assert (await page_login(at(ELSEWHERE), "ann@example.org", "correct horse battery")).status == 303
            assert (await api_post(at(ELSEWHERE), "/api/tokens", {"email": "ann@example.org",
                                                                  "password": "correct horse battery"})).status == 201
            # Per email: guesses at Bob's password from many addresses lock Bob's email, not Ann's
            # (sign_up logged Bob in once: nine wrong guesses fill his ten).
            for n in range(9):
                assert (await page_login(at(f"127.0.1.{n + 1}"), "bob@example.org", "wrong password")).status == 401
            assert_limited(await page_login(at("127.0.2.1"), "bob@example.org", "correct horse battery"), problem=False)
            assert_limited(await api_post(at("127.0.2.2"), "/api/tokens", {"email": "BOB@example.org",
                                                                           "password": "correct horse battery"}))
            assert (await page_login(at("127.0.2.3"), "ann@example.org", "correct horse battery")).status == 303
        finally:
            for b in browsers:
                await b.close()


async def test_issuer_login_429_has_retry_after_and_spares_other_addresses(evidence_node: EvidenceNode) -> None:
    node = evidence_node
    here, there = Browser(node.url), Browser(node.url, local_address=ELSEWHERE)
    try:
        for n in range(10):
            answer = await here.send(Post("/admin/login", [("email", f"x{n}@riverside.example.org"),
                                                           ("password", "wrong")]), await here.token("/admin/login"))
            assert answer.status == 401
        assert_limited(await here.send(Post("/admin/login", [("email", node.reviewer_email),
                                                             ("password", node.reviewer_password)]),
                                       await here.token("/admin/login")))
        assert (await here.get("/admin/applications")).status == 303  # not signed in
        answer = await there.send(Post("/admin/login", [("email", node.reviewer_email),
                                                        ("password", node.reviewer_password)]),
                                  await there.token("/admin/login"))
        assert answer.status == 303 and (await there.get("/admin/applications")).status == 200
    finally:
        await here.close()
        await there.close()


async def test_issuer_apply_429_has_retry_after_on_api_and_page_and_spares_other_addresses(
        evidence_node: EvidenceNode) -> None:
    node = evidence_node
    achievement = await node.define()
    here, there = Browser(node.url), Browser(node.url, local_address=ELSEWHERE)
    body = {"name": "Ana Ruiz", "email": "ana@school.example", "narrative": "x", "achievement": achievement["id"]}
    form = Post(f"/achievements/{achievement['key']}/apply", [("name", "Ana Ruiz"), ("email", "ana@school.example"),
                                                             ("narrative", "x")], multipart=True)
    try:
        for _ in range(20):
            assert (await api_post(here, "/api/applications", body)).status == 201
        assert_limited(await api_post(here, "/api/applications", body))
        assert_limited(await here.send(form, await here.token(form.path)))
        assert (await api_post(there, "/api/applications", body)).status == 201
        assert (await there.send(form, await there.token(form.path))).status == 303
        _, listed, _ = await node.call("GET", "/api/applications?limit=500", token=node.reviewer_token)
        assert len(listed["applications"]) == 22  # the refused ones were not stored
    finally:
        await here.close()
        await there.close()


# --- tokens -----------------------------------------------------------------------------------------

BASE64URL = re.compile(r"[A-Za-z0-9_-]+")
HEX = re.compile(r"[0-9a-f]+")
PRE_AUTHORIZED = "urn:ietf:params:oauth:grant-type:pre-authorized_code"


def random_bits(samples: list[str], what: str) -> float:
    """Check ``samples`` look like independent random strings and return the bits each can carry.

    Every sample has one alphabet (base64url or hex) and one length; none repeats; no two share a
    five-character prefix (a counter or a timestamp would); and across the samples nearly every
    character of the alphabet turns up."""
    assert len(samples) >= 20, what
    assert len(set(samples)) == len(samples), f"{what}: a token repeated"
    lengths = {len(s) for s in samples}
    assert len(lengths) == 1, f"{what}: lengths {lengths}"
    if all(HEX.fullmatch(s) for s in samples):
        alphabet, bits_per_char = 16, 4.0
    else:
        assert all(BASE64URL.fullmatch(s) for s in samples), f"{what}: not base64url: {samples[0]}"
        alphabet, bits_per_char = 64, 6.0
    prefixes = [s[:5] for s in samples]
    assert len(set(prefixes)) == len(prefixes), f"{what}: samples share a prefix"
    seen = set("".join(samples))
    assert len(seen) >= alphabet * 0.85, f"{what}: only {len(seen)} of {alphabet} characters used"
    return lengths.pop() * bits_per_char


def query_value(url: str, name: str) -> str:
    match = re.search(rf"[?&]{name}=([^&#]+)", url)
    assert match, (url, name)
    return match.group(1)


@pytest.mark.slow
async def test_tokens_carry_128_random_bits_and_each_opens_only_its_own_door(
        evidence_node: EvidenceNode, tmp_path: Path) -> None:
    from issuer_node.accounts import issue_api_token
    from issuer_node.downloads import download_token
    from issuer_node.node import open_node
    from wallet.testing import confirmation_link
    from webbase.sessions import SessionCodec
    from webbase.tokens import new_token

    node = evidence_node
    achievement = await node.define()
    http = node.http
    async with running_wallet(tmp_path / "w") as w:
        account, wallet_token = await sign_up(http, w.url, "ann@example.org")
        badge = issue_badge(generate_key_pair(), did=account["did"], name="Shared")
        async with http.post(f"{w.url}/api/credentials", json={"credential": badge}, headers=bearer(wallet_token)) as r:
            credential = (await r.json())["added"][0]["id"]
        samples: dict[str, list[str]] = {}

        # Wallet: share tokens, email confirmation tokens, API tokens, pre-session values.
        for _ in range(40):
            async with http.post(f"{w.url}/api/shares", json={"credentials": [credential]},
                                 headers=bearer(wallet_token)) as r:
                samples.setdefault("share token", []).append((await r.json())["url"].rsplit("/", 1)[1])
        for n in range(30):
            async with http.post(f"{w.url}/api/emails", json={"email": f"ann{n}@example.org"},
                                 headers=bearer(wallet_token)) as r:
                assert r.status == 201
            samples.setdefault("email confirmation token", []).append(
                confirmation_link(w.wallet, f"ann{n}@example.org").rsplit("/", 1)[1])
        for _ in range(3):  # each login hashes a password: few live ones, the rest from the same generator
            async with http.post(f"{w.url}/api/tokens", json={"email": "ann@example.org",
                                                              "password": "correct horse battery"}) as r:
                samples.setdefault("wallet API token", []).append((await r.json())["token"])
        samples["wallet API token"] += [new_token() for _ in range(37)]
        for _ in range(30):
            visitor = Browser(w.url)
            try:
                answer = await visitor.get("/login")
            finally:
                await visitor.close()
            [cookie] = [c for c in answer.cookies_set() if c.startswith("satchel_wallet_presession=")]
            samples.setdefault("pre-session value", []).append(cookie.split(";")[0].split("=", 1)[1])
        codec = SessionCodec(w.wallet.vault.session_secret)
        sessions = [codec.read(codec.issue("a", ttl=timedelta(hours=1))) for _ in range(40)]
        samples["session nonce"] = [session.nonce for session in sessions if session is not None]

        # Issuer: offer tokens, pre-authorized codes, access tokens, applicant keys, API and download tokens.
        for _ in range(30):
            status, award, _ = await node.call("POST", "/api/awards", token=node.admin_token, json={
                "achievement": achievement["id"], "email": "ben@school.example", "notify": False})
            assert status == 201, award
            samples.setdefault("offer token", []).append(award["credentialOfferUri"].rsplit("/", 1)[1])
            status, offer, _ = await node.call("GET", award["credentialOfferUri"])
            samples.setdefault("pre-authorized code", []).append(offer["grants"][PRE_AUTHORIZED]["pre-authorized_code"])
        for code in samples["pre-authorized code"][:20]:
            status, grant, _ = await node.call("POST", "/token", data={"grant_type": PRE_AUTHORIZED,
                                                                       "pre-authorized_code": code})
            assert status == 200, grant
            samples.setdefault("access token", []).append(grant["access_token"])
        applications: list[tuple[str, str]] = []
        for n in range(24):  # the apply limit is per address: spread over a few loopback addresses
            applicant = Browser(node.url, local_address=f"127.0.4.{n // 12 + 1}")
            try:
                answer = await api_post(applicant, "/api/applications", {
                    "name": "Ana Ruiz", "email": "ana@school.example", "achievement": achievement["id"],
                    "narrative": "x"})
            finally:
                await applicant.close()
            assert answer.status == 201, answer.text
            created = json.loads(answer.text)
            applications.append((created["id"], query_value(created["status_url"], "key")))
        samples["applicant key"] = [key for _, key in applications]
        store = node.store()
        try:
            user = store.get_user_by_email(node.reviewer_email)
            samples["issuer API token"] = [issue_api_token(store, user) for _ in range(30)]
        finally:
            store.close()
        keys = []
        for n in range(2):
            status, issued, _ = await node.call("POST", "/credentials/issue", token=node.admin_token, json={
                "credential": {"achievement": achievement["id"], "recipient": {"email": f"c{n}@school.example"}}})
            assert status == 201, issued
            keys.append(issued["verifiableCredential"]["id"].rsplit("/", 1)[1])
        opened = open_node(IssuerConfig(data_dir=node.data))
        try:
            samples["download token"] = [download_token(opened, f"{n:08d}-0000-4000-8000-000000000000")
                                         for n in range(30)]
            download = download_token(opened, keys[0])
        finally:
            opened.close()

        bits = {what: random_bits(values, what) for what, values in samples.items()}
        assert {what: b for what, b in bits.items() if b < 128} == {}, bits

        # Each token opens its own door only.
        share = samples["share token"][0]
        offer_token, code = samples["offer token"][-2], samples["pre-authorized code"][-1]  # two unredeemed offers
        access, confirm = samples["access token"][0], samples["email confirmation token"][-1]
        issuer_api = samples["issuer API token"][0]
        (mine, my_key), (theirs, _) = applications[0], applications[1]

        async def status_of(method: str, url: str, **kwargs: Any) -> int:
            async with http.request(method, url, allow_redirects=False, **kwargs) as r:
                await r.read()
                return r.status

        async def token_grant(value: str) -> int:
            return await status_of("POST", f"{node.url}/token", data={"grant_type": PRE_AUTHORIZED,
                                                                      "pre-authorized_code": value})

        foreign = {"share": share, "offer": offer_token, "code": code, "access": access, "download": download,
                   "applicant": my_key, "issuer-api": issuer_api, "wallet-api": wallet_token, "confirm": confirm}
        doors: dict[str, Callable[[str], Awaitable[int]]] = {
            "share": lambda t: status_of("GET", f"{w.url}/s/{t}"),
            "offer": lambda t: status_of("GET", f"{node.url}/offers/{t}"),
            "code": token_grant,
            "access": lambda t: status_of("POST", f"{node.url}/credential", json={}, headers=bearer(t)),
            "download": lambda t: status_of("GET", f"{node.url}/credentials/{keys[0]}/download.json?token={t}"),
            "applicant": lambda t: status_of("GET", f"{node.url}/api/applications/{mine}?key={t}"),
            "issuer-api": lambda t: status_of("GET", f"{node.url}/api/applications", headers=bearer(t)),
            "wallet-api": lambda t: status_of("GET", f"{w.url}/api/account", headers=bearer(t)),
            "confirm": lambda t: status_of("GET", f"{w.url}/confirm/{t}"),
        }
        opened_by: dict[str, list[str]] = {}
        for door, open_door in doors.items():
            for kind, value in foreign.items():
                status = await open_door(value)
                if kind != door and status < 300:
                    opened_by.setdefault(door, []).append(f"{kind} ({status})")
        assert opened_by == {}, opened_by
        # The right keys do open them (each checked after the wrong ones, as single-use ones are spent).
        assert await doors["share"](share) == 200
        assert await doors["download"](download) == 200
        assert await doors["applicant"](my_key) == 200
        assert await doors["issuer-api"](issuer_api) == 200
        assert await doors["wallet-api"](wallet_token) == 200
        assert await status_of("GET", f"{node.url}/offers/{offer_token}") == 200
        # An applicant's key opens their application, never another one, and another's answer equals "none".
        assert await status_of("GET", f"{node.url}/api/applications/{theirs}?key={my_key}") == \
            await status_of("GET", f"{node.url}/api/applications/nothere0000?key={my_key}") == 404
        assert await status_of("GET", f"{node.url}/applications/{theirs}?key={my_key}") == 404
        # A download token belongs to one credential.
        assert await status_of("GET", f"{node.url}/credentials/{keys[1]}/download.json?token={download}") >= 400


# --- the operator's trusted networks for outgoing fetches ---------------------------------------------

PRIVATE_OFFER = "openid-credential-offer://?credential_offer_uri=https%3A%2F%2F10.0.5.7%2Foffers%2Fabcdefghijklmnop"


def test_serve_commands_take_allow_network_and_refuse_a_bad_one(tmp_path: Path, satchel: Any) -> None:
    assert satchel("wallet", "init", "--data-dir", str(tmp_path / "w")).code == 0
    refused = satchel("wallet", "serve", "--data-dir", str(tmp_path / "w"), "--port", "0",
                      "--allow-network", "10.0.5.0/24", "--allow-network", "not-a-network")
    assert refused.code == 2 and "not a network" in refused.err and "not-a-network" in refused.err
    refused = satchel("verifier", "serve", "--port", "0", "--allow-network", "10.0.5.0/33")
    assert refused.code == 2 and "--allow-network" in refused.err
    for command in (("wallet", "serve"), ("verifier", "serve")):
        assert "--allow-network CIDR" in satchel(*command, "--help").out


async def test_the_wallet_reaches_a_private_network_only_when_the_operator_allows_it(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """By default an offer on 10.0.5.7 is refused by the address policy before any connection; with
    ``--allow-network 10.0.5.0/24`` (the config the serve command builds) the wallet goes ahead and
    connects, which is as far as the test's network guard lets anything go off loopback."""
    from dataclasses import replace

    from webbase.netpolicy import parse_networks

    async with running_wallet(tmp_path / "w") as w, aiohttp.ClientSession() as http:
        _, token = await sign_up(http, w.url, "ann@example.org")
        async with http.post(f"{w.url}/api/credentials", json={"offer": PRIVATE_OFFER}, headers=bearer(token)) as r:
            body = await r.json()
            assert r.status in (400, 422, 502) and body["type"] == "urn:satchel:problem:oid4vci_address_refused", body
        assert "10.0.5.7" not in "".join(str(record.exc_info) for record in caplog.records)
        w.wallet.config = replace(w.wallet.config, allowed_networks=parse_networks(["10.0.5.0/24", "fd00:5::/64"]))
        caplog.clear()
        async with http.post(f"{w.url}/api/credentials", json={"offer": PRIVATE_OFFER}, headers=bearer(token)) as r:
            body = await r.json()
            assert body["type"] != "urn:satchel:problem:oid4vci_address_refused", body
        attempts = [str(record.exc_info[1]) for record in caplog.records if record.exc_info]
        assert any("('10.0.5.7', 443)" in attempt for attempt in attempts), attempts  # the guard saw it connect


async def test_the_verifier_reaches_a_private_network_only_when_the_operator_allows_it(
        caplog: pytest.LogCaptureFixture) -> None:
    from webbase.netpolicy import parse_networks

    for allowed in ((), parse_networks(["10.0.5.0/24"])):
        caplog.clear()
        async with serving(create_verifier_app(ServiceConfig(online=True, allowed_networks=allowed))) as url:
            visitor = Browser(url)
            try:
                answer = await visitor.send(Post("/verify/link", [("link", "https://10.0.5.7/s/abcdefghijklmnopqrstuv")]),
                                            await visitor.token("/"), accept="text/html")
            finally:
                await visitor.close()
        attempts = [str(record.exc_info[1]) for record in caplog.records if record.exc_info]
        connected = any("('10.0.5.7', 443)" in attempt for attempt in attempts)
        if not allowed:
            assert answer.status == 502 and "10.0.5.7 is a private or reserved address" in answer.text, answer.text
            assert not connected
        else:
            assert connected, attempts
