"""ecdsa-rdfc-2019: credentials signed here with fresh P-256 and P-384 keys verify; every alteration fails."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from credentials.dataintegrity import find_suite, rdfc_hash_data, verify_proof
from credentials.ecdsa import EcdsaRdfc2019, verify_p1363
from credentials.errors import InvalidSignatureError, ProofError
from credentials.loader import bundled_loader
from credentials.multibase import P256_PUB, P384_PUB, encode_base58btc, encode_base64url
from credentials.resolver import KeyResolver, VerificationMethod

CURVES = {
    "P-256": (ec.SECP256R1(), hashes.SHA256(), hashlib.sha256, P256_PUB, 32),
    "P-384": (ec.SECP384R1(), hashes.SHA384(), hashlib.sha384, P384_PUB, 48),
}


def credential() -> dict[str, Any]:
    return {
        "@context": ["https://www.w3.org/ns/credentials/v2", "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"],
        "id": "urn:uuid:2d4e8a36-4b1c-4c44-9a47-6b0f1f0f5c11",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": "did:example:issuer", "type": ["Profile"], "name": "Satchel Test Issuer"},
        "validFrom": "2024-01-01T00:00:00Z",
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "achievement": {"id": "urn:uuid:6f1c0c1e-4a0e-4d53-9a0b-0d6a8e5d2b10", "type": ["Achievement"],
                            "name": "Curve Fitting", "description": "Fits curves.",
                            "criteria": {"narrative": "Fit a curve."}},
        },
    }


def sign(document: dict[str, Any], curve: str = "P-256", private: ec.EllipticCurvePrivateKey | None = None
         ) -> dict[str, Any]:
    """Add an ecdsa-rdfc-2019 proof as ECDSA Cryptosuites §3.2.1 says, with a did:key for the key."""
    ec_curve, hash_algorithm, hasher, prefix, size = CURVES[curve]
    private = private or ec.generate_private_key(ec_curve)
    public = private.public_key().public_bytes(Encoding.X962, PublicFormat.CompressedPoint)
    did = "did:key:" + encode_base58btc(prefix + public)
    proof = {"type": "DataIntegrityProof", "cryptosuite": "ecdsa-rdfc-2019", "created": "2024-01-01T00:00:00Z",
             "verificationMethod": f"{did}#{did[len('did:key:'):]}", "proofPurpose": "assertionMethod"}
    data = rdfc_hash_data(document, dict(proof, **{"@context": document["@context"]}),
                          loader=bundled_loader(), hasher=hasher)
    r, s = decode_dss_signature(private.sign(data, ec.ECDSA(hash_algorithm)))
    signed = dict(document)
    signed["proof"] = dict(proof, proofValue=encode_base58btc(r.to_bytes(size, "big") + s.to_bytes(size, "big")))
    return signed


def verify(document: dict[str, Any]) -> Any:
    return verify_proof(document, document["proof"], loader=bundled_loader(), resolver=KeyResolver())


@pytest.mark.parametrize("curve", ["P-256", "P-384"])
def test_verifies_own_signature(curve: str) -> None:
    result = verify(sign(credential(), curve))
    assert result.suite == "ecdsa-rdfc-2019"
    assert result.method.curve == curve


def test_suite_is_registered() -> None:
    assert isinstance(find_suite({"type": "DataIntegrityProof", "cryptosuite": "ecdsa-rdfc-2019"}), EcdsaRdfc2019)


@pytest.mark.parametrize("curve", ["P-256", "P-384"])
def test_rejects_altered_subject(curve: str) -> None:
    document = sign(credential(), curve)
    document["credentialSubject"]["achievement"]["name"] = "Curve Faking"
    with pytest.raises(InvalidSignatureError):
        verify(document)


def test_rejects_added_property() -> None:
    document = sign(credential())
    document["validUntil"] = "2030-01-01T00:00:00Z"
    with pytest.raises(InvalidSignatureError):
        verify(document)


def test_rejects_altered_proof_created() -> None:
    document = sign(credential())
    document["proof"]["created"] = "2024-01-02T00:00:00Z"
    with pytest.raises(InvalidSignatureError):
        verify(document)


def test_rejects_signature_by_another_key() -> None:
    document = sign(credential())
    other = sign(credential())
    document["proof"]["proofValue"] = other["proof"]["proofValue"]
    with pytest.raises(InvalidSignatureError):
        verify(document)


def test_rejects_altered_signature_byte() -> None:
    document = sign(credential())
    from credentials.multibase import decode_base58btc

    raw = bytearray(decode_base58btc(document["proof"]["proofValue"]))
    raw[40] ^= 1
    document["proof"]["proofValue"] = encode_base58btc(bytes(raw))
    with pytest.raises(InvalidSignatureError):
        verify(document)


def test_rejects_der_signature() -> None:
    # A DER signature (what most libraries emit) is not the P1363 r ‖ s the spec requires.
    document = credential()
    private = ec.generate_private_key(ec.SECP256R1())
    signed = sign(document, private=private)
    signed["proof"]["proofValue"] = encode_base58btc(private.sign(b"x", ec.ECDSA(hashes.SHA256())))
    with pytest.raises(InvalidSignatureError, match=r"64 bytes \(r ‖ s\)"):
        verify(signed)


def test_rejects_base64url_proof_value() -> None:
    document = sign(credential())
    document["proof"]["proofValue"] = encode_base64url(b"\x00" * 64)
    with pytest.raises(ProofError, match="base58btc"):
        verify(document)


def test_rejects_missing_proof_value() -> None:
    document = sign(credential())
    del document["proof"]["proofValue"]
    with pytest.raises(ProofError, match="no proofValue"):
        verify(document)


def test_rejects_proof_context_not_a_prefix() -> None:
    document = sign(credential())
    document["proof"]["@context"] = ["https://w3id.org/security/data-integrity/v2"]
    with pytest.raises(ProofError, match="not a prefix"):
        verify(document)


def test_rejects_ed25519_key() -> None:
    document = sign(credential())
    method = VerificationMethod(id="did:example:1#ed", controller="did:example:1", type="Multikey",
                                curve="Ed25519", public_key=bytes(32))
    with pytest.raises(ProofError, match="need P-256 or P-384"):
        EcdsaRdfc2019().verify(document, document["proof"], loader=bundled_loader(), method=method)


def test_verify_p1363_rejects_invalid_point() -> None:
    with pytest.raises(InvalidSignatureError, match="unusable P-256 public key"):
        verify_p1363("P-256", b"\x02" + b"\xff" * 32, bytes(64), b"data")
