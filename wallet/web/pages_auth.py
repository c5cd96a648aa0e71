"""Pages: sign up, log in, log out (and the start page that sends a visitor to one of them).

Logins are rate-limited exactly like ``POST /api/tokens`` (per client address and
per email, the same limiter), sign-ups like ``POST /api/accounts``; passwords are
checked by ``accounts.authenticate`` (Argon2id, off the loop). A wrong email
and a wrong password get the same answer.
"""

from __future__ import annotations

from aiohttp import web

from webbase.problems import Problem, page
from webbase.ratelimit import client_key
from webbase.sessions import check_csrf
from webbase.uploads import read_form

from .. import accounts
from ..errors import WalletError
from .keys import LOGIN_LIMIT, SIGNUP_LIMIT, WALLET
from .pages_common import end_session, learner_page, page_account, redirect, safe_next, sentence, session_account, start_session

MAX_PASSWORD = 1024
MAX_EMAIL = 254


@page
async def home(request: web.Request) -> web.Response:
    """The start page: your badges when signed in, otherwise the login page."""
    raise redirect("/credentials" if session_account(request) is not None else "/login")


def _login_form(request: web.Request, *, email: str = "", error: str | None = None, status: int = 200,
                next_path: str | None = None) -> web.Response:
    return learner_page(request, "wallet_login.html", "Log in", account=None, active="login", status=status,
                        email=email, error=error, next=safe_next(next_path or request.query.get("next")),
                        signed_out=request.query.get("signed_out") == "1")


@page
async def login_page(request: web.Request) -> web.Response:
    """The login form."""
    if session_account(request) is not None:
        raise redirect(safe_next(request.query.get("next")))
    return _login_form(request)


@page
async def login_submit(request: web.Request) -> web.Response:
    """Log in with email and password (rate-limited, CSRF-checked)."""
    form = await read_form(request)
    check_csrf(request, form)
    email, password = form.get("email", "")[:MAX_EMAIL], form.get("password", "")[:MAX_PASSWORD]
    limiter = request.app[LOGIN_LIMIT]
    try:
        limiter.hit(client_key(request, scope="login"))
        limiter.hit("login-email:" + email.strip().lower())
        account = await accounts.authenticate(request.app[WALLET], email, password)
    except Problem as exc:  # 429: too many attempts (the page says so, and Retry-After says when to come back)
        refused = _login_form(request, email=email, error=exc.detail, status=exc.status, next_path=form.get("next"))
        refused.headers.update(exc.headers)
        return refused
    except WalletError as exc:
        return _login_form(request, email=email, error="That email and password do not match an account here.",
                           status=exc.status, next_path=form.get("next"))
    response = redirect(safe_next(form.get("next")))
    start_session(request, response, account)
    raise response


def _signup_form(request: web.Request, *, email: str = "", error: str | None = None,
                 status: int = 200) -> web.Response:
    return learner_page(request, "wallet_signup.html", "Create your wallet", account=None, active="signup",
                        status=status, email=email, error=error, min_password=accounts.MIN_PASSWORD)


@page
async def signup_page(request: web.Request) -> web.Response:
    """The sign-up form."""
    if session_account(request) is not None:
        raise redirect("/credentials")
    return _signup_form(request)


@page
async def signup_submit(request: web.Request) -> web.Response:
    """Create an account (with its own holder did:key) and sign in (CSRF-checked)."""
    form = await read_form(request)
    check_csrf(request, form)
    email, password = form.get("email", "")[:MAX_EMAIL], form.get("password", "")
    if len(password) > MAX_PASSWORD:
        return _signup_form(request, email=email, error=f"The password must have at most {MAX_PASSWORD} characters.",
                            status=400)
    if password != form.get("password_again", ""):
        return _signup_form(request, email=email, error="The two passwords are not the same.", status=400)
    try:
        request.app[SIGNUP_LIMIT].hit(client_key(request, scope="signup"))
        account = await accounts.create_account(request.app[WALLET], email, password)
    except Problem as exc:  # 429, with its Retry-After
        refused = _signup_form(request, email=email, error=exc.detail, status=exc.status)
        refused.headers.update(exc.headers)
        return refused
    except WalletError as exc:
        return _signup_form(request, email=email, error=sentence(exc.detail), status=exc.status)
    response = redirect("/account?welcome=1")
    start_session(request, response, account)
    raise response


@page
async def logout_submit(request: web.Request) -> web.Response:
    """Log out (CSRF-checked): the session cookie is cleared."""
    page_account(request)
    form = await read_form(request)
    check_csrf(request, form)
    response = redirect("/login?signed_out=1")
    end_session(request, response)
    raise response


def add_routes(app: web.Application) -> None:
    app.router.add_get("/", home)
    app.router.add_get("/login", login_page)
    app.router.add_post("/login", login_submit)
    app.router.add_get("/signup", signup_page)
    app.router.add_post("/signup", signup_submit)
    app.router.add_post("/logout", logout_submit)
