"""Typed application state (aiohttp ``AppKey``s) shared by the wallet's route modules."""

from __future__ import annotations

import asyncio

from aiohttp import web

from webbase.ratelimit import RateLimiter

from ..context import Wallet

WALLET = web.AppKey("wallet", Wallet)
LOGIN_LIMIT = web.AppKey("wallet.login_limit", RateLimiter)
SIGNUP_LIMIT = web.AppKey("wallet.signup_limit", RateLimiter)
REFRESH_WAKE = web.AppKey("wallet.refresh_wake", asyncio.Event)
