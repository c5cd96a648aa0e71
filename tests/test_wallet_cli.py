"""``satchel wallet``: every command documented, init refuses to overwrite, serve prints its URL and stops cleanly."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import NETGUARD_DIR, REPO


@pytest.mark.parametrize("command", ["init", "serve", "export", "import"])
def test_every_wallet_command_has_help(satchel: Callable[..., Any], command: str) -> None:
    result = satchel("wallet", command, "--help")
    assert result.code == 0 and "--data-dir" in result.out


def test_init_creates_a_private_secret_and_refuses_to_run_twice(tmp_path: Path, satchel: Callable[..., Any]) -> None:
    assert satchel("wallet", "init", "--data-dir", str(tmp_path / "w"), "--public-url", "https://w.example/").code == 0
    assert (tmp_path / "w" / "server.secret").stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "w" / "wallet.db").stat().st_mode & 0o777 == 0o600
    assert json.loads((tmp_path / "w" / "settings.json").read_text()) == {"publicUrl": "https://w.example"}
    again = satchel("wallet", "init", "--data-dir", str(tmp_path / "w"))
    assert again.code == 2 and again.err.startswith("error: ") and "already" in again.err
    bad = satchel("wallet", "init", "--data-dir", str(tmp_path / "x"), "--public-url", "ftp://w.example")
    assert bad.code == 2 and "public URL" in bad.err
    missing = satchel("wallet", "export", "--data-dir", str(tmp_path / "nothing"), "--account", "a@b.org",
                      "--out", str(tmp_path / "o"), "--passphrase-file", str(tmp_path / "p"))
    assert missing.code == 2 and "wallet init" in missing.err


@pytest.mark.slow
def test_serve_on_port_zero_prints_the_url_and_answers(tmp_path: Path, satchel: Callable[..., Any]) -> None:
    assert satchel("wallet", "init", "--data-dir", str(tmp_path / "w")).code == 0
    env = dict(os.environ, PYTHONPATH=str(NETGUARD_DIR))
    proc = subprocess.Popen([sys.executable, "-m", "satchel", "wallet", "serve", "--data-dir", str(tmp_path / "w"),
                             "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            cwd=REPO)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert "listening on http://127.0.0.1:" in line, proc.stderr.read() if proc.poll() is not None else line
        url = line.split("listening on ", 1)[1].split()[0]
        with urllib.request.urlopen(url + "/openapi.json", timeout=10) as response:
            paths = json.loads(response.read())["paths"]
        assert "/api/credentials" in paths and "/s/{token}" in paths
        body = json.dumps({"email": "ann@example.org", "password": "a good password"}).encode()
        request = urllib.request.Request(url + "/api/accounts", data=body, headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 201
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=20)
    assert proc.returncode == 0
    # The confirmation mail had no SMTP server: the log says where it went.
    assert "outbox" in err
