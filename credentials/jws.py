"""Compact JWS (RFC 7515 §7.1) with EdDSA over Ed25519 keys (RFC 8037), signing and verifying.

Every compact JWS Satchel reads goes through here: VC-JWTs (``credentials.vcjwt``)
and the OpenID4VCI proof-of-possession JWT (``typ`` ``openid4vci-proof+jwt``),
with which a wallet shows that it holds the did:key a credential is bound to.

The key comes from the header: a ``kid`` that names a verification method
(``did:key:z6Mk…#z6Mk…``, resolved offline; a caller's ``KeyResolver`` may know
other DIDs), or an Ed25519 ``jwk``; when both are given they must be the same
key. Only EdDSA is accepted; ``alg: none``, other algorithms, ``crit`` and
unencoded payloads are refused. Header and payload are strict JSON objects.

Errors (all ``ProofError``; the signature one is also an ``InvalidSignatureError``).
A compact JWS with a JSON payload is a JWT (RFC 7519), so the codes name JWTs::

    JwsError                        jwt_malformed (jwt_too_large for an oversized token)
    ├── JwsAlgorithmRefusedError    jwt_alg_refused
    ├── JwsSignatureMismatchError   jwt_signature_mismatch
    ├── JwsKeyUnresolvableError     jwt_kid_unresolvable
    └── JwsJsonError                a header or payload refused by strictjson (also a
                                    JsonInputError; keeps its json_* code)
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from .b64 import b64url_decode, b64url_encode
from .didkey import DID_KEY_PREFIX, did_from_public_key, verification_method_id
from .errors import InvalidSignatureError, JsonInputError, KeyResolutionError, ProofError
from .keys import Signer, verify_ed25519
from .resolver import KeyResolver, VerificationMethod
from .strictjson import parse_json

# A VC-JWT carries a whole credential (with images inlined, sometimes); 4 MiB bounds the work.
MAX_JWS_LENGTH = 4 * 1024 * 1024
# RFC 8037 §3.1 names Ed25519 signatures "EdDSA"; RFC 9864 adds the fully specified "Ed25519".
ACCEPTED_ALGORITHMS = frozenset({"EdDSA", "Ed25519"})
OPENID4VCI_PROOF_TYPE = "openid4vci-proof+jwt"


class JwsError(ProofError):
    code = "jwt_malformed"


class JwsAlgorithmRefusedError(JwsError):
    code = "jwt_alg_refused"


class JwsSignatureMismatchError(JwsError, InvalidSignatureError):
    code = "jwt_signature_mismatch"


class JwsKeyUnresolvableError(JwsError):
    code = "jwt_kid_unresolvable"


class JwsJsonError(JwsError, JsonInputError):
    """A header or payload that is not strict JSON; it keeps the strict reader's ``json_*`` code."""

    code = "json_syntax"


@dataclass(frozen=True)
class DecodedJws:
    """A compact JWS taken apart; nothing is verified yet."""

    header: dict[str, Any]
    payload: dict[str, Any]
    signing_input: bytes
    signature: bytes


@dataclass(frozen=True)
class VerifiedJws:
    """A compact JWS whose EdDSA signature was checked with ``method``'s key."""

    header: dict[str, Any]
    payload: dict[str, Any]
    method: VerificationMethod


def decode_compact_jws(token: str, *, max_length: int = MAX_JWS_LENGTH) -> DecodedJws:
    """Split a compact JWS into header, payload, signing input and signature.

    Strict (RFC 7515 §7.1): exactly three segments of unpadded, canonical base64url;
    header and payload are UTF-8 strict JSON objects. Nothing is verified here.
    """
    if not isinstance(token, str):
        raise JwsError("a JWT is a string")
    if len(token) > max_length:
        raise JwsError(f"JWT too large ({len(token)} characters, limit {max_length})", code="jwt_too_large")
    parts = token.split(".")
    if len(parts) != 3:
        raise JwsError(f"a compact JWT has 3 segments separated by '.', this one {len(parts)}")
    header_b64, payload_b64, signature_b64 = parts
    header = _json_object(b64url_decode(header_b64, what="JWT header", error=JwsError), what="JWT header")
    payload = _json_object(b64url_decode(payload_b64, what="JWT payload", error=JwsError), what="JWT payload")
    signature = b64url_decode(signature_b64, what="JWT signature", error=JwsError)
    return DecodedJws(header, payload, f"{header_b64}.{payload_b64}".encode("ascii"), signature)


def check_eddsa_header(header: dict[str, Any]) -> None:
    """Refuse a header whose ``alg`` is not EdDSA, or that asks for what we do not implement."""
    if not isinstance(header, dict):
        raise JwsError("a JWT header is a JSON object")
    alg = header.get("alg")
    if not isinstance(alg, str):
        raise JwsError("the JWT header has no alg", path="alg")
    if alg.lower() == "none":
        raise JwsAlgorithmRefusedError("unsecured JWT (alg: none) refused: it must be signed", path="alg")
    if alg not in ACCEPTED_ALGORITHMS:
        raise JwsAlgorithmRefusedError(f"JWT algorithm {alg[:40]!r} refused: only EdDSA (Ed25519) is accepted",
                                       path="alg")
    if "crit" in header:
        raise JwsError("JWT critical header parameters are not understood", path="crit")
    if header.get("b64", True) is not True:
        raise JwsError("unencoded JWS payloads (b64: false) are not accepted", path="b64")


def check_signature(decoded: DecodedJws, method: VerificationMethod) -> None:
    """Verify the EdDSA signature with ``method``'s key; raise ``JwsSignatureMismatchError``."""
    if method.curve != "Ed25519":
        raise JwsAlgorithmRefusedError(f"key {method.id} is a {method.curve} key; EdDSA needs an Ed25519 key",
                                       path="kid")
    try:
        verify_ed25519(method.public_key, decoded.signature, decoded.signing_input)
    except InvalidSignatureError as exc:
        raise JwsSignatureMismatchError(f"the JWT signature does not match its header and payload ({exc})") from None


