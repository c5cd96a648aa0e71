"""Versioned schema migrations of the issuer database.

``MIGRATIONS`` is an append-only list of ``(version, name, function)``. To
change the schema, append a new function with the next version number; never
edit one that has shipped, since databases in the field already ran it. Each
migration runs in its own transaction together with the row that records it
in the ``migrations`` table, so a crash leaves the database at the previous
version, and two processes opening one database at once apply it once (the
write lock is taken before the version is read).

The same history, with the same version numbers and names, exists for
PostgreSQL in ``pg_migrations.py``: a step appended here is appended there.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import datetime, timezone

Migration = tuple[int, str, Callable[[sqlite3.Connection], None]]


def run_script(conn: sqlite3.Connection, script: str) -> None:
    """Execute several statements inside the caller's transaction.

    ``executescript`` would commit the open transaction first, which would make
    a migration half-applied after a crash; statements are run one by one instead.
    """
    pending = ""
    for line in script.splitlines(keepends=True):
        if line.strip().startswith("--"):
            continue
        pending += line
        if sqlite3.complete_statement(pending):
            conn.execute(pending)
            pending = ""
    if pending.strip():
        raise ValueError(f"incomplete SQL statement in migration: {pending.strip()[:80]}")


def _m001_initial(conn: sqlite3.Connection) -> None:
    run_script(conn, """
        CREATE TABLE settings (
            name TEXT PRIMARY KEY,
            value TEXT NOT NULL
        );
        CREATE TABLE organization (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            did TEXT NOT NULL,
            name TEXT NOT NULL,
            url TEXT NOT NULL,
            image TEXT,
            email TEXT,
            description TEXT
        );
        CREATE TABLE images (
            digest TEXT PRIMARY KEY,
            media_type TEXT NOT NULL,
            data BLOB NOT NULL
        );
        CREATE TABLE achievements (
            key TEXT PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            name TEXT NOT NULL,
            description TEXT NOT NULL,
            criteria TEXT NOT NULL,
            image TEXT,
            tags TEXT NOT NULL DEFAULT '[]',
            alignments TEXT NOT NULL DEFAULT '[]',
            achievement_type TEXT,
            evidence_policy TEXT NOT NULL CHECK (evidence_policy IN ('required', 'optional')),
            retired INTEGER NOT NULL DEFAULT 0 CHECK (retired IN (0, 1)),
            created TEXT NOT NULL
        );
        CREATE TABLE credentials (
            key TEXT PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            achievement_key TEXT NOT NULL REFERENCES achievements(key),
            recipient_did TEXT,
            recipient_email TEXT,
            recipient_name TEXT,
            salt TEXT,
            document TEXT NOT NULL,
            issued_at TEXT NOT NULL,
            revoked_at TEXT,
            revoked_reason TEXT,
            suspended INTEGER NOT NULL DEFAULT 0 CHECK (suspended IN (0, 1)),
            suspended_reason TEXT,
            CHECK (recipient_did IS NOT NULL OR recipient_email IS NOT NULL)
        );
        CREATE INDEX credentials_by_achievement ON credentials(achievement_key);
        CREATE INDEX credentials_by_email ON credentials(recipient_email);
        CREATE INDEX credentials_by_did ON credentials(recipient_did);
        CREATE TABLE status_lists (
            key TEXT PRIMARY KEY,
            url TEXT NOT NULL UNIQUE,
            purpose TEXT NOT NULL CHECK (purpose IN ('revocation', 'suspension')),
            size INTEGER NOT NULL CHECK (size >= 131072 AND size % 8 = 0),
            bits BLOB NOT NULL,
            version INTEGER NOT NULL DEFAULT 1,
            allocated INTEGER NOT NULL DEFAULT 0,
            closed INTEGER NOT NULL DEFAULT 0 CHECK (closed IN (0, 1)),
            signed_version INTEGER,
            signed_document TEXT,
            signed_valid_until TEXT,
            created TEXT NOT NULL
        );
        -- The primary key is the "never reuse an index" guarantee: one row per (list, index), ever.
        CREATE TABLE status_allocations (
            list_key TEXT NOT NULL REFERENCES status_lists(key),
            idx INTEGER NOT NULL CHECK (idx >= 0),
            credential_key TEXT NOT NULL REFERENCES credentials(key) DEFERRABLE INITIALLY DEFERRED,
            PRIMARY KEY (list_key, idx)
        );
        CREATE INDEX status_allocations_by_credential ON status_allocations(credential_key);
        CREATE TABLE users (
            id INTEGER PRIMARY KEY,
            email TEXT NOT NULL UNIQUE COLLATE NOCASE,
            role TEXT NOT NULL CHECK (role IN ('admin', 'reviewer')),
            password_hash TEXT,
            created TEXT NOT NULL
        );
        CREATE TABLE api_tokens (
            hash TEXT PRIMARY KEY,
            user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            label TEXT,
            created TEXT NOT NULL
        );
        CREATE TABLE outbox (
            id INTEGER PRIMARY KEY,
            recipient TEXT NOT NULL,
            subject TEXT NOT NULL,
            body TEXT NOT NULL,
            created TEXT NOT NULL,
            sent_at TEXT
        );
    """)


def _m002_awards(conn: sqlite3.Connection) -> None:
    # Awards waiting to be claimed and the OpenID4VCI state between requests (storage/awards.py).
    run_script(conn, """
    CREATE TABLE awards (
        id TEXT PRIMARY KEY,
        achievement_key TEXT NOT NULL REFERENCES achievements(key),
        email TEXT NOT NULL,
        name TEXT,
        narrative TEXT,
        evidence TEXT NOT NULL DEFAULT '[]',
        offer_hash TEXT NOT NULL UNIQUE,
        code_hash TEXT NOT NULL UNIQUE,
        tx_code_hash TEXT,
        tx_failures INTEGER NOT NULL DEFAULT 0,
        source TEXT,
        created TEXT NOT NULL,
        expires TEXT NOT NULL,
        redeemed_at TEXT,
        credential_key TEXT REFERENCES credentials(key),
        issued_at TEXT
    );
    CREATE INDEX awards_by_email ON awards(email);
    CREATE TABLE oid4vci_tokens (
        hash TEXT PRIMARY KEY,
        award_id TEXT NOT NULL REFERENCES awards(id),
        expires TEXT NOT NULL
    );
    CREATE TABLE oid4vci_nonces (
        nonce TEXT PRIMARY KEY,
        expires TEXT NOT NULL
    );
    CREATE INDEX oid4vci_nonces_by_expiry ON oid4vci_nonces(expires);
