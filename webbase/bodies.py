"""Reading request bodies: JSON only, size-limited, parsed by the one strict JSON reader.

Every JSON body goes through ``credentials.strictjson.parse_json`` so the servers refuse exactly what
the CLI refuses (duplicate keys, deep nesting, NaN, bad UTF-8), each with its stable ``json_*`` code.
The field getters turn a missing or mistyped member into a 400 that names the field, so a handler
never has to write its own error JSON.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from credentials.errors import JsonInputError
from credentials.strictjson import parse_json
from webbase.problems import Handler, Problem

ONE_MIB = 1024 * 1024
DEFAULT_MAX_DEPTH = 64
DEFAULT_MAX_STR = 10_000
DEFAULT_MAX_ITEMS = 1_000


def is_json_content_type(content_type: str) -> bool:
    """``application/json`` or any ``+json`` structured-syntax type (ld+json, problem+json …)."""
    content_type = content_type.lower()
    return content_type == "application/json" or (content_type.startswith("application/") and content_type.endswith("+json"))


@web.middleware
async def refuse_coded_bodies(request: web.Request, handler: Handler) -> web.StreamResponse:
    """A request body with a content coding (gzip, deflate, br …) is refused with 415 before any handler reads it.

    The servers run with aiohttp's request inflation off (``webbase.runner.SERVER_OPTIONS``), so such a body would
    reach a handler still compressed; RFC 9110 §8.4.1 names 415 for a coding the server does not accept.
    """
    coding = request.headers.get("Content-Encoding", "").strip().lower()
    if coding not in ("", "identity") and (request.body_exists or request.content_length):
        raise Problem(415, f"Request bodies are accepted without a Content-Encoding, not {coding[:40]!r}.",
                      code="unsupported_media_type", headers={"Accept-Encoding": "identity"})
    return await handler(request)


def _too_large(max_bytes: int) -> Problem:
    return Problem(413, f"The request body is larger than {max_bytes:,} bytes.", code="body_too_large",
                   extra={"maxBytes": max_bytes})


async def read_limited_body(request: web.Request, *, max_bytes: int = ONE_MIB) -> bytes:
    """The raw body, refused with 413 ``body_too_large`` past ``max_bytes`` (or the app's client_max_size)."""
    if request.content_length is not None and request.content_length > max_bytes:
        raise _too_large(max_bytes)
    body = await request.read()
    if len(body) > max_bytes:
        raise _too_large(max_bytes)
    return body


async def read_json_body(request: web.Request, *, max_bytes: int = ONE_MIB, max_depth: int = DEFAULT_MAX_DEPTH) -> Any:
    """The parsed JSON body: 415 ``unsupported_media_type`` unless the Content-Type is JSON, 413 past
    ``max_bytes``, 400 with the reader's ``json_*`` code for anything the strict reader refuses."""
    if not is_json_content_type(request.content_type):
        raise Problem(415, "The request body must be JSON (Content-Type: application/json).",
                      code="unsupported_media_type")
    body = await read_limited_body(request, max_bytes=max_bytes)
    try:
        return parse_json(body, max_bytes=max_bytes, max_depth=max_depth)
    except JsonInputError as exc:
        extra = {"path": exc.path} if exc.path else None
        raise Problem(400, str(exc), code=exc.code, extra=extra) from None


async def read_json_object(request: web.Request, **kwargs: Any) -> dict[str, Any]:
    """Like ``read_json_body`` but the body must be a JSON object (400 ``not_an_object`` otherwise)."""
    value = await read_json_body(request, **kwargs)
    if not isinstance(value, dict):
        raise Problem(400, "The request body must be a JSON object.", code="not_an_object")
    return value


def _missing(name: str) -> Problem:
    return Problem(400, f"The field {name!r} is required.", code="missing_field", extra={"field": name})


def _invalid(name: str, why: str) -> Problem:
    return Problem(400, f"The field {name!r} {why}.", code="invalid_field", extra={"field": name})


def optional_str(obj: dict[str, Any], name: str, *, max_len: int = DEFAULT_MAX_STR) -> str | None:
    """The string member ``name``, or None when absent or null."""
    value = obj.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise _invalid(name, "must be a string")
    if len(value) > max_len:
        raise _invalid(name, f"must be at most {max_len:,} characters")
    return value


def require_str(obj: dict[str, Any], name: str, *, max_len: int = DEFAULT_MAX_STR, allow_empty: bool = False) -> str:
    """The string member ``name``; missing, null, not a string, too long or (by default) empty is a 400."""
    value = optional_str(obj, name, max_len=max_len)
    if value is None:
        raise _missing(name)
    if not allow_empty and not value.strip():
        raise _invalid(name, "must not be empty")
    return value


def require_bool(obj: dict[str, Any], name: str) -> bool:
    value = obj.get(name)
    if value is None:
        raise _missing(name)
    if not isinstance(value, bool):
        raise _invalid(name, "must be true or false")
    return value


def optional_int(obj: dict[str, Any], name: str, *, minimum: int | None = None, maximum: int | None = None) -> int | None:
    value = obj.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise _invalid(name, "must be an integer")
    if minimum is not None and value < minimum:
        raise _invalid(name, f"must be at least {minimum}")
    if maximum is not None and value > maximum:
        raise _invalid(name, f"must be at most {maximum}")
    return value


def require_int(obj: dict[str, Any], name: str, *, minimum: int | None = None, maximum: int | None = None) -> int:
    value = optional_int(obj, name, minimum=minimum, maximum=maximum)
    if value is None:
        raise _missing(name)
    return value


def require_list(obj: dict[str, Any], name: str, *, max_items: int = DEFAULT_MAX_ITEMS, allow_empty: bool = True) -> list[Any]:
    """The array member ``name`` (a 400 if missing, not an array, too long, or empty when not allowed)."""
    value = obj.get(name)
    if value is None:
        raise _missing(name)
    if not isinstance(value, list):
        raise _invalid(name, "must be an array")
    if len(value) > max_items:
        raise _invalid(name, f"must have at most {max_items:,} items")
    if not allow_empty and not value:
        raise _invalid(name, "must not be empty")
    return value


def require_object(obj: dict[str, Any], name: str) -> dict[str, Any]:
    """The object member ``name`` (a 400 if missing or not an object)."""
    value = obj.get(name)
    if value is None:
        raise _missing(name)
    if not isinstance(value, dict):
        raise _invalid(name, "must be an object")
    return value
