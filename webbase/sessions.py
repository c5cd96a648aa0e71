"""Stateless signed sessions and CSRF tokens for the HTML pages.

A session cookie is ``<payload>.<mac>``: base64url JSON ``{"s": subject, "n": nonce, "e": expiry}``
and its HMAC-SHA256 under a key derived from the server secret. Any process holding the secret can
serve any request, and nothing is stored server-side (logging out clears the cookie; a server that
must revoke sessions early keeps a deny list of nonces).

CSRF tokens are HMACs of the session nonce, or, for anonymous forms (login, sign-up), of a random
pre-session cookie set on the first page view. ``check_csrf`` compares in constant time and refuses
with 403 ``csrf_failed``. Session and pre-session cookies are SameSite=Lax and HttpOnly.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from aiohttp import hdrs, web

from webbase.problems import Problem

SESSION_COOKIE = "satchel_session"
PRESESSION_COOKIE = "satchel_presession"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
MAX_COOKIE_LENGTH = 4096
MIN_SECRET_BYTES = 32
PRESESSION_MAX_AGE = 24 * 3600

_SESSION_KEY_LABEL = b"webbase session v1"
_CSRF_KEY_LABEL = b"webbase csrf v1"


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class Session:
    """A signed-in user: ``subject`` is the account id, ``nonce`` is unique per login."""

    subject: str
    nonce: str
    expires: datetime


class SessionCodec:
    """Issues and reads session values; separate derived keys sign sessions and CSRF tokens."""

    def __init__(self, secret: bytes) -> None:
        if len(secret) < MIN_SECRET_BYTES:
            raise ValueError(f"the session secret must be at least {MIN_SECRET_BYTES} bytes")
        self._session_key = hmac.new(secret, _SESSION_KEY_LABEL, hashlib.sha256).digest()
        self._csrf_key = hmac.new(secret, _CSRF_KEY_LABEL, hashlib.sha256).digest()

    def __repr__(self) -> str:
        return "SessionCodec(<secret>)"

    def _mac(self, payload: str) -> str:
        return _b64encode(hmac.new(self._session_key, payload.encode("ascii"), hashlib.sha256).digest())

    def issue(self, subject: str, *, ttl: timedelta, now: datetime | None = None) -> str:
        """A cookie value for ``subject`` valid for ``ttl`` from ``now``, with a fresh random nonce."""
        now = now or datetime.now(timezone.utc)
        expires = int((now + ttl).timestamp())
        payload = _b64encode(json.dumps({"s": subject, "n": secrets.token_urlsafe(16), "e": expires},
                                        separators=(",", ":")).encode("utf-8"))
        return f"{payload}.{self._mac(payload)}"

    def read(self, value: str, *, now: datetime | None = None) -> Session | None:
        """The session in ``value``, or None when it is malformed, tampered with or expired."""
        if not value or len(value) > MAX_COOKIE_LENGTH or value.count(".") != 1:
            return None
        payload, mac = value.split(".")
        try:
            expected = self._mac(payload)
        except UnicodeEncodeError:
            return None
        if not hmac.compare_digest(expected.encode("ascii"), mac.encode("utf-8", "replace")):
            return None
        try:
            data = json.loads(_b64decode(payload))
            subject, nonce, expiry = data["s"], data["n"], data["e"]
        except (ValueError, binascii.Error, KeyError, TypeError):
            return None
        if not (isinstance(subject, str) and isinstance(nonce, str) and isinstance(expiry, int)):
            return None
        expires = datetime.fromtimestamp(expiry, timezone.utc)
        if expires <= (now or datetime.now(timezone.utc)):
            return None
        return Session(subject=subject, nonce=nonce, expires=expires)

    def csrf_mac(self, label: str) -> str:
        return _b64encode(hmac.new(self._csrf_key, label.encode("utf-8"), hashlib.sha256).digest())


def csrf_token(codec: SessionCodec, binding: Session | str) -> str:
    """The CSRF token bound to a session (its nonce) or, for anonymous forms, to a pre-session value."""
    if isinstance(binding, Session):
        return codec.csrf_mac("session:" + binding.nonce)
    return codec.csrf_mac("presession:" + binding)


def set_session_cookie(response: web.StreamResponse, value: str, *, secure: bool, name: str = SESSION_COOKIE,
                       max_age: int | None = None) -> None:
    """Set the session cookie: HttpOnly, SameSite=Lax, Path=/ (Secure when the site is served over https)."""
    response.set_cookie(name, value, path="/", httponly=True, samesite="Lax", secure=secure, max_age=max_age)


def clear_session_cookie(response: web.StreamResponse, *, name: str = SESSION_COOKIE, secure: bool = False) -> None:
    """Expire the session cookie, with the same HttpOnly, SameSite and Secure flags it was set with."""
    response.del_cookie(name, path="/", httponly=True, samesite="Lax", secure=secure)


@dataclass(frozen=True)
class SessionConfig:
    """Per-app session settings. Apps on one host must use different cookie names: cookies ignore ports."""

    codec: SessionCodec
    secure: bool = False
    cookie_name: str = SESSION_COOKIE
    presession_cookie_name: str = PRESESSION_COOKIE


SESSIONS = web.AppKey("webbase.sessions", SessionConfig)
_CURRENT = web.RequestKey[Session | None]("webbase.session")
_NEW_PRESESSION = web.RequestKey("webbase.new_presession", str)


def setup_sessions(app: web.Application, codec: SessionCodec, *, secure: bool, cookie_name: str = SESSION_COOKIE,
                   presession_cookie_name: str = PRESESSION_COOKIE) -> SessionConfig:
    """Store the session settings on ``app`` and set pre-session cookies minted while handling a request."""
    config = SessionConfig(codec=codec, secure=secure, cookie_name=cookie_name,
                           presession_cookie_name=presession_cookie_name)
    app[SESSIONS] = config
    app.on_response_prepare.append(_set_new_presession)
    return config


async def _set_new_presession(request: web.Request, response: web.StreamResponse) -> None:
    value = request.get(_NEW_PRESESSION)
    config = request.app.get(SESSIONS)
    if isinstance(value, str) and config is not None:
        # The response's own headers are already built when this hook runs, so add the header itself;
        # the value is URL-safe base64, so it needs no quoting.
        secure = "; Secure" if config.secure else ""
        response.headers.add(hdrs.SET_COOKIE, f"{config.presession_cookie_name}={value}; HttpOnly; "
                                              f"Max-Age={PRESESSION_MAX_AGE}; Path=/; SameSite=Lax{secure}")
        response.headers[hdrs.CACHE_CONTROL] = "no-store"  # A page carrying a fresh token must not be cached.


def session_config(request: web.Request) -> SessionConfig:
    config = request.app.get(SESSIONS)
    if config is None:
        raise RuntimeError("webbase.sessions.setup_sessions was not called for this app")
    return config


def current_session(request: web.Request) -> Session | None:
    """The request's valid session, or None (read once per request)."""
    if _CURRENT not in request:
        config = request.app.get(SESSIONS)
        value = request.cookies.get(config.cookie_name) if config is not None else None
        request[_CURRENT] = config.codec.read(value) if config is not None and value else None
    return request[_CURRENT]


