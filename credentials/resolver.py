"""Resolving a proof's verification method to a public key, offline.

did:key resolves from the DID itself. did:web and https keys come only from
controller documents the caller was given (a user's ``--did-document``, later the
trust registry): without one the key is "not resolvable offline", never fetched.

Whose key is it? A verification method belongs to the DID whose *own* document
lists it (DID Core §5.3, verification relationships), and only for the
relationships that document lists it under. A document speaks only for the DID
in its ``id``: a method in the document of ``did:web:evil.example`` whose JSON
says ``"controller": "did:key:z6Mk…district"`` is still a key of
``did:web:evil.example`` here, because the district's own document (for a
did:key, the one derived from the key) does not list it. So
``VerificationMethod.controller`` is always the DID of the document the method
was found in, and the claimed controller only becomes a note.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import base58

from .b64 import b64_decode_lenient
from .didkey import DID_KEY_PREFIX, decode_public_key, did_key_fingerprint
from .errors import DidKeyError, KeyResolutionError, MultibaseError
from .multibase import (
    ED25519_PUB,
    P256_PUB,
    P384_PUB,
    decode_base58btc,
    split_multicodec,
)

_CURVE_BY_PREFIX = {ED25519_PUB: "Ed25519", P256_PUB: "P-256", P384_PUB: "P-384"}

ASSERTION_METHOD = "assertionMethod"
AUTHENTICATION = "authentication"
# The verification relationships a signature can be made under (DID Core §5.3).
RELATIONSHIPS = (ASSERTION_METHOD, AUTHENTICATION, "capabilityInvocation", "capabilityDelegation")
# The did:key Method §3.1.2 (document creation) lists its one key under every one of them.
_DID_KEY_RELATIONSHIPS = frozenset(RELATIONSHIPS)
# A multibase or base58 public key is under 100 characters (P-384 compressed: 67); longer is refused before decoding.
MAX_ENCODED_KEY = 256
MAX_METHOD_URL_LENGTH = 2048
"""The longest verification method URL resolved (a did:key method URL is about 105 characters)."""


class MethodNotAuthorizedError(KeyResolutionError):
    """The method exists, but its DID's own document does not list it under the proof's purpose."""

    code = "method_not_authorized"


@dataclass(frozen=True)
class VerificationMethod:
    """A resolved key: whose it is, what kind it is, its raw public bytes.

    ``controller`` is the DID whose own document lists the method (for a did:key,
    the did:key itself); ``relationships`` are the verification relationships
    that document lists it under. Nothing a method's JSON says about itself
    changes either.
    """

    id: str
    controller: str
    type: str
    curve: str  # "Ed25519", "P-256" (compressed SEC1), or "P-384".
    public_key: bytes
    note: str | None = None
    relationships: frozenset[str] = frozenset()

    def authorized_for(self, purpose: str) -> bool:
        """True when the controller's own document lists this method under ``purpose``."""
        return purpose in self.relationships


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

    def lists(self, did: str, method_id: str, purpose: str) -> bool:
        """True when the own document of ``did`` lists ``method_id`` under ``purpose``.

        A did:key's document (derived from the key) lists only its own key; any
        other DID's document is the one the caller gave for it, and without one
        nothing is listed. This is how a DID may authorize a key defined in
        another DID's document (DID Core §5.3, a relationship by reference).
        """
        if did.startswith(DID_KEY_PREFIX):
            try:
                return _resolve_did_key(method_id).controller == did
            except (KeyResolutionError, DidKeyError, MultibaseError):
                return False
        doc = self._documents.get(did)
        return doc is not None and purpose in RELATIONSHIPS and purpose in doc and _lists(doc[purpose], method_id)

    def resolve(self, url: str, *, purpose: str | None = None) -> VerificationMethod:
        """Return the verification method ``url`` names, from the document of the DID in ``url``.

        Only the document whose ``id`` is the part of ``url`` before ``#`` is
        consulted. With ``purpose``, the method must be listed under that
        relationship in that document (by reference, relative ``#fragment``, or
        embedded), else ``MethodNotAuthorizedError``.
        """
        if not isinstance(url, str) or not url:
            raise KeyResolutionError("the proof has no verificationMethod")
        if len(url) > MAX_METHOD_URL_LENGTH:  # Refused before any lookup or decoding, and never echoed.
            raise KeyResolutionError(f"a verificationMethod of {len(url):,} characters is too long "
                                     f"(limit {MAX_METHOD_URL_LENGTH:,})", code="did_too_long")
        if url.startswith(DID_KEY_PREFIX):
            return _resolve_did_key(url)
        controller = url.split("#", 1)[0]
        doc = self._documents.get(controller)
        if doc is None:
            raise KeyResolutionError(f"key not resolvable offline ({url}): give the DID document of {controller}")
        method = _find_method(doc, url)
        if method is None:
            raise KeyResolutionError(f"the DID document of {controller} has no verification method {url}")
        relationships = frozenset(name for name in RELATIONSHIPS if name in doc and _lists(doc[name], url))
        if purpose and purpose not in relationships:
            listed = ", ".join(sorted(relationships)) or "no verification relationship"
            raise MethodNotAuthorizedError(
                f"{url} is not authorized for {purpose}: the DID document of {controller} lists it under {listed}")
        return _method_from_json(method, controller=controller, relationships=relationships)


