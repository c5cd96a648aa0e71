"""XML Schema dateTime values as credentials, proofs and status lists carry them."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from .errors import CredentialError

# How far apart two honest clocks may be: a proof created, or a JWT valid, this far
# in the future (or expired this long ago) is accepted with a note.
CLOCK_SKEW = timedelta(minutes=5)


def parse_datetime(value: Any) -> datetime | None:
    """Parse an xsd:dateTime (``Z`` or an offset; no zone is read as UTC); None when unreadable."""
    if not isinstance(value, str) or not value:
        return None
    text = value.strip()
    try:
        moment = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


class DateTimeError(CredentialError, ValueError):
    """A moment Satchel cannot write: naive (no time zone), or outside the years UTC can express.

    Also a ``ValueError``, which is what this raised before it joined the tree.
    """

    code = "bad_datetime"


def format_datetime(moment: datetime) -> str:
    """UTC to the second with ``Z``: the form Satchel writes everywhere."""
    if not isinstance(moment, datetime) or moment.tzinfo is None or moment.utcoffset() is None:
        raise DateTimeError("a date-time must be a timezone-aware datetime")
    try:
        return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (OverflowError, ValueError):
        raise DateTimeError(f"{moment.isoformat()} is outside the years a credential can carry") from None
