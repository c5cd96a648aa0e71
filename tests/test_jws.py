"""credentials.jws: compact EdDSA JWS for did:key kids (the OpenID4VCI proof JWT, and VC-JWT underneath)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from credentials.b64 import b64url_encode
from credentials.errors import InvalidSignatureError, ProofError
from credentials.jws import (
    OPENID4VCI_PROOF_TYPE,
    JwsError,
    decode_compact_jws,
    sign_compact_jws,
    verify_compact_jws,
)
from credentials.keys import generate_key_pair
from credentials.resolver import KeyResolver

PROOF_HEADER = {"typ": OPENID4VCI_PROOF_TYPE}
PROOF_CLAIMS = {"aud": "https://issuer.example", "iat": 1790000000, "nonce": "n-0S6_WzA2Mj"}


def _b64json(value: Any) -> str:
    return b64url_encode(json.dumps(value).encode())


def _forge(header: dict[str, Any], payload: dict[str, Any], signer: Any) -> str:
    """A token whose header the test controls entirely (sign_compact_jws sets alg and kid itself)."""
    signing_input = f"{_b64json(header)}.{_b64json(payload)}"
    return f"{signing_input}.{b64url_encode(signer.sign(signing_input.encode()))}"


def _jwk(public_key: bytes) -> dict[str, str]:
    return {"kty": "OKP", "crv": "Ed25519", "x": b64url_encode(public_key)}


def test_signed_proof_jwt_verifies_and_names_the_holders_key() -> None:
    holder = generate_key_pair()
    token = sign_compact_jws(PROOF_HEADER, PROOF_CLAIMS, signer=holder)
    verified = verify_compact_jws(token)
    assert verified.header == {"alg": "EdDSA", "kid": holder.verification_method, "typ": OPENID4VCI_PROOF_TYPE}
    assert verified.payload == PROOF_CLAIMS
    assert verified.method.controller == holder.did
    assert verified.method.public_key == holder.public_key


def test_a_jwk_header_without_kid_names_that_keys_did_key() -> None:
    holder = generate_key_pair()
    token = _forge({"alg": "EdDSA", "typ": OPENID4VCI_PROOF_TYPE, "jwk": _jwk(holder.public_key)}, PROOF_CLAIMS, holder)
    assert verify_compact_jws(token).method.controller == holder.did


def test_a_changed_payload_is_a_signature_mismatch() -> None:
    holder = generate_key_pair()
    header, _, signature = sign_compact_jws(PROOF_HEADER, PROOF_CLAIMS, signer=holder).split(".")
    token = f"{header}.{_b64json({**PROOF_CLAIMS, 'nonce': 'other'})}.{signature}"
    with pytest.raises(InvalidSignatureError) as caught:
        verify_compact_jws(token)
    assert caught.value.code == "jwt_signature_mismatch"


def test_a_kid_naming_another_key_than_the_signers_fails() -> None:
    holder, attacker = generate_key_pair(), generate_key_pair()
    token = _forge({"alg": "EdDSA", "kid": holder.verification_method}, PROOF_CLAIMS, attacker)
    with pytest.raises(JwsError) as caught:
        verify_compact_jws(token)
    assert caught.value.code == "jwt_signature_mismatch"


def test_kid_and_jwk_of_different_keys_are_refused() -> None:
    holder, attacker = generate_key_pair(), generate_key_pair()
    token = _forge({"alg": "EdDSA", "kid": holder.verification_method, "jwk": _jwk(attacker.public_key)},
                   PROOF_CLAIMS, holder)
    with pytest.raises(JwsError) as caught:
        verify_compact_jws(token)
    assert (caught.value.code, caught.value.path) == ("jwt_kid_unresolvable", "jwk")


def _refusal(header: dict[str, Any]) -> JwsError:
    signer = generate_key_pair()
    with pytest.raises(JwsError) as caught:
        verify_compact_jws(_forge(header, PROOF_CLAIMS, signer))
    return caught.value


HOLDER = generate_key_pair()
REFUSED_HEADERS: dict[str, tuple[dict[str, Any], str]] = {
    "alg_none": ({"alg": "none", "kid": HOLDER.verification_method}, "jwt_alg_refused"),
    "alg_hs256": ({"alg": "HS256", "kid": HOLDER.verification_method}, "jwt_alg_refused"),
    "alg_es256": ({"alg": "ES256", "kid": HOLDER.verification_method}, "jwt_alg_refused"),
    "no_alg": ({"kid": HOLDER.verification_method}, "jwt_malformed"),
    "crit": ({"alg": "EdDSA", "kid": HOLDER.verification_method, "crit": ["exp"]}, "jwt_malformed"),
    "b64_false": ({"alg": "EdDSA", "kid": HOLDER.verification_method, "b64": False}, "jwt_malformed"),
    "no_key": ({"alg": "EdDSA"}, "jwt_kid_unresolvable"),
    "kid_bare_did": ({"alg": "EdDSA", "kid": HOLDER.did}, "jwt_kid_unresolvable"),
    "kid_not_a_did": ({"alg": "EdDSA", "kid": "key-1"}, "jwt_kid_unresolvable"),
    "kid_number": ({"alg": "EdDSA", "kid": 7}, "jwt_kid_unresolvable"),
    "kid_did_web": ({"alg": "EdDSA", "kid": "did:web:evil.example#k"}, "jwt_kid_unresolvable"),
    "kid_wrong_fragment": ({"alg": "EdDSA", "kid": HOLDER.did + "#z6MkOther"}, "jwt_kid_unresolvable"),
    "kid_malformed_did_key": ({"alg": "EdDSA", "kid": "did:key:z6Mk0OIl#z6Mk0OIl"}, "jwt_kid_unresolvable"),
    "jwk_private": ({"alg": "EdDSA", "jwk": {**_jwk(HOLDER.public_key), "d": "c2VjcmV0"}}, "jwt_malformed"),
    "jwk_rsa": ({"alg": "EdDSA", "jwk": {"kty": "RSA", "n": "AQAB", "e": "AQAB"}}, "jwt_kid_unresolvable"),
    "jwk_short_x": ({"alg": "EdDSA", "jwk": {"kty": "OKP", "crv": "Ed25519", "x": "AAAA"}}, "jwt_kid_unresolvable"),
    "jwk_not_object": ({"alg": "EdDSA", "jwk": "x"}, "jwt_kid_unresolvable"),
}


@pytest.mark.parametrize("name", sorted(REFUSED_HEADERS))
def test_rejects_header(name: str) -> None:
    header, code = REFUSED_HEADERS[name]
    error = _refusal(header)
    assert isinstance(error, ProofError)
    assert error.code == code


def test_a_did_web_kid_resolves_only_through_the_callers_resolver() -> None:
    holder = generate_key_pair()
    kid = "did:web:school.example#key-1"
    document = {"id": "did:web:school.example", "verificationMethod": [
        {"id": kid, "type": "Multikey", "controller": "did:web:school.example",
         "publicKeyMultibase": holder.public_key_multibase}], "authentication": [kid]}
    token = _forge({"alg": "EdDSA", "kid": kid}, PROOF_CLAIMS, holder)
    assert verify_compact_jws(token, resolver=KeyResolver([document]), purpose="authentication").method.id == kid


MALFORMED = {
    "not_a_string": (b"a.b.c", "jwt_malformed"),
    "two_segments": ("eyJhbGciOiJFZERTQSJ9.e30", "jwt_malformed"),
    "padded": ("eyJhbGciOiJFZERTQSJ9.e30=.AA", "jwt_malformed"),
    "non_canonical": ("eyJhbGciOiJFZERTQSJ9.e31.AA", "jwt_malformed"),
    "payload_array": ("eyJhbGciOiJFZERTQSJ9." + _b64json([1]) + ".AA", "jwt_malformed"),
    "duplicate_alg": (b64url_encode(b'{"alg":"none","alg":"EdDSA"}') + ".e30.AA", "json_duplicate_key"),
    "nested_deeply": ("eyJhbGciOiJFZERTQSJ9." + b64url_encode(b'{"a":' * 500 + b"1" + b"}" * 500) + ".AA",
                      "json_too_deep"),
}


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_decode_rejects_malformed(name: str) -> None:
    token, code = MALFORMED[name]
    with pytest.raises(JwsError) as caught:
        decode_compact_jws(token)  # type: ignore[arg-type]
    assert caught.value.code == code


def test_a_token_past_the_length_cap_is_refused_before_decoding() -> None:
    holder = generate_key_pair()
    token = sign_compact_jws(PROOF_HEADER, {**PROOF_CLAIMS, "pad": "x" * 5000}, signer=holder)
    with pytest.raises(JwsError) as caught:
        verify_compact_jws(token, max_length=4096)
    assert caught.value.code == "jwt_too_large"


def test_signing_refuses_a_header_kid_that_is_not_the_signers() -> None:
    holder, other = generate_key_pair(), generate_key_pair()
    with pytest.raises(JwsError) as caught:
        sign_compact_jws({"kid": other.verification_method}, PROOF_CLAIMS, signer=holder)
    assert caught.value.code == "jwt_kid_unresolvable"


@pytest.mark.parametrize("payload", [{"exp": float("nan")}, {"exp": float("inf")}, {"k": b"bytes"}, {"k": {1, 2}}])
def test_signing_refuses_a_payload_that_is_not_json(payload: dict[str, Any]) -> None:
    with pytest.raises(JwsError) as caught:
        sign_compact_jws(PROOF_HEADER, payload, signer=HOLDER)
    assert caught.value.code == "jwt_not_json"


def test_signing_refuses_a_payload_nested_past_the_stack() -> None:
    payload: dict[str, Any] = {}
    node = payload
    for _ in range(100_000):
        node["a"] = {}
        node = node["a"]
    with pytest.raises(JwsError) as caught:
        sign_compact_jws(PROOF_HEADER, payload, signer=HOLDER)
    assert caught.value.code == "jwt_not_json"
