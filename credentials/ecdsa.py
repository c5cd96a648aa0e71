"""ECDSA Data Integrity proofs: ``ecdsa-rdfc-2019`` and derived ``ecdsa-sd-2023`` (verification only).

Spec: Data Integrity ECDSA Cryptosuites v1.0 (https://www.w3.org/TR/vc-di-ecdsa/):
§3.2 ecdsa-rdfc-2019 (P-256 with SHA-256, P-384 with SHA-384; the signature is
IEEE P1363 ``r ‖ s`` in multibase base58btc); §3.4-3.5 ecdsa-sd-2023, of which a
verifier accepts only *derived* proofs (header 0xd9 0x5d 0x01): a base proof
carries the issuer's HMAC key and is meant for the holder alone.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from .b64 import b64url_decode, b64url_encode
from .canonical import canonicalize
from .cryptosuite import rdfc_hash_data
from .errors import InvalidSignatureError, MultibaseError, ProofError
from .loader import DocumentLoader
from .multibase import P256_PUB, P384_PUB, decode_base58btc
from .resolver import VerificationMethod
from .vcdm import as_list

ECDSA_RDFC_2019 = "ecdsa-rdfc-2019"
ECDSA_SD_2023 = "ecdsa-sd-2023"
ECDSA_SPEC = "https://www.w3.org/TR/vc-di-ecdsa/"

# §2.1 and §3.1: the curve decides the hash and the P1363 signature size.
_CURVES: dict[str, tuple[ec.EllipticCurve, Callable[..., Any], hashes.HashAlgorithm, int]] = {
    "P-256": (ec.SECP256R1(), hashlib.sha256, hashes.SHA256(), 32),
    "P-384": (ec.SECP384R1(), hashlib.sha384, hashes.SHA384(), 48),
}
_CURVE_BY_MULTICODEC = {P256_PUB: "P-256", P384_PUB: "P-384"}

# §3.5.7 (parseDerivedProofValue) and §3.5.2: the three header bytes of the two proof modes.
_SD_BASE_HEADER = b"\xd9\x5d\x00"
_SD_DERIVED_HEADER = b"\xd9\x5d\x01"


def verify_p1363(curve: str, public_key: bytes, signature: bytes, data: bytes) -> None:
    """Verify an ECDSA ``r ‖ s`` signature over ``data``; raises ``InvalidSignatureError``, never returns a bool."""
    if curve not in _CURVES:
        raise ProofError(f"ECDSA proofs need a P-256 or P-384 key, not {curve}")
    ec_curve, _, hash_algorithm, size = _CURVES[curve]
    if len(signature) != 2 * size:
        raise InvalidSignatureError(f"a {curve} signature has {2 * size} bytes (r ‖ s), this one {len(signature)}")
    try:
        key = ec.EllipticCurvePublicKey.from_encoded_point(ec_curve, public_key)
    except ValueError as exc:
        raise InvalidSignatureError(f"unusable {curve} public key: {exc}") from None
    der = encode_dss_signature(int.from_bytes(signature[:size], "big"), int.from_bytes(signature[size:], "big"))
    try:
        key.verify(der, data, ec.ECDSA(hash_algorithm))
    except InvalidSignature:
        raise InvalidSignatureError(f"the {curve} ECDSA signature does not match the signed data") from None


def _hasher_for(method: VerificationMethod) -> Callable[..., Any]:
    if method.curve not in _CURVES:
        raise ProofError(f"the key {method.id} is {method.curve}, but ECDSA cryptosuites need P-256 or P-384")
    return _CURVES[method.curve][1]


def _proof_config(unsecured: dict[str, Any], proof: dict[str, Any]) -> dict[str, Any]:
    """The proof without ``proofValue``, in the document's context (VC DI §4.3 step 4; ECDSA §3.2.5)."""
    options = {k: v for k, v in proof.items() if k != "proofValue"}
    if "@context" in options:
        proof_ctx, doc_ctx = as_list(options["@context"]), as_list(unsecured.get("@context"))
        if doc_ctx[: len(proof_ctx)] != proof_ctx:
            raise ProofError("the proof's @context is not a prefix of the document's @context")
    options["@context"] = unsecured.get("@context")
    return options


