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

# The advisory lock that serializes wallet migrations on one database ("satchel wallet" in ASCII, truncated).
LOCK_KEY = 0x5341_5443_4857_4C54

_V1_CORE = """
CREATE TABLE accounts (
    id TEXT PRIMARY KEY,
    login_email TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    did TEXT NOT NULL UNIQUE,
    holder_key_sealed BYTEA NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE tokens (
    token_hash TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    expires_at TEXT COLLATE "C" NOT NULL
);
CREATE TABLE emails (
    account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    email TEXT COLLATE "C" NOT NULL,
    created_at TEXT COLLATE "C" NOT NULL,
    confirmed_at TEXT,
    confirm_token_hash TEXT UNIQUE,
    PRIMARY KEY (account_id, email)
);
-- An address is confirmed for at most one account: a badge to it belongs to that account only.
CREATE UNIQUE INDEX emails_confirmed_once ON emails(email) WHERE confirmed_at IS NOT NULL;
CREATE TABLE outbox (
    id BIGSERIAL PRIMARY KEY,
    to_addr TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL,
    sent INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE credentials (
    seq BIGSERIAL PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    content_hash TEXT NOT NULL,
    format TEXT NOT NULL,
    document TEXT NOT NULL,
    issuer_id TEXT COLLATE "C" NOT NULL,
    issuer_name TEXT,
    achievement_name TEXT,
    image TEXT,
    description TEXT,
    tags TEXT NOT NULL,
    search TEXT NOT NULL,
    valid_from TEXT COLLATE "C",
    valid_until TEXT,
    added_at TEXT NOT NULL,
    source TEXT NOT NULL,
    state TEXT NOT NULL,
    state_detail TEXT NOT NULL,
    status_checked_at TEXT,
    status_attempted_at TEXT
);
-- The same credential imported twice is stored once per account (identity: hash of its canonical form);
-- two processes racing to import it cannot both insert: the loser's INSERT finds the winner's row.
CREATE UNIQUE INDEX credentials_once ON credentials(account_id, content_hash);
CREATE INDEX credentials_by_account ON credentials(account_id, seq);
CREATE INDEX credentials_by_issuer ON credentials(account_id, issuer_id, seq);
CREATE TABLE credential_tags (
    credential_id TEXT NOT NULL REFERENCES credentials(id) ON DELETE CASCADE,
    account_id TEXT NOT NULL,
    tag TEXT NOT NULL,
    PRIMARY KEY (credential_id, tag)
);
CREATE INDEX credential_tags_by_tag ON credential_tags(account_id, tag);
CREATE TABLE credential_status_urls (
    credential_id TEXT NOT NULL REFERENCES credentials(id) ON DELETE CASCADE,
    url TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (credential_id, url)
);
CREATE INDEX credential_status_urls_by_url ON credential_status_urls(url);
CREATE TABLE status_lists (
    url TEXT COLLATE "C" PRIMARY KEY,
    document TEXT,
    fetched_at TEXT NOT NULL,
    verified INTEGER NOT NULL,
    error TEXT
);
CREATE TABLE shares (
    seq BIGSERIAL PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    token TEXT NOT NULL UNIQUE,
    note TEXT,
    expires_at TEXT,
    created_at TEXT NOT NULL,
    presentation TEXT,
    results TEXT,
    checked_at TEXT,
    revoked_at TEXT,
    views INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX shares_by_account ON shares(account_id, seq);
CREATE TABLE share_credentials (
    share_id TEXT NOT NULL REFERENCES shares(id) ON DELETE CASCADE,
    credential_id TEXT NOT NULL,
    position INTEGER NOT NULL,
    PRIMARY KEY (share_id, credential_id)
);
CREATE INDEX share_credentials_by_credential ON share_credentials(credential_id);
"""

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
    PgMigration(1, SQLITE_MIGRATIONS[0].name, _V1_CORE),
    PgMigration(2, SQLITE_MIGRATIONS[1].name, _v2_flat_filters),
    PgMigration(3, SQLITE_MIGRATIONS[2].name, RATE_HITS_DDL),
]


def migrate(db: PgDatabase, migrations: list[PgMigration] | None = None) -> int:
    """Bring the wallet's database to the newest version (or to the last of ``migrations``); return it."""
    from webbase.pg import apply_migrations

    return apply_migrations(db, MIGRATIONS if migrations is None else migrations, lock_key=LOCK_KEY)
