"""Helpers for tests (never used by servers): serve an app on 127.0.0.1 with a free port."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiohttp import web

from webbase.runner import start_site


@asynccontextmanager
async def serving(app: web.Application, *, host: str = "127.0.0.1") -> AsyncIterator[str]:
    """``async with serving(app) as base_url:`` yields ``http://127.0.0.1:<port>`` (no trailing slash)."""
    site = await start_site(app, host, 0)
    try:
        yield site.url
    finally:
        await site.stop()
