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

Decoding, the header, the signature and an embedded ``jwk`` are ``credentials.jws``'s
(one compact JWS reader for every JWT). Errors (all ``ProofError``; the signature
one is also an ``InvalidSignatureError``)::

    JwtError = jws.JwsError         jwt_malformed (or the strict reader's json_* code)
    ├── JwtAlgorithmRefusedError    jwt_alg_refused
    ├── JwtSignatureMismatchError   jwt_signature_mismatch
    ├── JwtKidUnresolvableError     jwt_kid_unresolvable
    ├── JwtExpiredError             jwt_expired
    ├── JwtNotYetValidError         jwt_not_yet_valid
    └── JwtClaimMismatchError       jwt_claim_mismatch
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Literal

from .errors import KeyResolutionError
from .jws import (
    JwsAlgorithmRefusedError,
    JwsError,
    JwsKeyUnresolvableError,
    JwsSignatureMismatchError,
    check_eddsa_header,
    check_signature,
    decode_compact_jws,
    public_key_of_jwk,
    sign_compact_jws,
)
from .keys import Signer
from .resolver import KeyResolver, VerificationMethod
from .vcdm import issuer_id
from .xsd import CLOCK_SKEW, DateTimeError, format_datetime, parse_datetime

JwtForm = Literal["vc-jwt-1.1", "vc-jose-cose"]

# A compact JWS is three base64url segments; an unsecured one may end with an empty signature.
COMPACT_JWS_PATTERN = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
MAX_JWT_LENGTH = 4 * 1024 * 1024
JOSE_COSE_TYPES = frozenset({"vc+jwt", "application/vc+jwt", "vc-ld+jwt", "application/vc-ld+jwt"})
REGISTERED_CLAIMS = ("iss", "sub", "aud", "exp", "nbf", "iat", "jti")


# The compact JWS errors are ``credentials.jws``'s; these names are kept for the VC-JWT readers.
JwtError = JwsError
JwtAlgorithmRefusedError = JwsAlgorithmRefusedError
JwtSignatureMismatchError = JwsSignatureMismatchError
JwtKidUnresolvableError = JwsKeyUnresolvableError


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
    return isinstance(text, str) and bool(COMPACT_JWS_PATTERN.fullmatch(text))


def decode_jwt(token: str) -> tuple[dict[str, Any], dict[str, Any], bytes, bytes]:
    """Split a compact JWS into ``(header, payload, signing_input, signature)``.

    Strict (RFC 7515 §7.1), see ``jws.decode_compact_jws``. Nothing is verified here.
    """
    decoded = decode_compact_jws(token, max_length=MAX_JWT_LENGTH)
    return decoded.header, decoded.payload, decoded.signing_input, decoded.signature


def verify_vc_jwt(token: str, *, resolver: KeyResolver, now: datetime) -> JwtResult:
    """Verify an EdDSA VC-JWT and return its credential; raise a ``JwtError`` subclass otherwise.

    Steps: decode strictly; refuse any algorithm but EdDSA; find the issuer and
    resolve its key from ``kid``; verify the signature; check ``exp``/``nbf``
    against ``now`` (five minutes of skew tolerated, with a note); check that the
    registered claims agree with the credential they stand for.
    """
    if now.tzinfo is None:
        raise DateTimeError("now must be timezone-aware")
    decoded = decode_compact_jws(token, max_length=MAX_JWT_LENGTH)
    header, payload = decoded.header, decoded.payload
    notes: list[str] = []
    check_eddsa_header(header)
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
    check_signature(decoded, method)
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
    if not isinstance(credential, dict):
        raise JwtError("only a JSON object can be signed as a VC-JWT", code="jwt_not_json")
    if signer.algorithm != "Ed25519":
        raise JwtAlgorithmRefusedError(f"VC-JWT signing here is EdDSA only, not {signer.algorithm}", path="alg")
    if form not in ("vc-jwt-1.1", "vc-jose-cose"):
        raise JwtError(f"unknown VC-JWT form {str(form)[:40]!r}", code="jwt_unknown_form")
    issuer = issuer_id(credential)
    if issuer is None:
        raise JwtError("the credential has no issuer id", path="issuer", code="jwt_no_issuer")
    if signer.verification_method.split("#", 1)[0] != issuer:
        raise JwtKidUnresolvableError(
            f"the signer's key {signer.verification_method} does not belong to the credential's issuer {issuer}",
            path="issuer")
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
    header: dict[str, Any] = {}
    if form == "vc-jwt-1.1":
        header["typ"] = "JWT"
        payload = {**claims, "vc": credential}
    else:
        header["typ"] = "vc+jwt"
        header["cty"] = "vc"
        payload = {**credential, **{k: v for k, v in claims.items() if k not in credential}}
    return sign_compact_jws(header, payload, signer=signer)


# ---------------------------------------------------------------- payload

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
    if "jwk" in header and public_key_of_jwk(header["jwk"]) != method.public_key:
        raise JwtKidUnresolvableError(f"the header's jwk is not the issuer's key {method.id}", path="jwk")
    if kid is None:
        matched = " (the header's jwk is that key)" if "jwk" in header else ""
        notes.append(f"the JWT has no kid: key taken from the issuer's did:key{matched}")
    return method


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



