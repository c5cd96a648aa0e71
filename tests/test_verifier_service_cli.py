"""``satchel verifier serve``: a real subprocess prints its URL, verifies with the registry it was given, stops on SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from conftest import NETGUARD_DIR, REPO
from verifier_service_support import issue, signed_registry

from credentials.keys import generate_key_pair


def _post(url: str, body: Any) -> Any:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=20) as response:
        return json.loads(response.read())


@pytest.mark.slow
def test_serve_prints_its_url_uses_its_registries_and_stops_on_sigterm(tmp_path: Path) -> None:
    district, operator, teacher = generate_key_pair(), generate_key_pair(), generate_key_pair()
    own = tmp_path / "own.json"
    own.write_text(json.dumps([{"did": district.did, "name": "Lakeside School District"}]))
    signed = tmp_path / "signed.json"
    signed.write_text(json.dumps(signed_registry(operator, [{"did": district.did, "name": "Lakeside (state list)"}])))
    env = dict(os.environ, PYTHONPATH=str(NETGUARD_DIR))
    proc = subprocess.Popen([sys.executable, "-m", "satchel", "verifier", "serve", "--port", "0", "--registry", str(own),
                             "--registry", str(signed), "--allow-host", "127.0.0.1"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=REPO)
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:"), proc.stderr.read() if proc.stderr else ""
        with urllib.request.urlopen(url + "/openapi.json", timeout=10) as response:
            assert "/credentials/verify" in json.loads(response.read())["paths"]
        with urllib.request.urlopen(url + "/", timeout=10) as response:
            page = response.read().decode()
        assert "signed by " + operator.did in page and "Share links are fetched only from: 127.0.0.1" in page
        result = _post(url + "/credentials/verify", {"verifiableCredential": issue(district, recipient=teacher.did)})
        assert result["verified"] is True
        # The first registry given is the more authoritative one.
        assert result["report"]["badge"]["issuer"]["registry_name"] == "Lakeside School District"
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err


@pytest.mark.parametrize(("content", "message"), [
    ('{"issuers": "nobody"}', "a trust registry is"),
    ("not json", "trust registry"),
])
def test_a_bad_registry_file_is_a_usage_error(satchel: Any, tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "registry.json"
    path.write_text(content)
    result = satchel("verifier", "serve", "--port", "0", "--registry", str(path))
    assert result.code == 2 and result.err.startswith("error: ") and message in result.err


def test_a_tampered_signed_registry_is_refused_at_start(satchel: Any, tmp_path: Path) -> None:
    registry = signed_registry(generate_key_pair(), [{"did": generate_key_pair().did, "name": "Lakeside"}])
    registry["credentialSubject"]["issuers"][0]["name"] = "Someone Else"
    path = tmp_path / "signed.json"
    path.write_text(json.dumps(registry))
    result = satchel("verifier", "serve", "--port", "0", "--registry", str(path))
    assert result.code == 2 and "does not verify" in result.err


def test_help_describes_the_service(satchel: Any) -> None:
    result = satchel("verifier", "serve", "--help")
    assert result.code == 0 and "--allow-host" in result.out and "/presentations/verify" in result.out
