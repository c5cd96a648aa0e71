"""The issuer store on a real SQLite file and a real PostgreSQL database: migrations, transactions, status indices.

Tests taking ``store`` run once per backend (``backend`` is "sqlite" or
"postgresql"); the PostgreSQL runs use the throwaway cluster of tests/pgserver.py.
Two store objects on one PostgreSQL database stand for two node processes.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from issuer_node.storage import Achievement, IssuerStore, NewCredential, Organization, SqliteIssuerStore, open_store
from issuer_node.storage.migrations import MIGRATIONS, apply_migrations
from webbase.dburl import parse_database

NOW = datetime(2026, 9, 1, 8, 0, tzinfo=timezone.utc)
SIZE = 131_072
BACKENDS = ["sqlite", "postgresql"]

Opener = Callable[[], IssuerStore]


def _integrity_errors() -> tuple[type[BaseException], ...]:
    import psycopg

    return (sqlite3.IntegrityError, psycopg.IntegrityError)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def opener(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Opener]:
    """Opens another store on the test's one database (a second process, as far as the database can tell)."""
    target = (parse_database(request.getfixturevalue("pg_url")) if backend == "postgresql"
              else parse_database(tmp_path / "issuer.db"))
    opened: list[IssuerStore] = []

    def open_one() -> IssuerStore:
        store = open_store(target)
        opened.append(store)
        return store

    yield open_one
    for store in opened:
        store.close()


@pytest.fixture
def store(opener: Opener) -> IssuerStore:
    return opener()


