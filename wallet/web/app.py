"""``create_app(wallet)``: the wallet's aiohttp application (API, share pages, /openapi.json)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import replace

from aiohttp import web

from webbase.app import make_app
from webbase.openapi import add_openapi_route
from webbase.ratelimit import RateLimiter
from webbase.templates import setup_templates

from ..context import Wallet
from ..statusrefresh import refresh_forever
from . import api_accounts, api_credentials, api_portability, api_shares, pages_account, pages_auth, pages_credentials, pages_receive, pages_shares
from .errors import wallet_error_middleware
from .keys import LOGIN_LIMIT, REFRESH_WAKE, SIGNUP_LIMIT, WALLET
from .pages_common import setup_page_sessions

VERSION = "0.1.0"


def create_app(wallet: Wallet, *, background_refresh: bool = True) -> web.Application:
    """The wallet app. With ``background_refresh`` the status refresh task runs while the app does."""
    # Multipart uploads are streamed and bounded in the handler; the app-wide
    # limit only bounds bodies read whole.
    app = make_app(client_max_size=wallet.config.max_upload_bytes, middlewares=[wallet_error_middleware])
    app[WALLET] = wallet
    # On a database several processes share (PostgreSQL), the counts live in it: a client spreading
    # its attempts over the processes behind a load balancer meets one limit, not one per process.
    hits = wallet.store.shared_hit_store()
    app[LOGIN_LIMIT] = RateLimiter(10, 60.0, store=hits, scope="wallet.login")
    app[SIGNUP_LIMIT] = RateLimiter(30, 3600.0, store=hits, scope="wallet.signup")
    app[REFRESH_WAKE] = asyncio.Event()
    setup_templates(app, "wallet.web")
    for module in (api_accounts, api_credentials, api_shares, api_portability):
        module.add_routes(app)
    setup_page_sessions(app)  # the learner pages: session cookie and CSRF of the wallet's own names
    for pages in (pages_auth, pages_account, pages_credentials, pages_receive, pages_shares):
        pages.add_routes(app)
    add_openapi_route(app, title="Satchel wallet", version=VERSION)
    if background_refresh:
        app.cleanup_ctx.append(_refresh_task)
    return app


async def _refresh_task(app: web.Application) -> AsyncIterator[None]:
    wallet = app[WALLET]
    task = asyncio.create_task(refresh_forever(wallet, interval=wallet.config.refresh_interval_seconds,
                                               wake=app[REFRESH_WAKE]))
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


def set_public_url(app: web.Application, url: str) -> None:
    """Use ``url`` as the public URL (``serve`` on port 0 learns it only once listening)."""
    wallet = app[WALLET]
    wallet.config = replace(wallet.config, public_url=url.rstrip("/"))
