"""Wallet storage: the ``WalletStore`` interface, its records, and its two backends.

``open_store`` takes a ``webbase.dburl.DatabaseTarget`` (from ``--database``): SQLite, one
file served by one process (the default), or PostgreSQL, one database several wallet
processes share. A plain path still means SQLite, for the callers that have one.
"""

from __future__ import annotations

from pathlib import Path

from webbase.dburl import DatabaseTarget

from .interface import CredentialPage, CredentialQuery, JobClaims, WalletStore
from .records import AccountRecord, CredentialRecord, EmailRecord, OutboxMessage, ShareRecord, StatusListRecord


def open_store(target: DatabaseTarget | Path | str) -> WalletStore:
    """Open (creating and migrating as needed) the store ``target`` names."""
    if isinstance(target, DatabaseTarget) and target.is_postgres:
        from .postgres import PgWalletStore

        assert target.url is not None
        return PgWalletStore(target.url)
    from .sqlite import SqliteWalletStore

    if isinstance(target, DatabaseTarget):
        assert target.path is not None
        return SqliteWalletStore(target.path)
    return SqliteWalletStore(target)


__all__ = ["AccountRecord", "CredentialPage", "CredentialQuery", "CredentialRecord", "EmailRecord", "JobClaims",
           "OutboxMessage", "ShareRecord", "StatusListRecord", "WalletStore", "open_store"]
