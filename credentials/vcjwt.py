"""VC-JWT: Open Badges 3.0 credentials secured as a compact JWS, EdDSA (Ed25519) only.

Two payload shapes are read:

* ``vc-jwt-1.1`` — VC Data Model 1.1 §6.3.1 (JWT encoding): the credential sits in
  the ``vc`` claim; ``iss``, ``sub``, ``jti``, ``nbf`` and ``exp`` stand for the
  issuer, the subject id, the credential id, ``issuanceDate`` and ``expirationDate``.
* ``vc-jose-cose`` — Securing VCs using JOSE and COSE §3.1.1, and Open Badges 3.0
  §8.2.4.1: the payload *is* the credential (``typ`` ``vc+jwt``, or a payload with
  ``@context``), with the registered claims alongside it.

The key always comes from the issuer: the ``kid`` header must name a verification
method of the ``iss`` DID and resolve through the caller's ``KeyResolver``. A token
without a ``kid`` (openbadgeslib puts a ``jwk`` in the header instead) is checked
against the issuer's own did:key; an embedded ``jwk`` is never trusted by itself,
only compared with the resolved key.

Errors (all ``ProofError``; the signature one is also an ``InvalidSignatureError``)::

    JwtError                        jwt_malformed
    ├── JwtAlgorithmRefusedError    jwt_alg_refused
    ├── JwtSignatureMismatchError   jwt_signature_mismatch
    ├── JwtKidUnresolvableError     jwt_kid_unresolvable
    ├── JwtExpiredError             jwt_expired
    ├── JwtNotYetValidError         jwt_not_yet_valid
    └── JwtClaimMismatchError       jwt_claim_mismatch
"""

from __future__ import annotations

import base64
import binascii
import copy
import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Literal

from .errors import InvalidSignatureError, KeyResolutionError, ProofError
from .keys import Signer, verify_ed25519
from .resolver import KeyResolver, VerificationMethod
from .vcdm import issuer_id
from .xsd import format_datetime, parse_datetime

JwtForm = Literal["vc-jwt-1.1", "vc-jose-cose"]

# A compact JWS is three base64url segments; an unsecured one may end with an empty signature.
COMPACT_JWS_PATTERN = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
MAX_JWT_LENGTH = 4 * 1024 * 1024
CLOCK_SKEW = timedelta(minutes=5)
# RFC 8037 §3.1 names Ed25519 signatures "EdDSA"; RFC 9864 adds the fully specified "Ed25519".
ACCEPTED_ALGORITHMS = frozenset({"EdDSA", "Ed25519"})
JOSE_COSE_TYPES = frozenset({"vc+jwt", "application/vc+jwt", "vc-ld+jwt", "application/vc-ld+jwt"})
REGISTERED_CLAIMS = ("iss", "sub", "aud", "exp", "nbf", "iat", "jti")

_B64URL = re.compile(r"[A-Za-z0-9_-]*")


class JwtError(ProofError):
    code = "jwt_malformed"


class JwtAlgorithmRefusedError(JwtError):
    code = "jwt_alg_refused"


class JwtSignatureMismatchError(JwtError, InvalidSignatureError):
    code = "jwt_signature_mismatch"


class JwtKidUnresolvableError(JwtError):
    code = "jwt_kid_unresolvable"


class JwtExpiredError(JwtError):
    code = "jwt_expired"


class JwtNotYetValidError(JwtError):
    code = "jwt_not_yet_valid"


class JwtClaimMismatchError(JwtError):
    code = "jwt_claim_mismatch"


@dataclass(frozen=True)
class JwtResult:
    """A VC-JWT whose signature, validity period and claims were checked."""

    credential: dict[str, Any]
    form: JwtForm
    method: VerificationMethod
    notes: tuple[str, ...] = ()


def looks_like_compact_jws(text: str) -> bool:
    """True when ``text`` has the shape of a compact JWS (three base64url segments)."""
    return bool(COMPACT_JWS_PATTERN.fullmatch(text))


def loads_json(raw: bytes | str, *, what: str) -> Any:
    """Parse strict JSON: no duplicate keys, no NaN or Infinity; raise ``JwtError`` otherwise.

    Duplicate keys are refused because two parsers may keep different values,
    so a signer and a verifier could disagree on what was signed.
    """
    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key, value in items:
            if key in result:
                raise ValueError(f"duplicate key {key!r}")
            result[key] = value
        return result

    def constant(name: str) -> Any:
        raise ValueError(f"{name} is not JSON")

    try:
        return json.loads(raw, object_pairs_hook=pairs, parse_constant=constant)
    except (ValueError, RecursionError) as exc:
        raise JwtError(f"{what} is not valid JSON: {exc}") from None


