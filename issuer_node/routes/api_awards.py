"""``/api/awards``: create credential offers for systems and scripts, and see where each award stands.

``POST /api/awards`` (admin) takes ``{"achievement", "email", "name"?, "narrative"?,
"evidence"?: [URL…], "txCode"?: bool, "notify"?: bool}`` and answers 201 with the
offer URL, its QR code URL, the tx_code when asked for (shown once), and the
expiry; the offer email is queued (and sent at once when the node has SMTP).
``GET /api/awards`` and ``GET /api/awards/{id}`` (admin or reviewer) show the
awards; an issued one carries its credential's download links. ``DELETE
/api/awards/{id}`` (admin) withdraws an offer not yet redeemed.
"""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web

from webbase.bodies import read_json_object
from webbase.cpu import run_cpu

from ..awards import award_json, create_award, find_award, withdraw_award
from ..downloads import download_links
from ..errors import InvalidRequest
from ..node import IssuerNode
from ..outbox import wake_outbox
from ..state import NODE
from ..storage.awards import Award
from .auth import api_user

_HTTP_URL = re.compile(r"https?://\S{1,2000}")


def _optional_str(body: dict[str, Any], name: str) -> str | None:
    value = body.get(name)
    if value is not None and not isinstance(value, str):
        raise InvalidRequest(f"{name} must be a string", field=name)
    return value


def _flag(body: dict[str, Any], name: str, default: bool) -> bool:
    value = body.get(name, default)
    if not isinstance(value, bool):
        raise InvalidRequest(f"{name} must be true or false", field=name)
    return value


def _evidence(body: dict[str, Any]) -> list[dict[str, Any]]:
    urls = body.get("evidence", [])
    if not isinstance(urls, list) or not all(isinstance(u, str) and _HTTP_URL.fullmatch(u) for u in urls):
        raise InvalidRequest("evidence must be a list of http(s) URLs", field="evidence")
    return [{"id": url, "type": ["Evidence"]} for url in urls]


def _with_links(node: IssuerNode, award: Award) -> dict[str, Any]:
    data = award_json(award)
    if award.credential_key is not None:
        data["downloads"] = download_links(node, award.credential_key)
    return data


async def create(request: web.Request) -> web.Response:
    """Create an award and its credential offer (admin); the tx_code, when asked for, is shown only here."""
    api_user(request, "admin")
    body = await read_json_object(request)
    achievement, email = _optional_str(body, "achievement"), _optional_str(body, "email")
    if not achievement or not email:
        raise InvalidRequest("achievement and email are required", field="achievement" if not achievement else "email")
    node = request.app[NODE]
    created = await run_cpu(create_award, node.store, achievement_id=achievement, email=email,
                            name=_optional_str(body, "name"), narrative=_optional_str(body, "narrative"),
                            evidence=_evidence(body), tx_code=_flag(body, "txCode", False),
                            public_url=node.public_url, source="api", notify=_flag(body, "notify", True))
    if created.outbox_id is not None:
        wake_outbox(request.app)
    response = web.json_response({"id": created.award_id, "offerUrl": created.offer_url,
                                  "credentialOfferUri": created.credential_offer_uri, "qr": created.qr_url,
                                  "txCode": created.tx_code, "expires": created.expires.isoformat(),
                                  "emailQueued": created.outbox_id is not None},
                                 status=201, headers={"Cache-Control": "no-store"})
    return response


async def list_awards(request: web.Request) -> web.Response:
    """Awards, newest first (filter: email; paginate: limit, offset)."""
    api_user(request, "admin", "reviewer")
    try:
        limit = min(max(int(request.query.get("limit", "100")), 1), 1000)
        offset = max(int(request.query.get("offset", "0")), 0)
    except ValueError:
        raise InvalidRequest("limit and offset are integers", field="limit") from None
    node = request.app[NODE]
    awards = node.store.list_awards(email=request.query.get("email"), limit=limit, offset=offset)
    return web.json_response({"awards": [_with_links(node, a) for a in awards]})


async def get_award(request: web.Request) -> web.Response:
    """One award: its state (offered, redeemed, issued) and, once issued, its download links."""
    api_user(request, "admin", "reviewer")
    node = request.app[NODE]
    return web.json_response(_with_links(node, find_award(node.store, request.match_info["id"])))


async def withdraw(request: web.Request) -> web.Response:
    """Withdraw an award's offer (admin): its URL and code stop working; 409 once redeemed."""
    api_user(request, "admin")
    node = request.app[NODE]
    award = await run_cpu(withdraw_award, node.store, request.match_info["id"])
    return web.json_response(_with_links(node, award))


def setup(app: web.Application) -> None:
    app.router.add_post("/api/awards", create)
    app.router.add_get("/api/awards", list_awards)
    app.router.add_get("/api/awards/{id}", get_award)
    app.router.add_delete("/api/awards/{id}", withdraw)
