"""ecdsa-sd-2023 derived proofs: the 1EdTech disclosure verifies; altered disclosures and malformed proof values fail.

Source of the real case: ``../shared/reference/realworld/29-1edtech-ecdsa-sd-derived.json``
(1EdTech digital-credentials-public-validator test resources; see that folder's MANIFEST.json).
Negative cases re-encode the real proof value's components with a small CBOR
encoder below, so each names exactly one thing that is wrong.
"""

from __future__ import annotations

import base64
import copy
import json
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from reference import reference_dir

from credentials.dataintegrity import find_suite, verify_proof
from credentials.ecdsa import CborError, EcdsaSd2023, decode_cbor, relabel_canonical_nquads
from credentials.errors import InvalidSignatureError, ProofError
from credentials.loader import bundled_loader
from credentials.multibase import P256_PUB, encode_base58btc
from credentials.resolver import KeyResolver

NAME = "29-1edtech-ecdsa-sd-derived"


def load() -> tuple[dict[str, Any], dict[str, Any]]:
    folder = reference_dir() / "realworld"
    document = json.loads((folder / f"{NAME}.json").read_text(encoding="utf-8"))
    controller = json.loads((folder / f"{NAME}.controller.json").read_text(encoding="utf-8"))
    return document, controller


def verify(document: dict[str, Any], controller: dict[str, Any]) -> Any:
    proof = document["proof"][0] if isinstance(document["proof"], list) else document["proof"]
    return verify_proof(document, proof, loader=bundled_loader(), resolver=KeyResolver([controller]))


def encode_cbor(value: Any) -> bytes:
    """Just enough CBOR (RFC 8949) to re-encode a derived proof's components."""
    def head(major: int, n: int) -> bytes:
        if n < 24:
            return bytes([major << 5 | n])
        for info, width in ((24, 1), (25, 2), (26, 4), (27, 8)):
            if n < 1 << (8 * width):
                return bytes([major << 5 | info]) + n.to_bytes(width, "big")
        raise ValueError(n)

    if isinstance(value, int):
        return head(0, value) if value >= 0 else head(1, -1 - value)
    if isinstance(value, bytes):
        return head(2, len(value)) + value
    if isinstance(value, str):
        return head(3, len(value.encode())) + value.encode()
    if isinstance(value, list):
        return head(4, len(value)) + b"".join(encode_cbor(v) for v in value)
    if isinstance(value, dict):
        return head(5, len(value)) + b"".join(encode_cbor(k) + encode_cbor(v) for k, v in value.items())
    raise TypeError(type(value))


def proof_value(payload: bytes, header: bytes = b"\xd9\x5d\x01") -> str:
    return "u" + base64.urlsafe_b64encode(header + payload).rstrip(b"=").decode("ascii")


def components(document: dict[str, Any]) -> list[Any]:
    raw = base64.urlsafe_b64decode(document["proof"][0]["proofValue"][1:] + "==")
    parts = decode_cbor(raw[3:])
    assert isinstance(parts, list)
    return parts


def with_components(document: dict[str, Any], parts: list[Any]) -> dict[str, Any]:
    changed = copy.deepcopy(document)
    changed["proof"][0]["proofValue"] = proof_value(encode_cbor(parts))
    return changed


def test_verifies_1edtech_derived_proof() -> None:
    document, controller = load()
    result = verify(document, controller)
    assert result.suite == "ecdsa-sd-2023"
    assert result.method.curve == "P-256"
    assert "15 selectively disclosed statements verified" in result.notes[0]


def test_suite_is_listed_statically() -> None:
    assert isinstance(find_suite({"type": "DataIntegrityProof", "cryptosuite": "ecdsa-sd-2023"}), EcdsaSd2023)


def test_reencoded_components_still_verify() -> None:
    # Pins the test encoder: the negative cases below differ from the original only where they say.
    document, controller = load()
    verify(with_components(document, components(document)), controller)


def test_rejects_altered_disclosed_value() -> None:
    document, controller = load()
    document["credentialSubject"]["achievement"]["name"] = "Solo Work"
    with pytest.raises(InvalidSignatureError, match="does not match its signature"):
        verify(document, controller)


def test_rejects_altered_issuer_name() -> None:
    document, controller = load()
    document["issuer"]["name"] = "Evil Corp"
    with pytest.raises(InvalidSignatureError):
        verify(document, controller)


def test_rejects_added_statement() -> None:
    document, controller = load()
    document["validUntil"] = "2030-01-01T00:00:00Z"
    with pytest.raises(InvalidSignatureError, match="statement signatures"):
        verify(document, controller)


def test_rejects_withheld_statement_without_a_new_derivation() -> None:
    # Removing a statement without re-deriving leaves one signature too many.
    document, controller = load()
    del document["credentialSubject"]["achievement"]["description"]
    with pytest.raises(InvalidSignatureError, match="statement signatures"):
        verify(document, controller)


def test_rejects_altered_proof_created() -> None:
    document, controller = load()
    document["proof"][0]["created"] = "2010-01-01T19:23:25Z"
    with pytest.raises(InvalidSignatureError):
        verify(document, controller)


