"""Security headers on every response, errors and redirects included.

The Content-Security-Policy allows nothing but our own stylesheets and images, so an injected
``<script>`` cannot run even if escaping ever failed; pages need no JavaScript.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import hdrs, web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    # aiohttp would announce "Python/3.11 aiohttp/3.x": versions tell an attacker which flaws to try.
    "Server": "Satchel",
}


def is_authenticated_request(request: web.Request) -> bool:
    """A request carrying credentials (a bearer token or any cookie) gets a response no cache may keep."""
    return hdrs.AUTHORIZATION in request.headers or hdrs.COOKIE in request.headers


def apply_security_headers(request: web.Request, response: web.StreamResponse) -> None:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if is_authenticated_request(request) or hdrs.SET_COOKIE in response.headers:
        response.headers[hdrs.CACHE_CONTROL] = "no-store"


@web.middleware
async def security_headers_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Add the headers before the response is prepared; handlers may set a stricter value of their own."""
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        apply_security_headers(request, exc)
        raise
    if not response.prepared:
        apply_security_headers(request, response)
    return response


async def security_headers_on_prepare(request: web.Request, response: web.StreamResponse) -> None:
    """The same headers for a response a handler prepared itself (a stream), which the middleware sees too late."""
    apply_security_headers(request, response)