def _raw(store: IssuerStore, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
    """A statement outside the store's API, on whichever backend (a second connection for SQLite)."""
    if isinstance(store, SqliteIssuerStore):
        conn = sqlite3.connect(store.path, isolation_level=None)
        try:
            return [tuple(r) for r in conn.execute(sql, params).fetchall()]
        finally:
            conn.close()
    import psycopg

    from issuer_node.storage.postgres import PgIssuerStore
    from webbase.pg import to_pyformat

    assert isinstance(store, PgIssuerStore)
    with psycopg.connect(store.url, autocommit=True) as pg:
        cursor = pg.execute(to_pyformat(sql), list(params))
        return [tuple(r) for r in cursor.fetchall()] if cursor.description else []


def _achievement(store: IssuerStore, key: str = "a1") -> Achievement:
    achievement = Achievement(key=key, id=f"http://n.example/achievements/{key}", name="Data", description="d",
                              criteria="c", image=None, tags=("t",), alignments=(), evidence_policy="optional",
                              retired=False, created=NOW)
    store.add_achievement(achievement)
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


def test_atomic_rolls_back_every_row_of_a_failed_batch(store: IssuerStore) -> None:
    _achievement(store)
    keys = ["c1", "c2", "c3"]
    with pytest.raises(RuntimeError):
        with store.atomic():
            store.allocate_status("revocation", keys, url_base="http://n.example/status", size=SIZE)
            store.insert_credentials([_credential(k) for k in keys])
            raise RuntimeError("crash before commit")
    assert store.count_credentials() == 0
    assert all(sum(1 for _ in store.allocated_indices(sl.key)) == 0 for sl in store.list_status_lists())


def test_allocation_without_its_credentials_cannot_commit(store: IssuerStore) -> None:
    """An index is never reserved for nothing: the allocation row's reference is checked at commit."""
    with pytest.raises(_integrity_errors()):
        with store.atomic():
            store.allocate_status("revocation", ["ghost"], url_base="http://n.example/status", size=SIZE)


def test_one_index_cannot_be_given_twice_in_a_list(store: IssuerStore) -> None:
    _achievement(store)
    with store.atomic():
        slot = store.allocate_status("revocation", ["c1"], url_base="http://n.example/status", size=SIZE)[0]
        store.insert_credentials([_credential("c1")])
    with pytest.raises(_integrity_errors(), match="UNIQUE|duplicate key"):
        _raw(store, "INSERT INTO status_allocations (list_key, idx, credential_key) VALUES (?, ?, 'c1')",
             (slot.list_key, slot.index))


def test_a_list_three_quarters_full_is_closed_and_a_new_one_opened(store: IssuerStore) -> None:
    _achievement(store)
    with store.atomic():
        first = store.allocate_status("suspension", ["c1"], url_base="http://n.example/status", size=SIZE)[0]
        store.insert_credentials([_credential("c1")])
    _raw(store, "UPDATE status_lists SET allocated = ? WHERE key = ?", (SIZE * 3 // 4 - 1, first.list_key))
    keys = ["c2", "c3"]
    with store.atomic():
        slots = store.allocate_status("suspension", keys, url_base="http://n.example/status", size=SIZE)
        store.insert_credentials([_credential(k) for k in keys])
    assert slots[0].list_key == first.list_key
    assert slots[1].list_key != first.list_key
    assert slots[1].list_url == f"http://n.example/status/{slots[1].list_key}"
    lists = {sl.key: sl for sl in store.list_status_lists()}
    assert lists[first.list_key].closed and not lists[slots[1].list_key].closed


def test_on_postgresql_a_second_allocator_uses_another_list_instead_of_waiting(pg_url: str) -> None:
    from issuer_node.storage.postgres import PgIssuerStore

    first, second = PgIssuerStore(pg_url), PgIssuerStore(pg_url)
    try:
        _achievement(first)
        holding, release = threading.Event(), threading.Event()
        slots: dict[str, list[Any]] = {}

        def hold() -> None:
            with first.atomic():
                slots["first"] = first.allocate_status("revocation", ["c1"], url_base="http://n.example/status", size=SIZE)
                first.insert_credentials([_credential("c1")])
                holding.set()
                release.wait(10)  # Signing, say: the list stays locked meanwhile.

        thread = threading.Thread(target=hold)
        thread.start()
        assert holding.wait(10)
        started = datetime.now(timezone.utc)
        with second.atomic():
            slots["second"] = second.allocate_status("revocation", ["c2"], url_base="http://n.example/status", size=SIZE)
            second.insert_credentials([_credential("c2")])
        waited = datetime.now(timezone.utc) - started
        release.set()
        thread.join()
        assert waited < timedelta(seconds=5)
        assert slots["first"][0].list_key != slots["second"][0].list_key
        # Later allocations go to the oldest list nobody holds: no new list while one is free.
        with second.atomic():
            again = second.allocate_status("revocation", ["c3"], url_base="http://n.example/status", size=SIZE)
            second.insert_credentials([_credential("c3")])
        assert again[0].list_key == slots["first"][0].list_key
        assert len(second.list_status_lists()) == 2
    finally:
        first.close()
        second.close()


def test_status_bit_changes_bump_the_version_and_a_stale_signature_is_not_cached(store: IssuerStore) -> None:
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


def test_store_is_usable_from_several_threads_and_processes(store: IssuerStore, opener: Opener) -> None:
    """Threads of one process and of another (a second store on the database) never share an index."""
    _achievement(store)
    other = opener()
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            keys = [f"t{n}-{i}" for i in range(20)]
            on = store if n % 2 else other
            with on.atomic():
                on.allocate_status("revocation", keys, url_base="http://n.example/status", size=SIZE)
                on.insert_credentials([_credential(k) for k in keys])
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert store.count_credentials() == 80
    # On PostgreSQL allocators running side by side may open more than one list: a slot is (list, index).
    slots = [(sl.key, i) for sl in store.list_status_lists() for i in store.allocated_indices(sl.key)]
    assert len(slots) == len(set(slots)) == 80


# --- one migration history on both backends ---------------------------------------------------------


def test_both_backends_have_one_history_with_the_same_versions_and_names() -> None:
    from issuer_node.storage.pg_migrations import PG_MIGRATIONS

    assert [(m.version, m.name) for m in PG_MIGRATIONS] == [(version, name) for version, name, _ in MIGRATIONS]


def test_a_new_database_is_at_the_newest_version_on_either_backend(store: IssuerStore, opener: Opener) -> None:
    assert store.schema_version() == len(MIGRATIONS)
    assert opener().schema_version() == len(MIGRATIONS)  # Opening again applies nothing.
    assert _raw(store, "SELECT version FROM migrations ORDER BY version") == [(v,) for v in range(1, len(MIGRATIONS) + 1)]


def test_a_postgresql_database_newer_than_the_code_is_refused(pg_url: str) -> None:
    from issuer_node.storage.postgres import PgIssuerStore

    PgIssuerStore(pg_url).close()
    import psycopg

    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("INSERT INTO migrations VALUES (99, 'from the future', 'x')")
    with pytest.raises(RuntimeError, match="newer than this program"):
        PgIssuerStore(pg_url)


def _previous_version(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> tuple[Any, Callable[..., Any], Callable[[], None]]:
    """A database migrated to the version before the newest: (its target, a ?-statement runner, close)."""
    if backend == "sqlite":
        path = tmp_path / "old.db"
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("PRAGMA foreign_keys = ON")
        assert apply_migrations(conn, MIGRATIONS[:-1]) == len(MIGRATIONS) - 1
        return parse_database(path), conn.execute, conn.close
    from issuer_node.storage import pg_migrations
    from webbase.pg import PgDatabase

    url = request.getfixturevalue("pg_url")
    db = PgDatabase(url, max_size=2)
    assert pg_migrations.apply(db, pg_migrations.PG_MIGRATIONS[:-1]) == len(MIGRATIONS) - 1
    return parse_database(url), db.execute, db.close


def test_a_database_of_the_previous_version_upgrades_in_place_with_nothing_lost(
        backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    target, run, close = _previous_version(backend, tmp_path, request)
    at = NOW.isoformat()
    bits = bytearray(SIZE // 8)
    bits[0] = 0b0010_0000  # Index 2 revoked.
    run("INSERT INTO organization (id, did, name, url) VALUES (1, 'did:key:z6Mkold', 'Old ISD', 'https://old.example')")
    run("INSERT INTO achievements (key, id, name, description, criteria, evidence_policy, created) "
        "VALUES ('a1', 'http://n.example/achievements/a1', 'Data', 'd', 'c', 'optional', ?)", (at,))
    for n in (1, 2):
        run("INSERT INTO credentials (key, id, achievement_key, recipient_email, salt, document, issued_at) "
            "VALUES (?, ?, 'a1', 't@x.example', 's', ?, ?)", (f"c{n}", f"http://n.example/credentials/c{n}",
                                                                   f'{{"id": "c{n}"}}', at))
    run("INSERT INTO status_lists (key, url, purpose, size, bits, version, allocated, created) "
        "VALUES ('rold', 'http://n.example/status/rold', 'revocation', ?, ?, 2, 2, ?)", (SIZE, bytes(bits), at))
    run("INSERT INTO status_allocations (list_key, idx, credential_key) VALUES ('rold', 7, 'c1')")
    run("INSERT INTO status_allocations (list_key, idx, credential_key) VALUES ('rold', 2, 'c2')")
    run("INSERT INTO credentials (key, id, achievement_key, recipient_did, document, issued_at, revoked_at, "
        "revoked_reason) VALUES ('c3', 'http://n.example/credentials/c3', 'a1', 'did:key:z6Mkh', '{}', ?, ?, 'left')",
        (at, at))
    run("INSERT INTO users (email, role, created) VALUES ('Admin@Old.example', 'admin', ?)", (at,))
    run("INSERT INTO api_tokens (hash, user_id, created) VALUES ('tokenhash', 1, ?)", (at,))
    run("INSERT INTO outbox (recipient, subject, body, created) VALUES ('t@x.example', 'Your badge', 'Hello', ?)", (at,))
    run("INSERT INTO awards (id, achievement_key, email, offer_hash, code_hash, created, expires) "
        "VALUES ('w1', 'a1', 't@x.example', 'oh', 'ch', ?, ?)", (at, (NOW + timedelta(days=30)).isoformat()))
    close()

    store = open_store(target)
    try:
        assert store.schema_version() == len(MIGRATIONS)
        organization = store.get_organization()
        assert organization == Organization(did="did:key:z6Mkold", name="Old ISD", url="https://old.example")
        assert [a.key for a in store.list_achievements()] == ["a1"]
        assert store.count_credentials() == 3
        old = store.get_credential("http://n.example/credentials/c2")
        assert old is not None and old.document == {"id": "c2"}
        assert [(s.list_key, s.index) for s in old.slots] == [("rold", 2)]
        revoked = store.get_credential("c3")
        assert revoked is not None and revoked.revoked_reason == "left"
        status_list = store.get_status_list("rold")
        assert status_list is not None and status_list.bits == bytes(bits) and status_list.version == 2
        assert list(store.allocated_indices("rold")) == [7, 2]
        admin = store.user_for_token("tokenhash")
        assert admin is not None and admin.email == "Admin@Old.example"
        assert store.get_user_by_email("admin@old.example") == admin
        award = store.get_award("w1")
        assert award is not None and award.redeemed_at is None
        # The new step works on the old rows: the queued message can be claimed, once.
        [message] = store.claim_outbox("w", now=NOW, stale_before=NOW - timedelta(minutes=5), max_attempts=5, limit=10)
        assert message.subject == "Your badge" and message.sent_at is None
        assert store.claim_outbox("x", now=NOW, stale_before=NOW - timedelta(minutes=5), max_attempts=5, limit=10) == []
        # And the old list keeps taking allocations, never the indices it had given.
        store.add_achievement(Achievement(key="a2", id="http://n.example/achievements/a2", name="More", description="d",
                                          criteria="c", image=None, tags=(), alignments=(), evidence_policy="optional",
                                          retired=False, created=NOW))
        with store.atomic():
            slots = store.allocate_status("revocation", ["c4"], url_base="http://n.example/status", size=SIZE)
            store.insert_credentials([NewCredential(key="c4", id="http://n.example/credentials/c4", achievement_key="a2",
                                                    document={}, issued_at=NOW, recipient_did="did:key:z6Mkn")])
        assert slots[0].list_key == "rold" and slots[0].index not in (2, 7)
    finally:
        store.close()


# --- what several processes on one database rely on -------------------------------------------------


def test_outbox_claims_give_each_message_to_one_sender_and_a_dead_senders_back_later(
        store: IssuerStore, opener: Opener) -> None:
    other = opener()
    for n in range(30):
        store.add_outbox(f"p{n}@x.example", "s", "b", created=NOW)
    stale = NOW - timedelta(minutes=10)
    claimed: dict[str, list[int]] = {"a": [], "b": []}

    def claim(name: str, on: IssuerStore) -> None:
        while batch := on.claim_outbox(name, now=NOW, stale_before=stale, max_attempts=3, limit=4):
            claimed[name] += [m.id for m in batch]

    threads = [threading.Thread(target=claim, args=("a", store)), threading.Thread(target=claim, args=("b", other))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    everyone = claimed["a"] + claimed["b"]
    assert sorted(everyone) == sorted(m.id for m in store.list_outbox()) and len(set(everyone)) == 30
    first = claimed["a"][0] if claimed["a"] else claimed["b"][0]
    owner = "a" if claimed["a"] else "b"
    store.mark_sent(first, at=NOW)
    # A claim older than the timeout is taken over (its sender died); a sent message never is.
    later = NOW + timedelta(minutes=20)
    again = other.claim_outbox("c", now=later, stale_before=later - timedelta(minutes=10), max_attempts=3, limit=100)
    assert len(again) == 29 and first not in {m.id for m in again}
    # A failed send gives the message back and counts the attempt; after max_attempts it is left alone.
    victim = again[0].id
    for attempt in range(3):
        other.release_outbox(victim, "c" if attempt == 0 else f"r{attempt}", failed=True)
        got = store.claim_outbox(f"r{attempt + 1}", now=later, stale_before=later - timedelta(minutes=10),
                                 max_attempts=3, limit=100)
        assert [m.id for m in got] == ([victim] if attempt < 2 else [])
    assert owner in claimed


def test_racing_processes_agree_on_one_setting_and_one_redemption(store: IssuerStore, opener: Opener) -> None:
    from issuer_node.storage.awards import Award

    other = opener()
    _achievement(store)
    store.add_award(Award(id="w1", achievement_key="a1", email="t@x.example", name=None, narrative=None, evidence=(),
                          offer_hash="oh", code_hash="ch", tx_code_hash=None, tx_failures=0, source=None, created=NOW,
                          expires=NOW + timedelta(days=1)))
    values: list[str] = []
    redeemed: list[bool] = []

    def race(on: IssuerStore, n: int) -> None:
        values.append(on.ensure_setting("nonce_secret", f"secret-{n}"))
        redeemed.append(on.mark_award_redeemed("w1", at=NOW))

    threads = [threading.Thread(target=race, args=(store if n % 2 else other, n)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(values)) == 1 and store.get_setting("nonce_secret") == values[0]
    assert sorted(redeemed) == [False] * 7 + [True]


def test_emails_of_operators_match_without_regard_to_case(store: IssuerStore) -> None:
    user = store.add_user("Ana@School.example", "admin", password_hash=None, created=NOW)
    assert store.get_user_by_email("ana@school.EXAMPLE") == user
    with pytest.raises(_integrity_errors()):
        store.add_user("ana@school.example", "reviewer", password_hash=None, created=NOW)


def test_a_bulk_batch_holds_its_job_so_a_second_run_waits_and_skips_what_the_first_settled(
        store: IssuerStore, opener: Opener) -> None:
    from issuer_node.storage.awards import Award
    from issuer_node.storage.bulk import BulkRowOutcome

    other = opener()
    _achievement(store)
    for n in (1, 2, 3):
        store.add_award(Award(id=f"w{n}", achievement_key="a1", email=f"t{n}@x.example", name=None, narrative=None,
                              evidence=(), offer_hash=f"oh{n}", code_hash=f"ch{n}", tx_code_hash=None, tx_failures=0,
                              source=None, created=NOW, expires=NOW + timedelta(days=1)))
    store.start_bulk_job("job", filename="f.csv", rows=3, created=NOW)
    recorded: list[set[int]] = []
    inside = threading.Event()

    def batch(on: IssuerStore, pause: bool) -> None:
        with on.atomic():
            on.lock_bulk_job("job")
            fresh = {1, 2, 3} - on.bulk_rows_settled("job", [1, 2, 3])
            if pause:
                inside.set()
                threading.Event().wait(0.3)  # The other run reaches its lock meanwhile.
            on.record_bulk_rows("job", [BulkRowOutcome(row=r, state="offer sent", award_id=f"w{r}", offer_url="u")
                                        for r in sorted(fresh)])
            recorded.append(fresh)

    first = threading.Thread(target=batch, args=(store, True))
    first.start()
    assert inside.wait(10)
    batch(other, False)  # Without the hold it would see the rows unsettled and collide with the first run.
    first.join()
    assert recorded == [{1, 2, 3}, set()]
    assert [o.row for o in store.list_bulk_rows("job")] == [1, 2, 3]


def test_rate_limits_are_shared_through_postgresql_and_per_process_on_sqlite(store: IssuerStore, backend: str) -> None:
    from webbase.ratelimit import RateLimiter

    shared = store.shared_hit_store()
    assert (shared is None) == (backend == "sqlite")
    if shared is not None:
        now = [1_000_000.0]
        limiter = RateLimiter(2, 60, store=shared, scope="login", clock=lambda: now[0])
        limiter.hit("ip")
        limiter.hit("ip")
        with pytest.raises(Exception, match="Too many"):
            limiter.hit("ip")
        # A key never seen again does not stay for ever: a hit two days later sweeps it away.
        now[0] += 2 * 86_400
        limiter.hit("another ip")
        assert _raw(store, "SELECT key FROM rate_limit_hits") == [("login|another ip",)]
