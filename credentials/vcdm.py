"""Small readings of the VC Data Model shape that several modules need, and its context URLs."""

from __future__ import annotations

from typing import Any, Final

# VC Data Model 1.1 §4.1 and 2.0 §4.3: the base context, first in every credential's @context.
VC_V1_CONTEXT: Final = "https://www.w3.org/2018/credentials/v1"
VC_V2_CONTEXT: Final = "https://www.w3.org/ns/credentials/v2"


def as_list(value: Any) -> list[Any]:
    """A JSON-LD value as a list: absent (None) is empty, a single value is one item."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def first_context(document: dict[str, Any]) -> Any:
    """The first entry of ``@context`` (the base context that names the data model version)."""
    ctx = document.get("@context") if isinstance(document, dict) else None
    return ctx[0] if isinstance(ctx, list) and ctx else ctx


def issuer_id(credential: dict[str, Any]) -> str | None:
    """The issuer's id: ``issuer`` as a URL, or ``issuer.id`` of a Profile; None when absent or empty."""
    issuer = credential.get("issuer") if isinstance(credential, dict) else None
    if isinstance(issuer, dict):
        issuer = issuer.get("id")
    return issuer if isinstance(issuer, str) and issuer else None