class EcdsaRdfc2019:
    """``DataIntegrityProof`` / ``ecdsa-rdfc-2019`` (ECDSA Cryptosuites §3.2.2, verify proof)."""

    name = ECDSA_RDFC_2019

    def verify(self, document: dict[str, Any], proof: dict[str, Any], *, loader: DocumentLoader,
               method: VerificationMethod) -> tuple[str, ...]:
        hasher = _hasher_for(method)
        unsecured = {k: v for k, v in document.items() if k != "proof"}
        value = proof.get("proofValue")
        if not isinstance(value, str):
            raise ProofError("the proof has no proofValue")
        if not value.startswith("z"):
            raise ProofError("an ecdsa-rdfc-2019 proofValue is multibase base58btc (starts with 'z')")
        try:
            signature = decode_base58btc(value)
        except MultibaseError as exc:
            raise InvalidSignatureError(f"proofValue is not multibase base58btc: {exc}", code=exc.code) from None
        # §3.2.4-3.2.6: hash(canonical proof config) ‖ hash(canonical document), both with the curve's hash.
        data = rdfc_hash_data(unsecured, _proof_config(unsecured, proof), loader=loader, hasher=hasher)
        verify_p1363(method.curve, method.public_key, signature, data)
        return ()


class EcdsaSd2023:
    """``DataIntegrityProof`` / ``ecdsa-sd-2023``: verifies derived (disclosure) proofs, §3.5.x "Verify Derived Proof"."""

    name = ECDSA_SD_2023

    def verify(self, document: dict[str, Any], proof: dict[str, Any], *, loader: DocumentLoader,
               method: VerificationMethod) -> tuple[str, ...]:
        hasher = _hasher_for(method)
        # Step 1: the unsecured document is the document without its proof.
        unsecured = {k: v for k, v in document.items() if k != "proof"}
        parts = parse_derived_proof_value(proof.get("proofValue"), issuer_curve=method.curve)
        base_signature, public_key, signatures, label_map, mandatory_indexes = parts
        # createVerifyData step 1: hash the canonical proof configuration.
        proof_hash = hasher(canonicalize(_proof_config(unsecured, proof), loader=loader).encode()).digest()
        # Steps 3-4: canonical N-Quads with the issuer's pseudorandom blank node labels, re-sorted.
        nquads = relabel_canonical_nquads(canonicalize(unsecured, loader=loader), label_map)
        out_of_range = [i for i in mandatory_indexes if i >= len(nquads)]
        if out_of_range:
            raise ProofError(f"mandatory index {out_of_range[0]} is past the {len(nquads)} disclosed statements")
        mandatory_set = set(mandatory_indexes)
        mandatory = [nq for i, nq in enumerate(nquads) if i in mandatory_set]
        non_mandatory = [nq for i, nq in enumerate(nquads) if i not in mandatory_set]
        # Step 5: hashMandatoryNQuads, the UTF-8 of the joined mandatory statements.
        mandatory_hash = hasher("".join(mandatory).encode()).digest()
        # Verify Derived Proof step 3: one signature per non-mandatory statement.
        if len(signatures) != len(non_mandatory):
            raise InvalidSignatureError(
                f"the derived proof has {len(signatures)} statement signatures for {len(non_mandatory)} "
                "non-mandatory statements: the disclosed document is not what was signed")
        # Steps 5-6: the issuer signed proofHash ‖ ephemeral public key (multikey) ‖ mandatoryHash.
        verify_p1363(method.curve, method.public_key, base_signature, proof_hash + public_key + mandatory_hash)
        ephemeral_curve = _CURVE_BY_MULTICODEC[public_key[:2]]
        for index, (signature, statement) in enumerate(zip(signatures, non_mandatory)):
            try:
                verify_p1363(ephemeral_curve, public_key[2:], signature, statement.encode())
            except InvalidSignatureError:
                raise InvalidSignatureError(
                    f"disclosed statement {index + 1} of {len(non_mandatory)} does not match its signature "
                    f"(altered after signing?): {statement.strip()[:200]}") from None
        return (f"ecdsa-sd-2023 derived proof: {len(mandatory)} mandatory and {len(non_mandatory)} "
                "selectively disclosed statements verified",)


