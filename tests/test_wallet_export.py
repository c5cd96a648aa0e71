"""Leaving a wallet: export one account as an encrypted file, import it on a second wallet server."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import aiohttp

from credentials.keys import generate_key_pair
from wallet.testing import PASSWORD, bearer, confirmation_link, issue_badge, running_wallet, sign_up

PASSPHRASE = "a long and private passphrase"


async def _fill_wallet(data_dir: Path) -> dict[str, Any]:
    """Ann with two emails (one confirmed), two badges, a live link and a revoked one."""
    issuer = generate_key_pair()
    async with running_wallet(data_dir, public_url="https://wallet-a.example") as w, aiohttp.ClientSession() as http:
        account, token = await sign_up(http, w.url, "ann@example.org")
        async with http.post(f"{w.url}/api/emails", json={"email": "ann.work@district.example"}, headers=bearer(token)):
            pass
        async with http.get(confirmation_link(w.wallet, "ann.work@district.example").replace("https://wallet-a.example", w.url)):
            pass
        ids = []
        for badge in (issue_badge(issuer, did=account["did"], name="Fractions"),
                      issue_badge(issuer, email="ann.work@district.example", name="Work badge")):
            async with http.post(f"{w.url}/api/credentials", json={"credential": badge}, headers=bearer(token)) as r:
                ids.append((await r.json())["added"][0]["id"])
        expires = (datetime.now(timezone.utc) + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
        async with http.post(f"{w.url}/api/shares", json={"credentials": ids, "expires": expires, "note": "panel"},
                             headers=bearer(token)) as r:
            live = await r.json()
        async with http.post(f"{w.url}/api/shares", json={"credentials": ids[:1]}, headers=bearer(token)) as r:
            dead = await r.json()
        async with http.delete(f"{w.url}/api/shares/{dead['id']}", headers=bearer(token)):
            pass
        return {"did": account["did"], "ids": ids, "live": live, "dead": dead, "expires": expires}


def _accounts(data_dir: Path) -> int:
    with sqlite3.connect(data_dir / "wallet.db") as db:
        return int(db.execute("SELECT count(*) FROM accounts").fetchone()[0])


def test_export_then_import_restores_the_account_on_a_second_wallet(tmp_path: Path,
                                                                    satchel: Callable[..., Any]) -> None:
    before = asyncio.run(_fill_wallet(tmp_path / "a"))
    secret = tmp_path / "passphrase.txt"
    secret.write_text(PASSPHRASE + "\n")
    out = tmp_path / "ann.satchel"
    result = satchel("wallet", "export", "--data-dir", str(tmp_path / "a"), "--account", "ann@example.org",
                     "--out", str(out), "--passphrase-file", str(secret))
    assert result.code == 0, result.err
    assert b"Fractions" not in out.read_bytes() and b"ann@example.org" not in out.read_bytes()
    assert satchel("wallet", "init", "--data-dir", str(tmp_path / "b"), "--public-url", "https://wallet-b.example").code == 0
    result = satchel("wallet", "import", "--data-dir", str(tmp_path / "b"), str(out), "--passphrase-file", str(secret))
    assert result.code == 0, result.err
    assert before["did"] in result.out

    async def check_b() -> None:
        async with running_wallet(tmp_path / "b", public_url="https://wallet-b.example") as w, \
                aiohttp.ClientSession() as http:
            async with http.post(f"{w.url}/api/tokens", json={"email": "ann@example.org", "password": PASSWORD}) as r:
                assert r.status == 201  # the same password logs in
                token = (await r.json())["token"]
            async with http.get(f"{w.url}/api/account", headers=bearer(token)) as r:
                me = await r.json()
            assert me["did"] == before["did"]
            assert {(e["email"], e["confirmed"]) for e in me["emails"]} == {
                ("ann@example.org", False), ("ann.work@district.example", True)}
            async with http.get(f"{w.url}/api/credentials", headers=bearer(token)) as r:
                held = (await r.json())["items"]
            assert sorted(h["id"] for h in held) == sorted(before["ids"])
            assert {h["name"] for h in held} == {"Fractions", "Work badge"}
            async with http.get(f"{w.url}/api/shares", headers=bearer(token)) as r:
                shares = {s["id"]: s for s in (await r.json())["shares"]}
            live, dead = shares[before["live"]["id"]], shares[before["dead"]["id"]]
            assert live["url"].rsplit("/", 1)[1] == before["live"]["url"].rsplit("/", 1)[1]
            assert live["note"] == "panel" and live["expires"] == before["expires"] and live["active"]
            assert dead["revokedAt"] is not None
            token_path = "/s/" + live["url"].rsplit("/", 1)[1]
            async with http.get(w.url + token_path + ".json") as r:
                assert r.status == 200
                assert (await r.json())["proof"]["domain"] == "https://wallet-b.example"
            async with http.get(w.url + "/s/" + dead["url"].rsplit("/", 1)[1]) as r:
                assert r.status == 410
        # The old link keeps working on the first server.
        async with running_wallet(tmp_path / "a", public_url="https://wallet-a.example") as w, \
                aiohttp.ClientSession() as http:
            async with http.get(w.url + "/s/" + before["live"]["url"].rsplit("/", 1)[1] + ".json") as r:
                assert r.status == 200

    asyncio.run(check_b())
    # The same export again: the account is there already, nothing changes.
    again = satchel("wallet", "import", "--data-dir", str(tmp_path / "b"), str(out), "--passphrase-file", str(secret))
    assert again.code == 2 and "already" in again.err and _accounts(tmp_path / "b") == 1


def test_a_wrong_passphrase_or_a_changed_byte_writes_nothing(tmp_path: Path, satchel: Callable[..., Any]) -> None:
    asyncio.run(_fill_wallet(tmp_path / "a"))
    secret, wrong = tmp_path / "right.txt", tmp_path / "wrong.txt"
    secret.write_text(PASSPHRASE)
    wrong.write_text("not the passphrase at all")
    out = tmp_path / "ann.satchel"
    assert satchel("wallet", "export", "--data-dir", str(tmp_path / "a"), "--account", "ann@example.org",
                   "--out", str(out), "--passphrase-file", str(secret)).code == 0
    assert satchel("wallet", "init", "--data-dir", str(tmp_path / "c")).code == 0
    result = satchel("wallet", "import", "--data-dir", str(tmp_path / "c"), str(out), "--passphrase-file", str(wrong))
    assert result.code == 2 and result.err.startswith("error: ") and "passphrase" in result.err
    assert _accounts(tmp_path / "c") == 0
    data = bytearray(out.read_bytes())
    data[len(data) // 2] ^= 0x01
    changed = tmp_path / "changed.satchel"
    changed.write_bytes(bytes(data))
    result = satchel("wallet", "import", "--data-dir", str(tmp_path / "c"), str(changed), "--passphrase-file", str(secret))
    assert result.code == 2 and _accounts(tmp_path / "c") == 0
    # Without a passphrase file and with no terminal to ask on, the command refuses.
    result = satchel("wallet", "import", "--data-dir", str(tmp_path / "c"), str(out), stdin="")
    assert result.code == 2 and "--passphrase-file" in result.err
    assert satchel("wallet", "export", "--data-dir", str(tmp_path / "a"), "--account", "nobody@example.org",
                   "--out", str(tmp_path / "x"), "--passphrase-file", str(secret)).code == 2


async def test_export_and_import_over_http(tmp_path: Path) -> None:
    issuer = generate_key_pair()
    async with running_wallet(tmp_path / "a") as a, running_wallet(tmp_path / "b") as b, \
            aiohttp.ClientSession() as http:
        account, token = await sign_up(http, a.url, "ann@example.org")
        async with http.post(f"{a.url}/api/credentials", json={"credential": issue_badge(issuer, did=account["did"])},
                             headers=bearer(token)) as r:
            assert r.status == 201
        async with http.post(f"{a.url}/api/export", json={"passphrase": "short"}, headers=bearer(token)) as r:
            assert r.status == 400
        async with http.post(f"{a.url}/api/export", json={"passphrase": PASSPHRASE}, headers=bearer(token)) as r:
            assert r.status == 200 and r.content_type == "application/octet-stream"
            blob = await r.read()
        form = aiohttp.FormData()
        form.add_field("file", blob, filename="ann.satchel", content_type="application/octet-stream")
        form.add_field("passphrase", "wrong passphrase!")
        async with http.post(f"{b.url}/api/import", data=form) as r:
            assert r.status == 400 and (await r.json())["type"].endswith(":export_unreadable")
        form = aiohttp.FormData()
        form.add_field("file", blob, filename="ann.satchel", content_type="application/octet-stream")
        form.add_field("passphrase", PASSPHRASE)
        async with http.post(f"{b.url}/api/import", data=form) as r:
            assert r.status == 201 and (await r.json())["did"] == account["did"]
