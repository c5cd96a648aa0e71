"""``create_app(config)``: the verifier service as one aiohttp application."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from importlib.resources import files

import aiohttp
from aiohttp import web
from aiohttp.typedefs import Middleware

from webbase.app import make_app
from webbase.netpolicy import guarded_connector
from webbase.openapi import add_openapi_route
from webbase.problems import Handler
from webbase.ratelimit import RateLimiter, client_key
from webbase.sessions import SessionCodec, setup_sessions
from webbase.templates import setup_templates

from . import api, pages
from .config import CLIENT, CONFIG, ServiceConfig

VERSION = "0.1.0"
# Apps of one host share cookies whatever their ports (``satchel demo``), so the names are the verifier's own.
SESSION_COOKIE = "satchel_verifier_session"
PRESESSION_COOKIE = "satchel_verifier_presession"


async def stylesheet(request: web.Request) -> web.Response:
    """The verifier page's stylesheet (its few additions to webbase's)."""
    css = files("verifier_web").joinpath("static/verifier.css").read_bytes()
    response = web.Response(body=css, content_type="text/css", charset="utf-8")
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


def _client_context(config: ServiceConfig) -> Callable[[web.Application], AsyncIterator[None]]:
    async def client(app: web.Application) -> AsyncIterator[None]:
        """One HTTP client for the app's fetches, opened only when the service may fetch at all."""
        if config.may_fetch:
            # Guarded (webbase.netpolicy): a share link never reaches a private or link-local address.
            connector = guarded_connector(config.address_policy, ssl=config.tls if config.tls is not None else True,
                                          limit=20)
            async with aiohttp.ClientSession(connector=connector) as session:
                app[CLIENT] = session
                yield
        else:
            yield

    return client


def _rate_limit(limit: int) -> Middleware:
    """Verifying is CPU work: each client address gets ``limit`` POSTs a minute (429 problem+json past that)."""
    limiter = RateLimiter(limit, 60.0)

    @web.middleware
    async def rate_limit(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.method == "POST":
            limiter.hit(client_key(request, scope="verify"))
        return await handler(request)

    return rate_limit


def create_app(config: ServiceConfig) -> web.Application:
    """The service: the page at ``/``, ``POST /credentials/verify``, ``POST /presentations/verify``, ``/openapi.json``."""
    middlewares = [_rate_limit(config.verify_limit)] if config.verify_limit else []
    app = make_app(client_max_size=config.client_max_size, middlewares=middlewares)
    app[CONFIG] = config
    setup_sessions(app, SessionCodec(config.session_secret), secure=config.secure_cookies,
                   cookie_name=SESSION_COOKIE, presession_cookie_name=PRESESSION_COOKIE)
    setup_templates(app, "verifier_web")
    app.cleanup_ctx.append(_client_context(config))
    app.router.add_get("/static/verifier.css", stylesheet)
    pages.add_routes(app)
    api.add_routes(app)
    add_openapi_route(app, title="Satchel verifier service", version=VERSION)
    return app
