"""Crashes: a wallet SIGKILLed while 50 imports are in flight, and an export killed while it writes its file.

Real subprocesses (``python -m satchel wallet …``) under the network guard, real
SQLite files. What a user cares about: every import the server acknowledged is
there after the restart, exactly once and whole; the database passes
``PRAGMA integrity_check``; and an interrupted export never leaves half a file
where the learner expects their backup. (The issuer's bulk run killed mid-way is
tests/test_issuer_bulk_crash.py.)
"""

from __future__ import annotations

import asyncio
import os
import re
import secrets
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

from credentials.keys import generate_key_pair
from wallet.testing import PASSWORD, bearer, issue_badge, sign_up

pytestmark = pytest.mark.slow

IMPORTS = 50
LISTENING = re.compile(r"listening on (http://127\.0\.0\.1:\d+)")


def _env() -> dict[str, str]:
    return dict(os.environ, PYTHONPATH=str(NETGUARD_DIR))


@contextmanager
def served_wallet(data: Path) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """``satchel wallet serve --port 0`` as a child process: (its URL, the process)."""
    proc = subprocess.Popen([sys.executable, "-m", "satchel", "wallet", "serve", "--data-dir", str(data), "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=_env(), cwd=REPO)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        match = LISTENING.search(line)
        assert match, f"the wallet did not say where it listens: {line!r}"
        yield match.group(1), proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=20)


def integrity(db_path: Path) -> str:
    with sqlite3.connect(db_path) as db:
        return str(db.execute("PRAGMA integrity_check").fetchone()[0])


async def _import(http: aiohttp.ClientSession, url: str, token: str, credential: dict[str, Any]) -> tuple[int, Any]:
    """(status, JSON body), or (0, the exception) when the server died before answering."""
    try:
        async with http.post(f"{url}/api/credentials", json={"credential": credential}, headers=bearer(token)) as r:
            return r.status, await r.json()
    except (TimeoutError, aiohttp.ClientError) as exc:
        return 0, exc


async def _held(http: aiohttp.ClientSession, url: str, token: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = ""
    while True:
        async with http.get(f"{url}/api/credentials?limit=100{cursor}", headers=bearer(token)) as r:
            assert r.status == 200, await r.text()
            page = await r.json()
        items += page["items"]
        if not page.get("nextCursor"):
            return items
        cursor = f"&cursor={page['nextCursor']}"


def test_a_wallet_killed_with_50_imports_in_flight_keeps_every_acknowledged_one_once(tmp_path: Path) -> None:
    data = tmp_path / "wallet"
    assert run_subprocess("wallet", "init", "--data-dir", str(data)).code == 0
    issuer = generate_key_pair()

    async def before_the_crash() -> tuple[str, dict[str, dict[str, Any]], list[tuple[int, Any]]]:
        with served_wallet(data) as (url, proc):
            async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as http:
                account, token = await sign_up(http, url, "ann@example.org")
                badges = {f"Badge {n}": issue_badge(issuer, did=account["did"], name=f"Badge {n}")
                          for n in range(IMPORTS)}
                tasks = [asyncio.create_task(_import(http, url, token, badge)) for badge in badges.values()]
                # Kill once some, not all, imports are answered: the rest are in flight or queued.
                while sum(task.done() for task in tasks) < 3:
                    await asyncio.sleep(0.002)
                proc.send_signal(signal.SIGKILL)
                answers = list(await asyncio.gather(*tasks))
            assert proc.wait(timeout=20) == -signal.SIGKILL
        return token, badges, answers

    token, badges, answers = asyncio.run(before_the_crash())
    acknowledged = {body["added"][0]["name"]: body["added"][0]["id"] for status, body in answers if status == 201}
    assert all(status in (0, 201) for status, _ in answers), [a for a in answers if a[0] not in (0, 201)]
    assert 3 <= len(acknowledged) < IMPORTS  # the kill came mid-way
    assert integrity(data / "wallet.db") == "ok"

    async def after_the_restart() -> list[dict[str, Any]]:
        with served_wallet(data) as (url, _):
            async with aiohttp.ClientSession() as http:
                held = await _held(http, url, token)  # the token survived the crash too
                for item in held:  # whole: the stored document is the one sent, byte for byte as JSON
                    async with http.get(f"{url}/api/credentials/{item['id']}", headers=bearer(token)) as r:
                        assert r.status == 200
                        assert (await r.json())["credential"] == badges[item["name"]]
                # The wallet still takes imports after the restart; one already held is a duplicate.
                again = next(iter(acknowledged))
                status, body = await _import(http, url, token, badges[again])
                assert status == 200 and [d["id"] for d in body["duplicates"]] == [acknowledged[again]], body
                async with http.post(f"{url}/api/tokens", json={"email": "ann@example.org", "password": PASSWORD}) as r:
                    assert r.status == 201
        return held

    held = asyncio.run(after_the_restart())
    names = [item["name"] for item in held]
    assert len(names) == len(set(names)), "a credential is stored twice"
    assert set(acknowledged) <= set(names), set(acknowledged) - set(names)
    assert {item["id"] for item in held if item["name"] in acknowledged} == set(acknowledged.values())
    assert integrity(data / "wallet.db") == "ok"
    with sqlite3.connect(data / "wallet.db") as db:
        # No half-stored import: every credential row has its tags, and nothing points at a missing row.
        assert db.execute("SELECT count(*) FROM credentials").fetchone()[0] == len(held)
        assert db.execute("SELECT count(*) FROM credentials c WHERE NOT EXISTS "
                          "(SELECT 1 FROM credential_tags t WHERE t.credential_id = c.id)").fetchone()[0] == 0
        assert db.execute("SELECT count(*) FROM credential_tags t WHERE NOT EXISTS "
                          "(SELECT 1 FROM credentials c WHERE c.id = t.credential_id)").fetchone()[0] == 0
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []


# --- a half-written export ----------------------------------------------------------------------------

KILL_AT_BYTES = 40 * 1024  # above SQLite's 32 KiB shared-memory file, well below the export's size

KILLED_MID_WRITE = """
import resource, runpy, signal, sys
# Python ignores SIGXFSZ; restore the default so that the kernel kills the process the moment a write
# would pass the limit: a hard death at an exact byte, with no cleanup run (as with SIGKILL).
signal.signal(signal.SIGXFSZ, signal.SIG_DFL)
resource.setrlimit(resource.RLIMIT_FSIZE, (int(sys.argv.pop(1)),) * 2)
sys.argv[0] = "satchel"
runpy.run_module("satchel", run_name="__main__")
"""


def _export(data: Path, out: Path, secret: Path, *, kill_at: int | None = None) -> subprocess.CompletedProcess[str]:
    args = ["wallet", "export", "--data-dir", str(data), "--account", "ann@example.org", "--out", str(out),
            "--passphrase-file", str(secret)]
    prefix = [sys.executable, "-c", KILLED_MID_WRITE, str(kill_at)] if kill_at else [sys.executable, "-m", "satchel"]
    return subprocess.run(prefix + args, capture_output=True, text=True, env=_env(), cwd=REPO, timeout=120)


def test_an_export_killed_while_writing_leaves_no_half_file_at_the_target(tmp_path: Path) -> None:
    data = tmp_path / "wallet"
    assert run_subprocess("wallet", "init", "--data-dir", str(data)).code == 0
    issuer = generate_key_pair()

    async def fill() -> None:
        with served_wallet(data) as (url, _):
            async with aiohttp.ClientSession() as http:
                account, token = await sign_up(http, url, "ann@example.org")
                for n in range(40):  # random names, so that even compressed the export is past KILL_AT_BYTES
                    name = f"Badge {n} {secrets.token_urlsafe(3000)}"
                    status, body = await _import(http, url, token, issue_badge(issuer, did=account["did"], name=name))
                    assert status == 201, body

    asyncio.run(fill())
    secret = tmp_path / "passphrase.txt"
    secret.write_text("a long and private passphrase\n")

    fresh = tmp_path / "fresh.satchel"
    killed = _export(data, fresh, secret, kill_at=KILL_AT_BYTES)
    assert killed.returncode == -signal.SIGXFSZ, killed.stderr
    assert not fresh.exists(), f"a partial export of {fresh.stat().st_size:,} bytes is at the target path"

    backup = tmp_path / "ann.satchel"
    done = _export(data, backup, secret)
    assert done.returncode == 0, done.stderr
    whole = backup.read_bytes()
    assert len(whole) > 2 * KILL_AT_BYTES
    # A second export over the first, killed mid-write: the old backup is still there, whole.
    killed = _export(data, backup, secret, kill_at=KILL_AT_BYTES)
    assert killed.returncode == -signal.SIGXFSZ, killed.stderr
    assert backup.read_bytes() == whole
    restored = run_subprocess("wallet", "init", "--data-dir", str(tmp_path / "other"))
    assert restored.code == 0
    imported = run_subprocess("wallet", "import", "--data-dir", str(tmp_path / "other"), str(backup),
                              "--passphrase-file", str(secret))
    assert imported.code == 0, imported.err
    with sqlite3.connect(tmp_path / "other" / "wallet.db") as db:
        assert db.execute("SELECT count(*) FROM credentials").fetchone()[0] == 40
