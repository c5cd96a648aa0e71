"""Versioned schema migrations for the wallet's SQLite database.

PostgreSQL has the same history, version for version (``pg_migrations.py``).
Each migration runs once, in order, inside one transaction together with the
row that records it in ``schema_migrations``; a failed migration leaves the
database as it was. Append new ones at the end (never edit an applied one):
the OpenID4VCI client and the learner pages add their tables here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlite_utils import Database


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    apply: Callable[[Database], None]


def _statements(sql: str) -> Callable[[Database], None]:
    def run(db: Database) -> None:
        for statement in (part.strip() for part in sql.split(";")):
            if statement:
                db.execute(statement)
    return run


# Version 1 is one text for both backends (``pg_migrations.py`` fills in PostgreSQL's words); with
# SQLite's words it is, letter for letter, the text the SQLite databases in the field ran (SQLite keeps
# each CREATE statement's text in ``sqlite_master``). The words:
#   {serial}    a primary key the database numbers, never reusing a number
#   {blob}      bytes
#   {bytewise}  after TEXT, on columns that are sorted or compared by range: byte order (SQLite's own)
V1_CORE = """
CREATE TABLE accounts (
    id TEXT PRIMARY KEY,
    login_email TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    did TEXT NOT NULL UNIQUE,
    holder_key_sealed {blob} NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE tokens (
    token_hash TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    expires_at TEXT{bytewise} NOT NULL
);
CREATE TABLE emails (
    account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    email TEXT{bytewise} NOT NULL,
    created_at TEXT{bytewise} NOT NULL,
    confirmed_at TEXT,
    confirm_token_hash TEXT UNIQUE,
    PRIMARY KEY (account_id, email)
);
-- An address is confirmed for at most one account: a badge to it belongs to that account only.
CREATE UNIQUE INDEX emails_confirmed_once ON emails(email) WHERE confirmed_at IS NOT NULL;
CREATE TABLE outbox (
    id {serial},
    to_addr TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL,
    sent INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE credentials (
    seq {serial},
    id TEXT NOT NULL UNIQUE,
    account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    content_hash TEXT NOT NULL,
    format TEXT NOT NULL,
    document TEXT NOT NULL,
    issuer_id TEXT{bytewise} NOT NULL,
    issuer_name TEXT,
    achievement_name TEXT,
    image TEXT,
    description TEXT,
    tags TEXT NOT NULL,
    search TEXT NOT NULL,
    valid_from TEXT{bytewise},
    valid_until TEXT,
    added_at TEXT NOT NULL,
    source TEXT NOT NULL,
    state TEXT NOT NULL,
    state_detail TEXT NOT NULL,
    status_checked_at TEXT,
    status_attempted_at TEXT
);
-- The same credential imported twice is stored once per account (identity: hash of its canonical form).
-- Two processes racing to import it cannot both insert: the loser's INSERT finds the winner's row.
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
    url TEXT{bytewise} NOT NULL,
    PRIMARY KEY (credential_id, url)
);
CREATE INDEX credential_status_urls_by_url ON credential_status_urls(url);
CREATE TABLE status_lists (
    url TEXT{bytewise} PRIMARY KEY,
    document TEXT,
    fetched_at TEXT NOT NULL,
    verified INTEGER NOT NULL,
    error TEXT
);
CREATE TABLE shares (
    seq {serial},
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
CREATE INDEX share_credentials_by_credential ON share_credentials(credential_id)
"""
SQLITE_WORDS = {"serial": "INTEGER PRIMARY KEY AUTOINCREMENT", "blob": "BLOB", "bytewise": ""}

def _v2_flat_filters(db: Database) -> None:
    """Tag and text filters whose cost follows the matches, not the number of credentials held.

    Tags get the credential's ``seq`` so a tag page is read in order from one index;
    text search goes through an FTS5 trigram index (substring, case-insensitive),
    kept in step by triggers so that any writer keeps it right.
    """
    for statement in (
        "ALTER TABLE credential_tags ADD COLUMN credential_seq INTEGER",
        "UPDATE credential_tags SET credential_seq = (SELECT seq FROM credentials c WHERE c.id = credential_tags.credential_id)",
        "DROP INDEX credential_tags_by_tag",
        "CREATE INDEX credential_tags_by_tag ON credential_tags(account_id, tag, credential_seq)",
        "CREATE VIRTUAL TABLE credentials_fts USING fts5(search, tokenize='trigram')",
        "INSERT INTO credentials_fts(rowid, search) SELECT seq, search FROM credentials",
        "CREATE TRIGGER credentials_fts_insert AFTER INSERT ON credentials BEGIN "
        "INSERT INTO credentials_fts(rowid, search) VALUES (new.seq, new.search); END",
        "CREATE TRIGGER credentials_fts_delete AFTER DELETE ON credentials BEGIN "
        "DELETE FROM credentials_fts WHERE rowid = old.seq; END",
    ):
        db.execute(statement)


# Rate-limit hits shared by every process on the database (``webbase.pg.PgHitStore`` on PostgreSQL).
# One SQLite file is served by one process, whose limiters count in memory; the table is created
# here too so that version 3 means the same schema on both backends (``pg_migrations.py``).
_V3_RATE_HITS = """
CREATE TABLE IF NOT EXISTS rate_limit_hits (
    key TEXT NOT NULL,
    at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS rate_limit_hits_key_at ON rate_limit_hits (key, at)
"""

MIGRATIONS: list[Migration] = [
    Migration(1, "core: accounts, emails, tokens, outbox, credentials, status cache, shares", _statements(V1_CORE.format(**SQLITE_WORDS))),
    Migration(2, "flat tag and text filters: tag index in credential order, FTS5 trigram search", _v2_flat_filters),
    Migration(3, "rate-limit counters shared by the processes on one database", _statements(_V3_RATE_HITS)),
]


def applied_versions(db: Database) -> set[int]:
    if "schema_migrations" not in db.table_names():
        return set()
    return {row["version"] for row in db.query("SELECT version FROM schema_migrations")}


def apply_migrations(db: Database, migrations: list[Migration] | None = None) -> list[int]:
    """Apply every migration not yet applied, each in its own transaction; return the versions applied."""
    migrations = MIGRATIONS if migrations is None else migrations
    versions = [m.version for m in migrations]
    if versions != sorted(set(versions)):
        raise ValueError(f"migration versions must be unique and increasing: {versions}")
    db.execute("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
               "applied_at TEXT NOT NULL)")
    done = applied_versions(db)
    applied = []
    for migration in migrations:
        if migration.version in done:
            continue
        with db.atomic():
            migration.apply(db)
            db.execute("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                       [migration.version, migration.name,
                        datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")])
        applied.append(migration.version)
    return applied
