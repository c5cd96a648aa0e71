"""did:key for Ed25519 (``did:key:z6Mk…``): generate, encode, decode, resolve.

Spec: The did:key Method v0.7 §3 (format, resolution); Controlled Identifiers 1.0
(Multikey). The DID is its own key, so resolution is local and never fails for a
well-formed Ed25519 did:key.
"""

from __future__ import annotations

from typing import Any

from .errors import DidKeyError, MultibaseError
from .multibase import ED25519_PUB, decode_base58btc, encode_base58btc

DID_KEY_PREFIX = "did:key:"
DID_V1_CONTEXT = "https://www.w3.org/ns/did/v1"
MULTIKEY_V1_CONTEXT = "https://w3id.org/security/multikey/v1"
MAX_DID_LENGTH = 256
"""The longest did:key (or its verification method URL) read. An Ed25519 did:key is 56
characters and its method URL 105; anything far longer is refused before decoding."""


def encode_public_key(public_key: bytes) -> str:
    """Return the Multikey ``publicKeyMultibase`` (``z6Mk…``) of a raw Ed25519 public key."""
    if len(public_key) != 32:
        raise DidKeyError(f"an Ed25519 public key has 32 bytes, not {len(public_key)}")
    return encode_base58btc(ED25519_PUB + public_key)


def decode_public_key(multibase_key: str) -> bytes:
    """Return the raw 32-byte Ed25519 key of a ``z6Mk…`` Multikey value; refuse other key types."""
    if not isinstance(multibase_key, str) or len(multibase_key) > MAX_DID_LENGTH:
        raise DidKeyError("a publicKeyMultibase value is a string of at most "
                          f"{MAX_DID_LENGTH} characters", code="multibase_too_long")
    try:
        data = decode_base58btc(multibase_key)
    except MultibaseError as exc:
        raise DidKeyError(f"malformed key {multibase_key[:48]!r}: {exc}") from None
    if not data.startswith(ED25519_PUB):
        raise DidKeyError(f"not an Ed25519 key (multicodec 0x{data[:2].hex()}, expected 0xed01): {multibase_key[:48]}")
    raw = data[len(ED25519_PUB):]
    if len(raw) != 32:
        raise DidKeyError(f"an Ed25519 public key has 32 bytes, this one {len(raw)}: {multibase_key[:48]}")
    return raw


def did_from_public_key(public_key: bytes) -> str:
    """Return ``did:key:z6Mk…`` for a raw Ed25519 public key."""
    return DID_KEY_PREFIX + encode_public_key(public_key)


def verification_method_id(did: str) -> str:
    """Return the one verification method of a did:key: ``did:key:z6Mk…#z6Mk…``."""
    return f"{did}#{did_key_fingerprint(did)}"


def did_key_fingerprint(did: str) -> str:
    """Return the multibase fingerprint of a did:key (the part after ``did:key:``), validated."""
    if not isinstance(did, str):
        raise DidKeyError(f"a DID is a string, not {type(did).__name__}")
    if len(did) > MAX_DID_LENGTH:
        raise DidKeyError(f"a did:key of {len(did):,} characters is too long (limit {MAX_DID_LENGTH})",
                          code="did_too_long")
    base = did.split("#", 1)[0]
    if not base.startswith(DID_KEY_PREFIX):
        raise DidKeyError(f"not a did:key: {did[:64]!r}")
    fingerprint = base[len(DID_KEY_PREFIX):]
    decode_public_key(fingerprint)
    return fingerprint


def public_key_from_did(did: str) -> bytes:
    """Return the raw Ed25519 public key of a did:key (or one of its verification method URLs).

    A fragment, when present, must name the DID's own key: did:key has exactly one.
    """
    fingerprint = did_key_fingerprint(did)
    _, _, fragment = did.partition("#")
    if fragment and fragment != fingerprint:
        raise DidKeyError(f"fragment #{fragment[:48]} is not this did:key's key ({fingerprint[:16]}…)")
    return decode_public_key(fingerprint)


def resolve_did_key(did: str) -> dict[str, Any]:
    """Resolve a did:key to its DID document with one Multikey verification method.

    did:key §3.1.1: the key is authorized for every verification relationship.
    """
    base = did.split("#", 1)[0]
    fingerprint = did_key_fingerprint(base)
    vm_id = f"{base}#{fingerprint}"
    return {
        "@context": [DID_V1_CONTEXT, MULTIKEY_V1_CONTEXT],
        "id": base,
        "verificationMethod": [
            {"id": vm_id, "type": "Multikey", "controller": base, "publicKeyMultibase": fingerprint}
        ],
        "authentication": [vm_id],
        "assertionMethod": [vm_id],
        "capabilityDelegation": [vm_id],
        "capabilityInvocation": [vm_id],
    }
