"""A state-wide wallet: two ``satchel wallet serve`` processes on one PostgreSQL database, no proxy between.

The test is the load balancer: it alternates between the two processes' ports, as a
balancer with nothing sticky would. What a learner and an operator care about: an
account made on one process logs in on the other (page and API), a badge imported on
one is listed on the other, a share link made on one opens on the other at once, a
badge uploaded twenty times at once through both is held once, and the login limit
is one limit for the whole wallet, not one per process.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from conftest import NETGUARD_DIR, REPO
from pgserver import PgCluster
from wallet_pages_support import Learner

from credentials.keys import generate_key_pair
from wallet.config import load_config
from wallet.context import open_wallet
from wallet.statusrefresh import refresh_status
from wallet.storage import AccountRecord, CredentialRecord, EmailRecord, open_store
from wallet.testing import PASSWORD, bearer, issue_badge
from webbase.dburl import DatabaseTarget, parse_database

PUBLIC_URL = "http://wallet.test"  # the balancer's name: what share links are built on


@contextmanager
def _serving(data_dir: Path, database: str, count: int = 2) -> Iterator[list[str]]:
    """``count`` serve processes on one data directory (one server.secret) and one database; their URLs."""
    env = dict(os.environ, PYTHONPATH=str(NETGUARD_DIR))
    procs = [subprocess.Popen([sys.executable, "-m", "satchel", "wallet", "serve", "--data-dir", str(data_dir),
                               "--database", database, "--port", "0", "--public-url", PUBLIC_URL],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=REPO)
             for _ in range(count)]
    try:
        urls = []
        for proc in procs:
            assert proc.stdout is not None
            line = proc.stdout.readline()
            if "listening on http://127.0.0.1:" not in line and proc.poll() is not None and proc.stderr is not None:
                pytest.fail(f"wallet serve exited: {proc.stderr.read()[-2000:]}")
            assert "listening on http://127.0.0.1:" in line, line
            assert "database postgresql://" in line
            urls.append(line.split("listening on ", 1)[1].split()[0])
        yield urls
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                proc.communicate(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.communicate()
    assert [proc.returncode for proc in procs] == [0] * count


async def _json(http: aiohttp.ClientSession, method: str, url: str, **kwargs: Any) -> tuple[int, Any]:
    async with http.request(method, url, **kwargs) as response:
        return response.status, await response.json()


@pytest.mark.slow
async def test_two_processes_on_one_database_serve_one_wallet(tmp_path: Path, pg_url: str, pg_cluster: PgCluster,
                                                              satchel: Callable[..., Any]) -> None:
    data = tmp_path / "w"
    assert satchel("wallet", "init", "--data-dir", str(data), "--database", pg_url).code == 0
    assert not (data / "wallet.db").exists()  # the tables are in PostgreSQL; the directory keeps the secret
    issuer = generate_key_pair()
    logins = 0  # login attempts from this client (one address) so far: the limit counts them all
    with _serving(data, pg_url) as (a, b):
        learner = Learner(a)
        async with aiohttp.ClientSession() as http:
            try:
                # An account made with the sign-up page on A ...
                await learner.sign_up("ann@example.org")
                # ... logs in with the login page (its CSRF token from B's form) on B, and with the API on B.
                learner.base = b
                page = await learner.post("/logout", {}, form_page="/account")  # A's session cookie, on B
                assert page.status == 303 and page.location == "/login?signed_out=1"
                page = await learner.log_in("ann@example.org")
                logins += 1
                assert page.status == 303, page.text[:300]
                logins += 1
                status, body = await _json(http, "POST", f"{b}/api/tokens",
                                           json={"email": "ann@example.org", "password": PASSWORD})
                assert status == 201, body
                token = body["token"]
                status, me = await _json(http, "GET", f"{a}/api/account", headers=bearer(token))  # B's token on A
                assert status == 200 and me["email"] == "ann@example.org"

                # Imported on A, listed on B, and on B's page for the session B opened.
                badge = issue_badge(issuer, did=me["did"], name="Fractions")
                status, body = await _json(http, "POST", f"{a}/api/credentials", json={"credential": badge},
                                           headers=bearer(token))
                assert status == 201, body
                held = body["added"][0]["id"]
                status, listed = await _json(http, "GET", f"{b}/api/credentials", headers=bearer(token))
                assert [item["id"] for item in listed["items"]] == [held]
                page = await learner.get("/credentials")
                assert page.status == 200 and "Fractions" in page.text

                # Shared on B; the link opens on A right away.
                status, share = await _json(http, "POST", f"{b}/api/shares", json={"credentials": [held]},
                                            headers=bearer(token))
                assert status == 201 and share["url"].startswith(f"{PUBLIC_URL}/s/"), share
                path = share["url"][len(PUBLIC_URL):]
                async with http.get(a + path, headers={"Accept": "text/html"}) as response:
                    assert response.status == 200 and "Fractions" in await response.text()

                # Twenty uploads of one badge at once, spread over both processes: held once.
                twice = issue_badge(issuer, did=me["did"], name="Geometry")
                answers = await asyncio.gather(*(
                    _json(http, "POST", f"{(a, b)[n % 2]}/api/credentials", json={"credential": twice},
                          headers=bearer(token)) for n in range(20)))
                assert sorted(status for status, _ in answers) == [200] * 19 + [201], answers
                added = [body["added"][0]["id"] for _, body in answers if body["added"]]
                assert len(added) == 1
                assert all([d["id"] for d in body["duplicates"]] == added and body["refused"] == []
                           for _, body in answers if not body["added"])
                status, me = await _json(http, "GET", f"{b}/api/account", headers=bearer(token))
                assert me["credentials"] == 2

                # The login limit (10 a minute per address) is counted in the database: attempts spread over
                # both processes meet it together; per-process counts would let about twice as many through.
                refused_at = None
                for n in range(12):
                    status, body = await _json(http, "POST", f"{(a, b)[n % 2]}/api/tokens",
                                               json={"email": "nobody@example.org", "password": "wrong password"})
                    logins += 1
                    if status == 429:
                        refused_at = logins
                        break
                    assert status == 401, body
                assert refused_at == 11, f"refused at attempt {refused_at}, counting both processes"
                for url in (a, b):
                    status, body = await _json(http, "POST", f"{url}/api/tokens",
                                               json={"email": "ann@example.org", "password": PASSWORD})
                    assert status == 429 and body["type"] == "urn:satchel:problem:rate_limited"
            finally:
                await learner.close()

    # export and import with --database: the account moves to another PostgreSQL database whole
    # (in a thread: the commands run their own event loop).
    secret = tmp_path / "passphrase"
    secret.write_text("a long export passphrase\n")
    out = tmp_path / "ann.satchel"
    exported = await asyncio.to_thread(satchel, "wallet", "export", "--data-dir", str(data), "--database", pg_url, "--account",
                       "ann@example.org", "--out", str(out), "--passphrase-file", str(secret))
    assert exported.code == 0, exported.err
    other_data, other_db = tmp_path / "w2", pg_cluster.create_database()
    assert satchel("wallet", "init", "--data-dir", str(other_data), "--database", other_db).code == 0
    imported = await asyncio.to_thread(satchel, "wallet", "import", "--data-dir", str(other_data), "--database", other_db, str(out),
                       "--passphrase-file", str(secret))
    assert imported.code == 0, imported.err
    store = open_store(parse_database(other_db))
    try:
        account = store.account_by_login("ann@example.org")
        assert account is not None and store.count_credentials(account.id) == 2
        assert len(store.list_shares(account.id)) == 1
    finally:
        store.close()


def test_a_database_url_the_wallet_cannot_use_is_refused_before_anything_starts(
        tmp_path: Path, satchel: Callable[..., Any]) -> None:
    refused = satchel("wallet", "init", "--data-dir", str(tmp_path / "w"), "--database", "mysql://db/wallet")
    assert refused.code == 2 and "'mysql' is not supported" in refused.err
    assert not (tmp_path / "w").exists()
    # A SQLite file elsewhere is still SQLite, created private.
    assert satchel("wallet", "init", "--data-dir", str(tmp_path / "w"), "--database",
                   f"sqlite:///{tmp_path / 'db' / 'wallet.sqlite'}").code == 0
    assert (tmp_path / "db" / "wallet.sqlite").stat().st_mode & 0o777 == 0o600
    assert not (tmp_path / "w" / "wallet.db").exists()


async def test_a_status_list_is_refreshed_by_one_process_at_a_time(tmp_path: Path, pg_url: str,
                                                                   satchel: Callable[..., Any]) -> None:
    """Each process's background refresh runs the same pass; the list goes to whichever claims it first."""
    data = tmp_path / "w"
    assert satchel("wallet", "init", "--data-dir", str(data), "--database", pg_url).code == 0
    # A command given no --database is refused rather than opening an empty SQLite file beside the secret.
    forgot = satchel("wallet", "export", "--data-dir", str(data), "--account", "ann@example.org", "--out",
                     str(tmp_path / "out"))
    assert forgot.code == 2 and "pass --database" in forgot.err and not (data / "wallet.db").exists()
    target = DatabaseTarget("postgresql", url=pg_url)
    first, second = (open_wallet(load_config(data, database=target, default_public_url=PUBLIC_URL))
                     for _ in range(2))
    url = "https://issuer.test/status/1"
    try:
        account = AccountRecord(id="acc-ann", login_email="ann@example.org", password_hash="h", did="did:key:z6Mkann",
                                holder_key_sealed=b"s", created_at="2026-12-01T10:00:00Z")
        first.store.create_account(account, EmailRecord(account_id=account.id, email=account.login_email,
                                                        created_at=account.created_at))
        first.store.add_credentials([CredentialRecord(
            id="c1", account_id=account.id, content_hash="rdfc:1", format="json", document="{}",
            issuer_id="did:key:z6MkIssuer", issuer_name=None, achievement_name="Fractions", image=None,
            description=None, tags=(), valid_from=None, valid_until=None, added_at=account.created_at,
            source="json", status_urls=(url,))])
        fetched: list[str] = []
        in_fetch, release = asyncio.Event(), asyncio.Event()

        async def slow_fetch(address: str) -> bytes:
            fetched.append(address)
            in_fetch.set()
            await release.wait()
            return b"not a status list"

        pass_on_first = asyncio.create_task(refresh_status(first, fetch=slow_fetch))
        await in_fetch.wait()
        during = await refresh_status(second, fetch=slow_fetch)  # the list is the first process's job now
        assert fetched == [url] and during.lists_verified == [] and during.lists_failed == {}
        release.set()
        done = await pass_on_first
        assert list(done.lists_failed) == [url]
        after = await refresh_status(second, fetch=slow_fetch)  # the first pass is over: free again
        assert fetched == [url, url] and list(after.lists_failed) == [url]
    finally:
        first.close()
        second.close()
