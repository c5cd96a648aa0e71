"""Who is calling: the account behind ``Authorization: Bearer``.

Every API route asks ``require_account`` and never reads credentials itself.
The learner pages sign in with a session cookie instead (``webbase.sessions``,
CSRF on every form): they ask ``pages_common.page_account``.
"""

from __future__ import annotations

from aiohttp import web

from webbase.problems import Problem
from webbase.tokens import bearer_token

from ..accounts import account_for_token
from ..storage import AccountRecord
from .keys import WALLET


def require_account(request: web.Request) -> AccountRecord:
    """The calling account; 401 ``unauthorized`` (with ``WWW-Authenticate: Bearer``) when there is none."""
    token = bearer_token(request)
    account = account_for_token(request.app[WALLET], token) if token else None
    if account is None:
        detail = ("this route needs an API token: POST /api/tokens, then send Authorization: Bearer <token>"
                  if token is None else "the API token is unknown or has expired")
        raise Problem(401, detail, code="unauthorized", headers={"WWW-Authenticate": 'Bearer realm="wallet"'})
    return account
