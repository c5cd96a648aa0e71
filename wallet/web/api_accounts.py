"""Routes: accounts, API tokens, email addresses and their confirmation links."""

from __future__ import annotations

from aiohttp import web

from webbase.bodies import read_json_object, require_str
from webbase.problems import page
from webbase.ratelimit import client_key
from webbase.templates import render
from webbase.tokens import bearer_token

from .. import accounts
from .auth import require_account
from .keys import LOGIN_LIMIT, SIGNUP_LIMIT, WALLET

MAX_PASSWORD = 1024


async def create_account(request: web.Request) -> web.Response:
    """Create an account with its own holder did:key."""
    request.app[SIGNUP_LIMIT].hit(client_key(request, scope="signup"))
    body = await read_json_object(request)
    account = await accounts.create_account(request.app[WALLET], require_str(body, "email", max_len=254),
                                            require_str(body, "password", max_len=MAX_PASSWORD))
    return web.json_response({"id": account.id, "did": account.did, "email": account.login_email}, status=201)


async def create_token(request: web.Request) -> web.Response:
    """Log in: exchange email and password for a bearer token."""
    body = await read_json_object(request)
    email = require_str(body, "email", max_len=254)
    limiter = request.app[LOGIN_LIMIT]
    # Two keys: one per client address, one per account, so neither spraying nor guessing scales.
    limiter.hit(client_key(request, scope="login"))
    limiter.hit("login-email:" + email.strip().lower())
    token = await accounts.issue_token(request.app[WALLET], email, require_str(body, "password", max_len=MAX_PASSWORD))
    return web.json_response({"token": token, "tokenType": "Bearer",
                              "expiresIn": int(accounts.TOKEN_TTL.total_seconds())}, status=201)


async def delete_token(request: web.Request) -> web.Response:
    """Log out: the calling bearer token stops working."""
    require_account(request)
    token = bearer_token(request)
    assert token is not None  # require_account accepted it
    accounts.revoke_token(request.app[WALLET], token)
    return web.Response(status=204)


async def get_account(request: web.Request) -> web.Response:
    """The calling account: id, holder did, emails."""
    account = require_account(request)
    wallet = request.app[WALLET]
    return web.json_response({"id": account.id, "did": account.did, "email": account.login_email,
                              "emails": _emails(wallet, account.id),
                              "credentials": wallet.store.count_credentials(account.id)})


def _emails(wallet, account_id: str) -> list[dict[str, object]]:  # type: ignore[no-untyped-def]
    return [{"email": e.email, "confirmed": e.confirmed_at is not None, "confirmedAt": e.confirmed_at}
            for e in wallet.store.list_emails(account_id)]


async def add_email(request: web.Request) -> web.Response:
    """Add an email address; a confirmation link goes to it (SMTP, or the outbox)."""
    account = require_account(request)
    body = await read_json_object(request)
    record, delivery = await accounts.add_email(request.app[WALLET], account, require_str(body, "email", max_len=254))
    return web.json_response({"email": record.email, "confirmed": False,
                              "confirmation": "sent by email" if delivery.sent else "in the operator's outbox"},
                             status=201)


async def list_emails(request: web.Request) -> web.Response:
    """The account's email addresses and whether each is confirmed."""
    account = require_account(request)
    return web.json_response({"emails": _emails(request.app[WALLET], account.id)})


@page
async def confirm_email(request: web.Request) -> web.Response:
    """Follow an email confirmation link."""
    record = accounts.confirm_email(request.app[WALLET], request.match_info["token"])
    return render(request, "confirmed.html", {"title": "Email confirmed", "email": record.email})


def add_routes(app: web.Application) -> None:
    app.router.add_post("/api/accounts", create_account)
    app.router.add_get("/api/account", get_account)
    app.router.add_post("/api/tokens", create_token)
    app.router.add_delete("/api/tokens", delete_token)
    app.router.add_post("/api/emails", add_email)
    app.router.add_get("/api/emails", list_emails)
    app.router.add_get("/confirm/{token}", confirm_email)
