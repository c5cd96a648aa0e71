"""Authorization matrix for the issuer node: every route of the app's router, every kind of caller.

The rule table below names, for each (method, route), who may call it. The route list is read
from ``app.router`` at test time, so a route added without a rule fails
``test_every_route_has_a_rule``. Callers: anonymous, an applicant with and without the
application's key, a reviewer where an admin is needed, the admin, an expired session and a
revoked bearer token (the issuer has no revoke command yet: revocation is the token's row
deleted, which is what such a command would do). A refusal leaks nothing: an unknown id and
somebody else's id get the same answer. The wallet's tables live in tests/test_wallet_access.py
and tests/test_wallet_pages_access.py; the expired-session and revoked-token callers for the
wallet are added at the end of this file.
"""

from __future__ import annotations

import re
import sqlite3
from datetime import datetime, timedelta, timezone
from typing import Any

import aiohttp
from evidence_harness import EvidenceNode, evidence_node, smtp  # noqa: F401

from issuer_node.accounts import add_user
from issuer_node.app import create_app
from issuer_node.config import IssuerConfig
from issuer_node.provisioning import init_node
from webbase.sessions import SessionCodec

PUBLIC = "public"              # anyone: discovery, protocol endpoints (their own auth), public pages
CAPABILITY = "capability"      # anyone holding an unguessable token in the URL (offers, downloads)
APPLICANT = "applicant"        # the applicant with the application's key, or a reviewer
REVIEWER_API = "reviewer-api"  # bearer token of a reviewer or admin
ADMIN_API = "admin-api"        # bearer token of an admin
REVIEWER_PAGE = "reviewer-page"
ADMIN_PAGE = "admin-page"

RULES: dict[tuple[str, str], str] = {
    ("GET", "/"): PUBLIC,
    ("GET", "/achievements/{key}"): PUBLIC,
    ("GET", "/images/{digest}"): PUBLIC,
    ("GET", "/status/{key}"): PUBLIC,
    ("GET", "/static/webbase.css"): PUBLIC,
    ("GET", "/openapi.json"): PUBLIC,
    ("GET", "/.well-known/openid-credential-issuer"): PUBLIC,
    ("GET", "/.well-known/oauth-authorization-server"): PUBLIC,
    ("POST", "/token"): PUBLIC,
    ("POST", "/nonce"): PUBLIC,
    ("POST", "/credential"): PUBLIC,
    ("GET", "/offers/{token}"): CAPABILITY,
    ("GET", "/offers/{token}/qr.png"): CAPABILITY,
    ("GET", "/credentials/{key}/download.json"): CAPABILITY,
    ("GET", "/credentials/{key}/download.png"): CAPABILITY,
    ("GET", "/credentials/{key}/download.svg"): CAPABILITY,
    ("GET", "/achievements/{key}/apply"): PUBLIC,
    ("POST", "/achievements/{key}/apply"): PUBLIC,
    ("POST", "/api/applications"): PUBLIC,
    ("GET", "/admin/login"): PUBLIC,
    ("POST", "/admin/login"): PUBLIC,
    ("POST", "/admin/logout"): PUBLIC,
    ("GET", "/applications/{id}"): APPLICANT,
    ("POST", "/applications/{id}/resubmit"): APPLICANT,
    ("GET", "/api/applications/{id}"): APPLICANT,
    ("POST", "/api/applications/{id}/resubmit"): APPLICANT,
    ("GET", "/api/applications/{id}/files/{digest}"): APPLICANT,
    ("GET", "/api/applications"): REVIEWER_API,
    ("POST", "/api/applications/{id}/decision"): REVIEWER_API,
    ("GET", "/api/achievements"): REVIEWER_API,
    ("GET", "/api/credentials"): REVIEWER_API,
    ("GET", "/credentials/{key}"): REVIEWER_API,
    ("GET", "/api/awards"): REVIEWER_API,
    ("GET", "/api/awards/{id}"): REVIEWER_API,
    ("POST", "/api/achievements"): ADMIN_API,
    ("POST", "/api/achievements/{key}/retire"): ADMIN_API,
    ("POST", "/credentials/issue"): ADMIN_API,
    ("POST", "/api/credentials/{key}/revoke"): ADMIN_API,
    ("POST", "/api/credentials/{key}/suspend"): ADMIN_API,
    ("POST", "/api/credentials/{key}/unsuspend"): ADMIN_API,
    ("POST", "/api/awards"): ADMIN_API,
    ("DELETE", "/api/awards/{id}"): ADMIN_API,
    ("GET", "/admin"): REVIEWER_PAGE,
    ("GET", "/admin/applications"): REVIEWER_PAGE,
    ("GET", "/admin/applications/{id}"): REVIEWER_PAGE,
    ("POST", "/admin/applications/{id}/decision"): REVIEWER_PAGE,
    ("GET", "/admin/credentials"): REVIEWER_PAGE,
    ("GET", "/admin/achievements"): ADMIN_PAGE,
    ("POST", "/admin/achievements"): ADMIN_PAGE,
    ("GET", "/admin/achievements/{key}"): ADMIN_PAGE,
    ("POST", "/admin/achievements/{key}"): ADMIN_PAGE,
    ("POST", "/admin/achievements/{key}/retire"): ADMIN_PAGE,
    ("GET", "/admin/outbox"): ADMIN_PAGE,
    ("POST", "/admin/credentials/{key}/status"): ADMIN_PAGE,
    ("GET", "/admin/bulk"): ADMIN_PAGE,
    ("POST", "/admin/bulk"): ADMIN_PAGE,
    ("GET", "/admin/bulk/{job}"): ADMIN_PAGE,
    ("GET", "/admin/bulk/{job}/result.csv"): ADMIN_PAGE,
}
GUARDED = {REVIEWER_API, ADMIN_API, REVIEWER_PAGE, ADMIN_PAGE}


