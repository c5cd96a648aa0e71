"""The learner's pages end to end: a real wallet on 127.0.0.1, real SQLite, a cookie-keeping client.

Everything goes through the HTML forms a learner without JavaScript would use:
sign up, log in, confirm an email, upload signed credentials, see them grouped
by issuer with their status line, share, see the share page, revoke (410).
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import aiohttp
from wallet_pages_support import Learner, csrf_of, did_on, files, make_badge
from wallet_pages_support import share_id_of as _share_id

from credentials.keys import generate_key_pair
from wallet.qr import read_qr_text
from wallet.testing import confirmation_link, running_wallet


async def test_sign_up_confirm_upload_list_share_revoke(tmp_path: Path) -> None:
    issuer = generate_key_pair()
    async with running_wallet(tmp_path / "w") as w:
        ann = Learner(w.url)
        try:
            # Sign up: a session cookie of the wallet's own name, HttpOnly and SameSite.
            signed_up = await ann.sign_up("ann@example.org")
            assert signed_up.location == "/account?welcome=1"
            cookie = ";".join(signed_up.headers.getall("Set-Cookie"))
            assert "satchel_wallet_session=" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
            account_page = await ann.get("/account")
            assert account_page.status == 200 and "Not confirmed yet" in account_page.text
            did = did_on(account_page.text)

            # Log out, then log back in.
            out = await ann.post("/logout", {}, form_page="/account")
            assert out.status == 303 and (await ann.get("/account")).status == 303
            assert "You are logged out." in (await ann.get(out.location or "")).text
            wrong = await ann.log_in("ann@example.org", "not the password")
            assert wrong.status == 401 and "do not match" in wrong.text
            logged_in = await ann.log_in("ann@example.org")
            assert logged_in.status == 303 and logged_in.location == "/credentials"

            # Add a second email and confirm it through the link in the outbox.
            added = await ann.post("/account/emails", {"email": "ann@district.example"}, form_page="/account")
            assert added.status == 303
            after = await ann.get(added.location or "")
            assert "A confirmation link was sent to ann@district.example" in after.text
            async with ann.http.get(confirmation_link(w.wallet, "ann@district.example")) as r:
                assert r.status == 200
            emails = (await ann.get("/account")).text
            row = re.search(r"<td>ann@district.example</td>\s*<td>(.*?)</td>", emails, re.S)
            assert row and "Confirmed" in row.group(1)

            # Upload two signed credential files in one form: one to the did (with a status list the
            # wallet has not fetched yet), one to the newly confirmed email (with evidence).
            to_did = make_badge(issuer, did=did, name="Fractions", status_url="https://lists.example.org/1")
            to_email = make_badge(issuer, email="ann@district.example", name="Geometry",
                                  evidence=[{"id": "https://portfolio.example.org/ann/geometry",
                                             "type": ["Evidence"], "name": "Lesson video",
                                             "narrative": "Taught the class about angles."}])
            report = await ann.post("/receive/files", files(("fractions.json", to_did), ("geometry.json", to_email)),
                                    form_page="/receive")
            assert report.status == 201, report.text[:800]
            assert "2 added, 0 already in your wallet, 0 not added" in report.text
            # The same file again: already held, nothing stored twice.
            again = await ann.post("/receive/files", files(("again.json", to_did)), form_page="/receive")
            assert again.status == 200 and "Already in your wallet" in again.text and "0 added" in again.text

            listing = (await ann.get("/credentials")).text
            assert "2 badges in your wallet" in listing
            group = re.search(r'<section class="issuer-group".*?</section>', listing, re.S)
            assert group and "Riverside District" in group.group(0) and "claimed by the credential" in group.group(0)
            assert "Fractions" in group.group(0) and "Geometry" in group.group(0)
            # Never "not revoked" without a verified list: the status line says it was not checked.
            assert "revocation status not checked since" in listing
            assert "not revoked" not in listing
            assert "its issuer publishes no status list" in listing
            assert 'href="https://portfolio.example.org/ann/geometry"' in listing and "Lesson video" in listing

            ids = re.findall(r'<a href="/credentials/([0-9a-f]{32})">Fractions</a>', listing)
            assert ids
            detail = await ann.get(f"/credentials/{ids[0]}")
            assert detail.status == 200 and did in detail.text and "revocation status not checked since" in detail.text

            # Share it through the form: a link with an expiry and a note.
            expires = (datetime.now(timezone.utc) + timedelta(days=7)).date().isoformat()
            chooser = await ann.get(f"/shares/new?credential={ids[0]}")
            assert f'value="{ids[0]}" checked' in chooser.text
            made = await ann.post("/shares", [("credential", ids[0]), ("expires", expires),
                                              ("note", "For the hiring committee")], form_page="/shares/new")
            assert made.status == 303, made.text[:500]
            share_id = _share_id(made.location or "")
            links = (await ann.get(made.location or "")).text
            assert f"This link works until {expires}T23:59:59Z." in links
            assert "Every badge verified at" in links
            url = re.search(r'<a class="share-url" href="([^"]+)"', links)
            assert url and url.group(1).startswith(w.url + "/s/")
            share_url = url.group(1)

            # The QR code image carries exactly the link.
            status, png, kind = await ann.get_bytes(f"/shares/{share_id}/qr.png")
            assert status == 200 and kind == "image/png" and read_qr_text(png) == share_url

            async with aiohttp.ClientSession() as employer:
                async with employer.get(share_url) as r:
                    page = await r.text()
                    assert r.status == 200 and "Fractions" in page and "For the hiring committee" in page
                    assert f"This link works until {expires}T23:59:59Z." in page
                    assert "This badge has no end date." in page
            links = (await ann.get("/shares")).text
            assert re.search(r'<dd class="views">1</dd>', links)

            revoked = await ann.post(f"/shares/{share_id}/revoke", {}, form_page="/shares")
            assert revoked.status == 303
            assert "Revoked on" in (await ann.get("/shares")).text
            async with aiohttp.ClientSession() as employer:
                async with employer.get(share_url) as r:
                    assert r.status == 410 and "Fractions" not in await r.text()
        finally:
            await ann.close()


async def test_refused_items_are_reported_in_plain_words_and_not_stored(tmp_path: Path) -> None:
    issuer = generate_key_pair()
    async with running_wallet(tmp_path / "w") as w:
        ann = Learner(w.url)
        try:
            await ann.sign_up("ann@example.org")
            did = did_on((await ann.get("/account")).text)
            tampered = make_badge(issuer, did=did, name="Fractions")
            tampered["credentialSubject"]["achievement"]["name"] = "Calculus"
            someone_else = make_badge(issuer, did=generate_key_pair().did, name="Not mine")
            unconfirmed = make_badge(issuer, email="ann@elsewhere.example", name="Other address")
            report = await ann.post("/receive/files", files(("tampered.json", tampered), ("other.json", someone_else),
                                                             ("email.json", unconfirmed), ("junk.txt", b"hello")),
                                    form_page="/receive")
            assert report.status == 200 and "0 added, 0 already in your wallet, 4 not added" in report.text
            refused = re.search(r'<ul class="report-refused">.*?</section>', report.text, re.S)
            assert refused
            text = refused.group(0)
            assert "tampered.json" in text and "proof:" in text
            assert "other.json" in text and "not this account&#39;s holder did" in text
            assert "email.json" in text and "confirmed emails" in text
            assert "junk.txt" in text
            assert "Your wallet is empty" in (await ann.get("/credentials")).text
        finally:
            await ann.close()


async def test_forms_without_the_csrf_token_are_refused(tmp_path: Path) -> None:
    issuer = generate_key_pair()
    async with running_wallet(tmp_path / "w") as w:
        ann = Learner(w.url)
        try:
            # Anonymous forms need the pre-session token too.
            assert (await ann.post("/signup", {"email": "x@example.org", "password": "long enough pw",
                                               "password_again": "long enough pw"}, csrf=False)).status == 403
            await ann.sign_up("ann@example.org")
            did = did_on((await ann.get("/account")).text)
            refused = await ann.post("/account/emails", {"email": "b@example.org"}, csrf=False)
            assert refused.status == 403 and "did not come from this site" in refused.text
            wrong = await ann.post("/account/emails", {"email": "b@example.org", "csrf_token": "forged"}, csrf=False)
            assert wrong.status == 403
            upload = await ann.post("/receive/files", files(("a.json", make_badge(issuer, did=did))), csrf=False)
            assert upload.status == 403
            assert w.wallet.store.count_credentials(w.wallet.store.account_by_did(did).id) == 0  # type: ignore[union-attr]
            assert "b@example.org" not in (await ann.get("/account")).text
            assert (await ann.post("/logout", {}, csrf=False)).status == 403
            assert (await ann.get("/account")).status == 200  # still signed in
        finally:
            await ann.close()


async def test_another_account_cannot_see_or_touch_the_first_ones_pages(tmp_path: Path) -> None:
    issuer = generate_key_pair()
    async with running_wallet(tmp_path / "w") as w:
        ann, bob = Learner(w.url), Learner(w.url)
        try:
            await ann.sign_up("ann@example.org")
            did = did_on((await ann.get("/account")).text)
            await ann.post("/receive/files", files(("a.json", make_badge(issuer, did=did, name="Ann's secret badge"))),
                           form_page="/receive")
            cred = re.findall(r'/credentials/([0-9a-f]{32})"', (await ann.get("/credentials")).text)[0]
            made = await ann.post("/shares", [("credential", cred)], form_page="/shares/new")
            share = _share_id(made.location or "")

            await bob.sign_up("bob@example.org")
            for path in (f"/credentials/{cred}", f"/credentials/{cred}/delete", f"/shares/{share}/qr.png"):
                page = await bob.get(path)
                assert page.status == 404, path
                assert "secret badge" not in page.text
            assert (await bob.post(f"/credentials/{cred}/delete", {}, form_page="/credentials")).status == 404
            assert (await bob.post(f"/shares/{share}/revoke", {}, form_page="/shares")).status == 404
            assert (await bob.post("/shares", [("credential", cred)], form_page="/shares/new")).status == 404
            for path in ("/credentials", "/shares", "/account", f"/shares/new?credential={cred}"):
                page = await bob.get(path)
                assert page.status == 200 and "secret badge" not in page.text and did not in page.text, path
            # Ann's things are untouched.
            assert (await ann.get(f"/credentials/{cred}")).status == 200
            assert "Revoked on" not in (await ann.get("/shares")).text
        finally:
            await ann.close()
            await bob.close()


async def test_script_in_an_achievement_name_is_escaped_everywhere(tmp_path: Path) -> None:
    issuer = generate_key_pair()
    evil = '<script>alert("x")</script>'
    async with running_wallet(tmp_path / "w") as w:
        ann = Learner(w.url)
        try:
            await ann.sign_up("ann@example.org")
            did = did_on((await ann.get("/account")).text)
            badge = make_badge(issuer, did=did, name=evil, issuer_name=f"District {evil}", tags=[evil])
            report = await ann.post("/receive/files", files((f"{evil}.json", badge)), form_page="/receive")
            assert report.status == 201
            listing = (await ann.get("/credentials")).text
            cred = re.findall(r'/credentials/([0-9a-f]{32})"', listing)[0]
            made = await ann.post("/shares", [("credential", cred), ("note", evil)], form_page="/shares/new")
            share_url = re.search(r'<a class="share-url" href="([^"]+)"', (await ann.get(made.location or "")).text)
            assert share_url
            async with aiohttp.ClientSession() as employer, employer.get(share_url.group(1)) as r:
                share_page = await r.text()
            pages = {"report": report.text, "list": listing, "detail": (await ann.get(f"/credentials/{cred}")).text,
                     "delete": (await ann.get(f"/credentials/{cred}/delete")).text,
                     "chooser": (await ann.get(f"/shares/new?credential={cred}")).text,
                     "links": (await ann.get("/shares")).text, "share": share_page}
            for name, text in pages.items():
                assert "<script" not in text, name
                assert "&lt;script&gt;" in text, name
        finally:
            await ann.close()


async def test_filters_by_search_words_issuer_tag_and_date(tmp_path: Path) -> None:
    riverside, hillcrest = generate_key_pair(), generate_key_pair()
    now = datetime.now(timezone.utc)
    async with running_wallet(tmp_path / "w") as w:
        ann = Learner(w.url)
        try:
            await ann.sign_up("ann@example.org")
            did = did_on((await ann.get("/account")).text)
            badges = [
                make_badge(riverside, did=did, name="Fractions", tags=["math"], valid_from=now - timedelta(days=400)),
                make_badge(riverside, did=did, name="Poetry", tags=["literacy"], valid_from=now - timedelta(days=10)),
                make_badge(hillcrest, did=did, name="Robotics", issuer_name="Hillcrest Schools", tags=["stem", "math"],
                           valid_from=now - timedelta(days=2)),
            ]
            report = await ann.post("/receive/files", files(*[(f"{i}.json", b) for i, b in enumerate(badges)]),
                                    form_page="/receive")
            assert "3 added" in report.text

            async def names(query: str) -> set[str]:
                page = await ann.get("/credentials" + query)
                assert page.status == 200, page.text[:300]
                return set(re.findall(r'<a href="/credentials/[0-9a-f]{32}">([^<]+)</a>', page.text))

            assert await names("") == {"Fractions", "Poetry", "Robotics"}
            assert await names("?q=poet") == {"Poetry"}
            assert await names("?tag=math") == {"Fractions", "Robotics"}
            assert await names(f"?issuer={hillcrest.did}") == {"Robotics"}
            assert await names(f"?issuer={riverside.did}&tag=math") == {"Fractions"}
            week_ago = (now - timedelta(days=7)).date().isoformat()
            assert await names(f"?from={week_ago}") == {"Robotics"}
            month_ago = (now - timedelta(days=30)).date().isoformat()
            assert await names(f"?until={month_ago}") == {"Fractions"}
            assert await names("?q=nothing+like+this") == set()
            # Two issuers: two groups, each with its own heading.
            listing = (await ann.get("/credentials")).text
            assert listing.count('<section class="issuer-group"') == 2 and "Hillcrest Schools" in listing
            bad = await ann.get("/credentials?from=yesterday")
            assert bad.status == 400 and "From must be a date such as" in bad.text
        finally:
            await ann.close()


async def test_delete_asks_first_then_removes_the_badge(tmp_path: Path) -> None:
    issuer = generate_key_pair()
    async with running_wallet(tmp_path / "w") as w:
        ann = Learner(w.url)
        try:
            await ann.sign_up("ann@example.org")
            did = did_on((await ann.get("/account")).text)
            await ann.post("/receive/files", files(("a.json", make_badge(issuer, did=did, name="Fractions"))),
                           form_page="/receive")
            cred = re.findall(r'/credentials/([0-9a-f]{32})"', (await ann.get("/credentials")).text)[0]
            confirm = await ann.get(f"/credentials/{cred}/delete")
            assert confirm.status == 200 and "Yes, delete this badge" in confirm.text
            assert (await ann.get(f"/credentials/{cred}")).status == 200  # asking deleted nothing
            done = await ann.post(f"/credentials/{cred}/delete", {}, form_page=f"/credentials/{cred}/delete")
            assert done.status == 303 and done.location == "/credentials?deleted=1"
            assert (await ann.get(f"/credentials/{cred}")).status == 404
            assert "Your wallet is empty" in (await ann.get("/credentials")).text
        finally:
            await ann.close()


async def test_export_and_import_through_the_pages_round_trip(tmp_path: Path) -> None:
    issuer = generate_key_pair()
    async with running_wallet(tmp_path / "one") as first, running_wallet(tmp_path / "two") as second:
        ann = Learner(first.url)
        again = Learner(second.url)
        try:
            await ann.sign_up("ann@example.org")
            did = did_on((await ann.get("/account")).text)
            await ann.post("/receive/files", files(("a.json", make_badge(issuer, did=did, name="Fractions")),
                                                    ("b.json", make_badge(issuer, did=did, name="Poetry"))),
                           form_page="/receive")
            short = await ann.post("/account/export", {"passphrase": "short", "passphrase_again": "short"},
                                   form_page="/account")
            assert short.status == 400 and "at least 8 characters" in short.text
            status, blob, headers = await ann.post_bytes("/account/export", {
                "passphrase": "a long passphrase", "passphrase_again": "a long passphrase"}, form_page="/account")
            assert status == 200 and "attachment" in headers["Content-Disposition"]

            def upload(passphrase: str) -> aiohttp.FormData:
                form = aiohttp.FormData()
                form.add_field("file", blob, filename="satchel-wallet-export.satchel",
                               content_type="application/octet-stream")
                form.add_field("passphrase", passphrase)
                return form

            wrong = await again.post("/import", upload("not the passphrase"), form_page="/import")
            assert wrong.status == 400 and "does not open" in wrong.text
            assert second.wallet.store.account_by_did(did) is None
            restored = await again.post("/import", upload("a long passphrase"), form_page="/import")
            assert restored.status == 303 and restored.location == "/credentials?imported=1", restored.text[:500]
            listing = (await again.get("/credentials?imported=1")).text
            assert "Your wallet was imported" in listing and "Fractions" in listing and "Poetry" in listing
            assert did_on((await again.get("/account")).text) == did
            # The restored account keeps its password.
            await again.post("/logout", {}, form_page="/account")
            assert (await again.log_in("ann@example.org")).status == 303
        finally:
            await ann.close()
            await again.close()


async def test_login_is_rate_limited(tmp_path: Path) -> None:
    async with running_wallet(tmp_path / "w") as w:
        ann = Learner(w.url)
        try:
            await ann.sign_up("ann@example.org")
            await ann.post("/logout", {}, form_page="/account")
            statuses = [(await ann.log_in("ann@example.org", "wrong password")).status for _ in range(11)]
            assert statuses[:10] == [401] * 10 and statuses[10] == 429
            limited = await ann.log_in("ann@example.org")
            assert limited.status == 429 and "Too many attempts" in limited.text
        finally:
            await ann.close()


async def test_pages_have_labelled_inputs_and_one_h1(tmp_path: Path) -> None:
    issuer = generate_key_pair()
    async with running_wallet(tmp_path / "w") as w:
        ann = Learner(w.url)
        try:
            for path in ("/login", "/signup", "/import"):
                _check_accessible(path, (await ann.get(path)).text)
            await ann.sign_up("ann@example.org")
            did = did_on((await ann.get("/account")).text)
            await ann.post("/receive/files", files(("a.json", make_badge(issuer, did=did))), form_page="/receive")
            cred = re.findall(r'/credentials/([0-9a-f]{32})"', (await ann.get("/credentials")).text)[0]
            await ann.post("/shares", [("credential", cred)], form_page="/shares/new")
            for path in ("/account", "/receive", "/credentials", f"/credentials/{cred}", f"/credentials/{cred}/delete",
                         "/shares", "/shares/new"):
                page = await ann.get(path)
                assert page.status == 200, path
                _check_accessible(path, page.text)
                csrf_of(page.text)  # every page with a form carries the token
        finally:
            await ann.close()


def _check_accessible(path: str, text: str) -> None:
    assert text.count("<h1") == 1, path
    levels = [int(level) for level in re.findall(r"<h([1-6])", text)]
    assert all(b - a <= 1 for a, b in zip(levels, levels[1:])), (path, levels)
    labels = set(re.findall(r'<label for="([^"]+)"', text))
    for tag in re.findall(r"<(?:input|textarea|select)\b[^>]*>", text):
        if 'type="hidden"' in tag:
            continue
        match = re.search(r'id="([^"]+)"', tag)
        assert match and match.group(1) in labels, (path, tag)
    for img in re.findall(r"<img\b[^>]*>", text):
        assert re.search(r'alt="[^"]+"', img), (path, img)


async def test_the_status_line_follows_refreshes_and_never_claims_more_than_was_checked(tmp_path: Path) -> None:
    from aiohttp import web

    from credentials.statuslist import new_status_list, set_status
    from wallet.statusrefresh import refresh_status
    from wallet.testing import signed_status_list
    from webbase.testing import serving

    issuer, impostor = generate_key_pair(), generate_key_pair()
    bits = new_status_list()
    served: dict[str, object] = {}
    status_app = web.Application()

    async def serve(request: web.Request) -> web.Response:
        return web.json_response(served["list"])

    status_app.router.add_get("/status/1", serve)
    async with serving(status_app) as issuer_url, running_wallet(tmp_path / "w") as w:
        list_url = issuer_url + "/status/1"
        ann = Learner(w.url)
        try:
            await ann.sign_up("ann@example.org")
            did = did_on((await ann.get("/account")).text)
            await ann.post("/receive/files", files(("a.json", make_badge(issuer, did=did, name="Revocable",
                                                                          status_url=list_url))),
                           form_page="/receive")
            cred = re.findall(r'/credentials/([0-9a-f]{32})"', (await ann.get("/credentials")).text)[0]

            served["list"] = signed_status_list(issuer, list_url, bits)
            await refresh_status(w.wallet)
            detail = (await ann.get(f"/credentials/{cred}")).text
            assert re.search(r"<strong>Status:</strong> valid, as of \d{4}-\d\d-\d\dT", detail)

            # A list signed by someone else does not verify: the line falls back to "not checked since".
            set_status(bits, 3, 1)
            served["list"] = signed_status_list(impostor, list_url, bits)
            await refresh_status(w.wallet)
            before = re.findall(r"<strong>Status:</strong> valid, as of ([0-9T:Z-]+)", detail)
            listing = (await ann.get("/credentials")).text
            # The last verified list still stands, with its date; the impostor's list is not trusted.
            assert re.findall(r"<strong>Status:</strong> valid, as of ([0-9T:Z-]+)", listing) == before, listing
            assert "invalid" not in listing
            asked = await ann.post("/credentials/refresh", {}, form_page="/credentials")
            assert asked.status == 303 and "checking your badges" in (await ann.get(asked.location or "")).text
            assert "status-revoked" not in listing and "revoked, as of" not in listing

            made = await ann.post("/shares", [("credential", cred)], form_page="/shares/new")
            assert made.status == 303
            assert "Every badge verified at" in (await ann.get("/shares")).text
            served["list"] = signed_status_list(issuer, list_url, bits)
            await refresh_status(w.wallet)
            listing = (await ann.get("/credentials")).text
            assert re.search(r"<strong>Status:</strong> revoked, as of \d{4}-", listing), listing
            # The link was signed again: its page (and the learner's list of links) now says so.
            assert "Not everything verified" in (await ann.get("/shares")).text
            assert 'class="status status-revoked"' in listing
        finally:
            await ann.close()


async def test_login_returns_only_to_a_page_of_this_wallet(tmp_path: Path) -> None:
    async with running_wallet(tmp_path / "w") as w:
        ann = Learner(w.url)
        try:
            await ann.sign_up("ann@example.org")
            await ann.post("/logout", {}, form_page="/account")
            sent_away = await ann.get("/shares/new")
            assert sent_away.status == 303 and sent_away.location == "/login?next=/shares/new"
            back = await ann.post("/login", {"email": "ann@example.org", "password": "correct horse battery",
                                             "next": "/shares/new"}, form_page=sent_away.location)
            assert back.location == "/shares/new"
            await ann.post("/logout", {}, form_page="/account")
            for hostile in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
                page = await ann.post("/login", {"email": "ann@example.org", "password": "correct horse battery",
                                                 "next": hostile}, form_page="/login")
                assert page.status == 303 and page.location == "/credentials", hostile
                await ann.post("/logout", {}, form_page="/account")
        finally:
            await ann.close()


async def test_sign_up_mistakes_are_explained_and_the_form_keeps_the_email(tmp_path: Path) -> None:
    async with running_wallet(tmp_path / "w") as w:
        ann = Learner(w.url)
        try:
            short = await ann.post("/signup", {"email": "ann@example.org", "password": "short",
                                               "password_again": "short"})
            assert short.status == 400 and "at least 8 characters" in short.text
            assert 'value="ann@example.org"' in short.text
            differ = await ann.post("/signup", {"email": "ann@example.org", "password": "long enough 1",
                                                "password_again": "long enough 2"})
            assert differ.status == 400 and "not the same" in differ.text
            evil = await ann.post("/signup", {"email": '"><script>x</script>', "password": "long enough 1",
                                              "password_again": "long enough 1"})
            assert evil.status == 400 and "<script>" not in evil.text and "Not an email address" in evil.text
            await ann.sign_up("ann@example.org")
            await ann.post("/logout", {}, form_page="/account")
            taken = await ann.post("/signup", {"email": "ann@example.org", "password": "long enough 1",
                                               "password_again": "long enough 1"})
            assert taken.status == 409 and "exists already" in taken.text
        finally:
            await ann.close()


async def test_the_issuer_filter_offers_each_issuer_with_its_count(tmp_path: Path) -> None:
    riverside, hillcrest = generate_key_pair(), generate_key_pair()
    async with running_wallet(tmp_path / "w") as w:
        ann = Learner(w.url)
        try:
            await ann.sign_up("ann@example.org")
            did = did_on((await ann.get("/account")).text)
            badges = [make_badge(riverside, did=did, name="A"), make_badge(riverside, did=did, name="B"),
                      make_badge(hillcrest, did=did, name="C", issuer_name="Hillcrest Schools")]
            await ann.post("/receive/files", files(*[(f"{i}.json", b) for i, b in enumerate(badges)]),
                           form_page="/receive")
            page = (await ann.get(f"/credentials?issuer={hillcrest.did}")).text
            options = re.findall(r'<option value="([^"]*)"( selected)?>([^<]*)</option>', page)
            assert options[0][0] == "" and not options[0][1]
            assert (riverside.did, "", f"Riverside District (2): {riverside.did}") in options
            assert (hillcrest.did, " selected", f"Hillcrest Schools (1): {hillcrest.did}") in options
            assert "Riverside District (claimed by the credential)" not in page  # only Hillcrest's group is shown
        finally:
            await ann.close()


async def test_baked_png_svg_and_vc_jwt_files_through_the_form(tmp_path: Path) -> None:
    from credentials.baking import bake_png, bake_svg
    from credentials.vcjwt import sign_vc_jwt
    from wallet.testing import tiny_png

    issuer = generate_key_pair()
    async with running_wallet(tmp_path / "w") as w:
        ann = Learner(w.url)
        try:
            await ann.sign_up("ann@example.org")
            did = did_on((await ann.get("/account")).text)
            png = bake_png(tiny_png(), make_badge(issuer, did=did, name="Geometry"))
            svg = bake_svg('<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"></svg>',
                           make_badge(issuer, did=did, name="Algebra"))
            unsigned = make_badge(issuer, did=did, name="Statistics")
            unsigned.pop("proof")
            jwt = sign_vc_jwt(unsigned, signer=issuer)
            report = await ann.post("/receive/files", files(("geometry.png", png), ("algebra.svg", svg.encode()),
                                                            ("stats.jwt", jwt.encode())), form_page="/receive")
            assert report.status == 201 and "3 added" in report.text, report.text[:800]
            listing = (await ann.get("/credentials")).text
            for name in ("Geometry", "Algebra", "Statistics"):
                assert f">{name}</a>" in listing
            jwt_id = re.search(r'<a href="/credentials/([0-9a-f]{32})">Statistics</a>', listing)
            assert jwt_id
            detail = (await ann.get(f"/credentials/{jwt_id.group(1)}")).text
            assert "(VC-JWT)" in detail and jwt in detail and did in detail and "Riverside District" in detail
        finally:
            await ann.close()


async def test_older_badges_are_one_link_away_and_the_filters_stay(tmp_path: Path) -> None:
    from wallet.web.pages_credentials import PAGE_SIZE

    issuer = generate_key_pair()
    async with running_wallet(tmp_path / "w") as w:
        ann = Learner(w.url)
        try:
            await ann.sign_up("ann@example.org")
            did = did_on((await ann.get("/account")).text)
            badges = [make_badge(issuer, did=did, name=f"Badge {i:03}", tags=["many"]) for i in range(PAGE_SIZE + 1)]
            report = await ann.post("/receive/files", files(*[(f"{i}.json", b) for i, b in enumerate(badges)]),
                                    form_page="/receive")
            assert f"{PAGE_SIZE + 1} added" in report.text
            first = (await ann.get("/credentials?tag=many")).text
            shown = re.findall(r'<a href="/credentials/[0-9a-f]{32}">(Badge \d+)</a>', first)
            older = re.search(r'<a href="([^"]+)">Older badges</a>', first)
            assert len(shown) == PAGE_SIZE and older and "tag=many" in older.group(1)
            rest = (await ann.get(older.group(1).replace("&amp;", "&"))).text
            more = re.findall(r'<a href="/credentials/[0-9a-f]{32}">(Badge \d+)</a>', rest)
            assert len(more) == 1 and set(more).isdisjoint(shown) and "(continued)" in rest
            assert "Older badges" not in rest
        finally:
            await ann.close()


async def test_issuer_names_come_from_the_operators_trust_registry_when_it_lists_them(tmp_path: Path) -> None:
    from wallet.config import init_data_dir

    listed, unlisted, impostor = generate_key_pair(), generate_key_pair(), generate_key_pair()
    data_dir = tmp_path / "w"
    init_data_dir(data_dir, public_url=None)
    (data_dir / "registry.json").write_text(json.dumps(
        [{"did": listed.did, "name": "Riverside Unified School District", "url": "https://riverside.example.org"}]))
    async with running_wallet(data_dir) as w:
        ann = Learner(w.url)
        try:
            await ann.sign_up("ann@example.org")
            did = did_on((await ann.get("/account")).text)
            badges = [make_badge(listed, did=did, name="Listed", issuer_name="Riverside"),
                      make_badge(unlisted, did=did, name="Unlisted", issuer_name="Hillcrest Schools"),
                      make_badge(impostor, did=did, name="Fake", issuer_name="riverside unified  school district")]
            await ann.post("/receive/files", files(*[(f"{i}.json", b) for i, b in enumerate(badges)]),
                           form_page="/receive")
            listing = (await ann.get("/credentials")).text
            groups = {re.search(r"<h4[^>]*><a[^>]*>([^<]+)</a>", g).group(1): g  # type: ignore[union-attr]
                      for g in re.findall(r'<section class="issuer-group".*?</section>', listing, re.S)}
            assert "Riverside Unified School District <span class=\"claim\">(confirmed by this wallet&#39;s trust " \
                   "registry)</span>" in groups["Listed"]
            assert "Hillcrest Schools <span class=\"claim\">(claimed by the credential)</span>" in groups["Unlisted"]
            assert "(impersonation suspected)" in groups["Fake"] and listed.did in groups["Fake"]
            assert "Impersonation suspected:" in groups["Fake"]
            fake = re.search(r'<a href="/credentials/([0-9a-f]{32})">Fake</a>', listing)
            assert fake and "Impersonation suspected:" in (await ann.get(f"/credentials/{fake.group(1)}")).text
        finally:
            await ann.close()


def test_an_unreadable_registry_file_stops_the_wallet_with_the_reason(tmp_path: Path) -> None:
    import pytest

    from wallet.config import init_data_dir, load_config
    from wallet.context import open_wallet
    from wallet.errors import Refused
    from wallet.web.app import create_app

    init_data_dir(tmp_path / "w", public_url="http://127.0.0.1:1")
    (tmp_path / "w" / "registry.json").write_text('{"not": "a registry"}')
    wallet = open_wallet(load_config(tmp_path / "w"))
    try:
        with pytest.raises(Refused) as caught:
            create_app(wallet, background_refresh=False)
        assert caught.value.code == "bad_registry" and "registry.json is not a trust registry" in caught.value.detail
    finally:
        wallet.close()
