"""Multibase (base58btc ``z``, base64url ``u``) and the multicodec prefixes Satchel reads.

Spec: Controlled Identifiers 1.0 §2.4 (Multibase), the multicodec table.
"""

from __future__ import annotations

import base58

from .b64 import b64url_encode
from .errors import MultibaseError

# Multicodec varint prefixes, as they appear before the raw key bytes.
ED25519_PUB = b"\xed\x01"
ED25519_PRIV = b"\x80\x26"
P256_PUB = b"\x80\x24"
P384_PUB = b"\x81\x24"


def encode_base58btc(data: bytes) -> str:
    """Encode as multibase base58btc (the ``z`` prefix), the form proofs and keys use."""
    return "z" + base58.b58encode(data).decode("ascii")


MAX_BASE58_LENGTH = 1024
"""The longest base58btc value decoded, in characters. The longest real one (a P-384
signature, 96 bytes) is 132; decoding is quadratic in the length, so a 400,000-character
``proofValue`` is refused here before any work is done on it."""

_BASE58_DIGITS = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_BASE58_ALPHABET = frozenset(_BASE58_DIGITS)
_BASE58_VALUE = {char: value for value, char in enumerate(_BASE58_DIGITS)}


def decode_base58btc(value: str, *, max_length: int = MAX_BASE58_LENGTH) -> bytes:
    """Decode a multibase base58btc string; any other base is refused.

    Messages name the problem and its position, never the value: the value may be a secret key.
    """
    if not isinstance(value, str):
        raise MultibaseError(f"a multibase value is a string, not {type(value).__name__}")
    if len(value) > max_length:
        raise MultibaseError(f"a multibase value of {len(value):,} characters is too long (limit {max_length})",
                             code="multibase_too_long")
    if not value.startswith("z") or len(value) < 2:
        raise MultibaseError("not a multibase base58btc value (it must start with 'z')")
    digits = value[1:]
    if not _BASE58_ALPHABET.issuperset(digits):
        position = next(index for index, char in enumerate(digits, start=1) if char not in _BASE58_ALPHABET)
        raise MultibaseError(f"invalid base58btc: character {position} of the multibase value is not in the alphabet")
    return _b58decode(digits)


def _b58decode(digits: str) -> bytes:
    """Base58 (Bitcoin alphabet) to bytes, each leading ``1`` a zero byte; ``digits`` already validated.

    The same result as ``base58.b58decode``, a few times faster: every proof and did:key
    of a verification is decoded here (a 20-badge presentation decodes about 60 values).
    """
    number = 0
    value_of = _BASE58_VALUE
    for char in digits:
        number = number * 58 + value_of[char]
    zeros = len(digits) - len(digits.lstrip("1"))
    return b"\0" * zeros + (number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b"")


def encode_base64url(data: bytes) -> str:
    """Encode as multibase base64url without padding (the ``u`` prefix)."""
    return "u" + b64url_encode(data)


def split_multicodec(data: bytes, *prefixes: bytes) -> tuple[bytes, bytes]:
    """Return (prefix, payload) for the first matching multicodec prefix, else raise."""
    for prefix in prefixes:
        if data.startswith(prefix):
            return prefix, data[len(prefix):]
    raise MultibaseError(f"unexpected multicodec prefix 0x{data[:2].hex()}")
