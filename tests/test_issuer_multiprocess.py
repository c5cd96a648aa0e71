"""Several issuer node processes on one PostgreSQL database: ``--database postgresql://…`` end to end.

The CLI commands run against PostgreSQL in this process (cheap). The slow tests
start two real ``satchel issuer serve`` processes on one database, B from a copy
of A's data directory (the key), both publishing under one public URL (A's,
standing for the load balancer), and alternate between their ports: parallel
issuance through both takes distinct status indices, an offer created on A is
redeemed on B and is single use across both, a session made on A is good on B,
and with both senders running each queued email leaves exactly once. Two bulk
runs of one file on the database issue each row once.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import aiohttp
import psycopg
import pytest
from conftest import NETGUARD_DIR, REPO, Result, run_subprocess
from pgserver import PgCluster
from smtp_sink import Sink

Run = Callable[..., Result]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _count(url: str, sql: str) -> int:
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(sql).fetchone()
    assert row is not None
    return int(row[0])


# --- the CLI on PostgreSQL ------------------------------------------------------------------------------


def test_every_issuer_command_works_on_a_postgresql_database(satchel: Run, tmp_path: Path, pg_url: str) -> None:
    data = str(tmp_path / "node")
    db = ["--data-dir", data, "--database", pg_url]
    init = satchel("issuer", "init", *db, "--name", "State Board", "--url", "https://board.example.org",
                   "--public-url", "https://badges.board.example.org")
    assert init.code == 0, init.err
    assert not (tmp_path / "node" / "issuer.db").exists()  # The register is in PostgreSQL; the folder keeps the key.
    added = satchel("issuer", "achievement", "add", *db, "--name", "Mentor", "--description", "d", "--criteria", "c")
    assert added.code == 0, added.err
    achievement = added.out.strip()
    assert achievement.startswith("https://badges.board.example.org/achievements/")
    listed = satchel("issuer", "achievement", "list", *db)
    assert listed.code == 0 and achievement in listed.out
    issued = satchel("issuer", "issue", *db, "--achievement", achievement, "--email", "ana@school.example")
    assert issued.code == 0, issued.err
    credential_id = issued.json()["id"]
    assert satchel("issuer", "suspend", *db, credential_id, "--reason", "check").code == 0
    assert satchel("issuer", "unsuspend", *db, credential_id, "--reason", "ok").code == 0
    revoked = satchel("issuer", "revoke", *db, credential_id, "--reason", "left")
    assert revoked.code == 0 and revoked.out.strip() == f"revoked {credential_id}"
    again = satchel("issuer", "revoke", *db, credential_id, "--reason", "twice")
    assert again.code == 1 and again.err.startswith("error:")
    user = satchel("issuer", "user", "add", *db, "--email", "rita@board.example.org", "--role", "reviewer")
    assert user.code == 0 and user.out.strip()
    offer = satchel("issuer", "offer", *db, "--achievement", achievement, "--email", "ben@school.example")
    assert offer.code == 0 and offer.out.startswith("openid-credential-offer://")
    csv = tmp_path / "teachers.csv"
    csv.write_text("name,email,achievement\n" + "".join(f"T {n},t{n}@school.example,{achievement}\n" for n in range(5)),
                   encoding="utf-8")
    bulk = satchel("issuer", "bulk", *db, str(csv))
    assert bulk.code == 0, bulk.out + bulk.err
    assert _count(pg_url, "SELECT count(*) FROM credentials") == 6
    assert _count(pg_url, "SELECT count(*) FROM outbox") == 1
    # A second node cannot be put into a database that holds one.
    other = satchel("issuer", "init", "--data-dir", str(tmp_path / "other"), "--database", pg_url, "--name", "X",
                    "--url", "https://x.example")
    assert other.code == 2 and "already holds an issuer node" in other.err
    assert not (tmp_path / "other" / "issuer.key").exists()


def test_a_database_url_of_no_known_kind_is_refused(satchel: Run, tmp_path: Path) -> None:
    result = satchel("issuer", "init", "--data-dir", str(tmp_path / "n"), "--database", "mysql://db/x", "--name", "X",
                     "--url", "https://x.example")
    assert result.code == 2 and result.err.startswith("error:") and "mysql" in result.err
    assert not (tmp_path / "n").exists()


def test_an_unreachable_database_is_one_error_line_without_the_password(satchel: Run, tmp_path: Path) -> None:
    url = f"postgresql://board:s3cret-pw@127.0.0.1:{_free_port()}/issuer"
    started = time.monotonic()
    result = satchel("issuer", "init", "--data-dir", str(tmp_path / "n"), "--database", url, "--name", "X",
                     "--url", "https://x.example")
    assert result.code == 2 and result.err.startswith("error: cannot open the database postgresql://board@127.0.0.1:")
    assert "s3cret-pw" not in result.err + result.out and "Traceback" not in result.err
    assert time.monotonic() - started < 15
    assert not (tmp_path / "n" / "issuer.key").exists()  # Nothing left behind to refuse the next init.


# --- two serving processes on one database --------------------------------------------------------------


@dataclass
class TwoNodes:
    urls: tuple[str, str]
    public: str
    token: str
    achievement: str
    data: Path
    pg_url: str
    sink: Sink

    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def _serve(data: Path, pg_url: str, port: int, public: str, smtp_port: int) -> subprocess.Popen[str]:
    env = dict(os.environ, PYTHONPATH=str(NETGUARD_DIR))
    return subprocess.Popen([sys.executable, "-m", "satchel", "issuer", "serve", "--data-dir", str(data), "--database",
                             pg_url, "--port", str(port), "--public-url", public, "--smtp", f"127.0.0.1:{smtp_port}"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=REPO)


@pytest.fixture(scope="module")
def two_nodes(tmp_path_factory: pytest.TempPathFactory, pg_cluster: PgCluster) -> Iterator[TwoNodes]:
    """One node, two serving processes (started once for the module: each test looks only at what it made)."""
    from aiosmtpd.controller import Controller

    pg_url = pg_cluster.create_database()
    sink = Sink()
    smtp_port = _free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    data = tmp_path_factory.mktemp("multi") / "node"
    ports = (_free_port(), _free_port())
    public = f"http://127.0.0.1:{ports[0]}"
    procs: list[subprocess.Popen[str]] = []
    try:
        init = run_subprocess("issuer", "init", "--data-dir", str(data), "--database", pg_url, "--name", "State Board",
                              "--url", "https://board.example.org", "--public-url", public)
        assert init.code == 0, init.err
        token = init.out.splitlines()[1]
        added = run_subprocess("issuer", "achievement", "add", "--data-dir", str(data), "--database", pg_url, "--name",
                               "Licensed Mentor", "--description", "Mentors new teachers", "--criteria", "A year of it")
        assert added.code == 0, added.err
        # B runs from a copy of the folder made before either process started (another host, say): the
        # session secret is the database's, so no file has to be shared for sessions to hold across processes.
        copy = data.parent / "node-b"
        shutil.copytree(data, copy)
        procs = [_serve(folder, pg_url, port, public, smtp_port) for folder, port in zip((data, copy), ports)]
        urls = []
        for proc in procs:
            assert proc.stdout is not None
            url = proc.stdout.readline().strip()
            assert url.startswith("http://127.0.0.1:"), proc.stderr.read() if proc.stderr else ""
            urls.append(url)
        yield TwoNodes(urls=(urls[0], urls[1]), public=public, token=token, achievement=added.out.strip(), data=data,
                       pg_url=pg_url, sink=sink)
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in procs:
            proc.communicate(timeout=20)
        controller.stop()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        yield session


@pytest.mark.slow
async def test_twenty_parallel_issuances_over_two_processes_take_twenty_distinct_indices(
        two_nodes: TwoNodes, http: aiohttp.ClientSession) -> None:
    from verifier.verify import VerifyOptions, verify

    nodes = two_nodes

    async def issue(n: int) -> dict[str, Any]:
        body = {"credential": {"achievement": nodes.achievement, "recipient": {"email": f"t{n}@school.example"}}}
        async with http.post(f"{nodes.urls[n % 2]}/credentials/issue", json=body, headers=nodes.auth()) as response:
            assert response.status == 201, await response.text()
            return dict((await response.json())["verifiableCredential"])

    credentials = await asyncio.gather(*(issue(n) for n in range(20)))
    for purpose in ("revocation", "suspension"):
        entries = [entry for c in credentials for entry in c["credentialStatus"] if entry["statusPurpose"] == purpose]
        assert len(entries) == 20
        assert len({(e["statusListCredential"], e["statusListIndex"]) for e in entries}) == 20
    keys = ", ".join(f"'{c['id'].rsplit('/', 1)[1]}'" for c in credentials)
    assert _count(nodes.pg_url, f"SELECT count(*) FROM status_allocations WHERE credential_key IN ({keys})") == 40
    assert _count(nodes.pg_url, "SELECT count(*) - count(DISTINCT (list_key, idx)) FROM status_allocations") == 0
    # Allocators running side by side each took a list of their own, a few per purpose at most.
    from issuer_node.storage.postgres import PgIssuerStore

    assert 2 <= _count(nodes.pg_url, "SELECT count(*) FROM status_lists") <= 2 * PgIssuerStore.PARALLEL_LISTS

    lists: dict[str, dict[str, Any]] = {}
    for url in {e["statusListCredential"] for c in credentials for e in c["credentialStatus"]}:
        async with http.get(url.replace(nodes.public, nodes.urls[1])) as response:  # Published by B too.
            assert response.status == 200
            lists[url] = await response.json()
    options = VerifyOptions(now=datetime.now(timezone.utc), status_lists=tuple(lists.values()), require_status=True)
    with ThreadPoolExecutor(max_workers=2) as pool:
        reports = list(pool.map(lambda c: verify(c, options), credentials))
    assert [report.verified for report in reports] == [True] * 20, [r.to_json() for r in reports if not r.verified][:1]


@pytest.mark.slow
async def test_an_offer_made_on_one_process_is_redeemed_on_the_other_once(
        two_nodes: TwoNodes, http: aiohttp.ClientSession) -> None:
    from credentials.keys import generate_key_pair
    from wallet.oid4vci_client import PRE_AUTHORIZED_GRANT, key_proof

    a, b = two_nodes.urls
    async with http.post(f"{a}/api/awards", json={"achievement": two_nodes.achievement, "email": "ana@school.example"},
                         headers=two_nodes.auth()) as response:
        assert response.status == 201, await response.text()
        created = await response.json()
    offer_path = re.sub(r"^https?://[^/]+", "", created["credentialOfferUri"])
    async with http.get(b + offer_path) as response:
        assert response.status == 200, await response.text()
        offer = await response.json()
    code = offer["grants"][PRE_AUTHORIZED_GRANT]["pre-authorized_code"]
    async with http.post(f"{b}/token", data={"grant_type": PRE_AUTHORIZED_GRANT, "pre-authorized_code": code}) as response:
        assert response.status == 200
        access_token = (await response.json())["access_token"]
    async with http.post(f"{a}/token", data={"grant_type": PRE_AUTHORIZED_GRANT, "pre-authorized_code": code}) as response:
        assert response.status == 400 and (await response.json())["error"] == "invalid_grant"  # Single use on A too.
    async with http.post(f"{a}/nonce") as response:
        nonce = (await response.json())["c_nonce"]
    holder = generate_key_pair()
    proof = key_proof(holder, audience=two_nodes.public, nonce=nonce, issued_at=int(time.time()))
    request = {"credential_configuration_id": "OpenBadgeCredential", "proofs": {"jwt": [proof]}}
    async with http.post(f"{b}/credential", json=request,
                         headers={"Authorization": f"Bearer {access_token}"}) as response:
        assert response.status == 200, await response.text()
        [item] = (await response.json())["credentials"]
    assert item["credential"]["credentialSubject"]["id"] == holder.did
    # The nonce A handed out and B accepted is spent for both.
    async with http.post(f"{a}/credential", json=request, headers={"Authorization": f"Bearer {access_token}"}) as response:
        assert response.status == 400 and (await response.json())["error"] == "invalid_nonce"


@pytest.mark.slow
async def test_a_session_made_on_one_process_is_good_on_the_other(
        two_nodes: TwoNodes, http: aiohttp.ClientSession) -> None:
    a, b = two_nodes.urls
    user = run_subprocess("issuer", "user", "add", "--data-dir", str(two_nodes.data), "--database", two_nodes.pg_url,
                          "--email", "ada@board.example.org", "--role", "admin")
    assert user.code == 0, user.err
    async with http.get(f"{a}/admin/login") as response:
        page = await response.text()
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match is not None
    async with http.post(f"{a}/admin/login", allow_redirects=False,
                         data={"csrf_token": match.group(1), "email": "ada@board.example.org",
                               "password": user.out.strip(), "next": "/admin/outbox"}) as response:
        assert response.status == 303
    async with http.get(f"{b}/admin/outbox", allow_redirects=False) as response:  # Cookies ignore ports.
        assert response.status == 200 and "ada@board.example.org" in await response.text()


@pytest.mark.slow
async def test_with_both_senders_running_each_queued_email_leaves_once(
        two_nodes: TwoNodes, http: aiohttp.ClientSession) -> None:
    count = 12

    async def offer(n: int) -> None:
        body = {"achievement": two_nodes.achievement, "email": f"p{n}@school.example"}
        async with http.post(f"{two_nodes.urls[n % 2]}/api/awards", json=body, headers=two_nodes.auth()) as response:
            assert response.status == 201, await response.text()

    await asyncio.gather(*(offer(n) for n in range(count)))
    mine = "recipient LIKE 'p%@school.example'"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and _count(two_nodes.pg_url, f"SELECT count(*) FROM outbox WHERE {mine} "
                                                                   "AND sent_at IS NULL"):
        await asyncio.sleep(0.2)
    assert _count(two_nodes.pg_url, f"SELECT count(*) FROM outbox WHERE {mine} AND sent_at IS NOT NULL") == count
    await asyncio.sleep(2.5)  # Longer than a sender's poll: a second sending would have happened by now.
    recipients = [to for _, tos, _ in two_nodes.sink.envelopes for to in tos if to.startswith("p")]
    assert sorted(recipients) == sorted(f"p{n}@school.example" for n in range(count))
    senders = _count(two_nodes.pg_url, f"SELECT count(DISTINCT claimed_by) FROM outbox WHERE {mine}")
    print(f"{count} offer emails sent once each by {senders} of the 2 processes' senders")


# --- the bulk runner: one process per batch of a job ------------------------------------------------------


def _bulk(data: Path, pg_url: str, path: Path, result: Path) -> subprocess.Popen[bytes]:
    env = dict(os.environ, PYTHONPATH=str(NETGUARD_DIR))
    return subprocess.Popen([sys.executable, "-m", "satchel", "issuer", "bulk", "--data-dir", str(data), "--database",
                             pg_url, str(path), "--batch-size", "20", "--result", str(result)],
                            cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


@pytest.mark.slow
def test_bulk_runs_on_one_postgresql_database_issue_each_row_once_and_a_killed_run_is_taken_over(
        tmp_path: Path, pg_url: str) -> None:
    from bulk_support import csv_text, read_result, teachers

    data = tmp_path / "node"
    assert run_subprocess("issuer", "init", "--data-dir", str(data), "--database", pg_url, "--name", "State Board",
                          "--url", "https://board.example.org", "--public-url", "https://badges.board.example.org").code == 0
    added = run_subprocess("issuer", "achievement", "add", "--data-dir", str(data), "--database", pg_url,
                           "--name", "Mentor", "--description", "d", "--criteria", "c")
    achievement = added.out.strip()
    rows = 300
    path = tmp_path / "district.csv"
    path.write_text(csv_text(["name", "email", "achievement", "did"], teachers(rows, achievement)), encoding="utf-8")

    # Two runs of one file at once (two machines, say): every row issued once, both report the same outcome.
    procs = [_bulk(data, pg_url, path, tmp_path / f"result{n}.csv") for n in (1, 2)]
    errors = [proc.communicate(timeout=180)[1].decode() for proc in procs]
    assert [proc.returncode for proc in procs] == [0, 0], errors
    assert _count(pg_url, "SELECT count(*) FROM credentials") == rows
    assert _count(pg_url, "SELECT count(DISTINCT recipient_name) FROM credentials") == rows
    assert _count(pg_url, "SELECT count(*) FROM bulk_rows WHERE state = 'issued'") == rows
    first, second = (read_result(tmp_path / f"result{n}.csv") for n in (1, 2))
    assert first == second and len(first) == rows

    # A run SIGKILLed mid-way holds nothing: its open batch is rolled back and the next run takes the job at once.
    second_file = tmp_path / "late.csv"
    second_file.write_text(csv_text(["name", "email", "achievement", "did"],
                                    [[f"Late {n}", f"late{n}@school.example", achievement, ""] for n in range(rows)]),
                           encoding="utf-8")
    killed = _bulk(data, pg_url, second_file, tmp_path / "killed.csv")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and killed.poll() is None:
        if _count(pg_url, "SELECT count(*) FROM credentials WHERE recipient_name LIKE 'Late %'") > 0:
            killed.send_signal(signal.SIGKILL)
            break
        time.sleep(0.01)
    killed.communicate(timeout=60)
    assert killed.returncode == -signal.SIGKILL
    done = _count(pg_url, "SELECT count(*) FROM credentials WHERE recipient_name LIKE 'Late %'")
    assert 0 < done < rows
    rerun = _bulk(data, pg_url, second_file, tmp_path / "rerun.csv")
    _, err = rerun.communicate(timeout=120)
    assert rerun.returncode == 0, err.decode()
    assert f"{done:,} rows were done before" in err.decode()
    assert _count(pg_url, "SELECT count(DISTINCT recipient_name) FROM credentials WHERE recipient_name LIKE 'Late %'") \
        == _count(pg_url, "SELECT count(*) FROM credentials WHERE recipient_name LIKE 'Late %'") == rows
    assert _count(pg_url, "SELECT count(*) - count(DISTINCT (list_key, idx)) FROM status_allocations") == 0


@pytest.mark.slow
async def test_wrong_transaction_codes_count_across_processes(two_nodes: TwoNodes, http: aiohttp.ClientSession) -> None:
    from issuer_node.awards import MAX_TX_FAILURES
    from wallet.oid4vci_client import PRE_AUTHORIZED_GRANT

    body = {"achievement": two_nodes.achievement, "email": "tx@school.example", "txCode": True, "notify": False}
    async with http.post(f"{two_nodes.urls[0]}/api/awards", json=body, headers=two_nodes.auth()) as response:
        assert response.status == 201
        created = await response.json()
    async with http.get(two_nodes.urls[1] + re.sub(r"^https?://[^/]+", "", created["credentialOfferUri"])) as response:
        code = (await response.json())["grants"][PRE_AUTHORIZED_GRANT]["pre-authorized_code"]
    wrong = "000000" if created["txCode"] != "000000" else "111111"
    lefts = []
    for attempt in range(MAX_TX_FAILURES):  # Alternating processes: one count, in the database.
        form = {"grant_type": PRE_AUTHORIZED_GRANT, "pre-authorized_code": code, "tx_code": wrong}
        async with http.post(f"{two_nodes.urls[attempt % 2]}/token", data=form) as response:
            assert response.status == 400
            lefts.append((await response.json())["error_description"])
    assert [re.search(r"\((\d+) tries left\)", text).group(1) for text in lefts] == [  # type: ignore[union-attr]
        str(MAX_TX_FAILURES - n) for n in range(1, MAX_TX_FAILURES + 1)]
    form = {"grant_type": PRE_AUTHORIZED_GRANT, "pre-authorized_code": code, "tx_code": created["txCode"]}
    async with http.post(f"{two_nodes.urls[1]}/token", data=form) as response:  # Even the right code, now.
        assert response.status == 400 and "too many wrong" in (await response.json())["error_description"]
