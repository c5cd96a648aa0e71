"""The issuer store on a real SQLite file: migrations, transactions, status index allocation."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timezone
from pathlib import Path

import pytest

from issuer_node.storage import Achievement, NewCredential, SqliteIssuerStore, open_store
from issuer_node.storage.migrations import MIGRATIONS, apply_migrations

NOW = datetime(2026, 9, 1, 8, 0, tzinfo=timezone.utc)
SIZE = 131_072


def _achievement(store: SqliteIssuerStore | object, key: str = "a1") -> Achievement:
    achievement = Achievement(key=key, id=f"http://n.example/achievements/{key}", name="Data", description="d",
                              criteria="c", image=None, tags=("t",), alignments=(), evidence_policy="optional",
                              retired=False, created=NOW)
    store.add_achievement(achievement)  # type: ignore[attr-defined]
    return achievement


def _credential(key: str) -> NewCredential:
    return NewCredential(key=key, id=f"http://n.example/credentials/{key}", achievement_key="a1",
                         document={"id": key}, issued_at=NOW, recipient_email="t@x.example", salt="s")


def test_new_database_is_at_the_newest_migration_and_reopens(tmp_path: Path) -> None:
    store = open_store(tmp_path / "issuer.db")
    assert store.schema_version() == len(MIGRATIONS)
    store.close()
    again = open_store(tmp_path / "issuer.db")
    assert again.schema_version() == len(MIGRATIONS)
    conn = sqlite3.connect(tmp_path / "issuer.db")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert [r[0] for r in conn.execute("SELECT version FROM migrations")] == list(range(1, len(MIGRATIONS) + 1))


def test_an_appended_migration_runs_once_and_a_failing_one_leaves_the_previous_version(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "x.db", isolation_level=None)
    applied: list[int] = []

    def add_column(c: sqlite3.Connection) -> None:
        applied.append(2)
        c.execute("ALTER TABLE settings ADD COLUMN note TEXT")

    def broken(c: sqlite3.Connection) -> None:
        c.execute("CREATE TABLE half (x)")
        raise RuntimeError("boom")

    steps = [*MIGRATIONS[:1], (2, "note", add_column)]
    assert apply_migrations(conn, steps) == 2
    assert apply_migrations(conn, steps) == 2
    assert applied == [2]
    with pytest.raises(RuntimeError, match="boom"):
        apply_migrations(conn, [*steps, (3, "broken", broken)])
    assert conn.execute("SELECT max(version) FROM migrations").fetchone()[0] == 2
    assert conn.execute("SELECT name FROM sqlite_master WHERE name = 'half'").fetchone() is None


def test_migration_list_with_a_gap_is_refused(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "x.db", isolation_level=None)
    with pytest.raises(RuntimeError, match="without gaps"):
        apply_migrations(conn, [*MIGRATIONS[:1], (3, "skips two", lambda c: None)])


def test_a_newer_database_than_the_code_is_refused(tmp_path: Path) -> None:
    open_store(tmp_path / "issuer.db").close()
    conn = sqlite3.connect(tmp_path / "issuer.db", isolation_level=None)
    conn.execute("INSERT INTO migrations VALUES (99, 'from the future', 'x')")
    with pytest.raises(RuntimeError, match="newer than this program"):
        open_store(tmp_path / "issuer.db")


def test_atomic_rolls_back_every_row_of_a_failed_batch(tmp_path: Path) -> None:
    store = SqliteIssuerStore(tmp_path / "issuer.db")
    _achievement(store)
    keys = ["c1", "c2", "c3"]
    with pytest.raises(RuntimeError):
        with store.atomic():
            store.allocate_status("revocation", keys, url_base="http://n.example/status", size=SIZE)
            store.insert_credentials([_credential(k) for k in keys])
            raise RuntimeError("crash before commit")
    assert store.count_credentials() == 0
    assert all(sum(1 for _ in store.allocated_indices(sl.key)) == 0 for sl in store.list_status_lists())


def test_allocation_without_its_credentials_cannot_commit(tmp_path: Path) -> None:
    """An index is never reserved for nothing: the allocation row's reference is checked at commit."""
    store = SqliteIssuerStore(tmp_path / "issuer.db")
    with pytest.raises(sqlite3.IntegrityError):
        with store.atomic():
            store.allocate_status("revocation", ["ghost"], url_base="http://n.example/status", size=SIZE)


