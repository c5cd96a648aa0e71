"""Typed application state keys shared by the app factory and the route modules."""

from __future__ import annotations

from aiohttp import web

from .config import IssuerConfig
from .node import IssuerNode

NODE = web.AppKey("issuer_node.node", IssuerNode)
# The configuration the app was built with (host, port, smtp for the mailer, …).
CONFIG = web.AppKey("issuer_node.config", IssuerConfig)
ADOPT_BOUND_URL = web.AppKey("issuer_node.adopt_bound_url", bool)
