"""A bulk CSV of 2,000 rows with 3 bad rows: the dry run names them, the run issues 1,997 valid credentials once."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from bulk_support import PUBLIC_URL, Run, count, csv_text, db, did_of, make_node, read_result, teachers

from issuer_node.config import IssuerConfig
from issuer_node.node import open_node
from issuer_node.statuslists import published_status_list

ROWS = 2_000
BAD = {17: ("email", "teacher17.riverside.example.org"),
       1234: ("achievement", f"{PUBLIC_URL}/achievements/00000000-0000-4000-8000-000000000000"),
       1999: ("did", "did:key:z6Mk not a key")}


@pytest.mark.slow
def test_two_thousand_rows_with_three_bad_ones(satchel: Run, tmp_path: Path,
                                               write_json: Callable[[str, Any], str]) -> None:
    data, achievement = make_node(satchel, tmp_path)
    path = tmp_path / "district.csv"
    path.write_text(csv_text(["name", "email", "achievement", "did"], teachers(ROWS, achievement, bad=BAD)),
                    encoding="utf-8")

    dry = satchel("issuer", "bulk", "--data-dir", str(data), str(path), "--dry-run")
    assert dry.code == 1
    *faults, summary = dry.out.splitlines()
    assert [fault.split(":")[0] for fault in faults] == [
        "row 17, column email", "row 1234, column achievement", "row 1999, column did"]
    assert summary == "2,000 rows: 1,997 would be issued, 3 refused (dry run: nothing issued)"
    assert count(data, "SELECT count(*) FROM credentials") == 0

    result_path = tmp_path / "result.csv"
    run = satchel("issuer", "bulk", "--data-dir", str(data), str(path), "--result", str(result_path))
    assert run.code == 1, run.err
    assert run.out.splitlines()[:3] == faults
    assert run.out.splitlines()[3].startswith("2,000 rows: 1,997 issued, 0 offer sent, 3 refused in ")

    results = read_result(result_path)
    assert [int(r["row"]) for r in results] == list(range(1, ROWS + 1))
    refused = {int(r["row"]): r["reason"] for r in results if r["state"] == "refused"}
    assert sorted(refused) == sorted(BAD)
    assert refused[17].startswith("column email: not an email address")
    assert refused[1234].startswith("column achievement: no achievement")
    assert refused[1999].startswith("column did: not a DID")
    issued = [r for r in results if r["state"] == "issued"]
    assert len(issued) == 1_997 and all(r["credential_id"].startswith(f"{PUBLIC_URL}/credentials/") for r in issued)
    assert len({r["credential_id"] for r in issued}) == 1_997

    # The register holds exactly those credentials, each with its own two status positions.
    assert count(data, "SELECT count(*) FROM credentials") == 1_997
    conn = db(data)
    try:
        slots = conn.execute("SELECT l.purpose, a.list_key, a.idx FROM status_allocations a "
                             "JOIN status_lists l ON l.key = a.list_key").fetchall()
        ids = {row[0] for row in conn.execute("SELECT id FROM credentials")}
    finally:
        conn.close()
    assert ids == {r["credential_id"] for r in issued}
    assert len(slots) == 2 * 1_997 and len(set(slots)) == len(slots)
    assert sum(1 for s in slots if s[0] == "revocation") == 1_997

    # A few of them, to a DID and to an email, verify with their status lists (not revoked).
    node = open_node(IssuerConfig(data_dir=data))
    try:
        for number in (1, 3, 1_000, 2_000):
            record = node.store.get_credential(results[number - 1]["credential_id"])
            assert record is not None
            subject = record.document["credentialSubject"]
            if number % 3 == 0:
                assert subject["id"] == did_of(number)
            else:
                assert record.recipient_email == f"teacher{number}@riverside.example.org" and "id" not in subject
            lists = []
            for position, entry in enumerate(record.document["credentialStatus"]):
                status_list = published_status_list(node, entry["statusListCredential"].rsplit("/", 1)[1])
                lists += ["--status-list", write_json(f"list{position}.json", status_list)]
            report = satchel("verify", "--json", "--require-status", *lists, write_json("vc.json", record.document))
            assert report.code == 0, report.out
            checks = report.json()["checks"]
            assert [c["status"] for c in checks if c["name"] == "status"] == ["passed", "passed"]
            assert json.dumps(record.document).count(did_of(number)) == (1 if number % 3 == 0 else 0)
    finally:
        node.close()

    # The same file again issues nothing more.
    again = satchel("issuer", "bulk", "--data-dir", str(data), str(path), "--result", str(result_path))
    assert again.code == 1 and "1,997 rows were done before" in again.err
    assert count(data, "SELECT count(*) FROM credentials") == 1_997
    assert read_result(result_path) == results