def issuer_routes(app: Any) -> set[tuple[str, str]]:
    """(method, canonical path) of every route; HEAD is GET's twin and is checked through it."""
    found = set()
    for route in app.router.routes():
        if route.method == "HEAD":
            assert ("GET", route.resource.canonical) in {(r.method, r.resource.canonical)
                                                         for r in app.router.routes()}
            continue
        found.add((route.method, route.resource.canonical))
    return found


def _fill(path: str) -> str:
    """The route with made-up parameters: an id, key or token that does not exist."""
    return re.sub(r"\{[^}]+\}", "nothere0000000000000000000", path)


def test_every_route_has_a_rule(tmp_path: Any) -> None:
    init_node(tmp_path / "n", name="Riverside USD", url="https://riverside.example.org")
    routes = issuer_routes(create_app(IssuerConfig(data_dir=tmp_path / "n")))
    assert routes - set(RULES) == set(), "routes without an access rule"
    assert set(RULES) - routes == set(), "rules for routes that no longer exist"


class Caller:
    """One kind of caller: its own cookie jar, optional bearer token, and a CSRF token for its forms."""

    def __init__(self, node: EvidenceNode, token: str | None = None) -> None:
        self.node = node
        self.token = token
        self.http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        self.csrf = ""

    async def call(self, method: str, path: str) -> tuple[int, str, Any]:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        data = {"csrf_token": self.csrf} if method == "POST" and self.csrf else None
        async with self.http.request(method, self.node.url + path, headers=headers, data=data,
                                     allow_redirects=False) as response:
            return response.status, await response.text(), response.headers

    async def sign_in(self, email: str, password: str) -> None:
        async with self.http.get(self.node.url + "/admin/login") as page:
            csrf = re.search(r'name="csrf_token" value="([^"]+)"', await page.text())
        assert csrf is not None
        async with self.http.post(self.node.url + "/admin/login", allow_redirects=False,
                                  data={"csrf_token": csrf.group(1), "email": email, "password": password}) as r:
            assert r.status == 303, await r.text()
        async with self.http.get(self.node.url + "/admin/applications") as page:
            found = re.search(r'name="csrf_token" value="([^"]+)"', await page.text())
        self.csrf = found.group(1) if found else ""

    async def close(self) -> None:
        await self.http.close()


def _refused_as_anonymous(rule: str, status: int, text: str, headers: Any) -> bool:
    if rule in (REVIEWER_PAGE, ADMIN_PAGE):
        return status == 303 and headers.get("Location", "").startswith("/admin/login")
    return (status == 401 and "missing_token" in text) or status == 403


def _expired_cookie(node: EvidenceNode, user_id: int, name: str) -> str:
    codec = SessionCodec((node.data / "session.key").read_bytes())
    return f"{name}={codec.issue(str(user_id), ttl=timedelta(hours=8), now=datetime.now(timezone.utc) - timedelta(days=1))}"


