"""Who is asking: operators signed in to the admin pages (session cookie) or calling the API (bearer token).

The session secret lives in the data directory (``session.key``, mode 0600,
made on first start), so sessions survive a restart and every process serving
the same data directory accepts them; on PostgreSQL it lives in the database
(a settings row, stored once by whichever process starts first), so processes
on several hosts, each with its own copy of the data directory, accept each
other's sessions. The cookie has a name of its own
(``satchel_issuer_session``): cookies ignore ports, and a wallet on the same
host must not receive it. Logins are rate-limited per address and per email.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from aiohttp import hdrs, web

from webbase.cpu import run_cpu
from webbase.passwords import verify_password
from webbase.ratelimit import RateLimiter, client_key
from webbase.secretfile import write_secret_file
from webbase.sessions import SESSIONS, SessionCodec, check_csrf, clear_session_cookie, current_session, set_session_cookie, setup_sessions
from webbase.tokens import bearer_token

from ..accounts import authenticate, require_role
from ..state import CONFIG, NODE
from ..storage import User
from ..storage.records import Role

SESSION_COOKIE = "satchel_issuer_session"
PRESESSION_COOKIE = "satchel_issuer_presession"
SESSION_SECRET_FILE = "session.key"
SESSION_SECRET_SETTING = "session_secret"
SESSION_TTL = timedelta(hours=8)
LOGIN_LIMITER = web.AppKey("issuer_node.login_limiter", RateLimiter)
APPLY_LIMITER = web.AppKey("issuer_node.apply_limiter", RateLimiter)
REVIEWERS: tuple[Role, ...] = ("admin", "reviewer")


def _session_secret(app: web.Application) -> bytes:
    config = app.get(CONFIG)
    if config is not None and app[NODE].data_dir.database(config.database).is_postgres:
        return bytes.fromhex(app[NODE].store.ensure_setting(SESSION_SECRET_SETTING, secrets.token_hex(32)))
    path = app[NODE].data_dir.root / SESSION_SECRET_FILE
    if not path.exists():
        try:
            write_secret_file(path, secrets.token_bytes(32))
        except FileExistsError:
            pass  # Another process made it first; use theirs.
    return path.read_bytes()


def ensure_sessions(app: web.Application) -> None:
    """Set up sessions and the limiters once, whichever page family asks first."""
    if app.get(SESSIONS) is not None:
        return
    secure = app[NODE].public_url.startswith("https://")
    config = app.get(CONFIG)
    prefix = config.cookie_prefix if config is not None else None
    setup_sessions(app, SessionCodec(_session_secret(app)), secure=secure,
                   cookie_name=f"{prefix}_session" if prefix else SESSION_COOKIE,
                   presession_cookie_name=f"{prefix}_presession" if prefix else PRESESSION_COOKIE)
    # On PostgreSQL the counts live in the database: one limit however many processes serve the node.
    hits = app[NODE].store.shared_hit_store()
    app[LOGIN_LIMITER] = RateLimiter(10, 300, store=hits, scope="issuer-login")
    app[APPLY_LIMITER] = RateLimiter(20, 3600, store=hits, scope="issuer-apply")


def session_user(request: web.Request) -> User | None:
    """The operator of the request's session cookie, if it is valid and the user still exists."""
    session = current_session(request) if request.app.get(SESSIONS) is not None else None
    if session is None or not session.subject.isdigit():
        return None
    return request.app[NODE].store.get_user(int(session.subject))


def reviewer_user(request: web.Request, form: dict[str, Any] | None = None) -> User:
    """A reviewer or admin, by bearer token or by session (then a change needs the CSRF token too)."""
    if bearer_token(request) is not None or hdrs.AUTHORIZATION in request.headers:
        user = authenticate(request.app[NODE].store, bearer_token(request))
    else:
        found = session_user(request)
        if found is None:
            user = authenticate(request.app[NODE].store, None)  # 401 missing_token
        else:
            user = found
            if request.method not in ("GET", "HEAD"):
                check_csrf(request, form or {})
    require_role(user, *REVIEWERS)
    return user


def page_user(request: web.Request, *roles: Role) -> User:
    """The signed-in operator of an admin page, or a redirect to the login page."""
    user = session_user(request)
    if user is None:
        raise web.HTTPSeeOther(f"/admin/login?next={request.rel_url.path}")
    require_role(user, *(roles or REVIEWERS))
    return user


async def login(request: web.Request, email: str, password: str) -> User | None:
    """Check a password (Argon2id off the loop), rate-limited by address and by email; None when wrong."""
    request.app[LOGIN_LIMITER].hit(client_key(request, scope="login"))
    request.app[LOGIN_LIMITER].hit(f"login-email:{email.strip().lower()}")
    user = request.app[NODE].store.get_user_by_email(email.strip())
    if user is None or user.password_hash is None:
        return None
    if not await run_cpu(verify_password, user.password_hash, password):
        return None
    request.app[LOGIN_LIMITER].reset(f"login-email:{email.strip().lower()}")
    return user


def start_session(request: web.Request, response: web.StreamResponse, user: User) -> None:
    config = request.app[SESSIONS]
    value = config.codec.issue(str(user.id), ttl=SESSION_TTL)
    set_session_cookie(response, value, secure=config.secure, name=config.cookie_name,
                       max_age=int(SESSION_TTL.total_seconds()))


def end_session(request: web.Request, response: web.StreamResponse) -> None:
    config = request.app[SESSIONS]
    clear_session_cookie(response, name=config.cookie_name, secure=config.secure)
