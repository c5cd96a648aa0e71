"""Baked badges (Open Badges 3.0 §5.3), checked both ways against openbadgeslib 4.6.3.

openbadgeslib (LGPL-3.0, a PyPI test dependency) bakes with
``openbadgeslib.baking.bake_png/bake_svg`` and the OB 3.0 identifiers; it is run,
not copied. Base PNGs are written by pypng (its dependency), so no PNG under test
comes from our own chunk writer unless the test says so.
"""

from __future__ import annotations

import base64
import io
import json
import struct
import zlib
from datetime import datetime, timezone
from typing import Any

import png
import pytest
from openbadgeslib import baking as obb

from credentials.baking import (
    MAX_IMAGE_BYTES,
    BakingError,
    NoBakedCredentialError,
    bake_png,
    bake_svg,
    extract_png,
    extract_svg,
)
from credentials.errors import InvalidSignatureError
from credentials.keys import generate_key_pair
from credentials.resolver import KeyResolver
from credentials.vcjwt import sign_vc_jwt, verify_vc_jwt

SVG = ('<?xml version="1.0" encoding="UTF-8"?>\n'
       '<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" viewBox="0 0 64 64">'
       '<circle cx="32" cy="32" r="30" fill="#c60"/></svg>')
CREDENTIAL: dict[str, Any] = {
    "@context": ["https://www.w3.org/ns/credentials/v2", "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"],
    "id": "urn:uuid:2f5c2a8e-7c1d-4b0a-9a39-1f2d6c3b4e5f",
    "type": ["VerifiableCredential", "OpenBadgeCredential"],
    "issuer": {"id": "https://college.example/issuer", "type": ["Profile"], "name": "Example College"},
    "validFrom": "2025-01-01T00:00:00Z",
    "name": "Welding — Level 1",
    "credentialSubject": {"type": ["AchievementSubject"],
                          "achievement": {"id": "https://college.example/a/1", "type": ["Achievement"],
                                          "name": "Welding", "criteria": {"narrative": "Weld <well> & safely."}}},
}


def base_png() -> bytes:
    out = io.BytesIO()
    png.Writer(2, 2, greyscale=False).write(out, [[255, 0, 0, 0, 255, 0], [0, 0, 255, 255, 255, 255]])
    return out.getvalue()


def itxt(keyword: bytes, text: bytes, *, compressed: bool = False) -> bytes:
    data = keyword + b"\x00" + (b"\x01\x00" if compressed else b"\x00\x00") + b"json\x00\x00"
    data += zlib.compress(text) if compressed else text
    return struct.pack(">I", len(data)) + b"iTXt" + data + struct.pack(">I", zlib.crc32(b"iTXt" + data))


def insert_before_iend(image: bytes, chunk: bytes) -> bytes:
    return image[:-12] + chunk + image[-12:]


def signed_token() -> str:
    pair = generate_key_pair()
    credential = {**CREDENTIAL, "issuer": {**CREDENTIAL["issuer"], "id": pair.did}}
    return sign_vc_jwt(credential, signer=pair, form="vc-jose-cose")


# ------------------------------------------------------- openbadgeslib -> us

def test_extracts_jwt_from_png_baked_by_openbadgeslib() -> None:
    token = signed_token()
    baked = obb.bake_png(base_png(), token, keyword=obb.ITXT_KEYWORD_OB3)
    assert extract_png(baked) == token


def test_extracts_json_from_png_baked_by_openbadgeslib() -> None:
    baked = obb.bake_png(base_png(), json.dumps(CREDENTIAL), keyword=obb.ITXT_KEYWORD_OB3)
    assert extract_png(baked) == CREDENTIAL


def test_extracts_jwt_from_svg_baked_by_openbadgeslib() -> None:
    token = signed_token()
    baked = obb.bake_svg(SVG.encode(), token, element=obb.SVG_ELEMENT_OB3, namespace=obb.SVG_NS_OB3)
    assert extract_svg(baked) == token
    assert extract_svg(baked.decode("utf-8")) == token


def test_extracts_json_from_svg_baked_by_openbadgeslib() -> None:
    baked = obb.bake_svg(SVG.encode(), json.dumps(CREDENTIAL), element=obb.SVG_ELEMENT_OB3,
                         namespace=obb.SVG_NS_OB3, as_text=True)
    assert extract_svg(baked) == CREDENTIAL


# ------------------------------------------------------- us -> openbadgeslib

def test_openbadgeslib_reads_our_png() -> None:
    token = signed_token()
    baked = bake_png(base_png(), token)
    assert obb.extract_png(baked, keyword=obb.ITXT_KEYWORD_OB3) == token
    assert json.loads(obb.extract_png(bake_png(base_png(), CREDENTIAL), keyword=obb.ITXT_KEYWORD_OB3) or "") \
        == CREDENTIAL
    # pypng checks every CRC and the chunk order while reading.
    assert [kind for kind, _ in png.Reader(bytes=baked).chunks()][-2:] == [b"iTXt", b"IEND"]


