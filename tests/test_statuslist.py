"""Bitstring Status List encoding, decoding, bit order and list credentials (credentials/statuslist.py)."""

from __future__ import annotations

import base64
import gzip
import zlib
from datetime import datetime, timezone

import pytest

from credentials.dataintegrity import add_proof, verify_proof
from credentials.keys import generate_key_pair
from credentials.loader import bundled_loader
from credentials.resolver import KeyResolver
from credentials.statuslist import (
    MAX_DECOMPRESSED_BYTES,
    MIN_BITSTRING_BITS,
    StatusListError,
    build_status_list_credential,
    decode_encoded_list,
    encode_bitstring,
    get_status,
    new_status_list,
    set_status,
    status_entry,
)

# The all-zero 16 KB list of the Bitstring Status List v1.0 Recommendation's
# examples (w3.org/TR/vc-bitstring-status-list, "encodedList" of the example
# BitstringStatusListCredential).
SPEC_EXAMPLE_ENCODED_LIST = "uH4sIAAAAAAAAA-3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA"


def _sample_bits() -> bytearray:
    bits = new_status_list()
    for index in (0, 7, 8, 1000, MIN_BITSTRING_BITS - 1):
        set_status(bits, index, 1)
    return bits


def _spellings(bits: bytes) -> dict[str, str]:
    compressed = gzip.compress(bits)
    url = base64.urlsafe_b64encode(compressed).decode()
    std = base64.b64encode(compressed).decode()
    return {
        "multibase base64url": "u" + url.rstrip("="),
        "multibase base64url padded": "u" + url,
        "plain base64url": url.rstrip("="),
        "plain base64url padded": url,
        "base64 padded": std,
        "base64 unpadded": std.rstrip("="),
    }


def test_encode_writes_multibase_base64url_without_padding() -> None:
    encoded = encode_bitstring(_sample_bits())
    assert encoded.startswith("uH4sI")
    assert "=" not in encoded and "+" not in encoded and "/" not in encoded


def test_encode_is_deterministic() -> None:
    assert encode_bitstring(_sample_bits()) == encode_bitstring(_sample_bits())


def test_decodes_the_spec_example() -> None:
    bits = decode_encoded_list(SPEC_EXAMPLE_ENCODED_LIST)
    assert len(bits) * 8 == MIN_BITSTRING_BITS
    assert not any(bits)


@pytest.mark.parametrize("spelling", list(_spellings(b"\x00").keys()))
def test_decodes_every_spelling(spelling: str) -> None:
    bits = _sample_bits()
    assert decode_encoded_list(_spellings(bytes(bits))[spelling]) == bits


def test_round_trip() -> None:
    bits = _sample_bits()
    assert decode_encoded_list(encode_bitstring(bits)) == bits


def _b64url(data: bytes) -> str:
    return "u" + base64.urlsafe_b64encode(data).decode().rstrip("=")


@pytest.mark.parametrize(("name", "value", "code"), [
    ("empty", "", "status_list_malformed"),
    ("not base64", "u!!!not base64!!!", "status_list_malformed"),
    ("uncompressed bits", _b64url(bytes(16384)), "status_list_malformed"),
    ("zlib, not gzip", _b64url(zlib.compress(bytes(16384))), "status_list_malformed"),
    ("truncated gzip", _b64url(gzip.compress(bytes(range(256)) * 64)[:40]), "status_list_malformed"),
    ("corrupt gzip body", _b64url(gzip.compress(bytes(16384))[:10] + b"\xff" * 30), "status_list_malformed"),
    ("decompression bomb", _b64url(gzip.compress(bytes(MAX_DECOMPRESSED_BYTES + 1))), "status_list_too_large"),
])
def test_rejects_bad_encoded_list(name: str, value: str, code: str) -> None:
    with pytest.raises(StatusListError) as info:
        decode_encoded_list(value)
    assert info.value.code == code, name


def test_rejects_non_string_encoded_list() -> None:
    with pytest.raises(StatusListError):
        decode_encoded_list(None)  # type: ignore[arg-type]


def test_accepts_list_of_exactly_the_size_limit() -> None:
    assert len(decode_encoded_list(_b64url(gzip.compress(bytes(MAX_DECOMPRESSED_BYTES))))) == MAX_DECOMPRESSED_BYTES


