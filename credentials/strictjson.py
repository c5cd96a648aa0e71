"""The one strict JSON reader every entry point uses (files, stdin, JWT parts, baked images, HTTP bodies).

RFC 8259 leaves several things to the parser; two parsers that decide them differently
can disagree on what a signer signed, and a naive parser can be made to crash or hang.
``parse_json`` refuses, each with a stable ``code`` on ``JsonInputError``:

- ``json_too_large``: more than ``max_bytes`` of UTF-8 (8 MiB by default);
- ``json_too_deep``: arrays/objects nested deeper than ``max_depth`` (64 by default).
  The depth is measured by a linear scan of the text *before* ``json.loads`` runs,
  so a document of 200,000 ``[`` never reaches the recursive parser;
- ``json_duplicate_key``: an object naming a key twice (RFC 8259 §4 "SHOULD be unique");
  the error carries the JSON path of the object;
- ``json_bad_number``: ``NaN``, ``Infinity``, ``-Infinity`` (not JSON at all), a number
  that overflows a double (``1e400``, or an integer past 1.8e308), or an integer longer than ``MAX_INTEGER_DIGITS``;
- ``json_invalid_utf8``: bytes that are not UTF-8 (RFC 8259 §8.1), or a ``\\u`` escape
  that encodes a lone surrogate (not a Unicode character, so not encodable later);
- ``json_syntax``: anything else that is not JSON, with its line and column.

A leading UTF-8 byte-order mark is ignored (RFC 8259 §8.1 permits that).
"""

from __future__ import annotations

import json
import math
import re
from array import array
from itertools import accumulate
from typing import Any

from credentials.errors import JsonInputError

MAX_JSON_BYTES = 8 * 1024 * 1024
"""The largest document accepted, in bytes of UTF-8 (a real presentation of 20 badges is ~200 KB)."""

MAX_JSON_DEPTH = 64
"""The deepest nesting of arrays and objects accepted; real credentials nest fewer than 10 levels."""

MAX_INTEGER_DIGITS = 4300
"""Integers longer than this are refused (CPython's own default limit for int/str conversion)."""

# One JSON string, escapes included; the closing quote is optional so that an unterminated
# string consumes the rest of the text once (no re-scanning, so the scan stays linear).
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"?', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
# Brackets become signed bytes: an opening one +1, a closing one -1 (0xFF).
_BRACKET_STEPS = bytes.maketrans(b"[]{}", b"\x01\xff\x01\xff")
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