def loads_json_object(raw: bytes | str, *, what: str) -> dict[str, Any]:
    """Parse strict JSON (see ``loads_json``) that must be an object."""
    value = loads_json(raw, what=what)
    if not isinstance(value, dict):
        raise JwtError(f"{what} is not a JSON object")
    return value


def decode_jwt(token: str) -> tuple[dict[str, Any], dict[str, Any], bytes, bytes]:
    """Split a compact JWS into ``(header, payload, signing_input, signature)``.

    Strict (RFC 7515 §7.1): exactly three segments of unpadded, canonical base64url;
    header and payload are UTF-8 JSON objects. Nothing is verified here.
    """
    if not isinstance(token, str):
        raise JwtError("a JWT is a string")
    if len(token) > MAX_JWT_LENGTH:
        raise JwtError(f"JWT too large ({len(token)} characters, limit {MAX_JWT_LENGTH})")
    parts = token.split(".")
    if len(parts) != 3:
        raise JwtError(f"a compact JWT has 3 segments separated by '.', this one {len(parts)}")
    header_b64, payload_b64, signature_b64 = parts
    header = loads_json_object(_b64url_decode(header_b64, "header"), what="JWT header")
    payload = loads_json_object(_b64url_decode(payload_b64, "payload"), what="JWT payload")
    signature = _b64url_decode(signature_b64, "signature")
    return header, payload, f"{header_b64}.{payload_b64}".encode("ascii"), signature


