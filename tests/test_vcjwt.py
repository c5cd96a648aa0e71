"""VC-JWT verification: tokens made at test time by openbadgeslib 4.6.3 and by us.

openbadgeslib (LGPL-3.0, installed from PyPI as a test dependency) is run, not
copied: ``OB3Signer(pem, algorithm="EdDSA").sign(credential)`` is how it issues an
Open Badges 3.0 VC-JWT, with the issuer's did:key as issuer id and the public key
as a ``jwk`` header (no ``kid``).
"""

from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta, timezone
from typing import Any

import jwt as pyjwt
import pytest
from cryptography.hazmat.primitives import serialization as ser
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from openbadgeslib.ob3 import Achievement, Issuer, OB3Signer, OpenBadgeCredential, did_key_from_pem

from credentials.errors import InvalidSignatureError, ProofError
from credentials.keys import Ed25519KeyPair, generate_key_pair, key_pair_from_private
from credentials.resolver import KeyResolver
from credentials.vcjwt import (
    JwtError,
    decode_jwt,
    sign_vc_jwt,
    verify_vc_jwt,
)

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=timezone.utc)
ISSUED = datetime(2025, 1, 1, tzinfo=timezone.utc)
EXPIRES = datetime(2030, 1, 1, tzinfo=timezone.utc)
OB3_CONTEXT = ["https://www.w3.org/ns/credentials/v2", "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"]


# ------------------------------------------------------------------ helpers

def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64json(value: Any) -> str:
    return b64(json.dumps(value).encode("utf-8"))


def segments(token: str) -> tuple[dict[str, Any], dict[str, Any], str]:
    header_b64, payload_b64, signature_b64 = token.split(".")
    pad = lambda s: s + "=" * (-len(s) % 4)  # noqa: E731
    return (json.loads(base64.urlsafe_b64decode(pad(header_b64))),
            json.loads(base64.urlsafe_b64decode(pad(payload_b64))), signature_b64)


class ObIssuer:
    """An openbadgeslib issuer with an Ed25519 key and its did:key."""

    def __init__(self) -> None:
        self.private = Ed25519PrivateKey.generate()
        self.pem = self.private.private_bytes(ser.Encoding.PEM, ser.PrivateFormat.PKCS8, ser.NoEncryption())
        public_pem = self.private.public_key().public_bytes(ser.Encoding.PEM, ser.PublicFormat.SubjectPublicKeyInfo)
        self.did = did_key_from_pem(public_pem)
        self.pair: Ed25519KeyPair = key_pair_from_private(self.private)

    def credential(self, *, issued: datetime = ISSUED, expires: datetime | None = EXPIRES) -> OpenBadgeCredential:
        return OpenBadgeCredential(
            issuer=Issuer(id=self.did, name="Example College"),
            recipient_id="did:example:learner",
            achievement=Achievement(id="https://example.org/achievements/1", name="Welding",
                                    description="Can weld.", criteria_narrative="Welded."),
            id="urn:uuid:6a2b1f6e-1c49-4c4e-9b1f-0c7f3f8b1a11",
            issuance_date=issued, expiration_date=expires,
        )

    def sign(self, **kwargs: Any) -> str:
        return OB3Signer(self.pem, algorithm="EdDSA").sign(self.credential(**kwargs))


@pytest.fixture
def issuer() -> ObIssuer:
    return ObIssuer()


def our_credential(did: str, **extra: Any) -> dict[str, Any]:
    return {
        "@context": OB3_CONTEXT,
        "id": "urn:uuid:0b6c3f0e-0000-4000-8000-000000000001",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": did, "type": ["Profile"], "name": "Example College"},
        "validFrom": "2025-01-01T00:00:00Z",
        "credentialSubject": {"id": "did:example:learner", "type": ["AchievementSubject"],
                              "achievement": {"id": "https://example.org/a/1", "type": ["Achievement"], "name": "A"}},
        **extra,
    }


def resign(pair: Ed25519KeyPair, header: dict[str, Any], payload: dict[str, Any]) -> str:
    signing_input = f"{b64json(header)}.{b64json(payload)}"
    return f"{signing_input}.{b64(pair.sign(signing_input.encode('ascii')))}"


def verify(token: str, resolver: KeyResolver | None = None, now: datetime = NOW) -> Any:
    return verify_vc_jwt(token, resolver=resolver or KeyResolver(), now=now)


# ------------------------------------------------------------- positive cases

def test_openbadgeslib_vc_jwt_verifies(issuer: ObIssuer) -> None:
    result = verify(issuer.sign())
    assert result.form == "vc-jose-cose"
    assert result.method.controller == issuer.did
    assert result.credential["issuer"]["id"] == issuer.did
    assert result.credential["credentialSubject"]["id"] == "did:example:learner"
    # The registered claims were checked against the credential, then set aside.
    assert not {"iss", "sub", "jti", "nbf", "exp"} & set(result.credential)
    assert any("no kid" in note for note in result.notes)


