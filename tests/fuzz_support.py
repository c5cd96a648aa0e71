"""Plumbing for tests/test_fuzz_entrypoints.py: servers in a background loop, raw HTTP, hostile inputs.

Hypothesis drives synchronous test functions, while our servers are aiohttp
apps; so the servers run in an event loop of their own thread (one per test
module), and each example is a real HTTP request over a fresh loopback socket
(``http.client``: it sends exactly the bytes and headers we give it, however
wrong). Every ERROR record logged while a server runs (webbase's "unhandled
error" with its traceback, aiohttp's "Error handling request") and every
exception the loop reports is kept, so a test can say "no traceback anywhere",
not only "no 500".

The strategies make what the world sends: arbitrary bytes, arbitrary JSON,
and JSON-shaped mutations of a valid signed document (a field dropped,
replaced or retyped, a value nested thousands deep, huge or odd Unicode
strings, bytes truncated or flipped after encoding, duplicate keys, numbers
past float range or Python's digit limit), under right and wrong content
types, as multipart where JSON is expected and the reverse.
"""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import json
import logging
import threading
from collections.abc import Callable, Coroutine
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit

from hypothesis import strategies as st

T = TypeVar("T")
PROBLEM = "application/problem+json"
DEEP = "\u2063deep\u2063"  # A placeholder string replaced, after encoding, by a nesting json.dumps cannot make.


class ErrorLog(logging.Handler):
    """Every ERROR (or worse) record, and every record with a traceback, logged anywhere in the process."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.records: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = f"{record.name}: {record.getMessage()}"
        if record.exc_info and record.exc_info[1] is not None:
            text += f" ({type(record.exc_info[1]).__name__}: {record.exc_info[1]})"
        self.records.append(text)


class Background:
    """An event loop in a daemon thread: enter async context managers on it, run coroutines on it."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.loop_errors: list[str] = []
        self.loop.set_exception_handler(lambda _, context: self.loop_errors.append(str(context.get("message"))
                                                                                   + " " + repr(context.get("exception"))))
        self._entered: list[AbstractAsyncContextManager[Any]] = []
        self._thread = threading.Thread(target=self.loop.run_forever, name="fuzz-servers", daemon=True)
        self._thread.start()

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 120) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def enter(self, manager: AbstractAsyncContextManager[T]) -> T:
        value = self.run(manager.__aenter__())
        self._entered.append(manager)
        return value

    def close(self) -> None:
        try:
            while self._entered:
                self.run(self._entered.pop().__aexit__(None, None, None))
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(30)
            self.loop.close()


