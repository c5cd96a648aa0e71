"""Reading the XML Schema dateTime values credentials carry."""

from __future__ import annotations

from datetime import datetime, timezone


def parse_datetime(value: object) -> datetime | None:
    """Parse an xsd:dateTime (``Z`` or an offset; no zone means UTC); None when unreadable."""
    if not isinstance(value, str) or not value:
        return None
    text = value.strip()
    try:
        moment = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


def format_moment(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
