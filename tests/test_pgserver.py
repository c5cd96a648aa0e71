"""The PostgreSQL the tests start is real and isolated: each test gets its own empty database."""

from __future__ import annotations

import psycopg
from pgserver import PgCluster


def test_each_test_gets_an_empty_database_on_loopback(pg_cluster: PgCluster, pg_url: str) -> None:
    assert pg_url.startswith(f"postgresql://{pg_cluster.user}@127.0.0.1:{pg_cluster.port}/")
    with psycopg.connect(pg_url) as conn:
        tables = conn.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'").fetchone()
        version = conn.execute("SHOW server_version").fetchone()
    assert tables == (0,)
    assert version is not None and int(str(version[0]).split(".")[0]) >= 13
    other = pg_cluster.create_database()
    assert other != pg_url