def public_key_of_jwk(jwk: Any) -> bytes:
    """The raw Ed25519 public key of an OKP ``jwk`` header; a private or other key is refused."""
    if not isinstance(jwk, dict) or jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519" \
            or not isinstance(jwk.get("x"), str):
        raise JwsKeyUnresolvableError("the header's jwk is not an Ed25519 public key", path="jwk")
    if any(member in jwk for member in ("d", "p", "q", "k")):
        # The value is never echoed: it would be a secret.
        raise JwsError("the header's jwk carries private key material", path="jwk")
    key = b64url_decode(jwk["x"], what="the header's jwk x", error=JwsKeyUnresolvableError, path="jwk")
    if len(key) != 32:
        raise JwsKeyUnresolvableError(f"an Ed25519 jwk has a 32-byte x, this one {len(key)}", path="jwk")
    return key


def sign_compact_jws(header: dict[str, Any], payload: dict[str, Any], *, signer: Signer) -> str:
    """Sign ``payload`` as a compact JWS with EdDSA; ``alg`` and ``kid`` come from the signer.

    The caller's ``header`` adds the rest (``typ``, ``cty``); an ``alg`` or
    ``kid`` in it that disagrees with the signer is refused.
    """
    if not isinstance(header, dict) or not isinstance(payload, dict):
        raise JwsError("a JWT header and payload are JSON objects", code="jwt_not_json")
    if signer.algorithm != "Ed25519":
        raise JwsAlgorithmRefusedError(f"compact JWS signing here is EdDSA only, not {signer.algorithm}",
                                       path="alg")
    if header.get("alg", "EdDSA") != "EdDSA":
        raise JwsAlgorithmRefusedError("the header's alg must be EdDSA", path="alg")
    if header.get("kid", signer.verification_method) != signer.verification_method:
        raise JwsKeyUnresolvableError("the header's kid is not the signer's verification method", path="kid")
    full = {"alg": "EdDSA", "kid": signer.verification_method, **{k: v for k, v in header.items()
                                                                     if k not in ("alg", "kid")}}
    signing_input = f"{_b64url_json(full)}.{_b64url_json(payload)}"
    return f"{signing_input}.{b64url_encode(signer.sign(signing_input.encode('ascii')))}"


def verify_compact_jws(token: str, *, resolver: KeyResolver | None = None, purpose: str | None = None,
                       max_length: int = MAX_JWS_LENGTH) -> VerifiedJws:
    """Verify an EdDSA compact JWS whose key its header names; raise a ``JwsError`` subclass otherwise.

    ``kid`` must be a DID URL with a fragment: a did:key one resolves offline, any
    other only through ``resolver``. Without ``kid``, the ``jwk`` header is the key
    and the method is that key's did:key. Claims (``iat``, ``aud``, ``nonce``)
    are the caller's to check: they depend on the protocol.
    """
    decoded = decode_compact_jws(token, max_length=max_length)
    check_eddsa_header(decoded.header)
    method = _method_of_header(decoded.header, resolver, purpose)
    check_signature(decoded, method)
    return VerifiedJws(header=decoded.header, payload=decoded.payload, method=method)


def _method_of_header(header: dict[str, Any], resolver: KeyResolver | None, purpose: str | None) -> VerificationMethod:
    kid = header.get("kid")
    jwk = header.get("jwk")
    if kid is None and jwk is None:
        raise JwsKeyUnresolvableError("the JWT header names no key: neither kid nor jwk", path="kid")
    if kid is None:
        key = public_key_of_jwk(jwk)
        did = did_from_public_key(key)
        return VerificationMethod(id=verification_method_id(did), controller=did, type="JsonWebKey",
                                  curve="Ed25519", public_key=key)
    if not isinstance(kid, str) or "#" not in kid or not kid.startswith("did:"):
        raise JwsKeyUnresolvableError("the JWT kid is not a DID URL with a fragment (did:key:z6Mk…#z6Mk…)",
                                      path="kid")
    if resolver is None and not kid.startswith(DID_KEY_PREFIX):
        raise JwsKeyUnresolvableError(f"kid {kid[:80]} is not a did:key, and no other DID can be resolved here",
                                      path="kid")
    try:
        method = (resolver or KeyResolver()).resolve(kid, purpose=purpose)
    except KeyResolutionError as exc:
        raise JwsKeyUnresolvableError(f"kid does not resolve: {exc}", path="kid") from None
    if jwk is not None and public_key_of_jwk(jwk) != method.public_key:
        raise JwsKeyUnresolvableError(f"the header's jwk is not the key {method.id}", path="jwk")
    return method


def _json_object(raw: bytes, *, what: str) -> dict[str, Any]:
    try:
        value = parse_json(raw)
    except JsonInputError as exc:
        # The strict reader's code (json_duplicate_key, json_bad_number, …) is kept as it is.
        raise JwsJsonError(f"{what}: {exc}", code=exc.code, path=exc.path) from None
    if not isinstance(value, dict):
        raise JwsError(f"{what} is not a JSON object")
    return value


def _b64url_json(value: dict[str, Any]) -> str:
    # Only JSON is signed: NaN, Infinity, non-JSON values and nesting past Python's stack are refused.
    try:
        text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    except (ValueError, TypeError, RecursionError):
        raise JwsError("the JWT header or payload is not JSON (NaN, Infinity, a non-JSON value, or nested too deeply)",
                       code="jwt_not_json") from None
    return b64url_encode(text.encode("utf-8"))