def test_openbadgeslib_payload_with_did_key_kid_verifies(issuer: ObIssuer) -> None:
    token = pyjwt.encode(issuer.credential().to_jwt_payload(), issuer.private, algorithm="EdDSA",
                         headers={"kid": issuer.pair.verification_method})
    result = verify(token)
    assert result.method.id == issuer.pair.verification_method
    assert not any("no kid" in note for note in result.notes)


def test_openbadgeslib_payload_with_relative_kid_verifies(issuer: ObIssuer) -> None:
    fragment = "#" + issuer.did.split(":")[-1]
    token = pyjwt.encode(issuer.credential().to_jwt_payload(), issuer.private, algorithm="EdDSA",
                         headers={"kid": fragment})
    assert verify(token).method.id == issuer.did + fragment


@pytest.mark.parametrize("form", ["vc-jwt-1.1", "vc-jose-cose"])
def test_own_tokens_round_trip(form: str) -> None:
    pair = generate_key_pair()
    credential = our_credential(pair.did, validUntil="2030-01-01T00:00:00Z")
    token = sign_vc_jwt(credential, signer=pair, form=form)  # type: ignore[arg-type]
    header, payload, _ = segments(token)
    assert header["kid"] == pair.verification_method and header["alg"] == "EdDSA"
    assert payload["iss"] == pair.did and payload["nbf"] == int(datetime(2025, 1, 1, tzinfo=timezone.utc).timestamp())
    result = verify(token)
    assert result.form == form
    assert result.credential == credential


def test_vc_1_1_properties_left_out_are_taken_from_claims() -> None:
    pair = generate_key_pair()
    vc = {"@context": ["https://www.w3.org/2018/credentials/v1"], "type": ["VerifiableCredential"],
          "credentialSubject": {"name": "x"}}
    token = resign(pair, {"alg": "EdDSA", "kid": pair.verification_method},
                   {"iss": pair.did, "sub": "did:example:s", "jti": "urn:x:1", "nbf": 1735689600, "vc": vc})
    result = verify(token)
    assert result.form == "vc-jwt-1.1"
    assert result.credential["issuer"] == pair.did
    assert result.credential["id"] == "urn:x:1"
    assert result.credential["credentialSubject"]["id"] == "did:example:s"
    assert result.credential["issuanceDate"] == "2025-01-01T00:00:00Z"


def test_kid_resolves_through_given_controller_document() -> None:
    pair = generate_key_pair()
    did = "did:web:college.example"
    document = {"id": did, "verificationMethod": [
        {"id": f"{did}#key-1", "type": "Multikey", "controller": did, "publicKeyMultibase": pair.public_key_multibase}],
        "assertionMethod": [f"{did}#key-1"]}
    token = resign(pair, {"alg": "EdDSA", "kid": f"{did}#key-1", "typ": "vc+jwt"},
                   {**our_credential(did), "iss": did})
    assert verify(token, KeyResolver([document])).method.id == f"{did}#key-1"


def test_accepts_exp_within_clock_skew_with_a_note(issuer: ObIssuer) -> None:
    token = issuer.sign(expires=NOW - timedelta(minutes=2))
    result = verify(token)
    assert any("clock skew" in note for note in result.notes)


def test_accepts_nbf_within_clock_skew_with_a_note(issuer: ObIssuer) -> None:
    token = issuer.sign(issued=NOW + timedelta(minutes=3))
    assert any("clock skew" in note for note in verify(token).notes)


# ------------------------------------------------------------- refusals

def test_rejects_changed_payload(issuer: ObIssuer) -> None:
    token = issuer.sign()
    header_b64, _, signature_b64 = token.split(".")
    _, payload, _ = segments(token)
    payload["name"] = "Master Welder"
    forged = f"{header_b64}.{b64json(payload)}.{signature_b64}"
    with pytest.raises(InvalidSignatureError) as caught:
        verify(forged)
    assert caught.value.code == "jwt_signature_mismatch"


def test_rejects_changed_signature(issuer: ObIssuer) -> None:
    token = issuer.sign()
    head, _, signature_b64 = token.rpartition(".")
    flipped = bytearray(base64.urlsafe_b64decode(signature_b64 + "=="))
    flipped[0] ^= 1
    with pytest.raises(ProofError) as caught:
        verify(f"{head}.{b64(bytes(flipped))}")
    assert caught.value.code == "jwt_signature_mismatch"


