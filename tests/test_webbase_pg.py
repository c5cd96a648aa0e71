"""The PostgreSQL plumbing both stores stand on, against a real server.

Two ``PgDatabase`` objects on one database stand for two server processes.
"""

from __future__ import annotations

import threading

import pytest

from webbase.pg import PgDatabase, PgHitStore, PgMigration, apply_migrations, to_pyformat
from webbase.problems import Problem
from webbase.ratelimit import RateLimiter

MIGRATIONS = [
    PgMigration(1, "items", "CREATE TABLE items (id TEXT PRIMARY KEY, n INTEGER NOT NULL)"),
    PgMigration(2, "notes", "ALTER TABLE items ADD COLUMN note TEXT"),
]


def test_placeholders_become_pyformat_outside_quotes() -> None:
    assert to_pyformat("SELECT * FROM t WHERE a = ? AND b LIKE '%?%' AND c = ?") == \
        "SELECT * FROM t WHERE a = %s AND b LIKE '%%?%%' AND c = %s"


def test_a_failure_inside_a_transaction_leaves_nothing_and_savepoints_nest(pg_url: str) -> None:
    db = PgDatabase(pg_url)
    try:
        apply_migrations(db, MIGRATIONS, lock_key=1)
        with pytest.raises(RuntimeError), db.transaction():
            db.execute("INSERT INTO items (id, n) VALUES (?, ?)", ["a", 1])
            raise RuntimeError("boom in the middle of a write")
        assert db.value("SELECT count(*) FROM items") == 0
        with db.transaction():
            db.execute("INSERT INTO items (id, n) VALUES (?, ?)", ["b", 1])
            with pytest.raises(RuntimeError), db.transaction():
                db.execute("INSERT INTO items (id, n) VALUES (?, ?)", ["c", 1])
                raise RuntimeError("inner step fails")
        assert [r["id"] for r in db.rows("SELECT id FROM items ORDER BY id")] == ["b"]
    finally:
        db.close()


def test_two_processes_migrating_at_once_apply_each_step_once(pg_url: str) -> None:
    a, b = PgDatabase(pg_url), PgDatabase(pg_url)
    results: list[int] = []
    errors: list[BaseException] = []

    def run(db: PgDatabase) -> None:
        try:
            results.append(apply_migrations(db, MIGRATIONS, lock_key=42))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(db,)) for db in (a, b, a, b)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert errors == [] and results == [2, 2, 2, 2]
        assert [r["version"] for r in a.rows("SELECT version FROM schema_migrations ORDER BY version")] == [1, 2]
        with pytest.raises(RuntimeError, match="newer than this program"):
            apply_migrations(b, MIGRATIONS[:1], lock_key=42)
    finally:
        a.close()
        b.close()


def test_a_rate_limit_in_the_database_holds_across_processes(pg_url: str) -> None:
    a, b = PgDatabase(pg_url), PgDatabase(pg_url)
    try:
        a.script("CREATE TABLE rate_limit_hits (key TEXT NOT NULL, at DOUBLE PRECISION NOT NULL)")
        now = [1_000_000.0]
        on_a = RateLimiter(3, 60, store=PgHitStore(a), clock=lambda: now[0], scope="login")
        on_b = RateLimiter(3, 60, store=PgHitStore(b), clock=lambda: now[0], scope="login")
        on_a.hit("ip:1")
        on_b.hit("ip:1")
        on_a.hit("ip:1")
        with pytest.raises(Problem) as refused:
            on_b.hit("ip:1")
        assert refused.value.status == 429 and refused.value.headers["Retry-After"] == "60"
        on_b.hit("ip:2")  # another client is not affected
        now[0] += 61
        on_b.hit("ip:1")  # the window has passed
        on_a.reset("ip:1")
        assert a.value("SELECT count(*) FROM rate_limit_hits WHERE key = 'login|ip:1'") == 0
    finally:
        a.close()
        b.close()
