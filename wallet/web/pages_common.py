"""What every learner page shares: the session cookie, the signed-in account, the page layout.

The pages sign a learner in with a session cookie of the wallet's own name
(``satchel_wallet_session``: cookies ignore ports, so an issuer node or a
verifier on the same host must never receive it), HttpOnly and SameSite=Lax,
Secure when the public URL is https. Its key is derived from ``server.secret``
(``KeyVault.session_secret``), so sessions survive a restart. Every form posts a
CSRF token (bound to the session, or before sign-in to the pre-session cookie).

Pages call the same feature modules as the API (``accounts``, ``holdings``,
``importing``, ``shares``, ``portability``); a handler only reads the form,
checks who is asking, calls the feature and renders.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from aiohttp import web

from verifier.registry import TrustRegistry
from webbase.sessions import SESSIONS, SessionCodec, clear_session_cookie, current_session, set_session_cookie, setup_sessions
from webbase.templates import render

from ..storage import AccountRecord
from ..trust import load_registry
from .keys import WALLET

SESSION_COOKIE = "satchel_wallet_session"
PRESESSION_COOKIE = "satchel_wallet_presession"
SESSION_TTL = timedelta(hours=12)
SITE_NAME = "Satchel wallet"
REGISTRY = web.AppKey("wallet.pages.registry", TrustRegistry)  # empty when the operator gave none


def setup_page_sessions(app: web.Application) -> None:
    """Sessions for the learner pages (once per app), and the operator's trust registry if there is one."""
    if app.get(SESSIONS) is not None:
        return
    wallet = app[WALLET]
    app[REGISTRY] = load_registry(wallet.config.data_dir) or TrustRegistry({})
    setup_sessions(app, SessionCodec(wallet.vault.session_secret),
                   secure=wallet.config.public_url.startswith("https://"),
                   cookie_name=SESSION_COOKIE, presession_cookie_name=PRESESSION_COOKIE)


def session_account(request: web.Request) -> AccountRecord | None:
    """The account of the request's valid session cookie, if it still exists."""
    session = current_session(request)
    if session is None:
        return None
    return request.app[WALLET].store.get_account(session.subject)


def page_account(request: web.Request) -> AccountRecord:
    """The signed-in learner, or a redirect to the login page that comes back here."""
    account = session_account(request)
    if account is None:
        raise web.HTTPSeeOther(f"/login?next={request.rel_url.path}")
    return account


def safe_next(value: str | None, default: str = "/credentials") -> str:
    """Only a path on this site (never ``//host``, a scheme or a backslash trick) may follow a login."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value and len(value) < 500:
        return value
    return default


def start_session(request: web.Request, response: web.StreamResponse, account: AccountRecord) -> None:
    config = request.app[SESSIONS]
    value = config.codec.issue(account.id, ttl=SESSION_TTL)
    set_session_cookie(response, value, secure=config.secure, name=config.cookie_name,
                       max_age=int(SESSION_TTL.total_seconds()))


def end_session(request: web.Request, response: web.StreamResponse) -> None:
    config = request.app[SESSIONS]
    clear_session_cookie(response, name=config.cookie_name, secure=config.secure)


def learner_page(request: web.Request, template: str, title: str, *, account: AccountRecord | None,
                 active: str = "", status: int = 200, **context: Any) -> web.Response:
    """Render a learner page with the common context (the account, the active nav item)."""
    response = render(request, template, {"title": f"{title} · {SITE_NAME}", "heading": title,
                                          "site_name": SITE_NAME, "account": account, "active": active, **context},
                      status=status)
    response.headers["Cache-Control"] = "no-store"
    return response


def redirect(location: str) -> web.HTTPSeeOther:
    """The answer to a successful form post (post/redirect/get)."""
    return web.HTTPSeeOther(location)


def sentence(text: str) -> str:
    """A feature's detail (``"the password must …"``) as a sentence on a page."""
    text = text.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."
