"""Wallet storage: the ``WalletStore`` interface, its records, and the SQLite backend."""

from __future__ import annotations

from pathlib import Path

from .interface import CredentialPage, CredentialQuery, WalletStore
from .records import AccountRecord, CredentialRecord, EmailRecord, OutboxMessage, ShareRecord, StatusListRecord


def open_store(path: Path | str) -> WalletStore:
    """Open (creating and migrating as needed) the SQLite store at ``path``."""
    from .sqlite import SqliteWalletStore

    return SqliteWalletStore(path)


__all__ = ["AccountRecord", "CredentialPage", "CredentialQuery", "CredentialRecord", "EmailRecord", "OutboxMessage",
           "ShareRecord", "StatusListRecord", "WalletStore", "open_store"]
