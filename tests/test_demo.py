"""``satchel demo`` as a person starts it: a real child process, its printed URLs, SIGTERM."""

from __future__ import annotations

import json
import subprocess
import urllib.request
from pathlib import Path

import pytest
from conftest import run_subprocess
from demo_support import SERVICE_LINES, start_demo

pytestmark = pytest.mark.slow


def _get(url: str, *, accept: str = "text/html") -> tuple[int, str, bytes]:
    request = urllib.request.Request(url, headers={"Accept": accept})
    with urllib.request.urlopen(request, timeout=30) as response:  # Follows the wallet's redirect to its login page.
        return response.status, response.headers.get_content_type(), response.read()


def test_demo_prints_five_urls_that_answer_a_verified_share_and_stops_on_sigterm(tmp_path: Path) -> None:
    data_dir = tmp_path / "demo"
    demo = start_demo(data_dir)
    try:
        assert list(demo.urls) == list(SERVICE_LINES)
        assert all(url.startswith("http://127.0.0.1:") for url in demo.urls.values())
        assert len({demo.urls[name] for name in ("issuer-a", "issuer-b", "wallet", "verifier")}) == 4
        assert demo.urls["share"].startswith(demo.urls["wallet"] + "s/")
        for role in ("admin", "reviewer"):
            assert demo.login("issuer-a", role)[0] != demo.login("issuer-b", role)[0]
        assert demo.login("wallet", "teacher")[1]
        for name, url in demo.urls.items():
            status, kind, body = _get(url)
            assert (status, kind) == (200, "text/html"), name
            assert b"<html" in body.lower()

        # The issuer nodes publish under the URLs they are bound to.
        status, _, body = _get(demo.urls["issuer-a"] + ".well-known/openid-credential-issuer", accept="application/json")
        assert json.loads(body)["credential_issuer"] == demo.urls["issuer-a"].rstrip("/")

        status, kind, body = _get(demo.urls["share"], accept="application/json")
        assert (status, kind) == (200, "application/json")
        presentation = json.loads(body)
        badges = [c for c in presentation["verifiableCredential"] if "OpenBadgeCredential" in c["type"]]
        assert len(badges) == 4
        issuers = {c["issuer"]["name"] for c in badges}
        assert issuers == {"Lakeside Unified School District", "Pine Valley School District"}
        share_file = tmp_path / "share.json"
        share_file.write_bytes(body)
        verified = run_subprocess("verify", str(share_file), "--json", "--registry", str(data_dir / "registry.json"),
                                  "--domain", demo.urls["wallet"].rstrip("/"), "--require-status")
        assert verified.code == 0, verified.out + verified.err
        report = verified.json()
        assert report["verified"] is True
        assert {c["name"]: c["status"] for c in report["checks"]}.get("domain") == "passed"
    finally:
        try:
            code = demo.stop(timeout=5.0)
        except subprocess.TimeoutExpired:
            demo.kill()
            pytest.fail("the demo did not stop within 5 seconds of SIGTERM")
    assert code == 0, "".join(demo.output)


def test_demo_data_dir_is_kept_and_served_again(tmp_path: Path) -> None:
    data_dir = tmp_path / "demo"
    first = start_demo(data_dir)
    first_urls, first_logins = dict(first.urls), dict(first.logins)
    assert first.stop() == 0
    second = start_demo(data_dir)
    try:
        assert second.urls == first_urls and second.logins == first_logins
        status, _kind, body = _get(second.urls["share"], accept="application/json")
        held = [c for c in json.loads(body)["verifiableCredential"] if "OpenBadgeCredential" in c["type"]]
        assert status == 200 and len(held) == 4
    finally:
        assert second.stop() == 0
