"""No secret in a log or an error body: a full run of the issuer node and the wallet, every log line kept.

The run: the node is initialised with its key encrypted under a passphrase; an admin and a
reviewer sign in with passwords (after a wrong one); API tokens are used (and a wrong one);
a teacher applies, the reviewer approves on the page, the offer goes out by SMTP and is
redeemed into a wallet account made with a password; a second offer with a transaction code
is tried with a wrong code, then the right one; the teacher shares, exports with a
passphrase, fails to import with a wrong one, confirms an email, opens her status page and
downloads her badge. Both servers run in this process with every logger at DEBUG (aiohttp's
access log included), so ``caplog`` holds every record either server wrote.

Then every record (message, arguments, traceback) and every error body (status >= 400) is
searched for every secret (a refused form may show its sender the non-password values they
typed, such as the offer they pasted): the node's private key (Multikey multibase, base58, hex, base64url
as in a JWK, base64), the key passphrase, the passwords, the API tokens, the session cookie
values, the offer tokens and pre-authorized codes, the tx_codes, the share token, the
applicant's key, the download and email confirmation tokens, the export passphrase. Success
bodies may hand a secret to its owner (a token to whoever logged in) but never a password,
a passphrase or the private key.
"""

from __future__ import annotations

import asyncio
import base64
import io
import json
import logging
import re
import traceback
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from smtp_sink import Sink, smtp  # noqa: F401
from yarl import URL

from credentials.multibase import decode_base58btc
from issuer_node.accounts import add_user, issue_api_token
from issuer_node.app import adopt_bound_url, create_app
from issuer_node.awards import pre_authorized_code
from issuer_node.config import IssuerConfig, Secret
from issuer_node.provisioning import init_node
from issuer_node.state import NODE
from issuer_node.storage import open_store
from wallet.testing import confirmation_link, running_wallet
from webbase.testing import serving

KEY_PASSPHRASE = "district key passphrase 7Qx!"
LEARNER_PASSWORD = "teacher password 4Zr%"
WRONG_PASSWORD = "not-the-password-0Kd"
EXPORT_PASSPHRASE = "export passphrase 9Wm&"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PRE_AUTHORIZED = "urn:ietf:params:oauth:grant-type:pre-authorized_code"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class Recorder:
    """Every HTTP answer of the run, kept for the search."""

    def __init__(self) -> None:
        self.answers: list[tuple[str, int, str, str]] = []

    async def call(self, http: aiohttp.ClientSession, method: str, url: str, **kwargs: Any) -> tuple[int, str, Any]:
        sent = repr(kwargs.get("data")) + repr(kwargs.get("json")) + url  # what the caller itself sent
        if isinstance(kwargs.get("data"), aiohttp.FormData):
            sent += repr(kwargs["data"]._fields)
        async with http.request(method, url, allow_redirects=False, **kwargs) as r:
            text = (await r.read()).decode("utf-8", "replace")
            self.answers.append((f"{method} {URL(url).path}", r.status, text, sent))
            return r.status, text, r.headers

    async def csrf(self, http: aiohttp.ClientSession, url: str) -> str:
        _, page, _ = await self.call(http, "GET", url)
        match = _CSRF.search(page)
        assert match, url
        return match.group(1)


def key_forms(secret_multibase: str) -> list[str]:
    """The node's private key as it could be written anywhere: multibase, base58, hex, base64url, base64."""
    raw = decode_base58btc(secret_multibase)
    seed = raw[-32:]
    return [secret_multibase, secret_multibase[1:], seed.hex(), raw.hex(),
            base64.urlsafe_b64encode(seed).decode().rstrip("="), base64.b64encode(seed).decode().rstrip("=")]


def log_text(records: list[logging.LogRecord]) -> str:
    """Each record as any handler could render it: the message, its raw arguments, its traceback."""
    lines = []
    formatter = logging.Formatter()
    for record in records:
        lines.append(record.getMessage())
        lines.append(repr(record.args))
        if record.exc_info:
            lines.append(formatter.formatException(record.exc_info))
        if record.stack_info:
            lines.append(record.stack_info)
    return "\n".join(lines)


def cookie_values(http: aiohttp.ClientSession) -> list[str]:
    return [cookie.value for cookie in http.cookie_jar if cookie.key.endswith("_session") and cookie.value]


