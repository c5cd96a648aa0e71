"""``satchel issuer bulk``: the file's format (header, encoding, limits), row faults, recipients, offers, reruns."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from bulk_support import HOLDER_DID, Run, count, csv_text, make_node, read_result

from issuer_node.bulk_csv import BulkFileError, parse_bulk_csv
from issuer_node.config import IssuerConfig
from issuer_node.node import open_node

HEADER = ["name", "email", "achievement"]


def _nothing_issued(data: Path) -> None:
    assert count(data, "SELECT count(*) FROM credentials") == 0
    assert count(data, "SELECT count(*) FROM bulk_rows") == 0
    assert count(data, "SELECT count(*) FROM awards") == 0


@pytest.mark.parametrize(("content", "expected"), [
    (b"name,emial,achievement\nA,a@x.example,X\n", "unknown column 'emial'"),
    (b"name,email,achievement,grade\nA,a@x.example,X,7\n", "unknown column 'grade'"),
    (b"name,achievement\nA,X\n", "lacks the required column email"),
    (b"name,email,email,achievement\nA,a@x.example,b@x.example,X\n", "'email' appears twice"),
    (b"", "the file is empty"),
    (b"\xef\xbb\xbf\r\n", "the file is empty"),
    (b"name,email,achievement\nJos\xe9,jose@x.example,X\n", "not UTF-8 text (byte 27, line 2)"),
    (b"name,email,achievement\nA,a@x.example,X\x00\n", "NUL bytes"),
    (b'name,email,achievement\n"A,a@x.example,X\n', "not valid CSV"),
], ids=["typo-column", "unknown-column", "missing-column", "repeated-column", "empty", "bom-only", "latin-1",
        "nul", "unclosed-quote"])
@pytest.mark.parametrize("mode", ["--dry-run", "real"])
def test_refuses_a_file_it_cannot_read_as_a_whole(satchel: Run, tmp_path: Path, content: bytes, expected: str,
                                                   mode: str) -> None:
    data, _ = make_node(satchel, tmp_path)
    path = tmp_path / "in.csv"
    path.write_bytes(content)
    result = satchel("issuer", "bulk", "--data-dir", str(data), str(path), *([mode] if mode == "--dry-run" else []))
    assert result.code == 2
    assert result.err.startswith("error: ") and expected in result.err, result.err
    assert "Traceback" not in result.err + result.out and result.out == ""
    _nothing_issued(data)
    assert not (tmp_path / "in.result.csv").exists()


def test_refuses_a_file_over_the_row_limit_before_issuing() -> None:
    content = csv_text(HEADER, [["A", f"a{i}@x.example", "X"] for i in range(6)]).encode()
    with pytest.raises(BulkFileError, match="more than 5 rows"):
        parse_bulk_csv(content, max_rows=5)
    assert len(parse_bulk_csv(content, max_rows=6).rows) == 6


def test_reads_a_bom_any_column_order_and_case_quoted_cells_and_skips_blank_rows(satchel: Run,
                                                                               tmp_path: Path) -> None:
    data, achievement = make_node(satchel, tmp_path)
    text = ("\ufeffEvidence_URL, Achievement ,NAME,Email,Narrative\r\n"
            f'https://a.example/plan https://a.example/video,{achievement},"Núñez, Ana",ana@x.example,'
            '"Taught a unit,\nthen shared it"\r\n'
            ",,,,\r\n"
            f",{achievement},Bo,bo@x.example,\r\n")
    path = tmp_path / "in.csv"
    path.write_bytes(text.encode("utf-8"))
    result = satchel("issuer", "bulk", "--data-dir", str(data), str(path))
    assert result.code == 0, result.out + result.err
    rows = read_result(tmp_path / "in.result.csv")
    # The blank row 2 is skipped but keeps its number, so row numbers match the file.
    assert [(r["row"], r["state"]) for r in rows] == [("1", "issued"), ("3", "issued")]
    node = open_node(IssuerConfig(data_dir=data), need_key=False)
    try:
        first = node.store.get_credential(rows[0]["credential_id"])
    finally:
        node.close()
    assert first is not None and first.recipient_name == "Núñez, Ana"
    evidence = first.document["evidence"]
    assert [e.get("id") for e in evidence if "id" in e] == ["https://a.example/plan", "https://a.example/video"]
    assert [e["narrative"] for e in evidence if "narrative" in e] == ["Taught a unit,\nthen shared it"]


def test_dry_run_names_each_bad_row_and_its_column_and_issues_nothing(satchel: Run, tmp_path: Path) -> None:
    data, achievement = make_node(satchel, tmp_path)
    foreign = make_node(satchel, tmp_path / "second")[1]  # Another node's achievement: unknown here.
    header = ["name", "email", "achievement", "did", "evidence_url"]
    rows = [
        ["Ann", "ann@x.example", achievement, "", ""],
        ["Ben", "not-an-email", achievement, "", ""],
        ["Cy", "cy@x.example", foreign, "", ""],
        ["Di", "", achievement, "", ""],
        ["Ed", "ed@x.example", achievement, "did:example bad", ""],
        ["Flo", "flo@x.example", achievement, "", "ftp://files.example/plan.pdf"],
        ["Gus", "gus@x.example", achievement, HOLDER_DID, "", "surplus"],
        ["Hal", "hal@@x", achievement, HOLDER_DID, ""],
        ["Ivy", "", achievement.rsplit("/", 1)[1], HOLDER_DID, ""],  # The uuid alone names it too.
    ]
    path = tmp_path / "in.csv"
    path.write_text(csv_text(header, rows), encoding="utf-8")
    result = satchel("issuer", "bulk", "--data-dir", str(data), str(path), "--dry-run")
    assert result.code == 1
    lines = result.out.splitlines()
    assert [line.split(":")[0] for line in lines[:-1]] == [
        "row 2, column email", "row 3, column achievement", "row 4, column email", "row 5, column did",
        "row 6, column evidence_url", "row 7", "row 8, column email"]
    assert "not an email address" in lines[0] and "give an email address or a did" in lines[2]
    assert "6 cells, but the header names 5 columns" in lines[5]
    assert lines[-1] == "9 rows: 2 would be issued, 7 refused (dry run: nothing issued)"
    _nothing_issued(data)


def test_a_clean_dry_run_exits_0(satchel: Run, tmp_path: Path) -> None:
    data, achievement = make_node(satchel, tmp_path)
    path = tmp_path / "in.csv"
    path.write_text(csv_text(HEADER, [["Ann", "ann@x.example", achievement]]), encoding="utf-8")
    result = satchel("issuer", "bulk", "--data-dir", str(data), str(path), "--dry-run")
    assert (result.code, result.out) == (0, "1 rows: 1 would be issued, 0 refused (dry run: nothing issued)\n")
    _nothing_issued(data)


def test_evidence_required_refuses_rows_without_evidence(satchel: Run, tmp_path: Path) -> None:
    data, achievement = make_node(satchel, tmp_path, "--evidence", "required")
    path = tmp_path / "in.csv"
    path.write_text(csv_text(HEADER + ["narrative"], [["Ann", "ann@x.example", achievement, "Led a workshop"],
                                                     ["Ben", "ben@x.example", achievement, ""]]), encoding="utf-8")
    result = satchel("issuer", "bulk", "--data-dir", str(data), str(path), "--result", str(tmp_path / "out.csv"))
    assert result.code == 1
    states = [(r["row"], r["state"], r["reason"][:30]) for r in read_result(tmp_path / "out.csv")]
    assert states == [("1", "issued", ""), ("2", "refused", "column evidence_url: the achie")]


def test_a_row_with_a_did_is_issued_to_the_did_and_an_email_row_to_the_hashed_email(satchel: Run,
                                                                                    tmp_path: Path) -> None:
    data, achievement = make_node(satchel, tmp_path)
    path = tmp_path / "in.csv"
    path.write_text(csv_text(HEADER + ["did"], [["Ann", "ann@x.example", achievement, HOLDER_DID],
                                               ["Ben", "Ben@X.example", achievement, ""]]), encoding="utf-8")
    assert satchel("issuer", "bulk", "--data-dir", str(data), str(path)).code == 0
    ids = [r["credential_id"] for r in read_result(tmp_path / "in.result.csv")]
    node = open_node(IssuerConfig(data_dir=data), need_key=False)
    try:
        to_did, to_email = (node.store.get_credential(i) for i in ids)
    finally:
        node.close()
    assert to_did is not None and to_did.document["credentialSubject"]["id"] == HOLDER_DID
    assert to_email is not None and "id" not in to_email.document["credentialSubject"]
    identity = to_email.document["credentialSubject"]["identifier"][0]
    assert identity["identityType"] == "emailAddress" and identity["hashed"] is True
    assert "ben@x.example" not in json.dumps(to_email.document).lower()


def test_offer_mode_sends_offers_to_email_rows_and_issues_did_rows(satchel: Run, tmp_path: Path) -> None:
    data, achievement = make_node(satchel, tmp_path)
    path = tmp_path / "in.csv"
    path.write_text(csv_text(HEADER + ["did"], [["Ann", "ann@x.example", achievement, ""],
                                               ["Ben", "ben@x.example", achievement, HOLDER_DID]]), encoding="utf-8")
    result = satchel("issuer", "bulk", "--data-dir", str(data), str(path), "--offer")
    assert result.code == 0, result.err
    offered, issued = read_result(tmp_path / "in.result.csv")
    assert offered["state"] == "offer sent" and offered["credential_id"] == ""
    assert offered["offer_url"].startswith("openid-credential-offer://?credential_offer_uri=https%3A%2F%2Fbadges")
    assert issued["state"] == "issued" and issued["credential_id"].startswith("https://badges.riverside")
    assert count(data, "SELECT count(*) FROM awards WHERE email = 'ann@x.example'") == 1
    assert count(data, "SELECT count(*) FROM outbox WHERE recipient = 'ann@x.example'") == 1
    # The same file again offers nothing new: the award is the row's, once.
    assert satchel("issuer", "bulk", "--data-dir", str(data), str(path), "--offer").code == 0
    assert count(data, "SELECT count(*) FROM awards") == 1
    assert count(data, "SELECT count(*) FROM credentials") == 1


def test_rerunning_the_file_issues_only_rows_refused_before_once_the_node_allows_them(satchel: Run,
                                                                                     tmp_path: Path) -> None:
    data, first = make_node(satchel, tmp_path)
    second = satchel("issuer", "achievement", "add", "--data-dir", str(data), "--name", "Second",
                     "--description", "d", "--criteria", "c").out.strip()
    node = open_node(IssuerConfig(data_dir=data), need_key=False)
    try:
        node.store.set_achievement_retired(second, True)
    finally:
        node.close()
    path = tmp_path / "in.csv"
    path.write_text(csv_text(HEADER, [["Ann", "ann@x.example", first], ["Ben", "ben@x.example", second]]),
                    encoding="utf-8")
    refused = satchel("issuer", "bulk", "--data-dir", str(data), str(path))
    assert refused.code == 1 and "row 2, column achievement: the achievement 'Second' is retired" in refused.out
    assert [r["state"] for r in read_result(tmp_path / "in.result.csv")] == ["issued", "refused"]

    node = open_node(IssuerConfig(data_dir=data), need_key=False)
    try:
        node.store.set_achievement_retired(second, False)
    finally:
        node.close()
    again = satchel("issuer", "bulk", "--data-dir", str(data), str(path))
    assert again.code == 0, again.out
    assert "resumed bulk job" in again.err and "1 rows were done before" in again.err
    assert [r["state"] for r in read_result(tmp_path / "in.result.csv")] == ["issued", "issued"]
    assert count(data, "SELECT count(*) FROM credentials") == 2
    assert count(data, "SELECT count(*) FROM credentials WHERE recipient_email = 'ann@x.example'") == 1


def test_a_real_run_needs_the_key_a_dry_run_does_not(satchel: Run, tmp_path: Path) -> None:
    data = tmp_path / "node"
    secret = tmp_path / "pass.txt"
    secret.write_text("correct horse battery staple\n")
    assert satchel("issuer", "init", "--data-dir", str(data), "--name", "R", "--url", "https://r.example",
                   "--public-url", "https://b.r.example", "--passphrase-file", str(secret)).code == 0
    achievement = satchel("issuer", "achievement", "add", "--data-dir", str(data), "--name", "N",
                          "--description", "d", "--criteria", "c").out.strip()
    path = tmp_path / "in.csv"
    path.write_text(csv_text(HEADER, [["Ann", "ann@x.example", achievement]]), encoding="utf-8")
    assert satchel("issuer", "bulk", "--data-dir", str(data), str(path), "--dry-run").code == 0
    locked = satchel("issuer", "bulk", "--data-dir", str(data), str(path))
    assert locked.code == 2 and locked.err.startswith("error:") and "passphrase" in locked.err
    _nothing_issued(data)
    opened = satchel("issuer", "bulk", "--data-dir", str(data), str(path), "--passphrase-file", str(secret))
    assert opened.code == 0, opened.err
    assert count(data, "SELECT count(*) FROM credentials") == 1


def test_result_cells_never_start_a_formula(satchel: Run, tmp_path: Path) -> None:
    data, achievement = make_node(satchel, tmp_path)
    path = tmp_path / "in.csv"
    path.write_text(csv_text(HEADER, [["Ann", "=HYPERLINK(\"https://evil.example\")", achievement]]),
                    encoding="utf-8")
    satchel("issuer", "bulk", "--data-dir", str(data), str(path))
    row = read_result(tmp_path / "in.result.csv")[0]
    assert row["state"] == "refused" and row["reason"].startswith("column email: not an email address")
    assert not any(value.startswith(("=", "+", "-", "@")) for value in row.values())


def test_the_progress_bar_shows_on_a_terminal_only(satchel: Run, tmp_path: Path) -> None:
    import os
    import pty
    import subprocess
    import sys

    from conftest import NETGUARD_DIR, REPO, run_subprocess

    data, achievement = make_node(satchel, tmp_path)
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    first.write_text(csv_text(HEADER, [["Ann", "ann@x.example", achievement]]), encoding="utf-8")
    second.write_text(csv_text(HEADER, [["Ben", "ben@x.example", achievement]]), encoding="utf-8")

    plain = run_subprocess("issuer", "bulk", "--data-dir", str(data), str(first))
    assert plain.code == 0 and "\r" not in plain.err and "[" not in plain.err
    assert plain.out.startswith("1 rows: 1 issued, 0 offer sent, 0 refused in ")

    master, slave = pty.openpty()
    env = dict(os.environ, PYTHONPATH=str(NETGUARD_DIR))
    proc = subprocess.Popen([sys.executable, "-m", "satchel", "issuer", "bulk", "--data-dir", str(data), str(second)],
                            cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=slave)
    os.close(slave)
    seen = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:  # EIO: the child closed the terminal.
            break
        if not chunk:
            break
        seen += chunk
    os.close(master)
    assert proc.wait(timeout=60) == 0
    assert proc.stdout is not None and proc.stdout.read().startswith(b"1 rows: 1 issued")
    proc.stdout.close()
    assert b"\r[##############################] 1/1 rows" in seen


def test_a_result_path_in_no_directory_is_refused_before_issuing(satchel: Run, tmp_path: Path) -> None:
    data, achievement = make_node(satchel, tmp_path)
    path = tmp_path / "in.csv"
    path.write_text(csv_text(HEADER, [["Ann", "ann@x.example", achievement]]), encoding="utf-8")
    result = satchel("issuer", "bulk", "--data-dir", str(data), str(path), "--result", str(tmp_path / "no" / "r.csv"))
    assert result.code == 2 and result.err.startswith("error: cannot write the result") and "Traceback" not in result.err
    _nothing_issued(data)


def test_a_corrected_file_does_not_issue_again_to_those_who_hold_the_achievement(satchel: Run,
                                                                                tmp_path: Path) -> None:
    data, achievement = make_node(satchel, tmp_path)
    first = tmp_path / "first.csv"
    first.write_text(csv_text(HEADER + ["did"], [["Ann", "ann@x.example", achievement, ""],
                                                ["Ben", "ben@x", achievement, ""],
                                                ["Cy", "", achievement, HOLDER_DID]]), encoding="utf-8")
    assert satchel("issuer", "bulk", "--data-dir", str(data), str(first)).code == 1  # Ben's email is bad.
    again = satchel("issuer", "bulk", "--data-dir", str(data), str(first), "--dry-run")
    assert again.code == 1
    assert again.out.splitlines()[-1] == ("3 rows: 0 would be issued, 1 refused, 2 done by an earlier run "
                                          "(dry run: nothing issued)")

    # The operator fixes Ben's email and uploads the whole file again: a new job, but Ann and Cy hold the badge.
    fixed = tmp_path / "fixed.csv"
    fixed.write_text(csv_text(HEADER + ["did"], [["Ann", "ANN@x.example", achievement, ""],
                                                ["Ben", "ben@x.example", achievement, ""],
                                                ["Cy", "", achievement, HOLDER_DID],
                                                ["Ben again", "ben@x.example", achievement, ""]]), encoding="utf-8")
    checked = satchel("issuer", "bulk", "--data-dir", str(data), str(fixed), "--dry-run")
    assert checked.code == 1
    assert checked.out.splitlines()[:-1] == [
        "row 1, column email: ann@x.example already holds this achievement (a credential not revoked, or an open "
        "offer)",
        f"row 3, column did: {HOLDER_DID} already holds this achievement (a credential not revoked, or an open offer)",
        "row 4, column email: the same recipient and achievement as row 2"]
    run = satchel("issuer", "bulk", "--data-dir", str(data), str(fixed))
    assert run.code == 1
    assert [r["state"] for r in read_result(tmp_path / "fixed.result.csv")] == ["refused", "issued", "refused",
                                                                                "refused"]
    assert count(data, "SELECT count(*) FROM credentials") == 3

    # Asked for, duplicates are issued.
    extra = tmp_path / "extra.csv"
    extra.write_text(csv_text(HEADER, [["Ann", "ann@x.example", achievement]]), encoding="utf-8")
    assert satchel("issuer", "bulk", "--data-dir", str(data), str(extra), "--allow-duplicates").code == 0
    assert count(data, "SELECT count(*) FROM credentials WHERE recipient_email = 'ann@x.example'") == 2