def test_rejects_kid_of_another_did(issuer: ObIssuer) -> None:
    intruder_key = Ed25519PrivateKey.generate()
    intruder = key_pair_from_private(intruder_key)
    token = pyjwt.encode(issuer.credential().to_jwt_payload(), intruder_key, algorithm="EdDSA",
                         headers={"kid": intruder.verification_method})
    with pytest.raises(ProofError) as caught:
        verify(token)
    assert caught.value.code == "jwt_kid_unresolvable"
    assert "is not a key of the issuer" in str(caught.value)


def test_rejects_wrong_kid_fragment_of_the_issuer(issuer: ObIssuer) -> None:
    token = pyjwt.encode(issuer.credential().to_jwt_payload(), issuer.private, algorithm="EdDSA",
                         headers={"kid": issuer.did + "#z6MkWrongFragment"})
    with pytest.raises(ProofError) as caught:
        verify(token)
    assert caught.value.code == "jwt_kid_unresolvable"


def test_rejects_kid_not_resolvable_offline() -> None:
    pair = generate_key_pair()
    did = "did:web:college.example"
    token = resign(pair, {"alg": "EdDSA", "kid": f"{did}#key-1"}, {**our_credential(did), "iss": did})
    with pytest.raises(ProofError) as caught:
        verify(token)
    assert caught.value.code == "jwt_kid_unresolvable"


def test_rejects_signature_by_key_other_than_kid(issuer: ObIssuer) -> None:
    intruder = generate_key_pair()
    header, payload, _ = segments(issuer.sign())
    token = resign(intruder, {"alg": "EdDSA", "kid": issuer.pair.verification_method}, payload)
    with pytest.raises(ProofError) as caught:
        verify(token)
    assert caught.value.code == "jwt_signature_mismatch"


def test_rejects_embedded_jwk_that_is_not_the_issuers_key(issuer: ObIssuer) -> None:
    intruder = generate_key_pair()
    _, payload, _ = segments(issuer.sign())
    jwk = {"kty": "OKP", "crv": "Ed25519", "x": b64(intruder.public_key)}
    token = resign(intruder, {"alg": "EdDSA", "jwk": jwk}, payload)
    with pytest.raises(ProofError) as caught:
        verify(token)
    assert caught.value.code == "jwt_kid_unresolvable"


def test_rejects_missing_kid_for_non_did_key_issuer() -> None:
    pair = generate_key_pair()
    did = "did:web:college.example"
    token = resign(pair, {"alg": "EdDSA"}, {**our_credential(did), "iss": did})
    with pytest.raises(ProofError) as caught:
        verify(token)
    assert caught.value.code == "jwt_kid_unresolvable"


def test_rejects_alg_none(issuer: ObIssuer) -> None:
    _, payload, _ = segments(issuer.sign())
    unsecured = f"{b64json({'alg': 'none', 'typ': 'JWT'})}.{b64json(payload)}."
    with pytest.raises(ProofError) as caught:
        verify(unsecured)
    assert caught.value.code == "jwt_alg_refused"
    assert "alg: none" in str(caught.value)


@pytest.mark.parametrize("alg", ["HS256", "RS256", "ES256", "NONE", "eddsa"])
def test_rejects_other_algorithms(issuer: ObIssuer, alg: str) -> None:
    token = issuer.sign()
    _, rest = token.split(".", 1)
    with pytest.raises(ProofError) as caught:
        verify(f"{b64json({'alg': alg, 'kid': issuer.pair.verification_method})}.{rest}")
    assert caught.value.code == "jwt_alg_refused"


def test_rejects_expired_exp(issuer: ObIssuer) -> None:
    token = issuer.sign(issued=datetime(2020, 1, 1, tzinfo=timezone.utc), expires=NOW - timedelta(days=1))
    with pytest.raises(ProofError) as caught:
        verify(token)
    assert caught.value.code == "jwt_expired"


def test_rejects_exp_just_past_the_skew(issuer: ObIssuer) -> None:
    token = issuer.sign(expires=NOW - timedelta(minutes=5, seconds=1))
    with pytest.raises(ProofError) as caught:
        verify(token)
    assert caught.value.code == "jwt_expired"


def test_rejects_nbf_in_the_future(issuer: ObIssuer) -> None:
    token = issuer.sign(issued=NOW + timedelta(days=1))
    with pytest.raises(ProofError) as caught:
        verify(token)
    assert caught.value.code == "jwt_not_yet_valid"


@pytest.mark.parametrize("claim, value", [
    ("iss", "did:example:someone-else"),
    ("sub", "did:example:other-learner"),
    ("jti", "urn:uuid:00000000-0000-4000-8000-000000000000"),
    ("nbf", int(ISSUED.timestamp()) + 3600),
    ("exp", int(EXPIRES.timestamp()) - 3600),
])
def test_rejects_claim_mismatch_naming_the_claim(issuer: ObIssuer, claim: str, value: Any) -> None:
    payload = issuer.credential().to_jwt_payload()
    payload[claim] = value
    kid = issuer.pair.verification_method
    token = pyjwt.encode(payload, issuer.private, algorithm="EdDSA", headers={"kid": kid})
    with pytest.raises(ProofError) as caught:
        verify(token)
    assert caught.value.code == "jwt_claim_mismatch"
    assert f"claim {claim}" in str(caught.value)
    assert caught.value.path == claim


