"""Typed application state keys shared by the app factory and the route modules."""

from __future__ import annotations

from aiohttp import web

from .node import IssuerNode

NODE = web.AppKey("issuer_node.node", IssuerNode)
ADOPT_BOUND_URL = web.AppKey("issuer_node.adopt_bound_url", bool)
