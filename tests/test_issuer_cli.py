"""``satchel issuer`` on the command line: init (key file, sealing), achievements, issue, status changes, users."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import Result

from credentials.statuslist import decode_encoded_list, get_status
from issuer_node.config import IssuerConfig
from issuer_node.node import open_node
from issuer_node.statuslists import published_status_list

Run = Callable[..., Result]


def _init(satchel: Run, data: Path, *extra: str) -> tuple[str, str]:
    result = satchel("issuer", "init", "--data-dir", str(data), "--name", "Riverside USD",
                     "--url", "https://riverside.example.org", "--public-url", "https://badges.riverside.example.org",
                     *extra)
    assert result.code == 0, result.err
    did, token = result.out.split()
    return did, token


def _achievement(satchel: Run, data: Path, *extra: str) -> str:
    result = satchel("issuer", "achievement", "add", "--data-dir", str(data), "--name", "Classroom Data Literacy",
                     "--description", "Uses student data to plan lessons", "--criteria", "Submit a lesson plan",
                     "--tag", "data", "--alignment", "ISTE 1.5=https://iste.org/standards/1-5", *extra)
    assert result.code == 0, result.err
    return result.out.strip()


def test_init_prints_the_did_and_a_token_and_writes_a_0600_key(satchel: Run, tmp_path: Path) -> None:
    data = tmp_path / "node"
    did, token = _init(satchel, data)
    assert did.startswith("did:key:z6Mk")
    assert len(token) >= 40
    key_file = data / "issuer.key"
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    assert json.loads(key_file.read_text())["id"] == did
    # The token is stored hashed only.
    assert token.encode() not in (data / "issuer.db").read_bytes()


def test_init_refuses_to_replace_an_existing_node(satchel: Run, tmp_path: Path) -> None:
    data = tmp_path / "node"
    did, _ = _init(satchel, data)
    again = satchel("issuer", "init", "--data-dir", str(data), "--name", "Other", "--url", "https://o.example")
    assert again.code == 2
    assert again.err.startswith("error:") and "already holds an issuer node" in again.err
    assert json.loads((data / "issuer.key").read_text())["id"] == did


def test_sealed_key_needs_its_passphrase(satchel: Run, tmp_path: Path) -> None:
    data = tmp_path / "node"
    secret = tmp_path / "pass.txt"
    secret.write_text("correct horse battery staple\n")
    wrong = tmp_path / "wrong.txt"
    wrong.write_text("incorrect horse\n")
    did, _ = _init(satchel, data, "--passphrase-file", str(secret))
    raw = (data / "issuer.key").read_bytes()
    assert raw.startswith(b"SATCHSBX") and did.encode() not in raw
    assert stat.S_IMODE(os.stat(data / "issuer.key").st_mode) == 0o600
    achievement = _achievement(satchel, data)  # Defining needs no key.

    no_pass = satchel("issuer", "issue", "--data-dir", str(data), "--achievement", achievement, "--email", "t@x.example")
    assert no_pass.code == 2 and no_pass.err.startswith("error:") and "passphrase" in no_pass.err
    bad = satchel("issuer", "issue", "--data-dir", str(data), "--achievement", achievement, "--email", "t@x.example",
                  "--passphrase-file", str(wrong))
    assert bad.code == 2 and bad.err.startswith("error:") and "does not open" in bad.err
    assert bad.out == ""
    good = satchel("issuer", "issue", "--data-dir", str(data), "--achievement", achievement, "--email", "t@x.example",
                   "--passphrase-file", str(secret))
    assert good.code == 0, good.err
    assert good.json()["issuer"]["id"] == did


def test_achievement_add_and_list(satchel: Run, tmp_path: Path) -> None:
    data = tmp_path / "node"
    _init(satchel, data)
    image = tmp_path / "badge.svg"
    image.write_text('<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>')
    first = _achievement(satchel, data, "--image", str(image), "--evidence", "required")
    assert first.startswith("https://badges.riverside.example.org/achievements/")
    listed = satchel("issuer", "achievement", "list", "--data-dir", str(data))
    assert listed.code == 0
    assert listed.out.splitlines() == [f"{first}\tClassroom Data Literacy"]
    as_json = satchel("issuer", "achievement", "list", "--data-dir", str(data), "--json").json()
    assert as_json[0]["evidence"] == "required" and as_json[0]["tags"] == ["data"]
    bad = satchel("issuer", "achievement", "add", "--data-dir", str(data), "--name", "X", "--description", "d",
                  "--criteria", "c", "--alignment", "no url here")
    assert bad.code == 2 and "NAME=URL" in bad.err


def test_issue_prints_a_credential_that_verifies_and_revoke_sets_its_bit(satchel: Run, tmp_path: Path,
                                                                           write_json: Callable[[str, object], str]) -> None:
    data = tmp_path / "node"
    did, _ = _init(satchel, data)
    achievement = _achievement(satchel, data)
    result = satchel("issuer", "issue", "--data-dir", str(data), "--achievement", achievement,
                     "--did", "did:key:z6MkpTHR8VNsBxYAAWHut2Geadd9jSwuBV8xRoAnwWsdvktH", "--name", "Tea Cher",
                     "--narrative", "Taught a unit with a class dashboard", "--evidence-url", "https://e.example/plan")
    assert result.code == 0, result.err
    credential = result.json()
    assert credential["credentialSubject"]["id"] == "did:key:z6MkpTHR8VNsBxYAAWHut2Geadd9jSwuBV8xRoAnwWsdvktH"
    assert {e.get("id") for e in credential["evidence"]} == {"https://e.example/plan", None}
    assert [s["statusPurpose"] for s in credential["credentialStatus"]] == ["revocation", "suspension"]

    revoked = satchel("issuer", "revoke", "--data-dir", str(data), credential["id"], "--reason", "issued in error")
    assert revoked.code == 0, revoked.err
    assert revoked.out.strip() == f"revoked {credential['id']}"
    again = satchel("issuer", "revoke", "--data-dir", str(data), credential["id"], "--reason", "twice")
    assert again.code == 1 and "revocation is final" in again.err
    unknown = satchel("issuer", "suspend", "--data-dir", str(data), "https://nowhere.example/credentials/x",
                      "--reason", "r")
    assert unknown.code == 2 and unknown.err.startswith("error: no credential")

    node = open_node(IssuerConfig(data_dir=data))
    try:
        entry = credential["credentialStatus"][0]
        status_list = published_status_list(node, entry["statusListCredential"].rsplit("/", 1)[1])
    finally:
        node.close()
    bits = decode_encoded_list(status_list["credentialSubject"]["encodedList"])
    assert get_status(bits, int(entry["statusListIndex"])) == 1
    report = satchel("verify", "--json", "--status-list", write_json("list.json", status_list),
                     write_json("vc.json", credential))
    assert report.code == 1
    status_checks = [c for c in report.json()["checks"] if c["name"] == "status"]
    assert any(c["status"] == "failed" and "revoked" in c["detail"] for c in status_checks)


def test_issue_refuses_bad_recipients_and_missing_evidence(satchel: Run, tmp_path: Path) -> None:
    data = tmp_path / "node"
    _init(satchel, data)
    required = _achievement(satchel, data, "--evidence", "required")
    no_evidence = satchel("issuer", "issue", "--data-dir", str(data), "--achievement", required, "--email", "t@x.example")
    assert no_evidence.code == 2 and "requires evidence" in no_evidence.err
    bad_email = satchel("issuer", "issue", "--data-dir", str(data), "--achievement", required, "--email", "nobody",
                        "--narrative", "n")
    assert bad_email.code == 2 and "not an email address" in bad_email.err
    unknown = satchel("issuer", "issue", "--data-dir", str(data), "--achievement", "https://x.example/achievements/0",
                      "--email", "t@x.example")
    assert unknown.code == 2 and "no achievement" in unknown.err
    both = satchel("issuer", "issue", "--data-dir", str(data), "--achievement", required, "--email", "t@x.example",
                   "--did", "did:key:z6Mk")
    assert both.code == 2  # argparse: --did and --email are exclusive


def test_user_add_prints_a_one_time_password_stored_hashed(satchel: Run, tmp_path: Path) -> None:
    data = tmp_path / "node"
    _init(satchel, data)
    result = satchel("issuer", "user", "add", "--data-dir", str(data), "--email", "rev@riverside.example.org",
                     "--role", "reviewer")
    assert result.code == 0, result.err
    password = result.out.strip()
    assert len(password) >= 12
    node = open_node(IssuerConfig(data_dir=data), need_key=False)
    try:
        user = node.store.get_user_by_email("rev@riverside.example.org")
    finally:
        node.close()
    assert user is not None and user.role == "reviewer"
    assert user.password_hash is not None and user.password_hash.startswith("$argon2id$")
    assert password not in user.password_hash
    twice = satchel("issuer", "user", "add", "--data-dir", str(data), "--email", "rev@riverside.example.org",
                    "--role", "admin")
    assert twice.code == 1 and "already exists" in twice.err


@pytest.mark.parametrize(("command", "rest"), [
    (["achievement", "list"], []),
    (["issue"], ["--achievement", "x", "--email", "a@b.example"]),
    (["revoke"], ["x", "--reason", "r"]),
    (["user", "add"], ["--email", "a@b.example", "--role", "admin"]),
])
def test_commands_on_a_directory_that_is_not_a_node_say_so(satchel: Run, tmp_path: Path, command: list[str],
                                                           rest: list[str]) -> None:
    result = satchel("issuer", *command, "--data-dir", str(tmp_path / "empty"), *rest)
    assert result.code == 2
    assert result.err.startswith("error:") and "not an issuer data directory" in result.err


def test_a_key_file_others_can_read_is_refused(satchel: Run, tmp_path: Path) -> None:
    data = tmp_path / "node"
    _init(satchel, data)
    achievement = _achievement(satchel, data)
    os.chmod(data / "issuer.key", 0o644)
    result = satchel("issuer", "issue", "--data-dir", str(data), "--achievement", achievement, "--did",
                     "did:key:z6MkpTHR8VNsBxYAAWHut2Geadd9jSwuBV8xRoAnwWsdvktH")
    assert result.code == 2 and result.out == ""
    assert result.err.startswith("error:") and "chmod 600" in result.err