def test_openbadgeslib_reads_our_svg() -> None:
    token = signed_token()
    assert obb.extract_svg(bake_svg(SVG, token).encode(), element=obb.SVG_ELEMENT_OB3) == token
    as_json = obb.extract_svg(bake_svg(SVG, CREDENTIAL).encode(), element=obb.SVG_ELEMENT_OB3, text_fallback=True)
    assert json.loads(as_json or "") == CREDENTIAL


def test_round_trips_through_our_own_baking() -> None:
    token = signed_token()
    assert extract_png(bake_png(base_png(), CREDENTIAL)) == CREDENTIAL
    assert extract_png(bake_png(base_png(), token)) == token
    assert extract_svg(bake_svg(SVG, CREDENTIAL)) == CREDENTIAL
    assert extract_svg(bake_svg(SVG, token)) == token


def test_svg_credential_is_first_child_and_namespace_on_root() -> None:
    baked = bake_svg(SVG, CREDENTIAL)
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in baked
    assert 'xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0"' in baked.split("<openbadges:credential")[0]
    assert baked.index("<openbadges:credential") < baked.index("<circle")


def test_json_with_cdata_terminator_survives_svg_baking() -> None:
    credential = {**CREDENTIAL, "name": "a]]>b"}
    assert extract_svg(bake_svg(SVG, credential)) == credential


def test_rebaking_replaces_the_credential() -> None:
    other = {**CREDENTIAL, "id": "urn:uuid:00000000-0000-4000-8000-000000000002"}
    assert extract_png(bake_png(bake_png(base_png(), CREDENTIAL), other)) == other
    assert extract_svg(bake_svg(bake_svg(SVG, CREDENTIAL), other)) == other


def test_reads_compressed_itxt() -> None:
    image = insert_before_iend(base_png(), itxt(b"openbadgecredential", json.dumps(CREDENTIAL).encode(),
                                                 compressed=True))
    assert extract_png(image) == CREDENTIAL


def test_bake_png_keeps_other_chunks_byte_for_byte() -> None:
    original = base_png()
    baked = bake_png(original, CREDENTIAL)
    assert baked.startswith(original[:-12]) and baked.endswith(original[-12:])


# ------------------------------------------------------------- tampering

def test_tampered_png_json_without_crc_fix_is_refused() -> None:
    baked = bake_png(base_png(), CREDENTIAL)
    tampered = baked.replace(b"Level 1", b"Level 9")
    with pytest.raises(BakingError) as caught:
        extract_png(tampered)
    assert caught.value.code == "png_bad_crc"


def test_tampered_png_json_with_crc_fix_extracts_a_different_credential() -> None:
    baked = bake_png(base_png(), CREDENTIAL)
    start = baked.index(b"iTXt") - 4
    (length,) = struct.unpack(">I", baked[start:start + 4])
    data = baked[start + 8:start + 8 + length].replace(b"Level 1", b"Level 9")
    fixed = struct.pack(">I", zlib.crc32(b"iTXt" + data))
    tampered = baked[:start + 8] + data + fixed + baked[start + 12 + length:]
    extracted = extract_png(tampered)
    assert isinstance(extracted, dict) and extracted != CREDENTIAL
    assert extracted["name"] == "Welding — Level 9"


def test_tampered_svg_json_extracts_a_different_credential() -> None:
    baked = bake_svg(SVG, CREDENTIAL).replace("Level 1", "Level 9")
    extracted = extract_svg(baked)
    assert extracted != CREDENTIAL


def test_tampered_baked_jwt_no_longer_verifies() -> None:
    token = signed_token()
    header, payload, signature = token.split(".")
    body = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    body["name"] = "Forged"
    forged_payload = base64.urlsafe_b64encode(json.dumps(body).encode()).rstrip(b"=").decode()
    baked = bake_svg(SVG, f"{header}.{forged_payload}.{signature}")
    extracted = extract_svg(baked)
    assert isinstance(extracted, str)
    with pytest.raises(InvalidSignatureError):
        verify_vc_jwt(extracted, resolver=KeyResolver(), now=datetime(2025, 6, 1, tzinfo=timezone.utc))


# ------------------------------------------------------------- refusals

def test_png_without_credential_is_a_clear_error() -> None:
    with pytest.raises(NoBakedCredentialError) as caught:
        extract_png(base_png())
    assert caught.value.code == "image_without_credential"
    assert "this image has no baked credential" in str(caught.value)