@pytest.mark.parametrize(("index", "byte", "value"), [
    (0, 0, 0x80),  # Index 0 is the left-most bit of the first byte.
    (1, 0, 0x40),
    (7, 0, 0x01),
    (8, 1, 0x80),
    (MIN_BITSTRING_BITS - 1, MIN_BITSTRING_BITS // 8 - 1, 0x01),
])
def test_bit_order_is_left_most_first(index: int, byte: int, value: int) -> None:
    bits = new_status_list()
    set_status(bits, index, 1)
    assert bits[byte] == value
    assert sum(bits) == value
    assert get_status(bits, index) == 1
    set_status(bits, index, 0)
    assert not any(bits)


def test_multi_bit_status() -> None:
    bits = new_status_list()
    set_status(bits, 1, 0b11, status_size=2)  # Bits 2 and 3.
    set_status(bits, 2, 0b01, status_size=2)  # Bits 4 and 5.
    assert bits[0] == 0b0011_0100
    assert get_status(bits, 1, status_size=2) == 3
    assert get_status(bits, 2, status_size=2) == 1
    assert get_status(bits, 0, status_size=2) == 0
    set_status(bits, 5, 0xABC, status_size=12)
    assert get_status(bits, 5, status_size=12) == 0xABC


@pytest.mark.parametrize(("index", "status_size"), [
    (MIN_BITSTRING_BITS, 1),
    (MIN_BITSTRING_BITS // 2, 2),
    (-1, 1),
    (0, 0),
])
def test_rejects_index_outside_the_list(index: int, status_size: int) -> None:
    bits = new_status_list()
    with pytest.raises(StatusListError):
        get_status(bits, index, status_size=status_size)
    with pytest.raises(StatusListError):
        set_status(bits, index, 0, status_size=status_size)


@pytest.mark.parametrize(("value", "status_size"), [(2, 1), (-1, 1), (4, 2)])
def test_rejects_value_that_does_not_fit(value: int, status_size: int) -> None:
    with pytest.raises(StatusListError):
        set_status(new_status_list(), 0, value, status_size=status_size)


def test_new_status_list_has_the_minimum_size() -> None:
    assert len(new_status_list()) * 8 == MIN_BITSTRING_BITS
    assert len(new_status_list(2 * MIN_BITSTRING_BITS)) * 8 == 2 * MIN_BITSTRING_BITS


@pytest.mark.parametrize("size", [8, MIN_BITSTRING_BITS - 8, MIN_BITSTRING_BITS + 1])
def test_rejects_list_below_minimum_or_partial_byte(size: int) -> None:
    with pytest.raises(StatusListError):
        new_status_list(size)


VALID_FROM = datetime(2025, 3, 1, 12, 0, tzinfo=timezone.utc)


def test_builds_bitstring_status_list_credential() -> None:
    bits = _sample_bits()
    cred = build_status_list_credential(list_id="https://issuer.example/status/1", issuer="did:key:z6MkExample",
                                        purpose="suspension", bits=bits, valid_from=VALID_FROM,
                                        valid_until=datetime(2025, 4, 1, tzinfo=timezone.utc))
    assert cred["@context"] == ["https://www.w3.org/ns/credentials/v2"]
    assert cred["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    assert cred["id"] == "https://issuer.example/status/1"
    assert cred["issuer"] == "did:key:z6MkExample"
    assert cred["validFrom"] == "2025-03-01T12:00:00Z"
    assert cred["validUntil"] == "2025-04-01T00:00:00Z"
    subject = cred["credentialSubject"]
    assert subject["type"] == "BitstringStatusList"
    assert subject["statusPurpose"] == "suspension"
    assert decode_encoded_list(subject["encodedList"]) == bits
    assert "validUntil" not in build_status_list_credential(
        list_id="https://issuer.example/status/1", issuer="did:key:z6MkExample", purpose="revocation",
        bits=bits, valid_from=VALID_FROM)


@pytest.mark.parametrize(("purpose", "size"), [("refresh", MIN_BITSTRING_BITS), ("revocation", 8 * 1024)])
def test_build_rejects_bad_purpose_or_short_list(purpose: str, size: int) -> None:
    with pytest.raises(StatusListError):
        build_status_list_credential(list_id="https://issuer.example/status/1", issuer="did:key:z6MkExample",
                                     purpose=purpose, bits=bytearray(size // 8),  # type: ignore[arg-type]
                                     valid_from=VALID_FROM)


def test_built_list_signs_and_verifies_in_safe_mode() -> None:
    key = generate_key_pair()
    cred = build_status_list_credential(list_id="https://issuer.example/status/1", issuer=key.did,
                                        purpose="revocation", bits=_sample_bits(), valid_from=VALID_FROM)
    signed = add_proof(cred, signer=key, loader=bundled_loader(), created=VALID_FROM)
    result = verify_proof(signed, signed["proof"], loader=bundled_loader(), resolver=KeyResolver(),
                          purpose="assertionMethod")
    assert result.method.controller == key.did


def test_status_entry_shape() -> None:
    assert status_entry(list_credential_id="https://issuer.example/status/1", index=42, purpose="revocation") == {
        "id": "https://issuer.example/status/1#42",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": "42",
        "statusListCredential": "https://issuer.example/status/1",
    }


def test_status_entry_rejects_negative_index() -> None:
    with pytest.raises(StatusListError):
        status_entry(list_credential_id="https://issuer.example/status/1", index=-1, purpose="revocation")