def verify_vc_jwt(token: str, *, resolver: KeyResolver, now: datetime) -> JwtResult:
    """Verify an EdDSA VC-JWT and return its credential; raise a ``JwtError`` subclass otherwise.

    Steps: decode strictly; refuse any algorithm but EdDSA; find the issuer and
    resolve its key from ``kid``; verify the signature; check ``exp``/``nbf``
    against ``now`` (five minutes of skew tolerated, with a note); check that the
    registered claims agree with the credential they stand for.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    header, payload, signing_input, signature = decode_jwt(token)
    notes: list[str] = []
    _check_header(header)
    form, credential = _credential_of(header, payload)
    issuer = issuer_id(credential)
    iss = payload.get("iss")
    if iss is not None and not isinstance(iss, str):
        raise JwtError("claim iss is not a string")
    if iss is not None and issuer is not None and iss != issuer:
        raise JwtClaimMismatchError(f"claim iss {iss!r} is not the credential's issuer {issuer!r}", path="iss")
    signer_id = iss or issuer
    if signer_id is None:
        raise JwtError("the JWT names no issuer: neither an iss claim nor a credential issuer")
    method = _resolve_key(header, signer_id, resolver, notes)
    try:
        verify_ed25519(method.public_key, signature, signing_input)
    except InvalidSignatureError as exc:
        raise JwtSignatureMismatchError(f"the JWT signature does not match its header and payload ({exc})") from None
    _check_times(payload, now, notes)
    _check_claims(payload, credential)
    if form == "vc-jwt-1.1":
        credential = _fill_from_claims(credential, payload, notes)
    else:
        present = [claim for claim in REGISTERED_CLAIMS if claim in credential]
        for claim in present:
            del credential[claim]
        if present:
            notes.append(f"JWT claims {', '.join(present)} checked and set aside from the credential")
    return JwtResult(credential=credential, form=form, method=method, notes=tuple(notes))


def sign_vc_jwt(credential: dict[str, Any], *, signer: Signer, form: JwtForm = "vc-jwt-1.1") -> str:
    """Sign ``credential`` as an EdDSA VC-JWT whose ``kid`` is the signer's verification method.

    The registered claims are derived from the credential (iss, sub, jti, nbf, exp),
    so the token passes ``verify_vc_jwt``'s claim checks by construction.
    """
    if signer.algorithm != "Ed25519":
        raise ValueError(f"VC-JWT signing here is EdDSA only, not {signer.algorithm}")
    if form not in ("vc-jwt-1.1", "vc-jose-cose"):
        raise ValueError(f"unknown VC-JWT form {form!r}")
    issuer = issuer_id(credential)
    if issuer is None:
        raise ValueError("the credential has no issuer id")
    if signer.verification_method.split("#", 1)[0] != issuer:
        raise ValueError(f"the signer's key {signer.verification_method} does not belong to issuer {issuer}")
    claims: dict[str, Any] = {"iss": issuer}
    subject_ids = _subject_ids(credential)
    if len(subject_ids) == 1:
        claims["sub"] = subject_ids[0]
    if isinstance(credential.get("id"), str):
        claims["jti"] = credential["id"]
    start = parse_datetime(credential.get("validFrom", credential.get("issuanceDate")))
    if start is not None:
        claims["nbf"] = int(start.timestamp())
    end = parse_datetime(credential.get("validUntil", credential.get("expirationDate")))
    if end is not None:
        claims["exp"] = int(end.timestamp())
    header: dict[str, Any] = {"alg": "EdDSA", "kid": signer.verification_method}
    if form == "vc-jwt-1.1":
        header["typ"] = "JWT"
        payload = {**claims, "vc": credential}
    else:
        header["typ"] = "vc+jwt"
        header["cty"] = "vc"
        payload = {**credential, **{k: v for k, v in claims.items() if k not in credential}}
    signing_input = f"{_b64url_json(header)}.{_b64url_json(payload)}"
    signature = signer.sign(signing_input.encode("ascii"))
    return f"{signing_input}.{_b64url_encode(signature)}"


# ---------------------------------------------------------------- decoding

def _b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64url_json(value: dict[str, Any]) -> str:
    return _b64url_encode(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))


def _b64url_decode(segment: str, what: str) -> bytes:
    # RFC 7515 §2: base64url without padding. A segment of length 1 mod 4 is
    # impossible, and a non-canonical one (stray low bits) is refused so that
    # one signature cannot cover two spellings of the same token.
    if not _B64URL.fullmatch(segment) or len(segment) % 4 == 1:
        raise JwtError(f"JWT {what} is not base64url")
    try:
        data = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    except (binascii.Error, ValueError):
        raise JwtError(f"JWT {what} is not base64url") from None
    if _b64url_encode(data) != segment:
        raise JwtError(f"JWT {what} is not canonical base64url")
    return data


def _check_header(header: dict[str, Any]) -> None:
    alg = header.get("alg")
    if not isinstance(alg, str):
        raise JwtError("the JWT header has no alg")
    if alg.lower() == "none":
        raise JwtAlgorithmRefusedError("unsecured JWT (alg: none) refused: a credential must be signed", path="alg")
    if alg not in ACCEPTED_ALGORITHMS:
        raise JwtAlgorithmRefusedError(f"JWT algorithm {alg!r} refused: only EdDSA (Ed25519) is accepted", path="alg")
    if "crit" in header:
        raise JwtError(f"JWT critical header parameters {header['crit']!r} are not understood", path="crit")
    if header.get("b64", True) is not True:
        raise JwtError("unencoded JWS payloads (b64: false) are not accepted", path="b64")


def _credential_of(header: dict[str, Any], payload: dict[str, Any]) -> tuple[JwtForm, dict[str, Any]]:
    typ = header.get("typ")
    jose_cose_type = isinstance(typ, str) and typ.lower() in JOSE_COSE_TYPES
    if not jose_cose_type and "vc" in payload:
        if not isinstance(payload["vc"], dict):
            raise JwtError("the vc claim is not a JSON object", path="vc")
        return "vc-jwt-1.1", copy.deepcopy(payload["vc"])
    if jose_cose_type or "@context" in payload:
        return "vc-jose-cose", copy.deepcopy(payload)
    raise JwtError("the JWT payload holds no credential: no vc claim and no @context")



def _subject_ids(credential: dict[str, Any]) -> list[str]:
    subject = credential.get("credentialSubject")
    subjects = subject if isinstance(subject, list) else [subject]
    return [s["id"] for s in subjects if isinstance(s, dict) and isinstance(s.get("id"), str)]


# ------------------------------------------------------------------ the key

def _resolve_key(header: dict[str, Any], issuer: str, resolver: KeyResolver, notes: list[str]) -> VerificationMethod:
    kid = header.get("kid")
    if kid is None:
        if not issuer.startswith("did:key:"):
            raise JwtKidUnresolvableError(
                f"the JWT has no kid and its issuer {issuer} is not a did:key, so no key can be chosen", path="kid")
        url = issuer
    elif not isinstance(kid, str) or not kid:
        raise JwtError("the JWT kid is not a string", path="kid")
    else:
        url = issuer + kid if kid.startswith("#") else kid
        if url.split("#", 1)[0] != issuer:
            raise JwtKidUnresolvableError(f"kid {kid} is not a key of the issuer {issuer}", path="kid")
    try:
        method = resolver.resolve(url, purpose="assertionMethod")
    except KeyResolutionError as exc:
        raise JwtKidUnresolvableError(f"kid {url} does not resolve: {exc}", path="kid") from None
    if method.controller != issuer:
        raise JwtKidUnresolvableError(f"key {method.id} is controlled by {method.controller}, not the issuer {issuer}",
                                      path="kid")
    if method.curve != "Ed25519":
        raise JwtAlgorithmRefusedError(f"key {method.id} is a {method.curve} key; EdDSA needs an Ed25519 key", path="kid")
    if "jwk" in header:
        _check_embedded_jwk(header["jwk"], method)
    if kid is None:
        matched = " (the header's jwk is that key)" if "jwk" in header else ""
        notes.append(f"the JWT has no kid: key taken from the issuer's did:key{matched}")
    return method


def _check_embedded_jwk(jwk: Any, method: VerificationMethod) -> None:
    if not isinstance(jwk, dict) or jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519" \
            or not isinstance(jwk.get("x"), str):
        raise JwtKidUnresolvableError("the header's jwk is not an Ed25519 public key", path="jwk")
    if any(member in jwk for member in ("d", "p", "q", "k")):
        raise JwtError("the header's jwk carries private key material", path="jwk")
    if _b64url_decode(jwk["x"], "jwk x") != method.public_key:
        raise JwtKidUnresolvableError(f"the header's jwk is not the issuer's key {method.id}", path="jwk")


# -------------------------------------------------------- time and claims

def _numeric_date(payload: dict[str, Any], claim: str) -> datetime | None:
    value = payload.get(claim)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise JwtError(f"claim {claim} is not a NumericDate", path=claim)
    try:
        return datetime.fromtimestamp(value, tz=timezone.utc)
    except (OverflowError, OSError, ValueError):
        raise JwtError(f"claim {claim} is out of range", path=claim) from None


def _check_times(payload: dict[str, Any], now: datetime, notes: list[str]) -> None:
    # RFC 7519 §4.1.4 and §4.1.5, with the "small leeway" both sections allow.
    expires = _numeric_date(payload, "exp")
    if expires is not None and now >= expires:
        if now - expires > CLOCK_SKEW:
            raise JwtExpiredError(f"the JWT expired at {format_datetime(expires)} (exp)", path="exp")
        notes.append(f"exp {format_datetime(expires)} passed less than 5 minutes ago: accepted as clock skew")
    not_before = _numeric_date(payload, "nbf")
    if not_before is not None and now < not_before:
        if not_before - now > CLOCK_SKEW:
            raise JwtNotYetValidError(f"the JWT is not valid before {format_datetime(not_before)} (nbf)", path="nbf")
        notes.append(f"nbf {format_datetime(not_before)} is less than 5 minutes ahead: accepted as clock skew")


def _check_claims(payload: dict[str, Any], credential: dict[str, Any]) -> None:
    sub = payload.get("sub")
    subject_ids = _subject_ids(credential)
    if sub is not None and subject_ids and sub not in subject_ids:
        raise JwtClaimMismatchError(f"claim sub {sub!r} is not the credentialSubject id {subject_ids[0]!r}", path="sub")
    jti = payload.get("jti")
    if jti is not None and isinstance(credential.get("id"), str) and jti != credential["id"]:
        raise JwtClaimMismatchError(f"claim jti {jti!r} is not the credential id {credential['id']!r}", path="jti")
    for claim, properties in (("nbf", ("validFrom", "issuanceDate")), ("exp", ("validUntil", "expirationDate"))):
        moment = _numeric_date(payload, claim)
        for name in properties:
            if moment is None or name not in credential:
                continue
            stated = parse_datetime(credential[name])
            if stated is None:
                raise JwtError(f"credential {name} is not a dateTime", path=name)
            # NumericDate counts whole seconds, so a fractional dateTime differs by under one.
            if abs((stated - moment).total_seconds()) >= 1:
                raise JwtClaimMismatchError(
                    f"claim {claim} ({format_datetime(moment)}) does not match the credential's {name} ({credential[name]})",
                    path=claim)


def _fill_from_claims(credential: dict[str, Any], payload: dict[str, Any], notes: list[str]) -> dict[str, Any]:
    # VC Data Model 1.1 §6.3.1 (decoding): a property the vc claim leaves out is
    # taken from the registered claim that encodes it.
    filled: list[str] = []
    for claim, name in (("iss", "issuer"), ("jti", "id")):
        if name not in credential and isinstance(payload.get(claim), str):
            credential[name] = payload[claim]
            filled.append(name)
    subject = credential.get("credentialSubject")
    if isinstance(subject, dict) and "id" not in subject and isinstance(payload.get("sub"), str):
        subject["id"] = payload["sub"]
        filled.append("credentialSubject.id")
    for claim, name, other in (("nbf", "issuanceDate", "validFrom"), ("exp", "expirationDate", "validUntil")):
        moment = _numeric_date(payload, claim)
        if moment is not None and name not in credential and other not in credential:
            credential[name] = format_datetime(moment)
            filled.append(name)
    if filled:
        notes.append(f"taken from the JWT claims: {', '.join(filled)}")
    return credential