@pytest.mark.slow
async def test_a_full_run_writes_no_secret_to_a_log_or_an_error_body(
        tmp_path: Any, caplog: pytest.LogCaptureFixture, smtp: tuple[Sink, int]) -> None:
    caplog.set_level(logging.DEBUG)
    for name in list(logging.root.manager.loggerDict):
        logging.getLogger(name).setLevel(logging.DEBUG)
    sink, port = smtp
    rec = Recorder()
    secrets: dict[str, str] = {"key passphrase": KEY_PASSPHRASE, "learner password": LEARNER_PASSWORD,
                               "export passphrase": EXPORT_PASSPHRASE}
    never_returned = {"key passphrase", "learner password", "export passphrase", "admin password",
                      "reviewer password"}

    data = tmp_path / "node"
    result = init_node(data, name="Riverside USD", url="https://riverside.example.org",
                       passphrase=Secret(KEY_PASSPHRASE.encode()))
    secrets["admin API token"] = result.admin_token
    store = open_store(data / "issuer.db")
    try:
        admin = add_user(store, "alex@riverside.example.org", "admin")
        reviewer = add_user(store, "rita@riverside.example.org", "reviewer")
        secrets["admin password"], secrets["reviewer password"] = admin.password, reviewer.password
        secrets["reviewer API token"] = issue_api_token(store, reviewer.user)
    finally:
        store.close()
    app = create_app(IssuerConfig(data_dir=data, smtp=("127.0.0.1", port), passphrase=Secret(KEY_PASSPHRASE.encode())))
    signing_key = app[NODE].key
    assert signing_key is not None
    for number, written in enumerate(key_forms(signing_key.secret_key_multibase())):
        secrets[f"issuer private key ({number})"] = written
        never_returned.add(f"issuer private key ({number})")
    jar = aiohttp.CookieJar(unsafe=True)
    async with serving(app) as node_url, running_wallet(tmp_path / "w") as w, \
            aiohttp.ClientSession() as api, aiohttp.ClientSession(cookie_jar=jar) as operator, \
            aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as learner:
        adopt_bound_url(app, node_url)
        admin_auth = {"Authorization": f"Bearer {result.admin_token}"}
        status, body, _ = await rec.call(api, "POST", f"{node_url}/api/achievements", headers=admin_auth, json={
            "name": "Classroom Data Literacy", "description": "Uses student data to plan lessons",
            "criteria": {"narrative": "A lesson plan built on a class dashboard"}, "achievementType": "Badge"})
        assert status == 201, body
        achievement = json.loads(body)
        # A wrong token, then a right one on an unknown id: errors that must not echo a secret.
        await rec.call(api, "GET", f"{node_url}/api/applications", headers={
            "Authorization": f"Bearer {result.admin_token[::-1]}"})
        await rec.call(api, "GET", f"{node_url}/api/awards/nothere", headers=admin_auth)

        # The teacher applies; her private status link holds her key.
        form = aiohttp.FormData()
        for name, value in (("name", "Ana Ruiz"), ("email", "ana@school.example"), ("achievement", achievement["id"]),
                            ("narrative", "My lesson plan"), ("evidence_url", "https://video.example/ana")):
            form.add_field(name, value)
        form.add_field("file", io.BytesIO(PDF), filename="plan.pdf", content_type="application/pdf")
        status, body, _ = await rec.call(api, "POST", f"{node_url}/api/applications", data=form)
        assert status == 201, body
        created = json.loads(body)
        application, key = created["id"], re.search(r"key=([A-Za-z0-9_-]+)", created["status_url"]).group(1)  # type: ignore[union-attr]
        secrets["applicant key"] = key
        await rec.call(api, "GET", f"{node_url}/applications/{application}?key={key}")
        await rec.call(api, "GET", f"{node_url}/applications/{application}?key={key[::-1]}")

        # The reviewer signs in (a wrong password first) and approves on the page.
        for password in (WRONG_PASSWORD, reviewer.password):
            token = await rec.csrf(operator, f"{node_url}/admin/login")
            await rec.call(operator, "POST", f"{node_url}/admin/login", data={
                "csrf_token": token, "email": reviewer.user.email, "password": password})
        token = await rec.csrf(operator, f"{node_url}/admin/applications/{application}")
        status, body, _ = await rec.call(operator, "POST", f"{node_url}/admin/applications/{application}/decision",
                                         data={"csrf_token": token, "decision": "approve", "feedback": "",
                                               "score_0": "3"})
        assert status == 303, body
        secrets["issuer session cookie"] = cookie_values(operator)[0]
        status, body, _ = await rec.call(api, "GET", f"{node_url}/api/applications/{application}?key={key}")
        offer_url = json.loads(body)["offer"]["offerUrl"]
        offer_token = offer_url.rsplit("%2F", 1)[1]
        secrets["offer token"], secrets["pre-authorized code"] = offer_token, pre_authorized_code(offer_token)
        for _ in range(100):
            if any(offer_token in m.get_content() for m in sink.messages):
                break
            await asyncio.sleep(0.05)

        # The teacher makes her wallet (a wrong password on login first) and redeems the offer.
        token = await rec.csrf(learner, f"{w.url}/signup")
        status, body, _ = await rec.call(learner, "POST", f"{w.url}/signup", data={
            "csrf_token": token, "email": "ana@school.example", "password": LEARNER_PASSWORD,
            "password_again": LEARNER_PASSWORD})
        assert status == 303, body
        await rec.call(api, "POST", f"{w.url}/api/tokens", json={"email": "ana@school.example",
                                                                  "password": WRONG_PASSWORD})
        token = await rec.csrf(api, f"{w.url}/login")
        await rec.call(api, "POST", f"{w.url}/login", data={"csrf_token": token, "email": "ana@school.example",
                                                             "password": WRONG_PASSWORD})
        status, body, _ = await rec.call(api, "POST", f"{w.url}/api/tokens", json={
            "email": "ana@school.example", "password": LEARNER_PASSWORD})
        wallet_token = json.loads(body)["token"]
        secrets["wallet API token"] = wallet_token
        secrets["wallet session cookie"] = cookie_values(learner)[0]
        mine = {"Authorization": f"Bearer {wallet_token}"}
        status, body, _ = await rec.call(api, "POST", f"{w.url}/api/credentials", headers=mine,
                                         json={"offer": offer_url})
        assert status in (200, 201), body

        # A second offer needs a transaction code: a wrong one first (on the page), then the right one.
        status, body, _ = await rec.call(api, "POST", f"{node_url}/api/awards", headers=admin_auth, json={
            "achievement": achievement["id"], "email": "ana@school.example", "txCode": True})
        award = json.loads(body)
        secrets["tx_code"] = award["txCode"]
        second_token = award["credentialOfferUri"].rsplit("/", 1)[1]
        secrets["second offer token"] = second_token
        secrets["second pre-authorized code"] = pre_authorized_code(second_token)
        wrong_code = f"{(int(award['txCode']) + 1) % 1_000_000:06d}"
        token = await rec.csrf(learner, f"{w.url}/receive")
        await rec.call(learner, "POST", f"{w.url}/receive/offer", data={
            "csrf_token": token, "offer": award["offerUrl"], "tx_code": wrong_code})
        status, body, _ = await rec.call(api, "POST", f"{w.url}/api/credentials", headers=mine,
                                         json={"offer": award["offerUrl"], "tx_code": award["txCode"]})
        assert status in (200, 201), body
        held = json.loads(body)["added"][0]["id"]

        # She shares, exports, fails an import with a wrong passphrase, confirms an email, downloads.
        status, body, _ = await rec.call(api, "POST", f"{w.url}/api/shares", headers=mine, json={"credentials": [held]})
        share_url = json.loads(body)["url"]
        secrets["share token"] = share_url.rsplit("/", 1)[1]
        await rec.call(api, "GET", share_url)
        await rec.call(api, "GET", share_url + ".json")
        status, exported, _ = await rec.call(api, "POST", f"{w.url}/api/export", headers=mine,
                                             json={"passphrase": EXPORT_PASSPHRASE})
        assert status == 200
        async with api.post(f"{w.url}/api/export", headers=mine, json={"passphrase": EXPORT_PASSPHRASE}) as r:
            blob = await r.read()
        await rec.call(api, "POST", f"{w.url}/api/export", headers=mine, json={"passphrase": "short"})
        import_form = aiohttp.FormData()
        import_form.add_field("passphrase", EXPORT_PASSPHRASE[::-1] + " wrong")
        import_form.add_field("file", io.BytesIO(blob), filename="export.satchel", content_type="application/octet-stream")
        token = await rec.csrf(api, f"{w.url}/import")
        import_form.add_field("csrf_token", token)
        await rec.call(api, "POST", f"{w.url}/import", data=import_form)
        api_import = aiohttp.FormData()
        api_import.add_field("passphrase", "wrong " + EXPORT_PASSPHRASE[:5])
        api_import.add_field("file", io.BytesIO(blob), filename="export.satchel", content_type="application/octet-stream")
        await rec.call(api, "POST", f"{w.url}/api/import", data=api_import)
        await rec.call(api, "POST", f"{w.url}/api/emails", headers=mine, json={"email": "ana.work@school.example"})
        confirm = confirmation_link(w.wallet, "ana.work@school.example")
        secrets["email confirmation token"] = confirm.rsplit("/", 1)[1]
        await rec.call(api, "GET", confirm)
        await rec.call(api, "GET", confirm + "x")
        status, body, _ = await rec.call(api, "GET", f"{node_url}/api/awards/{award['id']}", headers=admin_auth)
        downloads = json.loads(body).get("downloads") or {}
        for link in downloads.values():
            secrets.setdefault("download token", re.search(r"token=([^&]+)", link).group(1))  # type: ignore[union-attr]
            await rec.call(api, "GET", link)
        assert "download token" in secrets, body
        await rec.call(api, "GET", downloads["json"].replace("token=", "token=x"))
        # Signed out, the old session cookie is refused, and says nothing.
        token = await rec.csrf(operator, f"{node_url}/admin/applications")
        await rec.call(operator, "POST", f"{node_url}/admin/logout", data={"csrf_token": token})
        await asyncio.sleep(0.2)  # let the outbox finish its last send

    # The SMTP sink's own debug log (aiosmtpd's "mail.log") is the mail server's, which is meant to get the offer.
    logs = log_text([r for r in caplog.records if not r.name.startswith("mail.log")])
    assert "aiohttp.access" in {r.name for r in caplog.records}, "the access log was not captured"
    assert len(caplog.records) > 50
    leaks = [f"{what} in the log: " + " | ".join(line[:300] for line in logs.splitlines() if value in line)
             for what, value in secrets.items() if value in logs]
    for where, status, body, sent in rec.answers:
        for what, value in secrets.items():
            # A refused form may show its sender what they typed (the offer they pasted), never a password,
            # a passphrase or the key, and never a secret the sender did not send.
            echoed = value in sent and what not in never_returned
            if value in body and (status >= 400 or what in never_returned) and not echoed:
                leaks.append(f"{what} in the {status} answer to {where}")
    assert leaks == [], "\n".join(leaks)