@lru_cache(maxsize=1024)
def _resolve_did_key(url: str) -> VerificationMethod:
    """A did:key's only method, derived from the URL alone (memoized: a pure function of ``url``,
    refusals are raised and never kept; a presentation names its issuers' keys again and again)."""
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
        public_key=decode_public_key(fingerprint), note=note, relationships=_DID_KEY_RELATIONSHIPS,
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
                              curve=_CURVE_BY_PREFIX[prefix], public_key=key, relationships=_DID_KEY_RELATIONSHIPS)


def _lists(relationship: Any, url: str) -> bool:
    """True when a relationship lists ``url`` by reference, relative ``#fragment`` or embedded method."""
    names = [url]  # a list, not a set: an item's "id" may be an (unhashable) object in a hostile document
    if "#" in url:
        names.append("#" + url.split("#", 1)[1])
    items = relationship if isinstance(relationship, list) else [relationship]
    return any((isinstance(item, str) and item in names) or (isinstance(item, dict) and item.get("id") in names)
               for item in items)


def _find_method(doc: dict[str, Any], url: str) -> dict[str, Any] | None:
    fragment = "#" + url.split("#", 1)[1] if "#" in url else None
    for key in ("verificationMethod", "assertionMethod", "authentication", "publicKey"):
        items = doc.get(key, [])
        for item in items if isinstance(items, list) else [items]:
            if isinstance(item, dict) and item.get("id") in (url, fragment):
                return item
    return None


def _method_from_json(method: dict[str, Any], *, controller: str,
                      relationships: frozenset[str]) -> VerificationMethod:
    """The method as a key of ``controller`` (the document's DID); a different claimed controller is noted only."""
    vm_id = str(method.get("id"))
    if vm_id.startswith("#"):
        vm_id = controller + vm_id
    claimed = method.get("controller", controller)
    if not isinstance(claimed, str):
        raise KeyResolutionError(f"{vm_id}: controller must be a string")
    note = None
    if claimed != controller:
        note = (f"{_shown(vm_id)} says its controller is {_shown(claimed)}, but it was found in the DID document of "
                f"{_shown(controller)}: it is treated as that DID's key, since only the claimed controller's own DID "
                "document could make it theirs")
    kind = str(method.get("type", ""))
    encoded = next((method[name] for name in ("publicKeyMultibase", "publicKeyBase58") if name in method), None)
    if encoded is not None and (not isinstance(encoded, str) or len(encoded) > MAX_ENCODED_KEY):
        raise KeyResolutionError(f"{_shown(vm_id)}: the public key is not a string of at most {MAX_ENCODED_KEY} characters")
    try:
        if "publicKeyMultibase" in method:
            prefix, key = split_multicodec(decode_base58btc(method["publicKeyMultibase"]), ED25519_PUB, P256_PUB, P384_PUB)
            curve = _CURVE_BY_PREFIX[prefix]
        elif "publicKeyBase58" in method:
            key, curve = base58.b58decode(method["publicKeyBase58"]), "Ed25519"
        elif "publicKeyJwk" in method:
            key, curve = _key_from_jwk(method["publicKeyJwk"])
        else:
            raise KeyResolutionError(f"{_shown(vm_id)}: no publicKeyMultibase, publicKeyBase58 or publicKeyJwk")
    except (MultibaseError, ValueError) as exc:
        raise KeyResolutionError(f"{_shown(vm_id)}: unreadable public key ({exc})") from None
    if curve == "Ed25519" and len(key) != 32:
        raise KeyResolutionError(f"{vm_id}: an Ed25519 key has 32 bytes, this one {len(key)}")
    return VerificationMethod(id=vm_id, controller=controller, type=kind, curve=curve, public_key=key, note=note,
                              relationships=relationships)


def _shown(value: str, limit: int = 200) -> str:
    """A value from a document, cut for a message: an attacker's 400,000-character id stays out of the report."""
    return value if len(value) <= limit else value[:limit] + "…"


def _key_from_jwk(jwk: Any) -> tuple[bytes, str]:
    """The raw public key of an Ed25519 (OKP) or P-256/P-384 (EC, compressed) JWK; ``KeyResolutionError`` otherwise."""
    if not isinstance(jwk, dict):
        raise KeyResolutionError("publicKeyJwk is not an object")

    def coordinate(name: str, size: int) -> bytes:
        value = jwk.get(name)
        if not isinstance(value, str) or len(value) > 128:
            raise KeyResolutionError(f"publicKeyJwk has no usable {name!r}")
        raw = b64_decode_lenient(value, what=f"publicKeyJwk {name!r}", error=KeyResolutionError)
        if len(raw) != size:
            raise KeyResolutionError(f"publicKeyJwk {name!r} has {len(raw)} bytes, not {size}")
        return raw

    if jwk.get("kty") == "OKP" and jwk.get("crv") == "Ed25519":
        return coordinate("x", 32), "Ed25519"
    if jwk.get("kty") == "EC" and jwk.get("crv") in ("P-256", "P-384"):
        size = 32 if jwk["crv"] == "P-256" else 48
        x, y = coordinate("x", size), coordinate("y", size)
        return bytes([2 + (y[-1] & 1)]) + x, str(jwk["crv"])
    raise KeyResolutionError(f"unsupported JWK key type {str(jwk.get('kty'))[:32]}/{str(jwk.get('crv'))[:32]}")
