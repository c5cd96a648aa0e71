"""Shared command-line plumbing: reading inputs, the error convention, exit codes.

Exit 0 on success, 1 when a check failed, 2 on bad usage or unreadable input;
errors print ``error: <detail>`` on standard error.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, NoReturn

from credentials.loader import DocumentLoader, bundled_loader

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
MAX_INPUT_BYTES = 8 * 1024 * 1024


class UsageError(Exception):
    """Bad usage or unreadable input: exit 2."""


def fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    print(f"error: {message}", file=sys.stderr)
    raise SystemExit(code)


def read_bytes(name: str) -> bytes:
    """Read a file argument (``-`` is standard input), refusing oversized input."""
    try:
        if name == "-":
            data = sys.stdin.buffer.read(MAX_INPUT_BYTES + 1)
        else:
            with open(name, "rb") as handle:
                data = handle.read(MAX_INPUT_BYTES + 1)
    except OSError as exc:
        raise UsageError(f"cannot read {name}: {exc.strerror}") from None
    if len(data) > MAX_INPUT_BYTES:
        raise UsageError(f"{name} is larger than {MAX_INPUT_BYTES // (1024 * 1024)} MiB")
    return data


def read_json(name: str, *, what: str = "document") -> Any:
    data = read_bytes(name)
    try:
        return json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise UsageError(f"{name} is not JSON ({what}): {exc}") from None


def read_json_object(name: str, *, what: str = "document") -> dict[str, Any]:
    value = read_json(name, what=what)
    if not isinstance(value, dict):
        raise UsageError(f"{name}: a {what} must be a JSON object")
    return value


def parse_moment(value: str, *, option: str) -> datetime:
    text = value[:-1] + "+00:00" if value.endswith("Z") else value
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(f"{option} {value!r} is not an ISO 8601 date-time (e.g. 2026-01-31T12:00:00Z)") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def loader_with_contexts(pairs: list[str] | None) -> DocumentLoader:
    """The bundled loader plus ``URL=FILE`` contexts the operator names (theirs to trust)."""
    loader = bundled_loader()
    if not pairs:
        return loader
    extra: dict[str, Any] = {}
    for pair in pairs:
        url, sep, path = pair.partition("=")
        if not sep or not url or not path:
            raise UsageError(f"--context takes URL=FILE, not {pair!r}")
        if url in loader.urls:
            raise UsageError(f"--context {url}: that context is bundled; a bundled context cannot be replaced")
        extra[url] = read_json(path, what="JSON-LD context")
    return loader.with_documents(extra)


def print_json(value: Any) -> None:
    print(json.dumps(value, indent=2, ensure_ascii=False))


def write_secret_file(path: str, text: str) -> None:
    """Create a file readable by its owner only (0600) before any secret is written to it."""
    import os

    target = Path(path)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        os.fchmod(handle.fileno(), 0o600)
        handle.write(text)
