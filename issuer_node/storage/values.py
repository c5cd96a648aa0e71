"""How the issuer store writes values into columns: one form for both backends and every store family.

Timestamps are UTC ISO 8601 text with microseconds (text order is time order, on SQLite and
PostgreSQL alike); JSON is compact and keeps non-ASCII text as is.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any


def timestamp_text(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="microseconds")


def parse_timestamp(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def compact_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
