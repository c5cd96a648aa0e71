"""Every route of the three servers answers with the security headers, whoever calls and whatever the answer.

The routes are read from each app's router, so a new route is covered the day it is added.
Each GET/HEAD route is called anonymously (most answer 303, 401 or 404 then, and those
answers must carry the headers too), then with a signed-in session where the server has
one: a strict Content-Security-Policy (no script source at all, nothing from another origin,
no framing, no base or form target elsewhere), nosniff, no referrer, framing denied.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from issuer_node.accounts import add_user
from issuer_node.app import create_app as create_issuer_app
from issuer_node.config import IssuerConfig
from issuer_node.provisioning import init_node
from issuer_node.storage import open_store
from verifier_web.app import create_app as create_verifier_app
from verifier_web.config import ServiceConfig
from wallet.testing import running_wallet
from webbase.testing import serving

PASSWORD = "correct horse battery staple"


def get_paths(app: web.Application) -> list[str]:
    """One concrete path per GET route of ``app`` (each placeholder filled with a made-up value)."""
    paths = set()
    for route in app.router.routes():
        if route.method not in ("GET", "HEAD") or route.resource is None:
            continue
        canonical = route.resource.canonical
        if canonical.startswith("/static"):
            canonical += "/style.css" if not canonical.endswith(".css") else ""
        paths.add(re.sub(r"\{[^}]+\}", "x1y2z3", canonical))
    return sorted(paths)


def assert_strict_headers(where: str, headers: Any) -> None:
    csp = headers.get("Content-Security-Policy", "")
    directives = {part.split()[0]: part.split()[1:] for part in csp.split(";") if part.strip()}
    assert directives.get("default-src") in (["'none'"], ["'self'"]), f"{where}: default-src in {csp!r}"
    assert "script-src" not in directives or directives["script-src"] == ["'none'"], f"{where}: scripts in {csp!r}"
    assert directives.get("frame-ancestors") == ["'none'"], f"{where}: framing in {csp!r}"
    assert directives.get("base-uri") in (["'none'"], ["'self'"]), f"{where}: base-uri in {csp!r}"
    assert "form-action" in directives, f"{where}: no form-action in {csp!r}"
    for name, sources in directives.items():
        for source in sources:
            assert source in ("'none'", "'self'", "data:", "'sandbox'") or name == "sandbox", \
                f"{where}: {name} allows {source!r} in {csp!r}"
    assert headers.get("X-Content-Type-Options") == "nosniff", where
    assert headers.get("X-Frame-Options") == "DENY", where
    assert headers.get("Referrer-Policy") == "no-referrer", where
    assert headers.get("Server") == "Satchel", f"{where}: Server {headers.get('Server')!r} names versions"


async def visit_all(base: str, paths: list[str], http: aiohttp.ClientSession, who: str) -> set[int]:
    statuses = set()
    for path in paths:
        async with http.get(base + path, allow_redirects=False) as response:
            await response.read()
            assert response.status < 500, f"{who} GET {path}: {response.status}"
            assert_strict_headers(f"{who} GET {path} ({response.status})", response.headers)
            statuses.add(response.status)
    return statuses


async def test_every_issuer_route_sends_the_security_headers(tmp_path: Path) -> None:
    data = tmp_path / "node"
    init_node(data, name="Riverside USD", url="https://riverside.example.org")
    store = open_store(data / "issuer.db")
    try:
        password = add_user(store, "admin@riverside.example.org", "admin").password
    finally:
        store.close()
    app = create_issuer_app(IssuerConfig(data_dir=data))
    paths = get_paths(app)
    assert len(paths) > 20 and any(p.startswith("/admin") for p in paths)
    async with serving(app) as base, aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        assert 200 in await visit_all(base, paths, http, "anonymous")
        async with http.get(base + "/admin/login") as page:
            token = re.search(r'name="csrf_token" value="([^"]+)"', await page.text())
        assert token is not None
        async with http.post(base + "/admin/login", allow_redirects=False,
                             data={"email": "admin@riverside.example.org", "password": password,
                                   "csrf_token": token.group(1)}) as login:
            assert login.status in (302, 303)
        assert 200 in await visit_all(base, paths, http, "admin")


async def test_every_wallet_route_sends_the_security_headers(tmp_path: Path) -> None:
    async with running_wallet(tmp_path / "wallet") as running, aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        from wallet.web.app import create_app

        paths = get_paths(create_app(running.wallet, background_refresh=False))
        assert 200 in await visit_all(running.url, paths, http, "anonymous")
        async with http.get(running.url + "/signup") as page:
            token = re.search(r'name="csrf_token" value="([^"]+)"', await page.text())
        assert token is not None
        async with http.post(running.url + "/signup", allow_redirects=False,
                             data={"email": "ana@school.example", "password": PASSWORD,
                                   "password_again": PASSWORD,
                                   "csrf_token": token.group(1)}) as signup:
            assert signup.status in (200, 302, 303)
        assert 200 in await visit_all(running.url, paths, http, "learner")


async def test_every_verifier_route_sends_the_security_headers() -> None:
    app = create_verifier_app(ServiceConfig())
    paths = get_paths(app)
    async with serving(app) as base, aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        assert 200 in await visit_all(base, paths, http, "anonymous")
