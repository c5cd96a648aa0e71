"""Shared command-line plumbing: reading inputs, the error convention, exit codes.

Exit 0 on success, 1 when a check failed, 2 on bad usage or unreadable input;
errors print ``error: <detail>`` on standard error.
"""

from __future__ import annotations

import sys
from datetime import datetime, timedelta, timezone
from typing import Any, NoReturn

from credentials.errors import JsonInputError
from credentials.limits import ValueTooLongError, check_value_lengths
from credentials.loader import DocumentLoader, bundled_loader
from credentials.strictjson import MAX_JSON_BYTES, dumps_json, parse_json
from webbase.secretfile import write_secret_file as _write_secret_file

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
MAX_INPUT_BYTES = MAX_JSON_BYTES
# Moments this close to the ends of datetime's range would overflow when a clock skew
# or a time zone offset is applied, so they are refused as input.
_EARLIEST = datetime.min.replace(tzinfo=timezone.utc) + timedelta(days=2)
_LATEST = datetime.max.replace(tzinfo=timezone.utc) - timedelta(days=2)


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
    """Read a file argument as strict JSON (``credentials.strictjson``); refusals are usage errors."""
    data = read_bytes(name)
    try:
        return parse_json(data)
    except JsonInputError as exc:
        raise UsageError(f"{name} ({what}): {exc}") from None


def read_json_object(name: str, *, what: str = "document") -> dict[str, Any]:
    value = read_json(name, what=what)
    if not isinstance(value, dict):
        raise UsageError(f"{name}: a {what} must be a JSON object")
    return value


def read_document(name: str, *, what: str = "document") -> dict[str, Any]:
    """Read a JSON object that will be signed, presented or canonicalized, refusing over-long DIDs and proof values."""
    document = read_json_object(name, what=what)
    try:
        check_value_lengths(document)
    except ValueTooLongError as exc:
        raise UsageError(f"{name} ({what}): {exc} (at {exc.path})") from None
    return document


def parse_moment(value: str, *, option: str) -> datetime:
    """An ISO 8601 date-time (UTC when no offset is given), inside the range datetime can compute with."""
    text = value[:-1] + "+00:00" if value.endswith("Z") else value
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(f"{option} {value!r} is not an ISO 8601 date-time (e.g. 2026-01-31T12:00:00Z)") from None
    moment = moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    try:
        in_range = _EARLIEST <= moment <= _LATEST
    except OverflowError:
        in_range = False
    if not in_range:
        raise UsageError(f"{option} {value!r} is out of range (years 0001 to 9999, away from their very ends)")
    return moment


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
    """Print JSON that is JSON: ``NaN``/``Infinity`` are refused, never written."""
    print(dumps_json(value))


def write_secret_file(path: str, text: str, *, overwrite: bool = False) -> None:
    """Write a secret with mode 0600 (``webbase.secretfile``); an existing file is kept unless ``overwrite``."""
    try:
        _write_secret_file(path, text.encode("utf-8"), overwrite=overwrite)
    except FileExistsError:
        raise UsageError(f"{path} already exists; refusing to replace a key file (use --force to replace it)") from None
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from None