class _Refusal(Exception):
    """Raised inside json's hooks; carried out of ``json.loads`` and turned into ``JsonInputError``."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class _DuplicateKeyObject(dict[str, Any]):
    """An object that named ``duplicate`` twice; found after parsing so its path can be named."""

    duplicate: str = ""


def parse_json(data: bytes | str, *, max_bytes: int = MAX_JSON_BYTES, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """Parse one JSON text strictly (see the module docstring); raise ``JsonInputError`` otherwise."""
    raw = _as_utf8(data, max_bytes)
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    _check_depth(raw, max_depth)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise JsonInputError(f"the JSON is not valid UTF-8 (byte {exc.start}: {exc.reason})",
                             code="json_invalid_utf8") from None
    found_duplicate: list[bool] = []

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        result = dict(items)  # Built in C; only an object that lost a key to a duplicate is looked at again.
        if len(result) == len(items):
            return result
        marked = _DuplicateKeyObject(result)
        seen: set[str] = set()
        for key, _value in items:
            if key in seen:
                marked.duplicate = key
                break
            seen.add(key)
        found_duplicate.append(True)
        return marked

    try:
        value = json.loads(text, object_pairs_hook=pairs, parse_constant=_refuse_constant,
                           parse_float=_parse_float, parse_int=_parse_int)
    except _Refusal as exc:
        raise JsonInputError(exc.message, code="json_bad_number") from None
    except json.JSONDecodeError as exc:
        raise JsonInputError(f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})",
                             code="json_syntax") from None
    except RecursionError:  # Unreachable after the depth scan; kept so no input can ever escape as one.
        raise JsonInputError("the JSON is nested too deeply", code="json_too_deep") from None
    if found_duplicate or _SURROGATE_ESCAPE.search(raw):
        _check_tree(value)
    return value


def dumps_json(value: Any, *, indent: int | None = 2) -> str:
    """Serialize ``value`` as JSON that ``parse_json`` accepts back: never NaN or Infinity."""
    try:
        return json.dumps(value, indent=indent, ensure_ascii=False, allow_nan=False)
    except ValueError as exc:
        raise JsonInputError(f"the value cannot be written as JSON: {exc}", code="json_bad_number") from None


def _as_utf8(data: bytes | str, max_bytes: int) -> bytes:
    """The input as UTF-8 bytes, refusing oversized input before any work is done on it."""
    if isinstance(data, str):
        if len(data) > max_bytes:  # A character is at least one byte: too large already.
            raise _too_large(len(data), max_bytes, unit="characters")
        try:
            data = data.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise JsonInputError(f"the JSON text holds a lone surrogate at character {exc.start}, "
                                 "which is not a Unicode character", code="json_invalid_utf8") from None
    elif not isinstance(data, (bytes, bytearray, memoryview)):
        raise JsonInputError(f"JSON must be given as bytes or text, not {type(data).__name__}", code="json_syntax")
    else:
        data = bytes(data)
    if len(data) > max_bytes:
        raise _too_large(len(data), max_bytes, unit="bytes")
    return data


def _too_large(size: int, max_bytes: int, *, unit: str) -> JsonInputError:
    return JsonInputError(f"the JSON document is {size:,} {unit}; the limit is {max_bytes:,} bytes",
                          code="json_too_large")


def _check_depth(raw: bytes, max_depth: int) -> None:
    """Refuse nesting deeper than ``max_depth`` in one linear pass, without recursion.

    Strings are cut out first (a ``[`` inside a string is not structure), then every byte
    but the brackets is deleted and the running sum of +1/-1 gives the depth. Until the
    first syntax error this scan and the JSON parser read the text the same way, so the
    parser never nests deeper than the scan measured.
    """
    structure = _STRING.sub(b"", raw).translate(None, _NOT_BRACKETS)
    opening = structure.count(b"[") + structure.count(b"{")
    if opening <= max_depth:
        return
    steps = array("b", structure.translate(_BRACKET_STEPS))
    depth = max(accumulate(steps))
    if depth > max_depth:
        raise JsonInputError(f"the JSON nests arrays/objects {depth:,} levels deep; the limit is {max_depth}",
                             code="json_too_deep")


def _refuse_constant(name: str) -> Any:
    raise _Refusal(f"{name} is not a JSON number (NaN and Infinity are not JSON)")


def _parse_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        shown = text if len(text) <= 40 else text[:37] + "..."
        raise _Refusal(f"the number {shown} is out of range (it overflows a 64-bit float)")
    return value


def _parse_int(text: str) -> int:
    digits = len(text.lstrip("-"))
    if digits > MAX_INTEGER_DIGITS:
        raise _Refusal(f"an integer of {digits:,} digits is out of range (limit {MAX_INTEGER_DIGITS} digits)")
    value = int(text)
    try:
        float(value)  # JSON-LD reads a number this large as an xsd:double: one past a double's range cannot be read.
    except OverflowError:
        raise _Refusal(f"an integer of {digits:,} digits is out of range (it overflows a 64-bit float)") from None
    return value


def _check_tree(value: Any) -> None:
    """Find the first duplicate key or lone surrogate, with its path (iterative: depth is bounded anyway)."""
    stack: list[tuple[Any, str]] = [(value, "$")]
    while stack:
        node, path = stack.pop()
        if isinstance(node, _DuplicateKeyObject):
            raise JsonInputError(f"the object at {path} has the key {node.duplicate!r} twice "
                                 "(two readers could keep different values)", path=path, code="json_duplicate_key")
        if isinstance(node, dict):
            for key in reversed(list(node)):
                _check_text(key, path)
                stack.append((node[key], _child(path, key)))
        elif isinstance(node, list):
            stack.extend((item, f"{path}[{index}]") for index, item in reversed(list(enumerate(node))))
        elif isinstance(node, str):
            _check_text(node, path)


def _check_text(text: str, path: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise JsonInputError(f"a string at {path} holds a \\u escape of a lone surrogate, "
                             "which is not a Unicode character", path=path, code="json_invalid_utf8") from None


def _child(path: str, key: str) -> str:
    return f"{path}.{key}" if key.isidentifier() else f"{path}[{key!r}]"
