"""The issuer node's storage: the ``IssuerStore`` interface, its records, and its SQLite and PostgreSQL stores.

Handlers and features depend on ``IssuerStore`` (``interface.py``) only; ``open_store``
picks the implementation from ``--database`` (a ``webbase.dburl.DatabaseTarget``)
or a plain SQLite path. The SQL is shared (``sqlstore`` and the family
modules); schema changes go in ``migrations.py`` and ``pg_migrations.py``
(append-only, one history with the same versions on both).
"""

from __future__ import annotations

from pathlib import Path

from webbase.dburl import DatabaseTarget

from .interface import IssuerStore
from .records import Achievement, Alignment, CredentialRecord, NewCredential, Organization, OutboxMessage, StatusList, StatusSlot, User
from .sqlite import SqliteIssuerStore


def open_store(target: DatabaseTarget | Path | str) -> IssuerStore:
    """Open (creating and migrating as needed) the issuer database: a SQLite file, or a PostgreSQL database."""
    if isinstance(target, DatabaseTarget):
        if target.is_postgres:
            from .postgres import PgIssuerStore  # psycopg is needed only for PostgreSQL

            assert target.url is not None
            return PgIssuerStore(target.url)
        assert target.path is not None
        return SqliteIssuerStore(target.path)
    return SqliteIssuerStore(Path(target))


__all__ = ["Achievement", "Alignment", "CredentialRecord", "IssuerStore", "NewCredential", "Organization",
           "OutboxMessage", "SqliteIssuerStore", "StatusList", "StatusSlot", "User", "open_store"]