def test_rejects_vc_1_1_issuance_date_mismatch() -> None:
    pair = generate_key_pair()
    vc = {"@context": ["https://www.w3.org/2018/credentials/v1"], "type": ["VerifiableCredential"],
          "issuer": pair.did, "issuanceDate": "2025-01-01T00:00:00Z", "credentialSubject": {"id": "did:example:s"}}
    token = resign(pair, {"alg": "EdDSA", "kid": pair.verification_method},
                   {"iss": pair.did, "nbf": 1735689600 + 86400, "vc": vc})
    with pytest.raises(ProofError) as caught:
        verify(token)
    assert caught.value.code == "jwt_claim_mismatch"
    assert "issuanceDate" in str(caught.value)


def test_rejects_payload_without_credential() -> None:
    pair = generate_key_pair()
    token = resign(pair, {"alg": "EdDSA", "kid": pair.verification_method}, {"iss": pair.did})
    with pytest.raises(ProofError) as caught:
        verify(token)
    assert caught.value.code == "jwt_malformed"


def test_rejects_critical_header() -> None:
    pair = generate_key_pair()
    token = resign(pair, {"alg": "EdDSA", "kid": pair.verification_method, "crit": ["exp"]},
                   {**our_credential(pair.did), "iss": pair.did})
    with pytest.raises(ProofError) as caught:
        verify(token)
    assert caught.value.code == "jwt_malformed"


# ------------------------------------------------------------- decode_jwt

def test_decode_jwt_returns_parts(issuer: ObIssuer) -> None:
    token = issuer.sign()
    header, payload, signing_input, signature = decode_jwt(token)
    assert header["alg"] == "EdDSA"
    assert payload["iss"] == issuer.did
    assert signing_input == token.rsplit(".", 1)[0].encode("ascii")
    assert len(signature) == 64


DUPLICATE_ALG = b64(b'{"alg":"none","alg":"EdDSA"}')
NAN_EXP = b64(b'{"exp":NaN}')
MALFORMED = {
    "two_segments": "eyJhbGciOiJFZERTQSJ9.e30",
    "four_segments": "eyJhbGciOiJFZERTQSJ9.e30.AA.AA",
    "padding": "eyJhbGciOiJFZERTQSJ9.e30=.AA",
    "standard_base64_alphabet": "eyJhbGciOiJFZERTQSJ9.e+0.AA",
    "impossible_length": "eyJhbGciOiJFZERTQSJ9.e30.A",
    "non_canonical_bits": "eyJhbGciOiJFZERTQSJ9.e31.AA",
    "header_not_json": f"{b64(b'not json')}.e30.AA",
    "header_is_array": f"{b64json(['EdDSA'])}.e30.AA",
    "payload_is_string": f"eyJhbGciOiJFZERTQSJ9.{b64json('hello')}.AA",
    "duplicate_keys": f"{DUPLICATE_ALG}.e30.AA",
    "nan": f"eyJhbGciOiJFZERTQSJ9.{NAN_EXP}.AA",
    "not_utf8": f"eyJhbGciOiJFZERTQSJ9.{b64(bytes([0x7b, 0xff, 0x7d]))}.AA",
    "too_large": "eyJhbGciOiJFZERTQSJ9." + "A" * (4 * 1024 * 1024) + ".AA",
}


# Parts that are not strict JSON keep the strict reader's code (never renamed on the way out).
JSON_CODES = {"header_not_json": "json_syntax", "duplicate_keys": "json_duplicate_key", "nan": "json_bad_number",
              "not_utf8": "json_invalid_utf8", "too_large": "jwt_too_large"}


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_decode_jwt_rejects_malformed(name: str) -> None:
    with pytest.raises(JwtError) as caught:
        decode_jwt(MALFORMED[name])
    assert caught.value.code == JSON_CODES.get(name, "jwt_malformed")


def test_verify_requires_timezone_aware_now(issuer: ObIssuer) -> None:
    with pytest.raises(ValueError):
        verify_vc_jwt(issuer.sign(), resolver=KeyResolver(), now=datetime(2025, 1, 1))


def test_sign_refuses_a_key_that_is_not_the_issuers() -> None:
    pair, other = generate_key_pair(), generate_key_pair()
    with pytest.raises(JwtError) as caught:
        sign_vc_jwt(our_credential(other.did), signer=pair)
    assert caught.value.code == "jwt_kid_unresolvable"
    assert caught.value.path == "issuer"
