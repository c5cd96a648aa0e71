"""Resolving a proof's verification method to a public key, offline.

did:key resolves from the DID itself. did:web and https keys come only from
controller documents the caller was given (a user's ``--did-document``, later the
trust registry): without one the key is "not resolvable offline", never fetched.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import base58

from .didkey import DID_KEY_PREFIX, decode_public_key, did_key_fingerprint
from .errors import DidKeyError, KeyResolutionError, MultibaseError
from .multibase import ED25519_PUB, P256_PUB, P384_PUB, decode_base58btc, split_multicodec

_CURVE_BY_PREFIX = {ED25519_PUB: "Ed25519", P256_PUB: "P-256", P384_PUB: "P-384"}


@dataclass(frozen=True)
class VerificationMethod:
    """A resolved key: who controls it, what kind it is, its raw public bytes."""

    id: str
    controller: str
    type: str
    curve: str  # "Ed25519", "P-256" (compressed SEC1), or "P-384".
    public_key: bytes
    note: str | None = None


class KeyResolver:
    """Resolves verification method URLs from did:key and caller-given controller documents."""

    def __init__(self, documents: Iterable[dict[str, Any]] = ()) -> None:
        self._documents: dict[str, dict[str, Any]] = {}
        for doc in documents:
            if not isinstance(doc, dict) or not isinstance(doc.get("id"), str):
                raise KeyResolutionError("a controller document is a JSON object with an 'id'")
            self._documents[doc["id"]] = doc

    @property
    def document_ids(self) -> list[str]:
        return sorted(self._documents)

    def resolve(self, url: str, *, purpose: str | None = None) -> VerificationMethod:
        """Return the verification method ``url`` names, authorised for ``purpose`` where the document says."""
        if not isinstance(url, str) or not url:
            raise KeyResolutionError("the proof has no verificationMethod")
        if url.startswith(DID_KEY_PREFIX):
            return _resolve_did_key(url)
        controller = url.split("#", 1)[0]
        doc = self._documents.get(controller)
        if doc is None:
            raise KeyResolutionError(f"key not resolvable offline ({url}): give its controller document with --did-document")
        method = _find_method(doc, url)
        if method is None:
            raise KeyResolutionError(f"controller document {controller} has no verification method {url}")
        if purpose and purpose in doc and not _lists(doc[purpose], url):
            raise KeyResolutionError(f"{url} is not authorised for {purpose} in its controller document")
        return _method_from_json(method, default_controller=controller)


def _resolve_did_key(url: str) -> VerificationMethod:
    base, _, fragment = url.partition("#")
    try:
        fingerprint = did_key_fingerprint(base)
    except DidKeyError:
        return _resolve_did_key_any_curve(url)
    if fragment and fragment != fingerprint:
        raise KeyResolutionError(f"{url}: the fragment does not name this did:key's key")
    note = None if fragment else f"bare did:key as verificationMethod, resolved to its only key {base}#{fingerprint}"
    return VerificationMethod(
        id=f"{base}#{fingerprint}", controller=base, type="Multikey", curve="Ed25519",
        public_key=decode_public_key(fingerprint), note=note,
    )


def _resolve_did_key_any_curve(url: str) -> VerificationMethod:
    base, _, fragment = url.partition("#")
    fingerprint = base[len(DID_KEY_PREFIX):]
    try:
        prefix, key = split_multicodec(decode_base58btc(fingerprint), ED25519_PUB, P256_PUB, P384_PUB)
    except MultibaseError as exc:
        raise KeyResolutionError(f"{url}: malformed did:key ({exc})") from None
    if fragment and fragment != fingerprint:
        raise KeyResolutionError(f"{url}: the fragment does not name this did:key's key")
    return VerificationMethod(id=f"{base}#{fingerprint}", controller=base, type="Multikey",
                              curve=_CURVE_BY_PREFIX[prefix], public_key=key)


def _lists(relationship: Any, url: str) -> bool:
    items = relationship if isinstance(relationship, list) else [relationship]
    return any(item == url or (isinstance(item, dict) and item.get("id") == url) for item in items)


def _find_method(doc: dict[str, Any], url: str) -> dict[str, Any] | None:
    fragment = "#" + url.split("#", 1)[1] if "#" in url else None
    for key in ("verificationMethod", "assertionMethod", "authentication", "publicKey"):
        items = doc.get(key, [])
        for item in items if isinstance(items, list) else [items]:
            if isinstance(item, dict) and item.get("id") in (url, fragment):
                return item
    return None


def _method_from_json(method: dict[str, Any], *, default_controller: str) -> VerificationMethod:
    vm_id = str(method.get("id"))
    controller = method.get("controller", default_controller)
    if not isinstance(controller, str):
        raise KeyResolutionError(f"{vm_id}: controller must be a string")
    kind = str(method.get("type", ""))
    try:
        if "publicKeyMultibase" in method:
            prefix, key = split_multicodec(decode_base58btc(method["publicKeyMultibase"]), ED25519_PUB, P256_PUB, P384_PUB)
            curve = _CURVE_BY_PREFIX[prefix]
        elif "publicKeyBase58" in method:
            key, curve = base58.b58decode(method["publicKeyBase58"]), "Ed25519"
        elif "publicKeyJwk" in method:
            key, curve = _key_from_jwk(method["publicKeyJwk"])
        else:
            raise KeyResolutionError(f"{vm_id}: no publicKeyMultibase, publicKeyBase58 or publicKeyJwk")
    except (MultibaseError, ValueError) as exc:
        raise KeyResolutionError(f"{vm_id}: unreadable public key ({exc})") from None
    if curve == "Ed25519" and len(key) != 32:
        raise KeyResolutionError(f"{vm_id}: an Ed25519 key has 32 bytes, this one {len(key)}")
    return VerificationMethod(id=vm_id, controller=controller, type=kind, curve=curve, public_key=key)


def _key_from_jwk(jwk: Any) -> tuple[bytes, str]:
    if not isinstance(jwk, dict):
        raise ValueError("publicKeyJwk is not an object")

    def b64(value: str) -> bytes:
        return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))

    if jwk.get("kty") == "OKP" and jwk.get("crv") == "Ed25519":
        return b64(jwk["x"]), "Ed25519"
    if jwk.get("kty") == "EC" and jwk.get("crv") in ("P-256", "P-384"):
        x, y = b64(jwk["x"]), b64(jwk["y"])
        return bytes([2 + (y[-1] & 1)]) + x, str(jwk["crv"])
    raise ValueError(f"unsupported JWK key type {jwk.get('kty')}/{jwk.get('crv')}")
