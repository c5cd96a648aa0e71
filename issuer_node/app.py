"""``create_app(config)``: the issuer node's aiohttp application.

The app opens its node (store, key, public URL) when it is built, so a wrong
passphrase fails before anything listens, and closes it on cleanup. Routes
live in ``routes/`` by family, each module with a ``setup(app)``; add a family
by writing a module there and naming it in ``ROUTE_FAMILIES``. Handlers only
translate HTTP: they parse, authorize (``routes.auth``), call a feature module
(CPU-bound work through ``webbase.cpu.run_cpu``) and render. Every error is
RFC 9457 problem+json: feature errors (``IssuerError``) are mapped by the
middleware below, the rest by webbase's.
"""

from __future__ import annotations

from collections.abc import Callable

from aiohttp import web

from webbase.app import make_app
from webbase.openapi import add_openapi_route
from webbase.problems import Handler, Problem
from webbase.templates import setup_templates

from . import outbox
from .config import IssuerConfig
from .errors import IssuerError
from .node import PUBLIC_URL_SETTING, IssuerNode, open_node
from .routes import (
    api_achievements,
    api_applications,
    api_awards,
    api_credentials,
    delivery,
    oid4vci,
    pages_admin,
    pages_bulk,
    pages_public,
    pages_review,
    public,
    status,
)
from .state import ADOPT_BOUND_URL, CONFIG, NODE

CLIENT_MAX_SIZE = 2 * 1024 * 1024
VERSION = "0.1.0"

ROUTE_FAMILIES: list[Callable[[web.Application], None]] = [
    public.setup, status.setup, api_achievements.setup, api_credentials.setup,
    api_applications.setup, pages_public.setup, pages_admin.setup, pages_review.setup, oid4vci.setup, delivery.setup,
    api_awards.setup, pages_bulk.setup,
]


@web.middleware
async def issuer_error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """A feature's ``IssuerError`` becomes a problem with its status and code (and the field, when named)."""
    try:
        return await handler(request)
    except IssuerError as exc:
        extra = {"field": exc.field} if exc.field else None
        headers = {"WWW-Authenticate": 'Bearer realm="issuer"'} if exc.status == 401 else None
        status = exc.status if exc.status != 500 else 503
        raise Problem(status, str(exc), code=exc.code, extra=extra, headers=headers) from None


def create_app(config: IssuerConfig, *, node: IssuerNode | None = None) -> web.Application:
    """The node's app; ``node`` lets a caller (the demo, a test) hand in one it opened itself."""
    opened = node or open_node(config)
    app = make_app(client_max_size=CLIENT_MAX_SIZE, middlewares=[issuer_error_middleware])
    app[NODE] = opened
    app[CONFIG] = config
    # Without a configured public URL the node publishes under the URL it is bound to (known once listening).
    app[ADOPT_BOUND_URL] = config.public_url is None and opened.store.get_setting(PUBLIC_URL_SETTING) is None
    setup_templates(app, "issuer_node")
    for setup in ROUTE_FAMILIES:
        setup(app)
    outbox.setup(app, config)
    add_openapi_route(app, title=f"Satchel issuer node: {opened.organization.name}", version=VERSION)

    async def close_node(app: web.Application) -> None:
        if node is None:
            opened.close()

    app.on_cleanup.append(close_node)
    return app


def adopt_bound_url(app: web.Application, url: str) -> str:
    """After binding: publish under ``url`` unless a public URL was configured. Returns the public URL."""
    node = app[NODE]
    if app[ADOPT_BOUND_URL]:
        node.adopt_public_url(url)
    return node.public_url
