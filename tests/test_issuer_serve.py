"""``satchel issuer serve`` as a real subprocess: it prints its URL, serves, and sees the CLI's changes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import NETGUARD_DIR, REPO, run_subprocess

from credentials.statuslist import decode_encoded_list, get_status

pytestmark = pytest.mark.slow


def _get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path, subprocess.Popen[str]]]:
    data = tmp_path / "node"
    secret = tmp_path / "pass"
    secret.write_text("a long passphrase for the test\n")
    init = run_subprocess("issuer", "init", "--data-dir", str(data), "--name", "Lakeside ISD",
                          "--url", "https://lakeside.example.org", "--passphrase-file", str(secret))
    assert init.code == 0, init.err
    env = dict(os.environ, PYTHONPATH=str(NETGUARD_DIR))
    proc = subprocess.Popen([sys.executable, "-m", "satchel", "issuer", "serve", "--data-dir", str(data), "--port", "0",
                             "--passphrase-file", str(secret)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env, cwd=REPO)
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:"), proc.stderr.read() if proc.stderr else ""
        yield url, secret, proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=20)  # Waits, and closes the pipes.


def test_serve_prints_its_url_and_publishes_what_the_cli_issues_and_revokes(
        served: tuple[str, Path, subprocess.Popen[str]], tmp_path: Path) -> None:
    url, secret, proc = served
    data = tmp_path / "node"
    page = urllib.request.urlopen(url + "/", timeout=10).read().decode()
    assert "Lakeside ISD" in page
    added = run_subprocess("issuer", "achievement", "add", "--data-dir", str(data), "--name", "Coding Club Mentor",
                           "--description", "Runs a coding club", "--criteria", "Ran a club for a term")
    assert added.code == 0, added.err
    achievement = added.out.strip()
    # Published under the URL the node is bound to, since no public URL was configured.
    assert achievement.startswith(url + "/achievements/")
    assert _get(achievement)["name"] == "Coding Club Mentor"

    issued = run_subprocess("issuer", "issue", "--data-dir", str(data), "--achievement", achievement,
                            "--email", "mentor@lakeside.example.org", "--passphrase-file", str(secret))
    assert issued.code == 0, issued.err
    credential = json.loads(issued.out)
    entry = credential["credentialStatus"][0]
    assert get_status(decode_encoded_list(_get(entry["statusListCredential"])["credentialSubject"]["encodedList"]),
                      int(entry["statusListIndex"])) == 0

    # Without the passphrase the CLI cannot sign: the serving node re-signs on the next GET.
    revoked = run_subprocess("issuer", "revoke", "--data-dir", str(data), credential["id"], "--reason", "left")
    assert revoked.code == 0, revoked.err
    listed = _get(entry["statusListCredential"])
    assert get_status(decode_encoded_list(listed["credentialSubject"]["encodedList"]), int(entry["statusListIndex"])) == 1

    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=20) == 0


def test_serve_with_a_wrong_passphrase_refuses_to_start(tmp_path: Path) -> None:
    data = tmp_path / "node"
    secret = tmp_path / "pass"
    secret.write_text("right")
    wrong = tmp_path / "wrong"
    wrong.write_text("wrong")
    assert run_subprocess("issuer", "init", "--data-dir", str(data), "--name", "L", "--url", "https://l.example",
                          "--passphrase-file", str(secret)).code == 0
    result = run_subprocess("issuer", "serve", "--data-dir", str(data), "--port", "0", "--passphrase-file", str(wrong))
    assert result.code == 2 and result.out == ""
    assert result.err.startswith("error:") and "passphrase" in result.err


def test_parallel_issuing_processes_never_share_a_status_index(tmp_path: Path) -> None:
    data = tmp_path / "node"
    assert run_subprocess("issuer", "init", "--data-dir", str(data), "--name", "L", "--url", "https://l.example",
                          "--public-url", "https://badges.l.example").code == 0
    added = run_subprocess("issuer", "achievement", "add", "--data-dir", str(data), "--name", "Mentor",
                           "--description", "d", "--criteria", "c")
    achievement = added.out.strip()
    env = dict(os.environ, PYTHONPATH=str(NETGUARD_DIR))
    script = ("import sys; from pathlib import Path; from issuer_node.config import IssuerConfig; "
              "from issuer_node.node import open_node; from issuer_node.issuing import IssueRequest, Recipient, "
              "issue_batch; node = open_node(IssuerConfig(data_dir=Path(sys.argv[1]))); "
              "[issue_batch(node, [IssueRequest(achievement=sys.argv[2], recipient=Recipient(email=f'p{sys.argv[3]}-{i}@l.example'))"
              " for i in range(10)]) for _ in range(5)]; node.close()")
    procs = [subprocess.Popen([sys.executable, "-c", script, str(data), achievement, str(n)], env=env, cwd=REPO,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for n in range(4)]
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    import sqlite3

    conn = sqlite3.connect(data / "issuer.db")
    try:
        assert conn.execute("SELECT count(*) FROM credentials").fetchone()[0] == 200
        rows = conn.execute("SELECT l.purpose, a.list_key, a.idx FROM status_allocations a "
                            "JOIN status_lists l ON l.key = a.list_key").fetchall()
    finally:
        conn.close()
    assert len(rows) == 400 and len(set(rows)) == 400
    assert {purpose for purpose, _, _ in rows} == {"revocation", "suspension"}
