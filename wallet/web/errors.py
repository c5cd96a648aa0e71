"""The one place where the wallet's own errors become RFC 9457 problems."""

from __future__ import annotations

from aiohttp import web

from webbase.problems import Handler, Problem

from ..errors import WalletError


@web.middleware
async def wallet_error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except WalletError as exc:
        raise Problem(exc.status, exc.detail, code=exc.code) from None