def test_svg_without_credential_is_a_clear_error() -> None:
    with pytest.raises(NoBakedCredentialError) as caught:
        extract_svg(SVG)
    assert caught.value.code == "image_without_credential"


def test_ob2_baked_png_is_named_in_the_error() -> None:
    baked = obb.bake_png(base_png(), "eyJhbGciOiJSUzI1NiJ9.e30.AA", keyword=obb.ITXT_KEYWORD)
    with pytest.raises(NoBakedCredentialError, match="Open Badges 2.0"):
        extract_png(baked)


def test_rejects_not_a_png() -> None:
    with pytest.raises(BakingError) as caught:
        extract_png(b"GIF89a" + b"\x00" * 20)
    assert caught.value.code == "unreadable_image"


def test_rejects_truncated_png() -> None:
    with pytest.raises(BakingError, match="truncated"):
        extract_png(bake_png(base_png(), CREDENTIAL)[:-20])


def test_rejects_png_with_bad_crc_anywhere() -> None:
    image = bytearray(base_png())
    image[20] ^= 0xFF  # inside IHDR's width
    with pytest.raises(BakingError) as caught:
        extract_png(bytes(image))
    assert caught.value.code == "png_bad_crc"


def test_rejects_two_different_png_credentials() -> None:
    other = {**CREDENTIAL, "id": "urn:uuid:00000000-0000-4000-8000-000000000002"}
    image = insert_before_iend(bake_png(base_png(), CREDENTIAL),
                               itxt(b"openbadgecredential", json.dumps(other).encode()))
    with pytest.raises(BakingError) as caught:
        extract_png(image)
    assert caught.value.code == "conflicting_credentials"


def test_accepts_the_same_png_credential_twice() -> None:
    image = insert_before_iend(bake_png(base_png(), CREDENTIAL),
                               itxt(b"openbadgecredential", json.dumps(CREDENTIAL).encode()))
    assert extract_png(image) == CREDENTIAL


def test_rejects_oversize_png() -> None:
    with pytest.raises(BakingError) as caught:
        extract_png(base_png() + b"\x00" * MAX_IMAGE_BYTES)
    assert caught.value.code == "image_too_large"


def test_rejects_compression_bomb() -> None:
    image = insert_before_iend(base_png(), itxt(b"openbadgecredential", b" " * (5 * 1024 * 1024), compressed=True))
    with pytest.raises(BakingError) as caught:
        extract_png(image)
    assert caught.value.code == "image_too_large"


def test_rejects_baked_text_that_is_neither_json_nor_jwt() -> None:
    image = insert_before_iend(base_png(), itxt(b"openbadgecredential", b"https://example.org/assertion"))
    with pytest.raises(BakingError) as caught:
        extract_png(image)
    assert caught.value.code == "unreadable_credential"


def test_rejects_two_different_svg_credentials() -> None:
    ns = 'xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0"'
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" {ns}>'
           '<openbadges:credential verify="eyJhbGciOiJFZERTQSJ9.e30.AA"/>'
           '<openbadges:credential verify="eyJhbGciOiJFZERTQSJ9.e30.AB"/></svg>')
    with pytest.raises(BakingError) as caught:
        extract_svg(svg)
    assert caught.value.code == "conflicting_credentials"


def test_rejects_svg_entity_expansion() -> None:
    bomb = ('<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>'
            '<svg xmlns="http://www.w3.org/2000/svg"><text>&b;</text></svg>')
    with pytest.raises(BakingError, match="entity"):
        extract_svg(bomb)
    with pytest.raises(BakingError, match="entity"):
        bake_svg(bomb, CREDENTIAL)


def test_rejects_svg_external_entity() -> None:
    xxe = ('<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
           '<svg xmlns="http://www.w3.org/2000/svg"><text>&x;</text></svg>')
    with pytest.raises(BakingError, match="entity"):
        extract_svg(xxe)


def test_accepts_svg_doctype_without_entities() -> None:
    svg = ('<?xml version="1.0"?><!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" '
           '"http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">' + SVG.split("\n", 1)[1])
    assert extract_svg(bake_svg(svg, CREDENTIAL)) == CREDENTIAL


@pytest.mark.parametrize("text", ["<html><body/></html>", "not xml at all", "<svg><unclosed></svg>",
                                  '<svg xmlns="http://www.w3.org/2000/svg"><openbadges:credential/></svg>'])
def test_rejects_non_svg(text: str) -> None:
    with pytest.raises(BakingError) as caught:
        extract_svg(text)
    assert caught.value.code == "unreadable_image"


def test_bake_refuses_a_credential_that_is_not_json_or_jwt() -> None:
    with pytest.raises(BakingError) as caught:
        bake_png(base_png(), "hello")
    assert caught.value.code == "unreadable_credential"
    with pytest.raises(BakingError):
        bake_svg(SVG, "hello")