""")


def _m003_applications(conn: sqlite3.Connection) -> None:
    # Applications for an achievement: rounds of evidence, files, reviewers' decisions (storage/applications.py).
    run_script(conn, """
    CREATE TABLE applications (
        id TEXT PRIMARY KEY,
        achievement_key TEXT NOT NULL REFERENCES achievements(key),
        name TEXT NOT NULL,
        email TEXT NOT NULL,
        key_hash TEXT NOT NULL UNIQUE,
        status TEXT NOT NULL CHECK (status IN ('pending', 'resubmit', 'approved', 'rejected')),
        created TEXT NOT NULL,
        updated TEXT NOT NULL,
        award_id TEXT,
        offer_url TEXT,
        offer_expires TEXT,
        credential_key TEXT
    );
    CREATE INDEX applications_by_status ON applications(status, updated);
    CREATE INDEX applications_by_email ON applications(email);
    CREATE TABLE application_submissions (
        id INTEGER PRIMARY KEY,
        application_id TEXT NOT NULL REFERENCES applications(id),
        round INTEGER NOT NULL CHECK (round >= 1),
        narrative TEXT,
        evidence_urls TEXT NOT NULL DEFAULT '[]',
        created TEXT NOT NULL,
        UNIQUE (application_id, round)
    );
    CREATE TABLE application_files (
        id INTEGER PRIMARY KEY,
        submission_id INTEGER NOT NULL REFERENCES application_submissions(id),
        digest TEXT NOT NULL,
        filename TEXT NOT NULL,
        media_type TEXT NOT NULL,
        size INTEGER NOT NULL
    );
    CREATE INDEX application_files_by_submission ON application_files(submission_id);
    CREATE TABLE application_decisions (
        id INTEGER PRIMARY KEY,
        application_id TEXT NOT NULL REFERENCES applications(id),
        round INTEGER NOT NULL,
        decision TEXT NOT NULL CHECK (decision IN ('approve', 'resubmit', 'reject')),
        feedback TEXT,
        rubric TEXT NOT NULL DEFAULT '[]',
        reviewer_id INTEGER REFERENCES users(id),
        created TEXT NOT NULL
    );
    CREATE INDEX application_decisions_by_application ON application_decisions(application_id);