@dataclass(frozen=True)
class Answer:
    status: int
    content_type: str
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def post(url: str, body: bytes, *, content_type: str | None, headers: dict[str, str] | None = None,
         timeout: float = 60) -> Answer:
    """POST ``body`` as is (no re-encoding, any Content-Type or none) on a fresh connection."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=timeout)
    try:
        sent = dict(headers or {})
        if content_type is not None:
            sent["Content-Type"] = content_type
        connection.request("POST", parts.path, body=body, headers=sent)
        response = connection.getresponse()
        data = response.read()
        media = (response.getheader("Content-Type") or "").split(";")[0].strip().lower()
        return Answer(response.status, media, data)
    finally:
        connection.close()


def get_json(url: str, *, headers: dict[str, str] | None = None) -> Any:
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=60)
    try:
        connection.request("GET", parts.path + (f"?{parts.query}" if parts.query else ""), headers=headers or {})
        response = connection.getresponse()
        data = response.read()
        assert response.status == 200, (url, response.status, data[:300])
        return json.loads(data)
    finally:
        connection.close()


def problem_fault(answer: Answer) -> str | None:
    """Why ``answer`` is not a proper RFC 9457 refusal (None when it is one)."""
    if answer.status >= 500:
        return f"a {answer.status}"
    if answer.content_type != PROBLEM:
        return f"an error as {answer.content_type or 'no content type'}"
    try:
        body = answer.json()
    except ValueError:
        return "a problem that is not JSON"
    if not isinstance(body, dict):
        return "a problem that is not an object"
    if not (isinstance(body.get("type"), str) and body["type"].startswith("urn:satchel:problem:")):
        return f"a problem without a type: {body!r:.200}"
    if not isinstance(body.get("title"), str) or not body["title"]:
        return "a problem without a title"
    if body.get("status") != answer.status:
        return f"a problem whose status {body.get('status')!r} is not the response's {answer.status}"
    if not isinstance(body.get("detail"), str) or not body["detail"]:
        return "a problem without a detail"
    return None


# ---------------------------------------------------------------- strategies

KEYS = ["@context", "@id", "@type", "@graph", "@list", "@value", "@vocab", "@protected", "id", "type", "issuer",
        "holder", "name", "credentialSubject", "achievement", "proof", "proofValue", "verificationMethod",
        "cryptosuite", "proofPurpose", "challenge", "domain", "created", "verifiableCredential", "validFrom",
        "validUntil", "credentialStatus", "statusListCredential", "statusListIndex", "evidence", "narrative",
        "recipient", "did", "email", "credential", "options", "offer", "tx_code", "image", "identifier"]
ODD_STRINGS = [
    "", " ", "\u0000", "\ufeff", "\u202e\u2066evil", "\u200b", "e\u0301\u0301\u0301", "\U0001f600" * 3, "\U0010ffff",
    "\ud800", "\udfff\ud800", "\\u0000", "null", "1e400", "NaN", "-0", "<script>alert(1)</script>",
    "javascript:alert(1)", "../../etc/passwd", "%00%2e%2e", "_:b0", "@context", "urn:uuid:",
    "https://www.w3.org/ns/credentials/v2", "https://www.w3.org/2018/credentials/v1",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json", "https://127.0.0.1:1/x", "http://[::1]:1/",
    "VerifiableCredential", "VerifiablePresentation", "OpenBadgeCredential", "DataIntegrityProof",
    "eddsa-rdfc-2022", "ecdsa-sd-2023", "assertionMethod", "authentication", "EnvelopedVerifiableCredential",
    "data:application/vc+jwt,eyJhbGciOiJFZERTQSJ9.e30.AA", "eyJhbGciOiJub25lIn0.eyJ2YyI6e319.",
    "eyJhbGciOiJFZERTQSJ9.eyJ2YyI6e319.AA", "did:key:z6Mk", "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
    "did:web:127.0.0.1%3A1", "did:web:evil.example", "did:example:123", "z" + "1" * 120, "u" + "A" * 120,
    "2026-13-45T99:99:99Z", "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", "2099-01-01T00:00:00Z",
    "openid-credential-offer://?credential_offer_uri=http%3A%2F%2F127.0.0.1%3A1%2Foffer",
    "openid-credential-offer://?credential_offer=%7B%7D", "openid-credential-offer://?credential_offer=%7B",
    "mailto:a@b.example", "ann@example.org", "A" * 300,
]
CONTENT_TYPES = ["application/json", "application/json", "application/json", "application/ld+json",
                 "application/json; charset=latin-1", "application/problem+json", "text/plain", "text/html",
                 "application/x-www-form-urlencoded", "multipart/form-data", "multipart/form-data; boundary=",
                 "multipart/form-data; boundary=zzz", "application/octet-stream", "image/png", "application/vc+jwt",
                 "*/*", "application/", "\u00e9/json", None]


def scalars() -> st.SearchStrategy[Any]:
    return (st.none() | st.booleans() | st.integers(min_value=-(2**80), max_value=2**80)
            | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=16) | st.sampled_from(ODD_STRINGS))


def json_values(max_leaves: int = 25) -> st.SearchStrategy[Any]:
    return st.recursive(scalars(), lambda inner: st.lists(inner, max_size=5)
                        | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=8), inner, max_size=5),
                        max_leaves=max_leaves)


def paths_of(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path in a JSON value (the root, every member and every item)."""
    found = [path]
    if isinstance(value, dict):
        for key, child in value.items():
            found += paths_of(child, (*path, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += paths_of(child, (*path, index))
    return found


def _at(value: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        value = value[step]
    return value


def _retyped(value: Any) -> list[Any]:
    return [[value], {"@value": value}, {"id": value}, str(value), json.dumps(value, default=str), 0, -1, 1.5,
            None, True, [], {}, [[[]]]]


@st.composite
def mutated(draw: st.DrawFn, base: Any, *, max_changes: int = 4) -> Any:
    """``base`` with one to ``max_changes`` changes at drawn paths: drop, replace, retype, deepen, inflate, oddify."""
    document = json.loads(json.dumps(base))
    for _ in range(draw(st.integers(min_value=1, max_value=max_changes))):
        path = draw(st.sampled_from(paths_of(document)))
        operation = draw(st.sampled_from(["drop", "replace", "retype", "deep", "huge", "odd", "add"]))
        current = _at(document, path)
        if operation == "drop" and path:
            parent = _at(document, path[:-1])
            del parent[path[-1]]
            continue
        if operation == "add" and isinstance(current, dict):
            current[draw(st.sampled_from(KEYS) | st.text(max_size=8))] = draw(json_values(10))
            continue
        if operation == "add" and isinstance(current, list):
            current.insert(draw(st.integers(0, len(current))), draw(json_values(10)))
            continue
        if operation == "retype":
            new = draw(st.sampled_from(_retyped(current)))
        elif operation == "deep":
            new = DEEP
        elif operation == "huge":
            unit = draw(st.sampled_from(["x", "\u00e9", "\U0001f600", "\u0000", "ab" * 8, "\u202e"]))
            new = unit * draw(st.integers(min_value=5_000, max_value=120_000))
        elif operation == "odd":
            new = draw(st.sampled_from(ODD_STRINGS))
        else:
            new = draw(json_values(15))
        if not path:
            document = new
        else:
            _at(document, path[:-1])[path[-1]] = new
    return document


@st.composite
def odd_strings(draw: st.DrawFn, base: Any, *, max_changes: int = 3) -> Any:
    """``base`` with one to ``max_changes`` of its string values replaced by odd, huge or hostile text, the shape
    kept: re-signed, such a document passes the contexts and often the schema, and is stored and shown."""
    document = json.loads(json.dumps(base))
    leaves = [path for path in paths_of(document) if path and isinstance(_at(document, path), str)
              and "@context" not in path and path[-1] != "type"]
    for _ in range(draw(st.integers(min_value=1, max_value=max_changes))):
        path = draw(st.sampled_from(leaves))
        unit = draw(st.sampled_from(ODD_STRINGS[:20] + ["<img src=x onerror=alert(1)>", "\u0085\u2028\u2029",
                                                         "\u0000<b>", "'\"><svg onload=alert(1)>"]))
        _at(document, path[:-1])[path[-1]] = unit * draw(st.sampled_from([1, 1, 3, 2_000, 30_000]))
    return document


@st.composite
def encoded(draw: st.DrawFn, value: Any) -> bytes:
    """``value`` as JSON bytes (NaN and Infinity as Python writes them), deep placeholders expanded, then maybe
    damaged at the byte level: truncated, a byte flipped, a duplicate key, a number Python cannot read."""
    text = json.dumps(value, allow_nan=True, ensure_ascii=draw(st.booleans()))
    while json.dumps(DEEP) in text or DEEP in text:
        depth = draw(st.sampled_from([65, 200, 1_500, 20_000, 120_000]))
        kind = draw(st.sampled_from(["[]", "{}"]))
        nest = "[" * depth + "1" + "]" * depth if kind == "[]" else '{"a":' * depth + "1" + "}" * depth
        quoted = json.dumps(DEEP, ensure_ascii=True)
        text = text.replace(quoted, nest, 1) if quoted in text else text.replace(json.dumps(DEEP, ensure_ascii=False),
                                                                                 nest, 1)
    data = text.encode("utf-8", "surrogatepass")
    damage = draw(st.sampled_from(["none"] * 12 + ["truncate", "flip", "duplicate", "digits", "latin1", "bom"]))
    if damage == "truncate" and data:
        data = data[: draw(st.integers(0, len(data) - 1))]
    elif damage == "flip" and data:
        at = draw(st.integers(0, len(data) - 1))
        data = data[:at] + bytes([data[at] ^ draw(st.integers(1, 255))]) + data[at + 1:]
    elif damage == "duplicate" and data.startswith(b"{") and len(data) > 2:
        data = b'{"type": 1, "type": 2, ' + data[1:] if data != b"{}" else b'{"a": 1, "a": 1}'
    elif damage == "digits" and data.startswith(b"{") and len(data) > 2:
        data = b'{"n": ' + b"9" * draw(st.sampled_from([400, 4_301, 50_000])) + b", " + data[1:]
    elif damage == "latin1":
        data = text.encode("latin-1", "replace")
    elif damage == "bom":
        data = b"\xef\xbb\xbf" + data
    return data


def raw_bytes() -> st.SearchStrategy[bytes]:
    """Bytes that are not made to be JSON at all, and a few that almost are."""
    return (st.binary(max_size=2_000)
            | st.sampled_from([b"", b" ", b"{", b"[", b"null", b"true", b"0", b"\"x\"", b"{}", b"[]", b"\x00" * 64,
                               b"\xff\xfe{\x00}\x00", b"\x89PNG\r\n\x1a\n", b"<svg", b'<?xml version="1.0"?>',
                               b"--zzz\r\n\r\n--zzz--", b"a=1&b=2", b"{" * 100_000, b"[" * 300_000,
                               b'{"a":' * 10_000 + b"1" + b"}" * 10_000]))


def multipart(parts: list[tuple[str, str | None, bytes]], *, boundary: str = "fuzzboundary") -> tuple[bytes, str]:
    """A multipart/form-data body: (field name, filename or None, content) per part; (body, content type)."""
    out = b""
    for name, filename, content in parts:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename is not None else "")
        out += (f"--{boundary}\r\nContent-Disposition: {disposition}\r\n"
                f"Content-Type: application/octet-stream\r\n\r\n").encode("utf-8", "surrogatepass") + content + b"\r\n"
    return out + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


@dataclass(frozen=True)
class Request:
    """One drawn request: its body, its Content-Type (None: no header), and what the strategy made."""

    body: bytes
    content_type: str | None
    label: str
    headers: tuple[tuple[str, str], ...] = ()

    def with_headers(self, headers: dict[str, str]) -> dict[str, str]:
        """``headers`` (authorization, say) plus the drawn ones (a Content-Encoding)."""
        return {**headers, **dict(self.headers)}


@st.composite
def content_encoded(draw: st.DrawFn, request: Request) -> Request:
    """Mostly the request as it is; sometimes its body gzip- or deflate-compressed (aiohttp inflates those before
    the app reads them) under the right header, or not compressed at all under such a header."""
    how = draw(st.sampled_from(["none"] * 24 + ["gzip", "deflate", "gzip-lie", "deflate-lie", "identity"]))
    if how == "none":
        return request
    import gzip
    import zlib

    encoding = how.removesuffix("-lie")
    body = request.body
    if how == "gzip":
        body = gzip.compress(body, mtime=0)
    elif how == "deflate":
        body = zlib.compress(body)
    return Request(body, request.content_type, f"{request.label}+{how}", (("Content-Encoding", encoding),))


def requests(documents: st.SearchStrategy[Any], *, wrap: Any) -> st.SearchStrategy[Request]:
    """Requests to a JSON route: ``wrap(document)`` as JSON (damaged or not) under a drawn content type, the bare
    document, arbitrary JSON, bytes, an empty body, or a multipart upload where JSON is expected."""
    json_kinds = st.sampled_from(["wrapped"] * 6 + ["bare", "arbitrary wrapped", "arbitrary wrapped", "arbitrary"]
                                 ).flatmap(lambda kind: {"wrapped": documents.map(wrap), "bare": documents,
                                                         "arbitrary wrapped": json_values().map(wrap),
                                                         "arbitrary": json_values()}[kind])
    json_types = st.sampled_from(["application/json"] * 57 + CONTENT_TYPES)  # four in five application/json

    @st.composite
    def draw_request(draw: st.DrawFn) -> Request:
        kind = draw(st.sampled_from(["json"] * 12 + ["bytes", "empty", "multipart"]))
        if kind == "json":
            return Request(draw(json_kinds.flatmap(encoded)), draw(json_types), "json")
        if kind == "bytes":
            return Request(draw(raw_bytes()), draw(st.sampled_from(CONTENT_TYPES)), "bytes")
        if kind == "empty":
            return Request(b"", draw(st.sampled_from(CONTENT_TYPES)), "empty")
        content = draw(json_kinds.flatmap(encoded) | raw_bytes())
        body, content_type = multipart([("file", draw(st.sampled_from(["a.json", "b.png", "c.svg", None])), content)])
        return Request(body, content_type, "multipart")

    return draw_request().flatmap(content_encoded)


# ---------------------------------------------------------------- signed hostile documents

def _b64url(data: bytes) -> str:
    import base64

    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def sign_or_keep(document: Any, sign: Callable[[dict[str, Any]], dict[str, Any]]) -> Any:
    """``document`` signed by ``sign`` when it can be (a valid proof over hostile content reaches the checks
    after the proof: dates, schema, status, the wallet's reading of what it stores), else as it is.

    Signing is only the means to a valid proof here, so any refusal of the signer (an undefined term it will
    not sign, a value it cannot canonicalize) leaves the document unsigned rather than failing the example.
    """
    if not isinstance(document, dict):
        return document
    try:
        return sign(document)
    except Exception:
        return document


@st.composite
def resigned(draw: st.DrawFn, unsigned: dict[str, Any], sign: Callable[[dict[str, Any]], dict[str, Any]]) -> Any:
    """A mutation of ``unsigned`` (of its shape, or of its strings only) with a valid proof over it (when the
    signer accepts it)."""
    change = draw(st.sampled_from([mutated, odd_strings]))
    return sign_or_keep(draw(change(unsigned, max_changes=3)), sign)


@st.composite
def compact_jwts(draw: st.DrawFn, header: dict[str, Any], payload: dict[str, Any],
                 sign: Callable[[dict[str, Any], dict[str, Any]], str]) -> str:
    """A compact JWS over a mutated header and payload: signed with the real key when the signer takes them,
    else with a drawn signature (``alg: none``, another alg, a header that is not an object …); maybe damaged."""
    new_header = draw(mutated(header, max_changes=2)) if draw(st.booleans()) else header
    new_payload = draw(mutated(payload, max_changes=3))
    token: str | None = None
    if isinstance(new_header, dict) and isinstance(new_payload, dict) and draw(st.booleans()):
        with contextlib.suppress(Exception):
            token = sign(new_header, new_payload)
    if token is None:
        parts = [_b64url(json.dumps(part, allow_nan=True).encode("utf-8", "surrogatepass"))
                 for part in (new_header, new_payload)]
        token = ".".join([*parts, _b64url(draw(st.binary(max_size=80)))])
    damage = draw(st.sampled_from(["none"] * 5 + ["truncate", "dots", "padding", "space"]))
    if damage == "truncate":
        token = token[: draw(st.integers(0, len(token)))]
    elif damage == "dots":
        token = token.replace(".", "..", 1)
    elif damage == "padding":
        token = token.replace(".", "==.", 1)
    elif damage == "space":
        token = " " + token + "\n"
    return token
