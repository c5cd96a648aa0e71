"""Pages: share links: choose badges, make a link (optional expiry and note), see views, revoke; a QR per link.

The pages call ``shares`` exactly as ``/api/shares`` does. A link's expiry is the
link's own and is worded apart from a badge's validity ("This link works until
…" vs "This badge is valid until …"). The QR code image carries the link only,
never the presentation behind it, so revoking the link ends what the QR gives.
"""

from __future__ import annotations

import json
from urllib.parse import quote

from aiohttp import web

from webbase.cpu import run_cpu
from webbase.problems import page
from webbase.qr import qr_png
from webbase.sessions import check_csrf

from .. import shares
from ..errors import NotFound, WalletError
from ..storage import AccountRecord, CredentialQuery
from .keys import WALLET
from .pages_common import REGISTRY, learner_page, page_account, redirect, sentence
from .pages_view import badge_view

CHOOSE_LIMIT = shares.MAX_CREDENTIALS_PER_SHARE
MAX_FORM_FIELD = 2_000


def expiry_from_form(value: str) -> str | None:
    """The form's "link works until" date (YYYY-MM-DD, the end of that day UTC) or an ISO date-time; None if empty."""
    text = value.strip()
    if not text:
        return None
    return f"{text}T23:59:59Z" if len(text) == 10 else text


@page
async def shares_page(request: web.Request) -> web.Response:
    """Your share links: what each holds, how often it was viewed, until when it works; revoke one."""
    account = page_account(request)
    wallet = request.app[WALLET]
    now = wallet.now()
    records = wallet.store.list_shares(account.id)
    links = [shares.share_summary(wallet, record, now=now) for record in records]
    # What the link's page says of its badges, computed when it was signed (a view never re-verifies).
    verified = {record.id: bool(json.loads(record.results or "{}").get("verified")) for record in records}
    ids = list(dict.fromkeys(i for link in links for i in link["credentials"]))
    names = {r.id: r.achievement_name or "(a badge with no name)" for r in wallet.store.get_credentials(account.id, ids)}
    created = next((link for link in links if link["id"] == request.query.get("created")), None)
    return learner_page(request, "wallet_shares.html", "Your share links", account=account, active="shares",
                        links=links, names=names, created=created, verified=verified, revoked=request.query.get("revoked") == "1")


def _choose_page(request: web.Request, account: AccountRecord, *, chosen: set[str], error: str | None = None,
                 expires: str = "", note: str = "", status: int = 200) -> web.Response:
    wallet = request.app[WALLET]
    text = request.query.get("q", "").strip()[:200]
    page_ = wallet.store.list_credentials(account.id, CredentialQuery(text=text or None, limit=CHOOSE_LIMIT))
    badges = [badge_view(r, request.app[REGISTRY]) for r in page_.items]
    # A badge chosen on the list page stays chosen even when the search here does not show it.
    missing = chosen - {b.id for b in badges}
    extra = [badge_view(r, request.app[REGISTRY]) for r in wallet.store.get_credentials(account.id, sorted(missing))]
    return learner_page(request, "wallet_share_new.html", "Share badges", account=account, active="shares",
                        status=status, badges=extra + badges, chosen=chosen, error=error, q=text, expires=expires,
                        note=note, more=page_.next_cursor is not None, max_note=shares.MAX_NOTE,
                        today=wallet.now().date().isoformat())


@page
async def new_share_page(request: web.Request) -> web.Response:
    """Choose the badges a new link shows, and optionally until when it works and a note."""
    account = page_account(request)
    return _choose_page(request, account, chosen=set(request.query.getall("credential", [])))


@page
async def share_submit(request: web.Request) -> web.Response:
    """Create a share link to the chosen badges (CSRF-checked)."""
    account = page_account(request)
    wallet = request.app[WALLET]
    if request.content_type != "application/x-www-form-urlencoded":
        raise web.HTTPUnsupportedMediaType(text="Expected a form submission.")
    posted = await request.post()
    fields = {name: value for name, value in posted.items() if isinstance(value, str) and name != "credential"}
    check_csrf(request, fields)
    chosen = [v for v in posted.getall("credential", []) if isinstance(v, str)]
    expires = fields.get("expires", "")[:MAX_FORM_FIELD]
    note = fields.get("note", "")[:MAX_FORM_FIELD]
    try:
        share = await shares.create_share(wallet, account, chosen, expires=expiry_from_form(expires),
                                          note=note.strip() or None)
    except WalletError as exc:
        if isinstance(exc, NotFound):
            raise
        return _choose_page(request, account, chosen=set(chosen), error=sentence(exc.detail), expires=expires,
                            note=note, status=exc.status)
    raise redirect(f"/shares?created={quote(share.id)}")


@page
async def revoke_submit(request: web.Request) -> web.Response:
    """Revoke a share link (CSRF-checked): it answers 410 Gone from now on."""
    account = page_account(request)
    form = await request.post()
    check_csrf(request, {k: v for k, v in form.items() if isinstance(v, str)})
    shares.revoke_share(request.app[WALLET], account, request.match_info["id"])
    raise redirect("/shares?revoked=1")


@page
async def share_qr(request: web.Request) -> web.Response:
    """The QR code (PNG) of one of your share links: it carries the link only."""
    account = page_account(request)
    wallet = request.app[WALLET]
    share = wallet.store.get_share(account.id, request.match_info["id"])
    if share is None:
        raise NotFound(f"no share {request.match_info['id']} in this wallet", code="share_not_found")
    png = await run_cpu(qr_png, shares.share_url(wallet, share))
    return web.Response(body=png, content_type="image/png", headers={"Cache-Control": "no-store"})


def add_routes(app: web.Application) -> None:
    app.router.add_get("/shares", shares_page)
    app.router.add_get("/shares/new", new_share_page)
    app.router.add_post("/shares", share_submit)
    app.router.add_post("/shares/{id}/revoke", revoke_submit)
    app.router.add_get("/shares/{id}/qr.png", share_qr)