""")


def _m004_bulk(conn: sqlite3.Connection) -> None:
    # Bulk CSV jobs keyed by the file's sha256, one outcome per data row (storage/bulk.py). A row's outcome is
    # written in the transaction of its credential; (job_id, row) as the key is "never twice for one row".
    run_script(conn, """
    CREATE TABLE bulk_jobs (
        id TEXT PRIMARY KEY,
        filename TEXT NOT NULL,
        rows INTEGER NOT NULL CHECK (rows >= 0),
        created TEXT NOT NULL,
        finished TEXT
    );
    CREATE TABLE bulk_rows (
        job_id TEXT NOT NULL REFERENCES bulk_jobs(id),
        row INTEGER NOT NULL CHECK (row >= 1),
        state TEXT NOT NULL CHECK (state IN ('issued', 'offer sent', 'refused')),
        reason TEXT,
        col TEXT,
        credential_key TEXT UNIQUE REFERENCES credentials(key),
        award_id TEXT UNIQUE REFERENCES awards(id),
        offer_url TEXT,
        PRIMARY KEY (job_id, row),
        CHECK (state != 'issued' OR credential_key IS NOT NULL),
        CHECK (state != 'offer sent' OR award_id IS NOT NULL)
    );
""")


def _m005_claims(conn: sqlite3.Connection) -> None:
    # Several processes on one database: a queued message is claimed by the process that sends it (who, since
    # when; a claim older than the sender's timeout is taken over), and failed sends are counted in the row.
    # rate_limit_hits holds limiter counts shared by processes (PostgreSQL nodes use it; SQLite nodes, one
    # process per file, count in memory), created here too so that both backends have one schema history.
    run_script(conn, """
    ALTER TABLE outbox ADD COLUMN claimed_by TEXT;
    ALTER TABLE outbox ADD COLUMN claimed_at TEXT;
    ALTER TABLE outbox ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
    CREATE INDEX outbox_unsent ON outbox(id) WHERE sent_at IS NULL;
    CREATE TABLE rate_limit_hits (
        key TEXT NOT NULL,
        at REAL NOT NULL
    );
    CREATE INDEX rate_limit_hits_key_at ON rate_limit_hits(key, at);
""")


MIGRATIONS: list[Migration] = [
    (1, "initial: settings, organization, images, achievements, credentials, status lists, users, tokens, outbox",
     _m001_initial),
    (2, "awards waiting to be claimed; OpenID4VCI access tokens and nonces", _m002_awards),
    (3, "applications for achievements: rounds of evidence, files, decisions", _m003_applications),
    (4, "bulk CSV jobs and the outcome of each of their rows", _m004_bulk),
    (5, "outbox claims (one process sends each message); rate-limit counts shared by processes", _m005_claims),
]


def current_version(conn: sqlite3.Connection) -> int:
    row = conn.execute("SELECT max(version) FROM migrations").fetchone()
    return int(row[0] or 0)


def apply_migrations(conn: sqlite3.Connection, migrations: list[Migration] | None = None) -> int:
    """Bring the database up to the newest migration; return the version it is at.

    The connection must be in autocommit mode (``isolation_level=None``).
    Refuses a database newer than this code (a downgrade would lose data).
    """
    steps = sorted(MIGRATIONS if migrations is None else migrations, key=lambda m: m[0])
    versions = [m[0] for m in steps]
    if len(set(versions)) != len(versions) or versions != list(range(1, len(versions) + 1)):
        raise RuntimeError(f"migration versions must be 1, 2, 3 … without gaps or repeats, not {versions}")
    conn.execute("CREATE TABLE IF NOT EXISTS migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
                 "applied_at TEXT NOT NULL)")
    newest = versions[-1] if versions else 0
    for version, name, function in steps:
        conn.execute("BEGIN IMMEDIATE")
        try:
            if version <= current_version(conn):
                conn.execute("COMMIT")
                continue
            function(conn)
            conn.execute("INSERT INTO migrations (version, name, applied_at) VALUES (?, ?, ?)",
                         (version, name, datetime.now(timezone.utc).isoformat(timespec="seconds")))
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
    version = current_version(conn)
    if version > newest:
        raise RuntimeError(f"the database is at schema version {version}, newer than this program's {newest}; "
                           "upgrade Satchel")
    return version
