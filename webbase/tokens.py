"""Bearer tokens for the APIs: random, shown once, stored only as a hash.

The database keeps ``hash_token(token)``; a leaked database therefore holds no usable token, and a
lookup by hash needs no constant-time comparison of secrets.
"""

from __future__ import annotations

import hashlib
import secrets

from aiohttp import hdrs, web

MAX_TOKEN_LENGTH = 512


def new_token(nbytes: int = 32) -> str:
    """A URL-safe random token with ``nbytes`` of entropy."""
    return secrets.token_urlsafe(nbytes)


def hash_token(token: str) -> str:
    """The SHA-256 hex digest under which a token is stored and looked up."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def bearer_token(request: web.Request) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header (RFC 6750 §2.1), or None."""
    header = request.headers.get(hdrs.AUTHORIZATION, "")
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or len(token) > MAX_TOKEN_LENGTH or " " in token:
        return None
    return token
