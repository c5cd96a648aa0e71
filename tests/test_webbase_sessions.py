"""Signed sessions and CSRF tokens, over real HTTP with a real cookie jar."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone

import aiohttp
import jinja2
import pytest
from aiohttp import web

from webbase.app import make_app
from webbase.sessions import (
    SESSION_COOKIE,
    Session,
    SessionCodec,
    check_csrf,
    clear_session_cookie,
    csrf_token,
    current_session,
    set_session_cookie,
    setup_sessions,
)
from webbase.templates import TEMPLATES, page, render, setup_templates

SECRET = b"a test secret that is long enough!!"
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
FORM = """{% extends "base.html" %}{% block content %}
<p id="who">{{ session.subject if session else "anonymous" }}</p>
<form method="post" action="/login">{{ csrf_field() }}<input name="user"></form>
{% endblock %}"""


def test_session_round_trip() -> None:
    codec = SessionCodec(SECRET)
    value = codec.issue("alice", ttl=timedelta(hours=1), now=NOW)
    session = codec.read(value, now=NOW + timedelta(minutes=59))
    assert session is not None
    assert session.subject == "alice"
    assert session.expires == NOW + timedelta(hours=1)


def test_each_login_gets_a_fresh_nonce() -> None:
    codec = SessionCodec(SECRET)
    first = codec.read(codec.issue("alice", ttl=timedelta(hours=1), now=NOW), now=NOW)
    second = codec.read(codec.issue("alice", ttl=timedelta(hours=1), now=NOW), now=NOW)
    assert first is not None and second is not None and first.nonce != second.nonce


def test_expired_session_is_refused() -> None:
    codec = SessionCodec(SECRET)
    value = codec.issue("alice", ttl=timedelta(hours=1), now=NOW)
    assert codec.read(value, now=NOW + timedelta(hours=1)) is None


@pytest.mark.parametrize("mangle", [
    lambda v: v[:-2] + ("AA" if not v.endswith("AA") else "BB"),   # signature changed
    lambda v: "e" + v[1:] if v[0] != "e" else "f" + v[1:],         # payload changed
    lambda v: v.replace(".", ""),                                   # no separator
    lambda v: v + ".x",                                             # extra part
    lambda v: "",
    lambda v: "é." + v.split(".")[1],                               # non-ASCII payload
])
def test_tampered_session_is_refused(mangle) -> None:  # type: ignore[no-untyped-def]
    codec = SessionCodec(SECRET)
    value = codec.issue("alice", ttl=timedelta(hours=1), now=NOW)
    assert codec.read(mangle(value), now=NOW) is None


def test_session_from_another_secret_is_refused() -> None:
    value = SessionCodec(b"another secret, also long enough!!!").issue("alice", ttl=timedelta(hours=1), now=NOW)
    assert SessionCodec(SECRET).read(value, now=NOW) is None


def test_short_secret_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 32 bytes"):
        SessionCodec(b"short")


def test_codec_repr_hides_the_secret() -> None:
    assert "secret that" not in repr(SessionCodec(SECRET))


def test_csrf_tokens_differ_per_session_and_presession() -> None:
    codec = SessionCodec(SECRET)
    one = Session("alice", "nonce-1", NOW)
    two = Session("alice", "nonce-2", NOW)
    assert csrf_token(codec, one) != csrf_token(codec, two)
    assert csrf_token(codec, one) == csrf_token(codec, Session("bob", "nonce-1", NOW))
    assert csrf_token(codec, "nonce-1") != csrf_token(codec, one)


def build_app() -> web.Application:
    app = make_app()
    codec = SessionCodec(SECRET)
    setup_sessions(app, codec, secure=False)
    environment = setup_templates(app, "webbase")
    assert environment.loader is not None
    environment.loader = jinja2.ChoiceLoader([jinja2.DictLoader({"form.html": FORM}), environment.loader])

    @page
    async def form(request: web.Request) -> web.Response:
        """The sign-in form."""
        return render(request, "form.html", {"title": "Sign in"})

    async def login(request: web.Request) -> web.Response:
        posted = await request.post()
        check_csrf(request, posted)
        response = web.json_response({"ok": True})
        set_session_cookie(response, codec.issue(str(posted["user"]), ttl=timedelta(hours=1)), secure=False)
        return response

    async def action(request: web.Request) -> web.Response:
        posted = await request.post()
        check_csrf(request, posted)
        return web.json_response({"done": True})

    async def me(request: web.Request) -> web.Response:
        session = current_session(request)
        return web.json_response({"subject": session.subject if session else None})

    async def logout(request: web.Request) -> web.Response:
        response = web.json_response({"ok": True})
        clear_session_cookie(response)
        return response

    app.router.add_get("/form", form)
    app.router.add_post("/login", login)
    app.router.add_post("/action", action)
    app.router.add_get("/me", me)
    app.router.add_post("/logout", logout)
    assert app[TEMPLATES] is environment
    return app


@pytest.fixture
async def client() -> AsyncIterator[tuple[aiohttp.ClientSession, str]]:
    from webbase.testing import serving

    async with serving(build_app()) as base_url:
        # unsafe=True: aiohttp's jar otherwise ignores cookies set by an IP-address host.
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
            yield session, base_url


async def form_token(client: aiohttp.ClientSession, base_url: str) -> tuple[str, str]:
    async with client.get(base_url + "/form") as response:
        assert response.status == 200
        text = await response.text()
    match = re.search(r'name="csrf_token" value="([^"]+)"', text)
    assert match is not None
    who = re.search(r'<p id="who">([^<]*)</p>', text)
    assert who is not None
    return match.group(1), who.group(1)


async def problem_code(response: aiohttp.ClientResponse) -> str:
    body = await response.json(content_type="application/problem+json")
    return str(body["type"]).rsplit(":", 1)[1]


async def test_csrf_refused_without_a_token(client: tuple[aiohttp.ClientSession, str]) -> None:
    session, base_url = client
    await form_token(session, base_url)
    async with session.post(base_url + "/login", data={"user": "alice"}) as response:
        assert response.status == 403
        assert await problem_code(response) == "csrf_failed"


async def test_csrf_refused_with_a_wrong_token(client: tuple[aiohttp.ClientSession, str]) -> None:
    session, base_url = client
    token, _ = await form_token(session, base_url)
    async with session.post(base_url + "/login", data={"user": "alice", "csrf_token": token[:-1] + "x"}) as response:
        assert response.status == 403
        assert await problem_code(response) == "csrf_failed"


async def test_csrf_token_from_another_visitor_is_refused(client: tuple[aiohttp.ClientSession, str]) -> None:
    session, base_url = client
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as attacker:
        attacker_token, _ = await form_token(attacker, base_url)
    await form_token(session, base_url)
    async with session.post(base_url + "/login", data={"user": "alice", "csrf_token": attacker_token}) as response:
        assert response.status == 403


async def test_login_with_the_right_token_then_session_round_trip(client: tuple[aiohttp.ClientSession, str]) -> None:
    session, base_url = client
    token, who = await form_token(session, base_url)
    assert who == "anonymous"
    async with session.post(base_url + "/login", data={"user": "alice", "csrf_token": token}) as response:
        assert response.status == 200
        cookie = response.headers["Set-Cookie"]
    assert cookie.startswith(SESSION_COOKIE + "=")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie
    async with session.get(base_url + "/me") as response:
        assert await response.json() == {"subject": "alice"}
        assert response.headers["Cache-Control"] == "no-store"
    # Signed in, the form shows the user and a token bound to the session, not to the pre-session.
    new_token, who = await form_token(session, base_url)
    assert who == "alice" and new_token != token
    async with session.post(base_url + "/action", data={"csrf_token": token}) as response:
        assert response.status == 403
    async with session.post(base_url + "/action", data={"csrf_token": new_token}) as response:
        assert response.status == 200
    async with session.post(base_url + "/action", data={}, headers={"X-CSRF-Token": new_token}) as response:
        assert response.status == 200
    async with session.post(base_url + "/logout") as response:
        assert response.status == 200
    async with session.get(base_url + "/me") as response:
        assert await response.json() == {"subject": None}


async def test_tampered_and_expired_cookies_are_anonymous(client: tuple[aiohttp.ClientSession, str]) -> None:
    session, base_url = client
    codec = SessionCodec(SECRET)
    good = codec.issue("alice", ttl=timedelta(hours=1))
    payload, mac = good.split(".")
    forged_payload = codec.issue("mallory", ttl=timedelta(hours=1)).split(".")[0]
    expired = codec.issue("alice", ttl=timedelta(hours=1), now=datetime.now(timezone.utc) - timedelta(hours=2))
    for value, subject in [(good, "alice"), (f"{forged_payload}.{mac}", None), (expired, None)]:
        async with session.get(base_url + "/me", cookies={SESSION_COOKIE: value}) as response:
            assert await response.json() == {"subject": subject}