def parse_derived_proof_value(value: Any, *, issuer_curve: str = "P-256"
                              ) -> tuple[bytes, bytes, list[bytes], dict[str, str], list[int]]:
    """ECDSA §3.5.7 parseDerivedProofValue: (baseSignature, publicKey, signatures, labelMap, mandatoryIndexes).

    ``labelMap`` is decompressed (§3.5.6): ``c14nN`` → ``u`` + base64url(HMAC bytes).
    Raises ``ProofError`` for a base proof and for anything not shaped as the spec says.
    """
    if not isinstance(value, str) or not value:
        raise ProofError("the ecdsa-sd-2023 proof has no proofValue")
    if not value.startswith("u"):
        raise ProofError("an ecdsa-sd-2023 proofValue is multibase base64url-no-pad (starts with 'u')")
    raw = b64url_decode(value[1:], what="the ecdsa-sd-2023 proofValue", error=ProofError)
    if raw.startswith(_SD_BASE_HEADER):
        raise ProofError("ecdsa-sd-2023 base proofs are not accepted by a verifier; only derived proofs "
                         "(the holder derives one that discloses what it chooses)")
    if not raw.startswith(_SD_DERIVED_HEADER):
        raise ProofError(f"the ecdsa-sd-2023 proofValue must start with the header d9 5d 01, not {raw[:3].hex(' ')}")
    try:
        components = decode_cbor(raw[3:])
    except CborError as exc:
        raise CborError(f"the ecdsa-sd-2023 proofValue is not valid CBOR: {exc}") from None
    if not isinstance(components, list) or len(components) != 5:
        raise ProofError("a derived ecdsa-sd-2023 proofValue is a CBOR array of five components")
    base_signature, public_key, signatures, compressed, indexes = components
    size = _CURVES[issuer_curve][3] if issuer_curve in _CURVES else 32
    if not isinstance(base_signature, bytes) or len(base_signature) != 2 * size:
        raise ProofError(f"baseSignature must be a {2 * size}-byte {issuer_curve} signature")
    if not isinstance(public_key, bytes) or public_key[:2] not in _CURVE_BY_MULTICODEC \
            or len(public_key) != 2 + 1 + _CURVES[_CURVE_BY_MULTICODEC[public_key[:2]]][3]:
        raise ProofError("publicKey must be a multikey-encoded compressed P-256 or P-384 public key")
    if not isinstance(signatures, list) or not all(isinstance(s, bytes) for s in signatures):
        raise ProofError("signatures must be an array of byte strings")
    if not isinstance(compressed, dict) or not all(
            isinstance(k, int) and k >= 0 and isinstance(v, bytes) and len(v) == 32 for k, v in compressed.items()):
        raise ProofError("the label map must map non-negative integers to 32-byte HMAC values")
    if not isinstance(indexes, list) or not all(isinstance(i, int) and i >= 0 for i in indexes):
        raise ProofError("mandatoryIndexes must be an array of non-negative integers")
    label_map = {f"c14n{k}": "u" + b64url_encode(v)
                 for k, v in compressed.items()}
    return base_signature, public_key, signatures, label_map, indexes


# A blank node label in canonical N-Quads: RDFC-1.0 writes only ``_:c14nN``.
_BLANK = re.compile(r"_:(c14n[0-9]+)")
_LITERAL = re.compile(r'"(?:[^"\\]|\\.)*"')


