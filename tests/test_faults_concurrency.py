"""Races: one credential imported 20 times at once, 20 status changes at once, one export imported by two wallets.

Real servers on 127.0.0.1 (the issuer node as a child process, so its thread
pool races for real), parallel HTTP calls, real SQLite files. What a user cares
about: a badge is held once whatever the client retries; a district's status
list after a burst of revocations is one list, signed by the district, with
exactly the revoked badges set; an export restores the same account anywhere.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from conftest import NETGUARD_DIR, REPO, run_subprocess

from credentials.dataintegrity import verify_proof
from credentials.keys import generate_key_pair
from credentials.loader import bundled_loader
from credentials.resolver import KeyResolver
from credentials.statuslist import decode_encoded_list, get_status
from wallet.testing import PASSWORD, bearer, issue_badge, running_wallet, sign_up

pytestmark = pytest.mark.slow

PARALLEL = 20


async def test_20_parallel_imports_of_one_credential_store_it_once(tmp_path: Path) -> None:
    async with running_wallet(tmp_path / "w") as w, aiohttp.ClientSession() as http:
        account, token = await sign_up(http, w.url, "ann@example.org")
        badge = issue_badge(generate_key_pair(), did=account["did"], name="Fractions")

        async def send() -> tuple[int, dict[str, Any]]:
            async with http.post(f"{w.url}/api/credentials", json={"credential": badge}, headers=bearer(token)) as r:
                return r.status, await r.json()

        answers = await asyncio.gather(*(send() for _ in range(PARALLEL)))
        statuses = sorted(status for status, _ in answers)
        assert statuses == [200] * (PARALLEL - 1) + [201], answers
        added = [body["added"] for _, body in answers if body["added"]]
        assert len(added) == 1 and len(added[0]) == 1
        held_id = added[0][0]["id"]
        # Each of the other 19 answers "already held", naming the one stored copy; none refused.
        assert all([d["id"] for d in body["duplicates"]] == [held_id] and body["refused"] == []
                   for _, body in answers if not body["added"])
        async with http.get(f"{w.url}/api/credentials", headers=bearer(token)) as r:
            assert [item["id"] for item in (await r.json())["items"]] == [held_id]
    with sqlite3.connect(tmp_path / "w" / "wallet.db") as db:
        assert db.execute("SELECT count(*) FROM credentials").fetchone()[0] == 1


# --- 20 status changes at once on one issuer node ---------------------------------------------------

@contextmanager
def served_node(data: Path) -> Iterator[str]:
    env = dict(os.environ, PYTHONPATH=str(NETGUARD_DIR))
    proc = subprocess.Popen([sys.executable, "-m", "satchel", "issuer", "serve", "--data-dir", str(data), "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env, cwd=REPO)
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:"), url
        yield url
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=20)


def _bits_set(document: dict[str, Any]) -> set[int]:
    bits = decode_encoded_list(document["credentialSubject"]["encodedList"])
    return {i for i in range(len(bits) * 8) if bits[i // 8] and get_status(bits, i)}


def test_20_parallel_revocations_and_suspensions_leave_one_consistent_signed_list(tmp_path: Path) -> None:
    data = tmp_path / "node"
    init = run_subprocess("issuer", "init", "--data-dir", str(data), "--name", "Riverside USD",
                          "--url", "https://riverside.example.org")
    assert init.code == 0, init.err
    did, admin = init.out.split()[:2]
    holders = [generate_key_pair().did for _ in range(2 * PARALLEL)]

    async def scenario(url: str, achievement: str) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]:
        auth = bearer(admin)
        async with aiohttp.ClientSession() as http:
            async def issue(holder: str) -> dict[str, Any]:
                async with http.post(f"{url}/credentials/issue", headers=auth, json={
                        "credential": {"achievement": achievement, "recipient": {"did": holder}}}) as r:
                    assert r.status == 201, await r.text()
                    return dict((await r.json())["verifiableCredential"])

            issued = list(await asyncio.gather(*(issue(h) for h in holders)))

            async def change(credential: dict[str, Any], action: str) -> int:
                key = credential["id"].rsplit("/", 1)[-1]
                async with http.post(f"{url}/api/credentials/{key}/{action}", headers=auth,
                                     json={"reason": "test of a burst"}) as r:
                    assert r.status == 200, await r.text()
                    return r.status

            # Ten revoked and ten suspended, all at once; the other twenty untouched.
            actions = ["revoke"] * (PARALLEL // 2) + ["suspend"] * (PARALLEL // 2)
            await asyncio.gather(*(change(c, a) for c, a in zip(issued, actions, strict=False)))
            lists: dict[str, dict[str, Any]] = {}
            for entry in (e for c in issued for e in c["credentialStatus"]):
                if entry["statusListCredential"] not in lists:
                    async with http.get(entry["statusListCredential"]) as r:
                        assert r.status == 200
                        lists[entry["statusListCredential"]] = await r.json()
            return issued, lists

    with served_node(data) as url:
        added = run_subprocess("issuer", "achievement", "add", "--data-dir", str(data), "--name", "Coding Club",
                               "--description", "Runs a coding club", "--criteria", "Ran a club for a term")
        assert added.code == 0, added.err
        issued, lists = asyncio.run(scenario(url, added.out.strip()))

    expected = {"revocation": set(), "suspension": set()}  # type: dict[str, set[tuple[str, int]]]
    for credential in issued[:PARALLEL // 2]:
        expected["revocation"] |= {(e["statusListCredential"], int(e["statusListIndex"]))
                                   for e in credential["credentialStatus"] if e["statusPurpose"] == "revocation"}
    for credential in issued[PARALLEL // 2:PARALLEL]:
        expected["suspension"] |= {(e["statusListCredential"], int(e["statusListIndex"]))
                                   for e in credential["credentialStatus"] if e["statusPurpose"] == "suspension"}
    assert len(expected["revocation"]) == len(expected["suspension"]) == PARALLEL // 2
    # One list per purpose here (a fresh node), each signed by the node itself and verifying.
    assert len(lists) == 2
    for list_url, document in lists.items():
        assert document["issuer"] == did
        verify_proof(document, document["proof"], loader=bundled_loader(), resolver=KeyResolver(),
                     purpose="assertionMethod")  # raises when the list's own signature does not hold
        purpose = document["credentialSubject"]["statusPurpose"]
        assert {(list_url, i) for i in _bits_set(document)} == expected[purpose], purpose
    # The database agrees: each list's signed copy is of its latest bits, and no index was given twice.
    with sqlite3.connect(data / "issuer.db") as db:
        assert db.execute("SELECT count(*) FROM status_lists WHERE signed_version IS NOT version").fetchone()[0] == 0
        assert db.execute("SELECT count(*) FROM status_allocations").fetchone()[0] == 4 * PARALLEL
        assert db.execute("SELECT count(*) FROM credentials WHERE revoked_at IS NOT NULL").fetchone()[0] == PARALLEL // 2
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


# --- one export, two wallets ------------------------------------------------------------------------

PASSPHRASE = "a long and private passphrase"


def _state(data: Path) -> dict[str, Any]:
    """What a learner sees of their account, as stored: did, emails, credentials, share links."""
    with sqlite3.connect(data / "wallet.db") as db:
        db.row_factory = sqlite3.Row
        account = dict(db.execute("SELECT login_email, did FROM accounts").fetchone())
        credentials = [dict(r) for r in db.execute(
            "SELECT id, content_hash, format, document, issuer_id, achievement_name, tags, valid_from, valid_until, "
            "state FROM credentials ORDER BY id")]
        shares = [dict(r) for r in db.execute("SELECT id, token, note, expires_at, revoked_at FROM shares ORDER BY id")]
        links = sorted(tuple(r) for r in db.execute("SELECT share_id, credential_id FROM share_credentials"))
        emails = sorted(tuple(r) for r in db.execute("SELECT email, confirmed_at IS NOT NULL FROM emails"))
    return {"account": account, "credentials": credentials, "shares": shares, "links": links, "emails": emails}


def test_two_wallets_importing_one_export_at_once_end_in_the_same_state(tmp_path: Path) -> None:
    issuer = generate_key_pair()

    async def fill() -> None:
        async with running_wallet(tmp_path / "a") as w, aiohttp.ClientSession() as http:
            account, token = await sign_up(http, w.url, "ann@example.org")
            ids = []
            for name in ("Fractions", "Geometry", "Algebra"):
                async with http.post(f"{w.url}/api/credentials", headers=bearer(token),
                                     json={"credential": issue_badge(issuer, did=account["did"], name=name)}) as r:
                    ids.append((await r.json())["added"][0]["id"])
            async with http.post(f"{w.url}/api/shares", json={"credentials": ids[:2], "note": "panel"},
                                 headers=bearer(token)) as r:
                assert r.status == 201

    asyncio.run(fill())
    secret = tmp_path / "passphrase.txt"
    secret.write_text(PASSPHRASE + "\n")
    out = tmp_path / "ann.satchel"
    exported = run_subprocess("wallet", "export", "--data-dir", str(tmp_path / "a"), "--account", "ann@example.org",
                              "--out", str(out), "--passphrase-file", str(secret))
    assert exported.code == 0, exported.err
    for name in ("b", "c"):
        assert run_subprocess("wallet", "init", "--data-dir", str(tmp_path / name)).code == 0
    env = dict(os.environ, PYTHONPATH=str(NETGUARD_DIR))
    procs = [subprocess.Popen([sys.executable, "-m", "satchel", "wallet", "import", "--data-dir", str(tmp_path / name),
                               str(out), "--passphrase-file", str(secret)], cwd=REPO, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for name in ("b", "c")]
    results = [proc.communicate(timeout=120) for proc in procs]
    assert [proc.returncode for proc in procs] == [0, 0], results

    original, first, second = (_state(tmp_path / name) for name in ("a", "b", "c"))
    assert first == second
    assert first["account"] == original["account"] and len(first["credentials"]) == 3 and len(first["links"]) == 2
    assert [c["document"] for c in first["credentials"]] == [c["document"] for c in original["credentials"]]

    async def log_in_to_both() -> list[list[str]]:
        names = []
        for name in ("b", "c"):
            async with running_wallet(tmp_path / name) as w, aiohttp.ClientSession() as http:
                async with http.post(f"{w.url}/api/tokens", json={"email": "ann@example.org",
                                                                    "password": PASSWORD}) as r:
                    assert r.status == 201
                    token = (await r.json())["token"]
                async with http.get(f"{w.url}/api/credentials", headers=bearer(token)) as r:
                    names.append(sorted(item["name"] for item in (await r.json())["items"]))
        return names

    assert asyncio.run(log_in_to_both()) == [["Algebra", "Fractions", "Geometry"]] * 2