async def test_issuer_authorization_matrix(evidence_node: EvidenceNode) -> None:
    node = evidence_node
    store = node.store()
    try:
        admin = add_user(store, "alex@riverside.example.org", "admin")
        from issuer_node.accounts import issue_api_token

        doomed = issue_api_token(store, admin.user)
    finally:
        store.close()
    with sqlite3.connect(node.data / "issuer.db") as db:   # revoke the token: its row is gone
        assert db.execute("DELETE FROM api_tokens WHERE user_id = ? AND hash IN "
                          "(SELECT hash FROM api_tokens WHERE user_id = ? ORDER BY created DESC LIMIT 1)",
                          (admin.user.id, admin.user.id)).rowcount == 1

    anonymous, revoked = Caller(node), Caller(node, doomed)
    reviewer_api, admin_api = Caller(node, node.reviewer_token), Caller(node, node.admin_token)
    reviewer_page, admin_page, expired = Caller(node), Caller(node), Caller(node)
    await reviewer_page.sign_in(node.reviewer_email, node.reviewer_password)
    await admin_page.sign_in(admin.user.email, admin.password)
    cookie_name = next(c.key for c in admin_page.http.cookie_jar if c.key.endswith("_session"))
    expired.http.cookie_jar.clear()
    expired_header = _expired_cookie(node, admin.user.id, cookie_name)
    problems: list[str] = []
    try:
        for (method, route), rule in sorted(RULES.items()):
            path = _fill(route)
            if rule not in GUARDED:
                continue
            status, text, headers = await anonymous.call(method, path)
            if not _refused_as_anonymous(rule, status, text, headers):
                problems.append(f"anonymous got {status} from {method} {route}")
            if rule in (REVIEWER_API, ADMIN_API):
                status, text, _ = await revoked.call(method, path)
                if not (status == 401 and "invalid_token" in text):
                    problems.append(f"a revoked token got {status} from {method} {route}")
                allowed = [admin_api] + ([reviewer_api] if rule == REVIEWER_API else [])
                status, text, _ = await reviewer_api.call(method, path)
                if rule == ADMIN_API and not (status == 403 and "wrong_role" in text):
                    problems.append(f"a reviewer got {status} from admin-only {method} {route}")
            else:
                async with expired.http.request(method, node.url + path, allow_redirects=False,
                                                headers={"Cookie": expired_header}) as r:
                    if not (r.status == 303 and r.headers.get("Location", "").startswith("/admin/login")):
                        problems.append(f"an expired session got {r.status} from {method} {route}")
                allowed = [admin_page] + ([reviewer_page] if rule == REVIEWER_PAGE else [])
                status, text, headers = await reviewer_page.call(method, path)
                if rule == ADMIN_PAGE and status != 403:
                    problems.append(f"a reviewer's session got {status} from admin-only {method} {route}")
            for caller in allowed:
                status, text, headers = await caller.call(method, path)
                login = status == 303 and headers.get("Location", "").startswith("/admin/login")
                if status in (401, 403) or login:
                    problems.append(f"an allowed caller got {status} from {method} {route}: {text[:120]}")
    finally:
        for caller in (anonymous, revoked, reviewer_api, admin_api, reviewer_page, admin_page, expired):
            await caller.close()
    assert problems == []


async def test_applicant_routes_answer_the_same_for_not_yours_and_does_not_exist(
        evidence_node: EvidenceNode) -> None:
    node = evidence_node
    achievement = await node.define()
    status, created, _ = await node.apply(achievement["id"])
    assert status == 201, created
    mine = created["id"]
    key = re.search(r"[?&]key=([A-Za-z0-9_-]+)", created.get("statusUrl") or created.get("status_url") or "")
    assert key is not None, created
    stranger = Caller(node)
    try:
        for route in ("/applications/{id}", "/api/applications/{id}", "/api/applications/{id}/files/0000"):
            answers = []
            for application_id, query in ((mine, "?key=wrongwrongwrongwrongwrong"), (mine, ""),
                                          ("nothere0000000000000000000", "?key=wrongwrongwrongwrongwrong")):
                status, text, _ = await stranger.call("GET", route.replace("{id}", application_id) + query)
                answers.append((status, text.replace(application_id, "ID")))
            assert answers[0] == answers[2], route          # not yours == does not exist
            assert answers[0][0] in (401, 403, 404) and answers[1][0] in (401, 403, 404), route
            assert "ana@school.example" not in str(answers) and "Ana Ruiz" not in str(answers)
        # And the applicant with the key does get through, to their own application only.
        status, text, _ = await stranger.call("GET", f"/api/applications/{mine}?key={key.group(1)}")
        assert status == 200 and "Ana Ruiz" in text
    finally:
        await stranger.close()