def test_the_access_log_hides_capabilities_but_keeps_ids() -> None:
    from webbase.accesslog import redact_target

    assert redact_target(URL("/s/Zq3vYk1fJd9sLx0aPq7rTb2nWc5hEe4u")) == "/s/[redacted]"
    assert redact_target(URL("/s/Zq3vYk1fJd9sLx0aPq7rTb2nWc5hEe4u.json")) == "/s/[redacted].json"
    assert redact_target(URL("/offers/6DRGNuwfaC812Y4v_qQPqLtOF24c-uye5awOz8TKJjs/qr.png")) == "/offers/[redacted]/qr.png"
    uuid = "3f0b7a52-8f0e-4a43-9d6c-0d7d2b1c5e41"
    assert redact_target(URL(f"/applications/{uuid}?key=abc&lang=en")) == f"/applications/{uuid}?key=[redacted]&lang=en"
    assert redact_target(URL(f"/credentials/{uuid}/download.png?token=xyz")) == \
        f"/credentials/{uuid}/download.png?token=[redacted]"
    assert redact_target(URL("/api/credentials/7442d0d0275f4e5398e45c231232cb7c")) == \
        "/api/credentials/7442d0d0275f4e5398e45c231232cb7c"
    assert redact_target(URL("/admin/achievements?created=1")) == "/admin/achievements?created=1"