def test_rejects_another_issuer_key() -> None:
    document, controller = load()
    public = ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(Encoding.X962, PublicFormat.CompressedPoint)
    controller = copy.deepcopy(controller)
    controller["verificationMethod"][0]["publicKeyMultibase"] = encode_base58btc(P256_PUB + public)
    with pytest.raises(InvalidSignatureError):
        verify(document, controller)


def test_rejects_swapped_ephemeral_key() -> None:
    document, controller = load()
    parts = components(document)
    other = ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(Encoding.X962, PublicFormat.CompressedPoint)
    parts[1] = P256_PUB + other
    with pytest.raises(InvalidSignatureError):
        verify(with_components(document, parts), controller)


def test_rejects_reordered_signatures() -> None:
    document, controller = load()
    parts = components(document)
    parts[2] = parts[2][1:] + parts[2][:1]
    with pytest.raises(InvalidSignatureError, match="does not match its signature"):
        verify(with_components(document, parts), controller)


def test_rejects_statement_claimed_mandatory() -> None:
    # Moving a statement into the mandatory set changes the mandatory hash the issuer signed.
    document, controller = load()
    parts = components(document)
    parts[2] = parts[2][1:]
    parts[4] = [0]
    with pytest.raises(InvalidSignatureError):
        verify(with_components(document, parts), controller)


def test_rejects_altered_label_map() -> None:
    document, controller = load()
    parts = components(document)
    parts[3] = {0: bytes(32)}
    with pytest.raises(InvalidSignatureError):
        verify(with_components(document, parts), controller)


def test_rejects_label_map_without_the_documents_blank_node() -> None:
    document, controller = load()
    parts = components(document)
    parts[3] = {}
    with pytest.raises(ProofError, match=r"no label for blank node _:c14n0"):
        verify(with_components(document, parts), controller)


def test_rejects_mandatory_index_out_of_range() -> None:
    document, controller = load()
    parts = components(document)
    parts[4] = [99]
    with pytest.raises(ProofError, match="mandatory index 99"):
        verify(with_components(document, parts), controller)


def test_rejects_base_proof() -> None:
    document, controller = load()
    base = [bytes(64), P256_PUB + bytes(33), bytes(32), [], ["/issuer"]]
    document["proof"][0]["proofValue"] = proof_value(encode_cbor(base), header=b"\xd9\x5d\x00")
    with pytest.raises(ProofError, match="base proofs are not accepted by a verifier; only derived proofs"):
        verify(document, controller)


@pytest.mark.parametrize("value, message", [
    ("z3xyz", "base64url-no-pad"),
    ("u!!!", "not valid base64url"),
    (proof_value(b"\x85", header=b"\xd9\x5d\x02"), "header d9 5d 01"),
    (proof_value(b"\x85"), "not valid CBOR: truncated"),
    (proof_value(encode_cbor([1, 2, 3])), "five components"),
    (proof_value(encode_cbor([]) + b"\x00"), "trailing bytes"),
    (proof_value(b"\x9f\xff"), "indefinite-length"),
    (proof_value(b"\xc1\x00"), "unsupported CBOR tag 1"),
], ids=["base58", "bad-base64url", "unknown-mode", "truncated", "four-few-components", "trailing", "indefinite", "tag"])
def test_rejects_malformed_proof_value(value: str, message: str) -> None:
    document, controller = load()
    document["proof"][0]["proofValue"] = value
    with pytest.raises(ProofError, match=message):
        verify(document, controller)


@pytest.mark.parametrize("index, replacement, message", [
    (0, bytes(63), "baseSignature must be a 64-byte"),
    (1, b"\xed\x01" + bytes(32), "publicKey must be a multikey"),
    (1, P256_PUB + bytes(32), "publicKey must be a multikey"),
    (2, [b"x", 1], "signatures must be an array of byte strings"),
    (3, {0: bytes(31)}, "label map must map"),
    (3, [bytes(32)], "label map must map"),
    (4, [-1], "mandatoryIndexes must be"),
], ids=["short-base-signature", "ed25519-ephemeral", "short-ephemeral", "signature-not-bytes",
        "short-hmac-label", "label-map-not-map", "negative-index"])
def test_rejects_malformed_component(index: int, replacement: Any, message: str) -> None:
    document, controller = load()
    parts = components(document)
    parts[index] = replacement
    with pytest.raises(ProofError, match=message):
        verify(with_components(document, parts), controller)


def test_decode_cbor_reads_tag_64_as_bytes() -> None:
    assert decode_cbor(b"\xd8\x40\x42\x01\x02") == b"\x01\x02"


def test_decode_cbor_rejects_duplicate_map_keys() -> None:
    with pytest.raises(CborError, match="unique") as caught:
        decode_cbor(b"\xa2\x00\x40\x00\x40")
    assert caught.value.code == "cbor_malformed"


def test_relabel_leaves_literals_alone_and_sorts() -> None:
    canonical = ('_:c14n1 <http://ex/p> "_:c14n0 in text" .\n'
                 '_:c14n0 <http://ex/p> _:c14n1 .\n')
    assert relabel_canonical_nquads(canonical, {"c14n0": "uB", "c14n1": "uA"}) == [
        '_:uA <http://ex/p> "_:c14n0 in text" .\n',
        '_:uB <http://ex/p> _:uA .\n',
    ]
