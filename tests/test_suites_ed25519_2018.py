"""Ed25519Signature2018 (detached JWS, b64: false): the JFF plugfest 3 badge, and the ways a proof goes wrong."""

from __future__ import annotations

import base64
import copy
import json
from pathlib import Path
from typing import Any

import pytest
from reference import reference_dir

from credentials.dataintegrity import rdfc_hash_data, verify_proof
from credentials.ed25519_2018 import Ed25519Signature2018
from credentials.errors import InvalidSignatureError, ProofError
from credentials.keys import generate_key_pair
from credentials.loader import bundled_loader
from credentials.resolver import KeyResolver, VerificationMethod

HEADER = {"alg": "EdDSA", "b64": False, "crit": ["b64"]}


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def plugfest3() -> dict[str, Any]:
    path: Path = reference_dir() / "realworld" / "40-jff-plugfest3-2023-ed2018.json"
    return json.loads(path.read_text(encoding="utf-8"))


def verify(document: dict[str, Any]) -> Any:
    return verify_proof(document, document["proof"], loader=bundled_loader(), resolver=KeyResolver())


def sign_2018(document: dict[str, Any], header: dict[str, Any] = HEADER) -> dict[str, Any]:
    """Sign as jsonld-signatures does, for round trips with headers of our choosing."""
    pair = generate_key_pair()
    proof = {"type": "Ed25519Signature2018", "created": "2024-01-01T00:00:00Z",
             "verificationMethod": pair.verification_method, "proofPurpose": "assertionMethod"}
    encoded = b64url(json.dumps(header).encode())
    options = dict(proof, **{"@context": document["@context"]})
    data = encoded.encode() + b"." + rdfc_hash_data(document, options, loader=bundled_loader())
    signed = dict(document)
    signed["proof"] = dict(proof, jws=f"{encoded}..{b64url(pair.sign(data))}")
    return signed


def unsigned() -> dict[str, Any]:
    document = plugfest3()
    del document["proof"]
    return document


def test_verifies_jff_plugfest3_badge() -> None:
    result = verify(plugfest3())
    assert result.suite == "Ed25519Signature2018"
    assert result.method.controller == "did:key:z6MknTHVAhsRyNzBG6h5wjTrg76UGUaBoXS5Vs9Apfr1fbCj"


def test_verifies_own_signature_round_trip() -> None:
    verify(sign_2018(unsigned()))


def test_rejects_altered_achievement_name() -> None:
    document = plugfest3()
    document["credentialSubject"]["achievement"]["name"] = "Something else"
    with pytest.raises(InvalidSignatureError):
        verify(document)


def test_rejects_altered_proof_created() -> None:
    document = plugfest3()
    document["proof"]["created"] = "2023-10-02T13:13:58.148Z"
    with pytest.raises(InvalidSignatureError):
        verify(document)


def test_rejects_altered_signature_byte() -> None:
    document = plugfest3()
    header, _, signature = document["proof"]["jws"].split(".")
    raw = bytearray(base64.urlsafe_b64decode(signature + "=="))
    raw[0] ^= 1
    document["proof"]["jws"] = f"{header}..{b64url(bytes(raw))}"
    with pytest.raises(InvalidSignatureError):
        verify(document)


@pytest.mark.parametrize("header", [
    {"alg": "EdDSA", "b64": True, "crit": ["b64"]},
    {"alg": "EdDSA"},
    {"alg": "ES256", "b64": False, "crit": ["b64"]},
    {"alg": "EdDSA", "b64": False, "crit": ["b64"], "kid": "x"},
    {"alg": "none", "b64": False, "crit": ["b64"]},
], ids=["b64-true", "no-b64", "wrong-alg", "extra-member", "alg-none"])
def test_rejects_header_other_than_eddsa_unencoded(header: dict[str, Any]) -> None:
    # Signed correctly under the wrong header: only the header check can catch it.
    with pytest.raises(ProofError, match=r"the JWS header must be \{alg: EdDSA, b64: false, crit: \[b64\]\}"):
        verify(sign_2018(unsigned(), header))


def test_rejects_attached_payload() -> None:
    document = plugfest3()
    header, _, signature = document["proof"]["jws"].split(".")
    document["proof"]["jws"] = f"{header}.{b64url(b'payload')}.{signature}"
    with pytest.raises(ProofError, match="must be detached"):
        verify(document)


@pytest.mark.parametrize("jws", ["", "abc", "a.b", "a..b..c"], ids=["empty", "one-part", "two-parts", "five-parts"])
def test_rejects_malformed_jws(jws: str) -> None:
    document = plugfest3()
    document["proof"]["jws"] = jws
    with pytest.raises(ProofError):
        verify(document)


def test_rejects_missing_jws() -> None:
    document = plugfest3()
    del document["proof"]["jws"]
    with pytest.raises(ProofError, match="has no jws"):
        verify(document)


def test_rejects_header_that_is_not_json() -> None:
    document = plugfest3()
    _, _, signature = document["proof"]["jws"].split(".")
    document["proof"]["jws"] = f"{b64url(b'not json')}..{signature}"
    with pytest.raises(ProofError, match="not base64url-encoded JSON"):
        verify(document)


def test_rejects_short_signature() -> None:
    document = plugfest3()
    header = document["proof"]["jws"].split(".")[0]
    document["proof"]["jws"] = f"{header}..{b64url(bytes(63))}"
    with pytest.raises(InvalidSignatureError, match="64 bytes"):
        verify(document)


def test_rejects_non_ed25519_key() -> None:
    document = plugfest3()
    method = VerificationMethod(id="did:example:1#p256", controller="did:example:1", type="Multikey",
                                curve="P-256", public_key=bytes(33))
    with pytest.raises(ProofError, match="needs Ed25519"):
        Ed25519Signature2018().verify(document, document["proof"], loader=bundled_loader(), method=method)


def test_does_not_change_the_document() -> None:
    document = plugfest3()
    before = copy.deepcopy(document)
    verify(document)
    assert document == before