def test_a_wrong_key_passphrase_is_refused_without_echoing_either_passphrase(tmp_path: Any) -> None:
    from issuer_node.node import open_node

    init_node(tmp_path / "n", name="Riverside USD", url="https://riverside.example.org",
              passphrase=Secret(KEY_PASSPHRASE.encode()))
    wrong = "a wrong passphrase 3Vb#"
    with pytest.raises(Exception) as refused:
        open_node(IssuerConfig(data_dir=tmp_path / "n", passphrase=Secret(wrong.encode())))
    text = f"{refused.value!s} {refused.value!r} " + "".join(traceback.format_exception(refused.value))
    assert KEY_PASSPHRASE not in text and wrong not in text
    assert "passphrase" in str(refused.value).lower()


@pytest.mark.slow
async def test_a_served_wallet_writes_no_secret_to_stdout_or_stderr(tmp_path: Any) -> None:
    """The real ``satchel wallet serve`` (its logging set up as in production: INFO, access log on), in a child
    process: sign-up, a wrong and a right login, a share and its page, an email confirmation; then its whole
    stdout and stderr are searched for the password, the API token, the share token and the confirmation token."""
    import os
    import sqlite3
    import subprocess
    import sys

    from credentials.keys import generate_key_pair
    from wallet.testing import issue_badge

    netguard = str(Path(__file__).resolve().parent / "netguard")
    data = tmp_path / "w"
    env = dict(os.environ, PYTHONPATH=netguard, PYTHONUNBUFFERED="1")
    subprocess.run([sys.executable, "-m", "satchel", "wallet", "init", "--data-dir", str(data)], env=env, check=True,
                   capture_output=True, timeout=60)
    server = subprocess.Popen([sys.executable, "-m", "satchel", "wallet", "serve", "--data-dir", str(data),
                               "--port", "0"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    secrets: dict[str, str] = {"learner password": LEARNER_PASSWORD}
    try:
        assert server.stdout is not None
        line = await asyncio.wait_for(asyncio.to_thread(server.stdout.readline), 60)
        found = re.search(r"listening on (http://\S+)", line)
        assert found, line
        url = found.group(1)
        async with aiohttp.ClientSession() as http:
            async with http.post(f"{url}/api/accounts", json={"email": "ana@school.example",
                                                               "password": LEARNER_PASSWORD}) as r:
                account = await r.json()
            async with http.post(f"{url}/api/tokens", json={"email": "ana@school.example",
                                                             "password": WRONG_PASSWORD}) as r:
                assert r.status == 401
            async with http.post(f"{url}/api/tokens", json={"email": "ana@school.example",
                                                             "password": LEARNER_PASSWORD}) as r:
                token = (await r.json())["token"]
            secrets["wallet API token"] = token
            mine = {"Authorization": f"Bearer {token}"}
            badge = issue_badge(generate_key_pair(), did=account["did"])
            async with http.post(f"{url}/api/credentials", json={"credential": badge}, headers=mine) as r:
                held = (await r.json())["added"][0]["id"]
            async with http.post(f"{url}/api/shares", json={"credentials": [held]}, headers=mine) as r:
                share = (await r.json())["url"]
            secrets["share token"] = share.rsplit("/", 1)[1]
            for suffix in ("", ".json"):
                async with http.get(share + suffix) as r:
                    assert r.status == 200
            async with http.post(f"{url}/api/emails", json={"email": "ana.work@school.example"}, headers=mine) as r:
                assert r.status == 201
            with sqlite3.connect(data / "wallet.db") as db:
                body = db.execute("SELECT body FROM outbox ORDER BY id DESC LIMIT 1").fetchone()[0]
            db.close()
            confirm = re.search(r"https?://\S+/confirm/(\S+)", body)
            assert confirm, body
            secrets["email confirmation token"] = confirm.group(1)
            async with http.get(f"{url}/confirm/{confirm.group(1)}") as r:
                assert r.status == 200
    finally:
        server.terminate()
        out, err = server.communicate(timeout=30)
    output = line + out + err
    assert "GET /s/[redacted] HTTP" in output and "GET /confirm/[redacted] HTTP" in output, output[-2000:]
    assert [what for what, value in secrets.items() if value in output] == []