def test_one_index_cannot_be_given_twice_in_a_list(tmp_path: Path) -> None:
    store = SqliteIssuerStore(tmp_path / "issuer.db")
    _achievement(store)
    with store.atomic():
        slot = store.allocate_status("revocation", ["c1"], url_base="http://n.example/status", size=SIZE)[0]
        store.insert_credentials([_credential("c1")])
    conn = sqlite3.connect(tmp_path / "issuer.db")
    with pytest.raises(sqlite3.IntegrityError, match="UNIQUE"):
        conn.execute("INSERT INTO status_allocations (list_key, idx, credential_key) VALUES (?, ?, 'c1')",
                     (slot.list_key, slot.index))


def test_a_list_three_quarters_full_is_closed_and_a_new_one_opened(tmp_path: Path) -> None:
    store = SqliteIssuerStore(tmp_path / "issuer.db")
    _achievement(store)
    conn = sqlite3.connect(tmp_path / "issuer.db", isolation_level=None)
    with store.atomic():
        first = store.allocate_status("suspension", ["c1"], url_base="http://n.example/status", size=SIZE)[0]
        store.insert_credentials([_credential("c1")])
    conn.execute("UPDATE status_lists SET allocated = ? WHERE key = ?", (SIZE * 3 // 4 - 1, first.list_key))
    keys = ["c2", "c3"]
    with store.atomic():
        slots = store.allocate_status("suspension", keys, url_base="http://n.example/status", size=SIZE)
        store.insert_credentials([_credential(k) for k in keys])
    assert slots[0].list_key == first.list_key
    assert slots[1].list_key != first.list_key
    assert slots[1].list_url == f"http://n.example/status/{slots[1].list_key}"
    lists = {sl.key: sl for sl in store.list_status_lists()}
    assert lists[first.list_key].closed and not lists[slots[1].list_key].closed


def test_status_bit_changes_bump_the_version_and_a_stale_signature_is_not_cached(tmp_path: Path) -> None:
    store = SqliteIssuerStore(tmp_path / "issuer.db")
    _achievement(store)
    with store.atomic():
        slot = store.allocate_status("revocation", ["c1"], url_base="http://n.example/status", size=SIZE)[0]
        store.insert_credentials([_credential("c1")])
    before = store.get_status_list(slot.list_key)
    assert before is not None
    version = store.set_status_bit(slot.list_key, slot.index, True)
    assert version == before.version + 1
    after = store.get_status_list(slot.list_key)
    assert after is not None and after.bits[slot.index // 8] >> (7 - slot.index % 8) & 1
    assert not store.save_signed_status_list(slot.list_key, version=before.version, document={}, valid_until=NOW)
    assert store.save_signed_status_list(slot.list_key, version=version, document={"ok": 1}, valid_until=NOW)
    cached = store.get_status_list(slot.list_key)
    assert cached is not None and cached.signed_document == {"ok": 1} and cached.signed_version == version


def test_store_is_usable_from_several_threads(tmp_path: Path) -> None:
    """The loop thread and executor threads each get their own connection to the one file."""
    import threading

    store = SqliteIssuerStore(tmp_path / "issuer.db")
    _achievement(store)
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            keys = [f"t{n}-{i}" for i in range(20)]
            with store.atomic():
                store.allocate_status("revocation", keys, url_base="http://n.example/status", size=SIZE)
                store.insert_credentials([_credential(k) for k in keys])
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert store.count_credentials() == 80
    indices = [i for sl in store.list_status_lists() for i in store.allocated_indices(sl.key)]
    assert len(indices) == len(set(indices)) == 80