def relabel_canonical_nquads(canonical: str, label_map: dict[str, str]) -> list[str]:
    """ECDSA §3.4.x labelReplacementCanonicalizeNQuads, on already-canonical N-Quads.

    Every ``_:c14nN`` outside a literal becomes ``_:`` + ``label_map["c14nN"]``;
    the statements are then sorted in code point order. A blank node the label
    map does not name is an error: the disclosed document has a node the issuer
    never labelled.
    """
    out: list[str] = []
    for line in canonical.split("\n"):
        if not line:
            continue
        pieces: list[str] = []
        position = 0
        # Literals are copied verbatim, so text that merely looks like a label is left alone.
        for literal in _LITERAL.finditer(line):
            pieces.append(_relabel_terms(line[position:literal.start()], label_map))
            pieces.append(literal.group(0))
            position = literal.end()
        pieces.append(_relabel_terms(line[position:], label_map))
        out.append("".join(pieces) + "\n")
    return sorted(out)


def _relabel_terms(text: str, label_map: dict[str, str]) -> str:
    def replace(match: re.Match[str]) -> str:
        label = label_map.get(match.group(1))
        if label is None:
            raise ProofError(f"the derived proof's label map has no label for blank node _:{match.group(1)}")
        return "_:" + label

    return _BLANK.sub(replace, text)


class CborError(ProofError):
    """A derived ecdsa-sd-2023 proofValue whose CBOR is malformed or outside the subset the spec uses."""

    code = "cbor_malformed"


def decode_cbor(data: bytes) -> Any:
    """Decode the CBOR subset (RFC 8949) a derived ecdsa-sd-2023 proof uses; raises ``CborError``.

    Definite-length integers, byte and text strings, arrays, maps, false/true/null,
    and tag 64 (a byte array some encoders tag). Trailing bytes are an error.
    """
    value, end = _decode_item(data, 0, depth=0)
    if end != len(data):
        raise CborError(f"{len(data) - end} trailing bytes after the CBOR item")
    return value


def _decode_item(data: bytes, pos: int, *, depth: int) -> tuple[Any, int]:
    if depth > 16:
        raise CborError("CBOR nested too deeply")
    if pos >= len(data):
        raise CborError("truncated CBOR")
    major, info = data[pos] >> 5, data[pos] & 0x1F
    pos += 1
    if major == 7:
        simple = {20: False, 21: True, 22: None}
        if info not in simple:
            raise CborError(f"unsupported CBOR simple value or float (0x{data[pos - 1]:02x})")
        return simple[info], pos
    if info < 24:
        argument = info
    elif info <= 27:
        width = 1 << (info - 24)
        if pos + width > len(data):
            raise CborError("truncated CBOR")
        argument = int.from_bytes(data[pos:pos + width], "big")
        pos += width
    else:
        raise CborError("indefinite-length or reserved CBOR items are not supported")
    if major == 0:
        return argument, pos
    if major == 1:
        return -1 - argument, pos
    if major in (2, 3):
        if pos + argument > len(data):
            raise CborError("truncated CBOR string")
        chunk = data[pos:pos + argument]
        return (bytes(chunk) if major == 2 else chunk.decode("utf-8")), pos + argument
    if major == 4:
        items = []
        for _ in range(argument):
            item, pos = _decode_item(data, pos, depth=depth + 1)
            items.append(item)
        return items, pos
    if major == 5:
        mapping: dict[Any, Any] = {}
        for _ in range(argument):
            key, pos = _decode_item(data, pos, depth=depth + 1)
            if not isinstance(key, (int, str)) or key in mapping:
                raise CborError("CBOR map keys must be unique integers or strings")
            mapping[key], pos = _decode_item(data, pos, depth=depth + 1)
        return mapping, pos
    # Major type 6: only tag 64 (uint8 typed array) around a byte string.
    if argument != 64:
        raise CborError(f"unsupported CBOR tag {argument}")
    inner, pos = _decode_item(data, pos, depth=depth + 1)
    if not isinstance(inner, bytes):
        raise CborError("CBOR tag 64 must wrap a byte string")
    return inner, pos
