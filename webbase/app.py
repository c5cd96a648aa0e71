"""The application factory every server builds on."""

from __future__ import annotations

from collections.abc import Iterable

from aiohttp import web
from aiohttp.typedefs import Middleware

from webbase.bodies import refuse_coded_bodies
from webbase.problems import problem_middleware, quiet_unreadable_bodies
from webbase.security import security_headers_middleware, security_headers_on_prepare

ONE_MIB = 1024 * 1024


def make_app(*, client_max_size: int = ONE_MIB, middlewares: Iterable[Middleware] = ()) -> web.Application:
    """An ``web.Application`` with the security-header middleware outermost (so error responses get the
    headers too), the problem middleware inside it, then the caller's middlewares (whose errors are thus
    rendered as problems)."""
    app = web.Application(
        client_max_size=client_max_size,
        middlewares=[security_headers_middleware, problem_middleware, refuse_coded_bodies, *middlewares],
    )
    app.on_response_prepare.append(security_headers_on_prepare)
    quiet_unreadable_bodies()
    return app
