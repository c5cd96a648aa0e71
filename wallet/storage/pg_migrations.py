"""The wallet's schema history on PostgreSQL: the same versions and names as ``migrations.py`` (SQLite).

One history, two dialects: version N means the same tables, columns, unique indexes
and behaviour on both backends, so a wallet moved from one to the other (export,
import) or upgraded on either ends in the same place. Differences are of dialect
only: ``BIGSERIAL`` for ``AUTOINCREMENT``, ``BYTEA`` for ``BLOB``, text columns that
are sorted or compared by range declared ``COLLATE "C"`` (byte order, as SQLite
compares), and text search through ``pg_trgm`` instead of FTS5's trigram tokenizer.

``webbase.pg.apply_migrations`` runs them at start in one transaction under the
advisory lock ``LOCK_KEY``, so several wallet processes starting at once apply each
step once. Append new steps at the end of both lists, never edit an applied one.
"""

from __future__ import annotations

import psycopg

from webbase.pg import RATE_HITS_DDL, PgDatabase, PgMigration

from .migrations import MIGRATIONS as SQLITE_MIGRATIONS
from .migrations import V1_CORE

# The advisory lock that serializes wallet migrations on one database ("satchel wallet" in ASCII, truncated).
LOCK_KEY = 0x5341_5443_4857_4C54

# Version 1 is SQLite's text with PostgreSQL's words (see ``migrations.V1_CORE``).
_V1_WORDS = {"serial": "BIGSERIAL PRIMARY KEY", "blob": "BYTEA", "bytewise": ' COLLATE "C"'}

_V2_TAGS = """
ALTER TABLE credential_tags ADD COLUMN credential_seq BIGINT;
UPDATE credential_tags SET credential_seq = (SELECT seq FROM credentials c WHERE c.id = credential_tags.credential_id);
DROP INDEX credential_tags_by_tag;
CREATE INDEX credential_tags_by_tag ON credential_tags(account_id, tag, credential_seq);
"""


def _v2_flat_filters(db: PgDatabase) -> None:
    """Tags in credential order, as on SQLite; text search through a pg_trgm GIN index when the
    extension can be created (Debian's server ships it; it is a trusted extension, so the
    database's owner may create it). Without it the same ``LIKE`` query runs unindexed: the
    same answers, a cost that follows the account's credentials."""
    db.script(_V2_TAGS)
    try:
        with db.transaction():  # a savepoint: a refused extension leaves the migration usable
            db.script("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except psycopg.Error:
        return
    db.script("CREATE INDEX credentials_search_trgm ON credentials USING gin (search gin_trgm_ops)")


MIGRATIONS: list[PgMigration] = [
    PgMigration(1, SQLITE_MIGRATIONS[0].name, V1_CORE.format(**_V1_WORDS)),
    PgMigration(2, SQLITE_MIGRATIONS[1].name, _v2_flat_filters),
    PgMigration(3, SQLITE_MIGRATIONS[2].name, RATE_HITS_DDL),
]


def migrate(db: PgDatabase, migrations: list[PgMigration] | None = None) -> int:
    """Bring the wallet's database to the newest version (or to the last of ``migrations``); return it."""
    from webbase.pg import apply_migrations

    return apply_migrations(db, MIGRATIONS if migrations is None else migrations, lock_key=LOCK_KEY)
