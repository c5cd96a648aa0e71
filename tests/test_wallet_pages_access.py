"""Who may open which learner page: every page route as anonymous, as another account, and as the owner.

``PAGE_ROWS`` must list every page route the learner pages add (a new one without a
row fails ``test_the_page_table_covers_every_page_route``); tests/test_wallet_access.py
leaves these routes to this table. Anonymous visitors are sent to the login page
(303); another account gets 404 for the owner's badges and links, never 403; a
form posted with a valid token but for someone else's thing changes nothing. The
owner's session cookie past its expiry is answered exactly as anonymous is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from wallet_pages_support import Learner, did_on, files, make_badge, share_id_of
from yarl import URL

from credentials.keys import generate_key_pair
from wallet.testing import running_wallet
from wallet.web import pages_account, pages_auth, pages_credentials, pages_receive, pages_shares
from wallet.web.pages_common import SESSION_COOKIE
from webbase.sessions import SessionCodec


@dataclass(frozen=True)
class PageRow:
    method: str
    path: str               # {cred} and {share} are filled with the owner's
    anonymous: int
    other: int
    owner: int
    form: str = "/account"  # the page whose CSRF token a POST carries


PAGE_ROWS = [
    PageRow("GET", "/", 303, 303, 303),
    PageRow("GET", "/login", 200, 303, 303),
    PageRow("POST", "/login", 401, 401, 401, form="/login"),  # a wrong password, for everyone
    PageRow("GET", "/signup", 200, 303, 303),
    PageRow("POST", "/signup", 400, 400, 400, form="/signup"),  # passwords that differ
    PageRow("GET", "/import", 200, 200, 200),
    PageRow("POST", "/import", 415, 415, 415, form="/import"),  # a form with no file
    PageRow("GET", "/account", 303, 200, 200),
    PageRow("POST", "/account/emails", 303, 303, 303),
    PageRow("POST", "/account/export", 303, 400, 400),  # passphrases that differ
    PageRow("GET", "/credentials", 303, 200, 200),
    PageRow("POST", "/credentials/refresh", 303, 303, 303, form="/credentials"),
    PageRow("GET", "/credentials/{cred}", 303, 404, 200),
    PageRow("GET", "/credentials/{cred}/delete", 303, 404, 200),
    PageRow("POST", "/credentials/{cred}/delete", 303, 404, 303),
    PageRow("GET", "/receive", 303, 200, 200),
    PageRow("POST", "/receive/offer", 303, 400, 400, form="/receive"),  # an empty offer
    PageRow("POST", "/receive/qr", 303, 415, 415, form="/receive"),     # not a multipart upload
    PageRow("POST", "/receive/files", 303, 415, 415, form="/receive"),  # not a multipart upload
    PageRow("GET", "/shares", 303, 200, 200),
    PageRow("GET", "/shares/new", 303, 200, 200),
    PageRow("POST", "/shares", 303, 404, 303, form="/shares/new"),
    PageRow("POST", "/shares/{share}/revoke", 303, 404, 303, form="/shares"),
    PageRow("GET", "/shares/{share}/qr.png", 303, 404, 200),
    PageRow("POST", "/logout", 303, 303, 303),  # last: it ends the caller's session
]

PAGE_MODULES = (pages_auth, pages_account, pages_credentials, pages_receive, pages_shares)


def page_routes() -> set[tuple[str, str]]:
    """Every (method, path) the learner page modules add to an app."""
    app = web.Application()
    for module in PAGE_MODULES:
        module.add_routes(app)
    return {(route.method, route.resource.canonical) for route in app.router.routes()
            if route.method != "HEAD" and route.resource is not None}


def test_the_page_table_covers_every_page_route() -> None:
    table = {(row.method, row.path.replace("{cred}", "{id}").replace("{share}", "{id}")) for row in PAGE_ROWS}
    assert page_routes() == table


@pytest.mark.parametrize("who", ["anonymous", "other", "owner", "expired"])
async def test_every_page_answers_each_visitor_as_the_table_says(tmp_path: Path, who: str) -> None:
    """``expired``: Ann's own session cookie, validly signed but past its expiry, is treated as anonymous."""
    issuer = generate_key_pair()
    async with running_wallet(tmp_path / "w") as w:
        ann, bob, anonymous = Learner(w.url), Learner(w.url), Learner(w.url)
        try:
            await ann.sign_up("ann@example.org")
            did = did_on((await ann.get("/account")).text)
            await bob.sign_up("bob@example.org")
            if who == "expired":
                codec = SessionCodec(w.wallet.vault.session_secret)
                owner = w.wallet.store.account_by_did(did)
                assert owner is not None
                stale = codec.issue(owner.id, ttl=timedelta(hours=12), now=datetime.now(timezone.utc) - timedelta(days=1))
                anonymous.http.cookie_jar.update_cookies({SESSION_COOKIE: stale}, response_url=URL(w.url))
            visitor = {"anonymous": anonymous, "other": bob, "owner": ann, "expired": anonymous}[who]
            for index, row in enumerate(PAGE_ROWS):
                name = f"Badge {index}"
                await ann.post("/receive/files", files((f"{index}.json", make_badge(issuer, did=did, name=name))),
                               form_page="/receive")
                listing = (await ann.get("/credentials")).text
                cred = re.search(rf'<a href="/credentials/([0-9a-f]{{32}})">{name}</a>', listing)
                assert cred
                made = await ann.post("/shares", [("credential", cred.group(1))], form_page="/shares/new")
                share = share_id_of(made.location or "")
                path = row.path.replace("{cred}", cred.group(1)).replace("{share}", share)
                if row.method == "GET":
                    page = await visitor.get(path)
                else:
                    page = await visitor.post(path, _body(row, cred.group(1)), form_page=row.form)
                expected = row.anonymous if who == "expired" else getattr(row, who)
                assert page.status == expected, f"{who} {row.method} {row.path}: {page.status} {page.text[:300]!r}"
                if who in ("anonymous", "expired") and expected == 303 and row.path not in ("/", "/logout"):
                    assert (page.location or "").startswith("/login?next="), (row.path, page.location)
                if who in ("other", "expired"):
                    assert name not in page.text and did not in page.text, (row.path, page.text[:300])
            if who == "other":
                # Nothing of Ann's was deleted or revoked by Bob's posts.
                count = w.wallet.store.count_credentials(w.wallet.store.account_by_did(did).id)  # type: ignore[union-attr]
                assert count == len(PAGE_ROWS)
                assert "Revoked on" not in (await ann.get("/shares")).text
        finally:
            for learner in (ann, bob, anonymous):
                await learner.close()


def _body(row: PageRow, cred: str) -> list[tuple[str, str]]:
    if row.path == "/login":
        return [("email", "ann@example.org"), ("password", "not the password")]
    if row.path == "/signup":
        return [("email", "new@example.org"), ("password", "one password"), ("password_again", "another one")]
    if row.path == "/account/emails":
        return [("email", "extra@example.org")]
    if row.path == "/account/export":
        return [("passphrase", "a long passphrase"), ("passphrase_again", "a different one")]
    if row.path == "/shares":
        return [("credential", cred)]
    return []


async def test_import_page_form_needs_a_file(tmp_path: Path) -> None:
    """The import row above posts a plain form; an upload without the file is told what is missing."""
    async with running_wallet(tmp_path / "w") as w:
        visitor = Learner(w.url)
        try:
            form = aiohttp.FormData(default_to_multipart=True)
            form.add_field("passphrase", "a long passphrase")
            page = await visitor.post("/import", form, form_page="/import")
            assert page.status == 400 and "Choose a file" in page.text
        finally:
            await visitor.close()
