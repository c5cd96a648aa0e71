"""The strict JSON reader: every refusal has its code, a precise message, and never recurses."""

from __future__ import annotations

import json

import pytest

from credentials.errors import CredentialError, JsonInputError
from credentials.strictjson import MAX_JSON_DEPTH, dumps_json, parse_json


def _refusal(data: bytes | str, **limits: int) -> JsonInputError:
    with pytest.raises(JsonInputError) as caught:
        parse_json(data, **limits)
    assert isinstance(caught.value, CredentialError)
    return caught.value


def test_parses_ordinary_json_like_json_loads() -> None:
    text = '{"a": [1, 2.5, -3e2, true, false, null, "x\\u00e9\\ud83d\\ude00"], "b": {"[": "]{"}}'
    assert parse_json(text) == json.loads(text)
    assert parse_json(text.encode("utf-8")) == json.loads(text)


def test_ignores_a_utf8_byte_order_mark() -> None:
    assert parse_json(b"\xef\xbb\xbf{\"a\": 1}") == {"a": 1}


@pytest.mark.parametrize("size", [MAX_JSON_DEPTH, MAX_JSON_DEPTH - 1])
def test_accepts_nesting_up_to_the_limit(size: int) -> None:
    assert parse_json("[" * size + "]" * size) is not None


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 500, 10_000, 200_000])
def test_rejects_deep_nesting_before_parsing(depth: int) -> None:
    error = _refusal('{"a":' * depth + "1" + "}" * depth)
    assert error.code == "json_too_deep"
    assert f"{depth:,} levels" in str(error) and str(MAX_JSON_DEPTH) in str(error)


def test_rejects_deep_unclosed_nesting() -> None:
    assert _refusal("[" * 200_000).code == "json_too_deep"


def test_brackets_inside_strings_are_not_nesting() -> None:
    text = '{"a": "' + "[" * 1000 + '\\"' + "{" * 1000 + '"}'
    assert parse_json(text) == {"a": "[" * 1000 + '"' + "{" * 1000}


def test_rejects_too_large_input() -> None:
    error = _refusal(b"[" + b"1," * 600 + b"1]", max_bytes=1000)
    assert error.code == "json_too_large"
    assert "1,000 bytes" in str(error)
    assert _refusal("x" * 1001, max_bytes=1000).code == "json_too_large"


def test_rejects_duplicate_key_with_its_path() -> None:
    error = _refusal('{"credentialSubject": {"achievement": [{"id": "a", "name": "x", "name": "y"}]}}')
    assert error.code == "json_duplicate_key"
    assert error.path == "$.credentialSubject.achievement[0]"
    assert "'name'" in str(error)


def test_rejects_duplicate_key_at_the_top() -> None:
    error = _refusal('{"id": 1, "id": 2}')
    assert (error.code, error.path) == ("json_duplicate_key", "$")


@pytest.mark.parametrize("text", ["NaN", "[Infinity]", '{"a": -Infinity}', "1e400", "[-1e999]"])
def test_rejects_non_finite_numbers(text: str) -> None:
    assert _refusal(text).code == "json_bad_number"


def test_rejects_integer_with_100000_digits() -> None:
    error = _refusal("[" + "7" * 100_000 + "]")
    assert error.code == "json_bad_number"
    assert "100,000 digits" in str(error)


def test_rejects_invalid_utf8_with_its_offset() -> None:
    error = _refusal(b'{"a": "\xc3\x28"}')
    assert error.code == "json_invalid_utf8"
    assert "byte 7" in str(error)


def test_rejects_escaped_lone_surrogate() -> None:
    error = _refusal('{"name": ["ok", "\\udc00"]}')
    assert (error.code, error.path) == ("json_invalid_utf8", "$.name[1]")


def test_reports_syntax_errors_with_line_and_column() -> None:
    error = _refusal('{\n  "a": 1,\n}')
    assert error.code == "json_syntax"
    assert "line 3, column 1" in str(error)


@pytest.mark.parametrize("text", ["", "   ", '"unterminated', '"\\', "[1,]", "{'a': 1}"])
def test_rejects_non_json(text: str) -> None:
    assert _refusal(text).code == "json_syntax"


def test_dumps_json_never_writes_nan() -> None:
    assert dumps_json({"a": 1.5}) == '{\n  "a": 1.5\n}'
    with pytest.raises(JsonInputError) as caught:
        dumps_json({"a": float("inf")})
    assert caught.value.code == "json_bad_number"
