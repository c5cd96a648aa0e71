"""Reading what the user handed the verifier: JSON, a compact JWT, a baked PNG or SVG."""

from __future__ import annotations

import io
import json
import struct
import zlib
from typing import Any

import png
import pytest

from credentials.baking import bake_png, bake_svg
from credentials.keys import generate_key_pair
from credentials.vcjwt import sign_vc_jwt
from verifier.inputs import MAX_INPUT_BYTES, InputError, read_input

SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"><rect width="8" height="8"/></svg>'
CREDENTIAL: dict[str, Any] = {
    "@context": ["https://www.w3.org/ns/credentials/v2", "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"],
    "id": "urn:uuid:2f5c2a8e-7c1d-4b0a-9a39-1f2d6c3b4e5f",
    "type": ["VerifiableCredential", "OpenBadgeCredential"],
    "issuer": {"id": "https://college.example/issuer", "type": ["Profile"], "name": "Example College"},
    "validFrom": "2025-01-01T00:00:00Z",
    "credentialSubject": {"type": ["AchievementSubject"]},
}


def base_png() -> bytes:
    out = io.BytesIO()
    png.Writer(1, 1, greyscale=True).write(out, [[0]])
    return out.getvalue()


def token() -> str:
    pair = generate_key_pair()
    return sign_vc_jwt({**CREDENTIAL, "issuer": pair.did}, signer=pair)


# ---------------------------------------------------------------- each kind

def test_reads_json() -> None:
    read = read_input(json.dumps(CREDENTIAL, indent=2).encode())
    assert (read.kind, read.document, read.jwt) == ("json", CREDENTIAL, None)


def test_reads_json_with_bom_and_whitespace() -> None:
    assert read_input(b"\xef\xbb\xbf\n  " + json.dumps(CREDENTIAL).encode() + b"\n").document == CREDENTIAL


def test_reads_jwt() -> None:
    jwt = token()
    read = read_input(jwt.encode() + b"\n")
    assert (read.kind, read.document, read.jwt) == ("jwt", None, jwt)


def test_reads_png_with_json() -> None:
    read = read_input(bake_png(base_png(), CREDENTIAL))
    assert (read.kind, read.document, read.jwt) == ("png", CREDENTIAL, None)
    assert "PNG" in read.source_note and "JSON" in read.source_note


def test_reads_png_with_jwt() -> None:
    jwt = token()
    read = read_input(bake_png(base_png(), jwt))
    assert (read.kind, read.document, read.jwt) == ("png", None, jwt)


def test_reads_svg_with_json() -> None:
    read = read_input(bake_svg(SVG, CREDENTIAL).encode())
    assert (read.kind, read.document, read.jwt) == ("svg", CREDENTIAL, None)


def test_reads_svg_with_jwt() -> None:
    jwt = token()
    read = read_input(bake_svg(SVG, jwt).encode())
    assert (read.kind, read.document, read.jwt) == ("svg", None, jwt)
    assert "SVG" in read.source_note and "JWT" in read.source_note


# ---------------------------------------------------------------- each error

def code_of(data: bytes) -> str:
    with pytest.raises(InputError) as caught:
        read_input(data)
    assert str(caught.value)
    return caught.value.code


def test_png_without_credential() -> None:
    assert code_of(base_png()) == "image_without_credential"


def test_svg_without_credential() -> None:
    assert code_of(SVG.encode()) == "image_without_credential"


def test_too_large() -> None:
    assert code_of(b" " * (MAX_INPUT_BYTES + 1)) == "too_large"


def test_too_large_inside_a_png() -> None:
    bomb = zlib.compress(b" " * (5 * 1024 * 1024))
    data = b"openbadgecredential\x00\x01\x00\x00\x00" + bomb
    chunk = struct.pack(">I", len(data)) + b"iTXt" + data + struct.pack(">I", zlib.crc32(b"iTXt" + data))
    image = base_png()
    assert code_of(image[:-12] + chunk + image[-12:]) == "too_large"


@pytest.mark.parametrize("document", [b"[1, 2]", b'"a string"', b"42", b"null", b"true"])
def test_not_json_object(document: bytes) -> None:
    assert code_of(document) == "not_json_object"


@pytest.mark.parametrize("data", [
    b"",
    b"   \n",
    b"\xff\xfe\x00garbage",
    b"hello world",
    b"GIF89a\x01\x00\x01\x00",
    b"\x89PNG\r\n\x1a\n\x00\x00",
    b"<svg><unclosed></svg>",
    b"<html><body>not an svg</body></html>",
    b"eyJhbGciOiJFZERTQSJ9.bm90IGpzb24.AA",
])
def test_unreadable_input(data: bytes) -> None:
    assert code_of(data) == "unreadable_input"


@pytest.mark.parametrize(("data", "code"), [
    (b"{not json", "json_syntax"),
    (b'{"a": 1, "a": 2}', "json_duplicate_key"),
    (b'{"a": NaN}', "json_bad_number"),
    (b'{"a": 1e400}', "json_bad_number"),
    (b"[" * 200_000, "json_too_deep"),
])
def test_json_shaped_input_keeps_the_strict_readers_code(data: bytes, code: str) -> None:
    assert code_of(data) == code