def request_csrf_token(request: web.Request) -> str:
    """The CSRF token for a form on this page; mints a pre-session cookie for an anonymous visitor."""
    config = session_config(request)
    session = current_session(request)
    if session is not None:
        return csrf_token(config.codec, session)
    presession = request.get(_NEW_PRESESSION) or request.cookies.get(config.presession_cookie_name)
    if not presession or len(presession) > 64:
        presession = secrets.token_urlsafe(16)
        request[_NEW_PRESESSION] = presession
    return csrf_token(config.codec, presession)


def check_csrf(request: web.Request, form: Mapping[str, Any]) -> None:
    """Refuse (403 ``csrf_failed``) unless ``form`` (or the X-CSRF-Token header) holds this visitor's token."""
    config = session_config(request)
    given = form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER)
    session = current_session(request)
    expected: str | None
    if session is not None:
        expected = csrf_token(config.codec, session)
    else:
        presession = request.cookies.get(config.presession_cookie_name)
        expected = csrf_token(config.codec, presession) if presession else None
    if not isinstance(given, str) or expected is None or not hmac.compare_digest(
        expected.encode("ascii"), given.encode("utf-8", "replace")
    ):
        raise Problem(403, "The form has expired or did not come from this site; reload the page and try again.",
                      code="csrf_failed")
