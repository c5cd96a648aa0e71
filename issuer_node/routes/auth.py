"""Bearer-token authorization for API routes."""

from __future__ import annotations

from aiohttp import web

from webbase.tokens import bearer_token

from ..accounts import authenticate, require_role
from ..state import NODE
from ..storage import User
from ..storage.records import Role


def api_user(request: web.Request, *roles: Role) -> User:
    """The user of the request's bearer token, who must hold one of ``roles`` (401 / 403 otherwise)."""
    user = authenticate(request.app[NODE].store, bearer_token(request))
    if roles:
        require_role(user, *roles)
    return user
