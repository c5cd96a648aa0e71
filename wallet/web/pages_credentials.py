"""Pages: every held badge in one place (grouped by issuer, searchable), one badge, deleting one.

The list reads one page of ``holdings`` (the same query as ``GET /api/credentials``:
``q``, ``issuer``, ``tag``, ``from``, ``until``, ``cursor``) and groups that page by issuer.
Another account's credential is "not found", as in the API. Deleting asks for a
confirmation first (a page with a form), then calls ``holdings.delete_credential``.
"""

from __future__ import annotations

import json
from urllib.parse import urlencode

from aiohttp import web

from webbase.problems import page
from webbase.sessions import check_csrf
from webbase.uploads import read_form

from .. import holdings
from ..errors import WalletError
from .keys import REFRESH_WAKE, WALLET
from .pages_common import REGISTRY, learner_page, page_account, redirect, sentence
from .pages_view import badge_view, group_by_issuer

PAGE_SIZE = 50
FILTERS = ("q", "issuer", "tag", "from", "until")


@page
async def credentials_page(request: web.Request) -> web.Response:
    """Your badges from every organization, grouped by issuer; search and filter by issuer, tag, date."""
    account = page_account(request)
    wallet = request.app[WALLET]
    filters = {name: request.query.get(name, "").strip()[:200] for name in FILTERS}
    params = {k: v for k, v in filters.items() if v}
    error = None
    try:
        query = holdings.parse_query({**params, "limit": str(PAGE_SIZE), "cursor": request.query.get("cursor", "")})
        result = wallet.store.list_credentials(account.id, query)
        records, next_cursor = list(result.items), result.next_cursor
    except WalletError as exc:
        error, records, next_cursor = sentence(exc.detail), [], None
    badges = [badge_view(r, request.app[REGISTRY]) for r in records]
    more = f"/credentials?{urlencode({**params, 'cursor': next_cursor})}" if next_cursor is not None else None
    return learner_page(request, "wallet_credentials.html", "Your badges", account=account, active="credentials",
                        status=400 if error else 200, groups=group_by_issuer(badges), count=len(badges),
                        total=wallet.store.count_credentials(account.id), filters=filters, filtered=bool(params),
                        issuers=wallet.store.issuers(account.id),
                        error=error, more=more, first_page=not request.query.get("cursor"),
                        imported=request.query.get("imported") == "1",
                        deleted=request.query.get("deleted") == "1",
                        refreshing=request.query.get("refreshing") == "1")


@page
async def credential_page(request: web.Request) -> web.Response:
    """One badge: what it says, its status, its evidence, and the document as received."""
    account = page_account(request)
    record = holdings.get_credential(request.app[WALLET], account, request.match_info["id"])
    badge = badge_view(record, request.app[REGISTRY])
    return learner_page(request, "wallet_credential.html", badge.name, account=account, active="credentials",
                        badge=badge, document=record.document if record.format == "jwt" else _pretty(record.document))


@page
async def delete_confirm_page(request: web.Request) -> web.Response:
    """Ask before deleting a badge."""
    account = page_account(request)
    record = holdings.get_credential(request.app[WALLET], account, request.match_info["id"])
    badge = badge_view(record, request.app[REGISTRY])
    holding = [s for s in request.app[WALLET].store.shares_holding(record.id) if s.revoked_at is None]
    return learner_page(request, "wallet_delete.html", f"Delete {badge.name}?", account=account,
                        active="credentials", badge=badge, share_count=len(holding))


@page
async def delete_submit(request: web.Request) -> web.Response:
    """Delete a badge (CSRF-checked); share links holding it are signed again without it."""
    account = page_account(request)
    form = await read_form(request)
    check_csrf(request, form)
    await holdings.delete_credential(request.app[WALLET], account, request.match_info["id"])
    raise redirect("/credentials?deleted=1")


@page
async def refresh_submit(request: web.Request) -> web.Response:
    """Check the badges' status lists now instead of at the next scheduled refresh (CSRF-checked)."""
    page_account(request)
    form = await read_form(request)
    check_csrf(request, form)
    request.app[REFRESH_WAKE].set()  # the background refresh task runs its pass (one at a time)
    raise redirect("/credentials?refreshing=1")


def _pretty(text: str) -> str:
    try:
        return json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    except ValueError:
        return text


def add_routes(app: web.Application) -> None:
    app.router.add_get("/credentials", credentials_page)
    app.router.add_post("/credentials/refresh", refresh_submit)
    app.router.add_get("/credentials/{id}", credential_page)
    app.router.add_get("/credentials/{id}/delete", delete_confirm_page)
    app.router.add_post("/credentials/{id}/delete", delete_submit)
