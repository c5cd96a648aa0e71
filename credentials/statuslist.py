"""Bitstring Status List v1.0 (and the older StatusList2021): bitstrings, their encoding, list credentials.

Spec: W3C Bitstring Status List v1.0 §2.1 (BitstringStatusListEntry), §2.2
(BitstringStatusListCredential), §3.1 (bitstring generation), §3.3 (bitstring
expansion). Bit order (§2.2): index 0 is the left-most bit of the first byte.
StatusList2021 (W3C CCG) uses the same bitstring, GZIP-compressed, but its
``encodedList`` is plain base64 (url-safe or not, padded or not) where
Bitstring Status List writes multibase base64url with no padding.

Pure functions: no I/O, no clock (``valid_from`` comes in as an argument).
Errors are ``StatusListError`` (a ``CredentialError``) with a stable ``code``.
"""

from __future__ import annotations

import gzip
import zlib
from datetime import datetime
from typing import Any, Literal

from .b64 import b64_decode_lenient
from .errors import CredentialError
from .multibase import encode_base64url
from .vcdm import VC_V2_CONTEXT
from .xsd import format_datetime

STATUS_LIST_2021_CONTEXT = "https://w3id.org/vc/status-list/2021/v1"

BITSTRING_STATUS_LIST_CREDENTIAL = "BitstringStatusListCredential"
BITSTRING_STATUS_LIST = "BitstringStatusList"
BITSTRING_STATUS_LIST_ENTRY = "BitstringStatusListEntry"
STATUS_LIST_2021_CREDENTIAL = "StatusList2021Credential"
STATUS_LIST_2021 = "StatusList2021"
STATUS_LIST_2021_ENTRY = "StatusList2021Entry"

# §2.2: "the uncompressed bitstring MUST be at least 16KB in size" (131,072 bits),
# so that one credential hides among many (herd privacy, see the spec's privacy considerations).
MIN_BITSTRING_BITS = 131_072
# A decompressed list larger than this is refused: a few kilobytes of GZIP can
# otherwise expand into gigabytes (a decompression bomb).
MAX_DECOMPRESSED_BYTES = 16 * 1024 * 1024

_GZIP_MAGIC = b"\x1f\x8b"

Purpose = Literal["revocation", "suspension"]


class StatusListError(CredentialError):
    """A status list that cannot be decoded, or an index or value that does not fit it."""

    code = "status_list_invalid"


def encode_bitstring(bits: bytes | bytearray) -> str:
    """§3.1: GZIP-compress the bitstring, then multibase base64url without padding (``u…``).

    The GZIP header's modification time is zero, so the same bits always encode
    to the same string.
    """
    return encode_base64url(gzip.compress(bytes(bits), mtime=0))


def decode_encoded_list(value: str) -> bytes:
    """§3.3 (bitstring expansion): the uncompressed bitstring of an ``encodedList``.

    Accepts every spelling seen in the wild: multibase ``u`` + base64url (the
    Bitstring Status List form), plain base64url (StatusList2021), plain base64,
    padded or not. Which one it is is decided by the GZIP magic number after
    decoding (``uH4sI…`` versus ``H4sI…``), not by guessing from the first
    character, since ``u`` is itself a base64 digit. Refuses a value that is not
    GZIP, and one that decompresses to more than 16 MiB.
    """
    if not isinstance(value, str) or not value:
        raise StatusListError("encodedList must be a non-empty string", code="status_list_malformed")
    candidates = [value[1:], value] if value.startswith("u") else [value]
    compressed = None
    for text in candidates:
        try:
            raw = b64_decode_lenient(text, what="encodedList", error=StatusListError)
        except StatusListError:
            continue  # The other spelling may be the one; the message below covers both.
        if raw.startswith(_GZIP_MAGIC):
            compressed = raw
            break
    if compressed is None:
        raise StatusListError(
            "encodedList is not GZIP-compressed data in multibase base64url or base64 "
            f"(it should look like 'uH4sI…'): {value[:24]!r}", code="status_list_malformed")
    return _gunzip_bounded(compressed)


def _gunzip_bounded(compressed: bytes) -> bytes:
    # wbits=31 reads exactly the GZIP format (RFC 1952), header and CRC included.
    inflater = zlib.decompressobj(wbits=31)
    try:
        out = inflater.decompress(compressed, MAX_DECOMPRESSED_BYTES + 1)
    except zlib.error as exc:
        raise StatusListError(f"encodedList is not valid GZIP data: {exc}", code="status_list_malformed") from None
    if len(out) > MAX_DECOMPRESSED_BYTES or inflater.unconsumed_tail:
        raise StatusListError(
            f"encodedList decompresses to more than {MAX_DECOMPRESSED_BYTES} bytes; refused",
            code="status_list_too_large")
    if not inflater.eof:
        raise StatusListError("encodedList's GZIP data is truncated", code="status_list_malformed")
    return out


