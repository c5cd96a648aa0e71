"""Reading and writing the XML Schema dateTime values credentials carry (shared with the core)."""

from __future__ import annotations

from credentials.xsd import format_datetime as format_moment
from credentials.xsd import parse_datetime

__all__ = ["format_moment", "parse_datetime"]
