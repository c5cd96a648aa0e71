"""A bulk run SIGKILLed mid-way by a real subprocess, then run again: no duplicate, no gap, no index reused."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from bulk_support import Run, count, csv_text, db, make_node, read_result, teachers
from conftest import NETGUARD_DIR, REPO, run_subprocess

ROWS = 2_000
BAD = {5: ("email", "no-at-sign"), 1_500: ("did", "did:nope")}


def _kill_mid_run(command: list[str], data: Path, total: int) -> int:
    """Start ``command``, SIGKILL it once some but not all credentials are committed; return how many were."""
    env = dict(os.environ, PYTHONPATH=str(NETGUARD_DIR))
    proc = subprocess.Popen([sys.executable, "-m", "satchel", *command], cwd=REPO, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            if (data / "issuer.db").exists() and 0 < count(data, "SELECT count(*) FROM credentials") < total // 2:
                proc.send_signal(signal.SIGKILL)
                break
            time.sleep(0.005)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL, (proc.returncode, proc.stderr.read() if proc.stderr else b"")
    if proc.stderr:
        proc.stderr.close()
    return count(data, "SELECT count(*) FROM credentials")


def _integrity(data: Path) -> str:
    conn = db(data)
    try:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])
    finally:
        conn.close()


@pytest.mark.slow
def test_a_killed_run_resumes_at_the_first_uncommitted_row(satchel: Run, tmp_path: Path) -> None:
    data, achievement = make_node(satchel, tmp_path)
    path = tmp_path / "district.csv"
    path.write_text(csv_text(["name", "email", "achievement", "did"], teachers(ROWS, achievement, bad=BAD)),
                    encoding="utf-8")
    good = ROWS - len(BAD)
    command = ["issuer", "bulk", "--data-dir", str(data), str(path), "--batch-size", "50"]

    committed = _kill_mid_run(command, data, good)
    assert 0 < committed < good
    # What was committed is whole batches of rows, each row with its credential: nothing half-done.
    assert count(data, "SELECT count(*) FROM bulk_rows WHERE state = 'issued'") == committed
    assert count(data, "SELECT count(*) FROM status_allocations") == 2 * committed
    assert _integrity(data) == "ok"

    rerun = run_subprocess(*command)
    assert rerun.code == 1, rerun.err  # Exit 1: the two bad rows are refused.
    assert "Traceback" not in rerun.err
    assert f"{committed:,} rows were done before" in rerun.err

    # No gap: every good row issued. No duplicate: one credential per good row, by row number and by recipient.
    conn = db(data)
    try:
        issued = conn.execute("SELECT b.row, c.recipient_email, c.recipient_did, c.recipient_name FROM bulk_rows b "
                              "JOIN credentials c ON c.key = b.credential_key WHERE b.state = 'issued'").fetchall()
        refused = [r[0] for r in conn.execute("SELECT row FROM bulk_rows WHERE state = 'refused' ORDER BY row")]
        names = [r[0] for r in conn.execute("SELECT recipient_name FROM credentials")]
        slots = conn.execute("SELECT list_key, idx, credential_key FROM status_allocations").fetchall()
        credentials = int(conn.execute("SELECT count(*) FROM credentials").fetchone()[0])
    finally:
        conn.close()
    rows = sorted(r[0] for r in issued)
    assert rows == [n for n in range(1, ROWS + 1) if n not in BAD]
    assert credentials == good and len(names) == len(set(names)) == good
    assert all(name == f"Teacher {row}" for row, _, _, name in issued)
    assert refused == sorted(BAD)
    # Status indices: two per credential, never one twice.
    assert len(slots) == 2 * good and len({(s[0], s[1]) for s in slots}) == len(slots)
    assert _integrity(data) == "ok"

    results = read_result(tmp_path / "district.result.csv")
    assert [int(r["row"]) for r in results] == list(range(1, ROWS + 1))
    assert len({r["credential_id"] for r in results if r["state"] == "issued"}) == good


@pytest.mark.slow
def test_two_runs_of_one_file_at_once_issue_each_row_once(satchel: Run, tmp_path: Path) -> None:
    data, achievement = make_node(satchel, tmp_path)
    path = tmp_path / "district.csv"
    rows = 600
    path.write_text(csv_text(["name", "email", "achievement", "did"], teachers(rows, achievement)), encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=str(NETGUARD_DIR))
    procs = [subprocess.Popen([sys.executable, "-m", "satchel", "issuer", "bulk", "--data-dir", str(data), str(path),
                               "--batch-size", "20", "--result", str(tmp_path / f"result{n}.csv")],
                              cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
             for n in (1, 2)]
    errors = [proc.communicate(timeout=120)[1].decode() for proc in procs]
    assert [proc.returncode for proc in procs] == [0, 0], errors
    assert count(data, "SELECT count(*) FROM credentials") == rows
    assert count(data, "SELECT count(DISTINCT recipient_name) FROM credentials") == rows
    assert count(data, "SELECT count(*) FROM bulk_rows WHERE state = 'issued'") == rows
    first, second = (read_result(tmp_path / f"result{n}.csv") for n in (1, 2))
    assert first == second and len(first) == rows