def new_status_list(size_bits: int = MIN_BITSTRING_BITS) -> bytearray:
    """A bitstring of ``size_bits`` zero bits (every credential valid), at least 131,072 bits (§3.1)."""
    if size_bits < MIN_BITSTRING_BITS or size_bits % 8:
        raise StatusListError(
            f"a status list has at least {MIN_BITSTRING_BITS} bits and a whole number of bytes, not {size_bits}",
            code="status_list_size")
    return bytearray(size_bits // 8)


def _check_position(bits: bytes | bytearray, index: int, status_size: int) -> int:
    if not isinstance(status_size, int) or isinstance(status_size, bool) or status_size < 1:
        raise StatusListError(f"statusSize must be a positive integer, not {status_size!r}", code="status_size_invalid")
    if not isinstance(index, int) or isinstance(index, bool) or index < 0:
        raise StatusListError(f"a status list index is a non-negative integer, not {index!r}",
                              code="status_index_out_of_range")
    start = index * status_size
    if start + status_size > len(bits) * 8:
        raise StatusListError(
            f"index {index} (statusSize {status_size}) is outside the list's {len(bits) * 8} bits",
            code="status_index_out_of_range")
    return start


def get_status(bits: bytes | bytearray, index: int, *, status_size: int = 1) -> int:
    """The status value at ``index``: ``status_size`` bits from bit ``index × status_size``, left-most first (§2.2)."""
    start = _check_position(bits, index, status_size)
    value = 0
    for position in range(start, start + status_size):
        value = (value << 1) | ((bits[position // 8] >> (7 - position % 8)) & 1)
    return value


def set_status(bits: bytearray, index: int, value: int, *, status_size: int = 1) -> None:
    """Write ``value`` (0 ≤ value < 2**status_size) at ``index``, in place."""
    start = _check_position(bits, index, status_size)
    if isinstance(value, bool):
        value = int(value)
    if not isinstance(value, int) or not 0 <= value < (1 << status_size):
        raise StatusListError(f"status value {value!r} does not fit in {status_size} bit(s)", code="status_value_invalid")
    for offset in range(status_size):
        position = start + offset
        mask = 1 << (7 - position % 8)
        if (value >> (status_size - 1 - offset)) & 1:
            bits[position // 8] |= mask
        else:
            bits[position // 8] &= ~mask & 0xFF


def build_status_list_credential(*, list_id: str, issuer: str, purpose: Purpose, bits: bytes | bytearray,
                                 valid_from: datetime, valid_until: datetime | None = None) -> dict[str, Any]:
    """§2.2: an unsigned ``BitstringStatusListCredential`` (VC Data Model 2.0) for ``bits``.

    The Bitstring Status List terms are defined by the VC 2.0 context itself, so
    that is the only context. Sign the result with ``add_proof``.
    """
    if purpose not in ("revocation", "suspension"):
        raise StatusListError(f"statusPurpose must be 'revocation' or 'suspension', not {purpose!r}",
                              code="status_purpose_invalid")
    if len(bits) * 8 < MIN_BITSTRING_BITS:
        raise StatusListError(f"a status list has at least {MIN_BITSTRING_BITS} bits, this one {len(bits) * 8}",
                              code="status_list_size")
    credential: dict[str, Any] = {
        "@context": [VC_V2_CONTEXT],
        "id": list_id,
        "type": ["VerifiableCredential", BITSTRING_STATUS_LIST_CREDENTIAL],
        "issuer": issuer,
        "validFrom": format_datetime(valid_from),
    }
    if valid_until is not None:
        credential["validUntil"] = format_datetime(valid_until)
    credential["credentialSubject"] = {
        "id": f"{list_id}#list",
        "type": BITSTRING_STATUS_LIST,
        "statusPurpose": purpose,
        "encodedList": encode_bitstring(bits),
    }
    return credential


def status_entry(*, list_credential_id: str, index: int, purpose: Purpose) -> dict[str, Any]:
    """§2.1: the ``credentialStatus`` entry pointing at bit ``index`` of a list (index as a base-10 string)."""
    if not isinstance(index, int) or isinstance(index, bool) or index < 0:
        raise StatusListError(f"a status list index is a non-negative integer, not {index!r}",
                              code="status_index_out_of_range")
    return {
        "id": f"{list_credential_id}#{index}",
        "type": BITSTRING_STATUS_LIST_ENTRY,
        "statusPurpose": purpose,
        "statusListIndex": str(index),
        "statusListCredential": list_credential_id,
    }
