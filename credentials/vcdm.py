"""Small readings of the VC Data Model shape that several modules need."""

from __future__ import annotations

from typing import Any


def issuer_id(credential: dict[str, Any]) -> str | None:
    """The issuer's id: ``issuer`` as a URL, or ``issuer.id`` of a Profile; None when absent or empty."""
    issuer = credential.get("issuer")
    if isinstance(issuer, dict):
        issuer = issuer.get("id")
    return issuer if isinstance(issuer, str) and issuer else None
