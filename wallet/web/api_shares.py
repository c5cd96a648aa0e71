"""Routes: share links (create, list with views, revoke) and the employer's page behind each link."""

from __future__ import annotations

import json
from collections import OrderedDict
from typing import Any

from aiohttp import web

from webbase.bodies import optional_str, read_json_object, require_list
from webbase.problems import Problem, page, prefers_html
from webbase.templates import TEMPLATES

from .. import shares
from ..shares import MAX_CREDENTIALS_PER_SHARE, MAX_NOTE
from .auth import require_account
from .keys import WALLET

_TOKEN = "{token:[A-Za-z0-9_-]{16,128}}"


async def create_share(request: web.Request) -> web.Response:
    """Create a share link to a signed presentation of some of the account's credentials."""
    account = require_account(request)
    wallet = request.app[WALLET]
    body = await read_json_object(request)
    ids = require_list(body, "credentials", max_items=MAX_CREDENTIALS_PER_SHARE)
    if not all(isinstance(i, str) for i in ids):
        raise Problem(400, "credentials must be a list of credential ids (strings)", code="invalid_field",
                      extra={"field": "credentials"})
    expires = body.get("expires")
    if expires is not None and not isinstance(expires, str):
        raise Problem(400, "expires must be an ISO 8601 date-time or null", code="invalid_field",
                      extra={"field": "expires"})
    share = await shares.create_share(wallet, account, ids, expires=expires,
                                      note=optional_str(body, "note", max_len=MAX_NOTE))
    return web.json_response(shares.share_summary(wallet, share, now=wallet.now()), status=201)


async def list_shares(request: web.Request) -> web.Response:
    """The account's share links with their view counts."""
    account = require_account(request)
    return web.json_response({"shares": shares.list_shares(request.app[WALLET], account)})


async def revoke_share(request: web.Request) -> web.Response:
    """Revoke a share link: it answers 410 from now on."""
    account = require_account(request)
    shares.revoke_share(request.app[WALLET], account, request.match_info["id"])
    return web.Response(status=204)


def _presentation_response(share: Any) -> web.Response:
    return web.Response(text=share.presentation, content_type="application/json", charset="utf-8",
                        headers={"Cache-Control": "no-store"})


@page
async def share_page(request: web.Request) -> web.Response:
    """The employer's page of a share link (or its signed presentation, for Accept: application/json)."""
    wallet = request.app[WALLET]
    share = shares.open_share(wallet, request.match_info["token"])
    accept = request.headers.get("Accept", "")
    if accept and not prefers_html(request) and "json" in accept:
        return _presentation_response(share)
    response = web.Response(text=_share_html(request, share), content_type="text/html", charset="utf-8")
    response.headers["Cache-Control"] = "no-store"
    return response


# The employer's page is the same for every visitor (no form, no session) and changes only with the
# stored share (a status refresh re-signs it, its owner revokes it): rendered once per version of the
# record, not once per view (20 badges with every check take milliseconds to render; bench/load.py).
_PAGES: OrderedDict[tuple[str, ...], str] = OrderedDict()
_MAX_PAGES = 128


def _share_html(request: web.Request, share: Any) -> str:
    wallet = request.app[WALLET]
    key = (wallet.config.public_url, share.id, share.token, share.checked_at or "", share.expires_at or "",
           share.note or "", share.results or "")
    text = _PAGES.get(key)
    if text is not None:
        _PAGES.move_to_end(key)
        return text
    results = json.loads(share.results or "{}")
    text = request.app[TEMPLATES].get_template("share.html").render({
        "title": "Shared badges", "share": share, "results": results, "badges": results.get("badges", []),
        "json_url": f"/s/{share.token}.json", "wallet_url": wallet.config.public_url,
        "csrf_token": "", "session": None,  # The same page for everyone: nothing of the visitor's in it.
    })
    _PAGES[key] = text
    while len(_PAGES) > _MAX_PAGES:
        _PAGES.popitem(last=False)
    return text


async def share_presentation(request: web.Request) -> web.Response:
    """The signed Verifiable Presentation behind a share link."""
    share = shares.open_share(request.app[WALLET], request.match_info["token"])
    return _presentation_response(share)


def add_routes(app: web.Application) -> None:
    app.router.add_post("/api/shares", create_share)
    app.router.add_get("/api/shares", list_shares)
    app.router.add_delete("/api/shares/{id}", revoke_share)
    app.router.add_get(f"/s/{_TOKEN}.json", share_presentation)
    app.router.add_get(f"/s/{_TOKEN}", share_page)
