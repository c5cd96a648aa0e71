"""Base64url, the one place the core encodes and decodes it.

Two readings exist because the formats differ in how strict they are:

* ``b64url_decode`` is RFC 7515 §2 (JWS) and RFC 7517 (JWK): base64url without
  padding, canonical. A segment of length 1 mod 4 is impossible, and a
  non-canonical one (stray low bits) is refused, so that one signature cannot
  cover two spellings of the same token.
* ``b64_decode_lenient`` accepts base64url or standard base64, padded or not:
  status lists and JWKs in the wild use every one of these spellings.

Both raise the error class the caller names (its own feature's error, with that
feature's code), so that no caller has to catch and rename an error.
"""

from __future__ import annotations

import base64
import binascii
import re

from .errors import CredentialError, MultibaseError

_B64URL = re.compile(r"[A-Za-z0-9_-]*")
_B64_ANY = re.compile(r"[A-Za-z0-9_+/-]*={0,2}")


def b64url_encode(data: bytes) -> str:
    """Base64url without padding (RFC 7515 §2)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str, *, what: str = "value", error: type[CredentialError] = MultibaseError,
                  path: str | None = None) -> bytes:
    """Decode canonical unpadded base64url; raise ``error`` naming ``what`` otherwise."""
    if not isinstance(text, str) or not _B64URL.fullmatch(text) or len(text) % 4 == 1:
        raise error(f"{what} is not valid base64url", path=path)
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise error(f"{what} is not valid base64url", path=path) from None
    if b64url_encode(data) != text:
        raise error(f"{what} is not canonical base64url", path=path)
    return data


def b64_decode_lenient(text: str, *, what: str = "value", error: type[CredentialError] = MultibaseError,
                       path: str | None = None) -> bytes:
    """Decode base64url or base64, padded or not; raise ``error`` naming ``what`` otherwise."""
    if not isinstance(text, str) or not _B64_ANY.fullmatch(text):
        raise error(f"{what} is not valid base64", path=path)
    if ("-" in text or "_" in text) and ("+" in text or "/" in text):
        raise error(f"{what} mixes the base64 and base64url alphabets", path=path)
    body = text.rstrip("=").replace("-", "+").replace("_", "/")
    if len(body) % 4 == 1:
        raise error(f"{what} is not base64 (impossible length)", path=path)
    try:
        return base64.b64decode(body + "=" * (-len(body) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise error(f"{what} is not valid base64", path=path) from None
