"""Helpers of the bulk CSV tests: a node with an achievement, CSV files, and looks into the node's database."""

from __future__ import annotations

import csv
import io
import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path

from conftest import Result

from credentials.keys import key_pair_from_seed

Run = Callable[..., Result]
HOLDER_DID = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
PUBLIC_URL = "https://badges.riverside.example.org"


def make_node(satchel: Run, tmp_path: Path, *achievement_args: str) -> tuple[Path, str]:
    """An initialized node in ``tmp_path/node`` and one achievement's id."""
    data = tmp_path / "node"
    init = satchel("issuer", "init", "--data-dir", str(data), "--name", "Riverside USD",
                   "--url", "https://riverside.example.org", "--public-url", PUBLIC_URL)
    assert init.code == 0, init.err
    added = satchel("issuer", "achievement", "add", "--data-dir", str(data), "--name", "Classroom Data Literacy",
                    "--description", "Uses student data to plan lessons", "--criteria", "Submit a lesson plan",
                    *achievement_args)
    assert added.code == 0, added.err
    return data, added.out.strip()


def csv_text(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def did_of(number: int) -> str:
    """Teacher ``number``'s own did:key (a fixed seed per number)."""
    return key_pair_from_seed(number.to_bytes(32, "big")).did


def teachers(count: int, achievement: str, *, bad: dict[int, tuple[str, str]] | None = None) -> list[list[str]]:
    """``count`` rows (name, email, achievement, did): every third one to its DID; ``bad`` = {row: (column, value)}."""
    rows = []
    for number in range(1, count + 1):
        row = {"name": f"Teacher {number}", "email": f"teacher{number}@riverside.example.org",
               "achievement": achievement, "did": did_of(number) if number % 3 == 0 else ""}
        if bad and number in bad:
            column, value = bad[number]
            row[column] = value
        rows.append([row["name"], row["email"], row["achievement"], row["did"]])
    return rows


def db(data: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(data / "issuer.db", timeout=30)
    conn.execute("PRAGMA busy_timeout = 30000")
    return conn


def count(data: Path, sql: str, params: Sequence[object] = ()) -> int:
    conn = db(data)
    try:
        return int(conn.execute(sql, params).fetchone()[0])
    finally:
        conn.close()


def read_result(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))
