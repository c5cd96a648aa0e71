"""The issuer node's storage: the ``IssuerStore`` interface, its records, and the SQLite implementation.

Handlers and features depend on ``IssuerStore`` (``interface.py``) only; ``open_store``
picks the implementation. Schema changes go in ``migrations.py`` (append-only).
"""

from __future__ import annotations

from pathlib import Path

from .interface import IssuerStore
from .records import Achievement, Alignment, CredentialRecord, NewCredential, Organization, OutboxMessage, StatusList, StatusSlot, User
from .sqlite import SqliteIssuerStore


def open_store(path: Path) -> IssuerStore:
    """Open (creating and migrating as needed) the issuer database at ``path``."""
    return SqliteIssuerStore(path)


__all__ = ["Achievement", "Alignment", "CredentialRecord", "IssuerStore", "NewCredential", "Organization",
           "OutboxMessage", "SqliteIssuerStore", "StatusList", "StatusSlot", "User", "open_store"]
