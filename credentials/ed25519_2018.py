"""The ``Ed25519Signature2018`` suite: a detached JWS over the RDF hashes (verification only).

Spec: Ed25519 Signature 2018 (W3C CCG), on Linked Data Signatures 1.0 and
RFC 7797 (unencoded payload). The signed bytes are
``ASCII(base64url(header)) + "." + sha256(c14n proof options) ‖ sha256(c14n document)``:
the JWS payload is the raw verify data, never base64url-encoded (``b64: false``),
and is detached, so ``proof.jws`` reads ``header..signature``.

The proof options are the proof without ``jws`` (nor ``signatureValue`` or
``proofValue``), in the document's ``@context`` unless the proof brings its
own: that is what ``jsonld-signatures`` (v9 and later, the stack that signed
the VC 1.1 credentials met in practice) hashes.
"""

from __future__ import annotations

import json
from typing import Any

from .b64 import b64url_decode
from .cryptosuite import rdfc_hash_data
from .errors import InvalidSignatureError, JsonInputError, ProofError
from .keys import verify_ed25519
from .loader import DocumentLoader
from .resolver import VerificationMethod
from .strictjson import parse_json

ED25519_SIGNATURE_2018 = "Ed25519Signature2018"

# RFC 7797 §3: the only header this suite produces and accepts.
_EXPECTED_HEADER: dict[str, Any] = {"alg": "EdDSA", "b64": False, "crit": ["b64"]}


class Ed25519Signature2018:
    """``Ed25519Signature2018`` with a detached, unencoded-payload JWS in ``proof.jws``."""

    name = ED25519_SIGNATURE_2018

    def verify(self, document: dict[str, Any], proof: dict[str, Any], *, loader: DocumentLoader,
               method: VerificationMethod) -> tuple[str, ...]:
        if method.curve != "Ed25519":
            raise ProofError(f"the key {method.id} is {method.curve}, but Ed25519Signature2018 needs Ed25519")
        encoded_header, signature = parse_detached_jws(proof.get("jws"))
        unsecured = {k: v for k, v in document.items() if k != "proof"}
        options = {k: v for k, v in proof.items() if k not in ("jws", "signatureValue", "proofValue")}
        # jsonld-signatures gives the proof the document's context unless it has its own.
        options.setdefault("@context", unsecured.get("@context"))
        data = encoded_header.encode("ascii") + b"." + rdfc_hash_data(unsecured, options, loader=loader)
        verify_ed25519(method.public_key, signature, data)
        return ()


def parse_detached_jws(jws: Any) -> tuple[str, bytes]:
    """Return (encoded protected header, signature) of a detached ``b64: false`` EdDSA JWS.

    Raises ``ProofError`` for anything but RFC 7797's detached form with the
    header ``{"alg": "EdDSA", "b64": false, "crit": ["b64"]}``.
    """
    if not isinstance(jws, str) or not jws:
        raise ProofError("the Ed25519Signature2018 proof has no jws")
    parts = jws.split(".")
    if len(parts) != 3:
        raise ProofError(f"the jws must have three '.'-separated parts (header..signature), not {len(parts)}")
    encoded_header, payload, encoded_signature = parts
    if payload:
        raise ProofError("the jws must be detached (header..signature): its payload part must be empty")
    raw_header = b64url_decode(encoded_header, what="the jws protected header", error=ProofError)
    try:
        header = parse_json(raw_header, max_bytes=4096)
    except JsonInputError:
        raise ProofError("the jws protected header is not base64url-encoded JSON") from None
    if header != _EXPECTED_HEADER:
        raise ProofError(f"the JWS header must be {{alg: EdDSA, b64: false, crit: [b64]}}, not {json.dumps(header)[:200]}")
    signature = b64url_decode(encoded_signature, what="the jws signature", error=InvalidSignatureError)
    if len(signature) != 64:
        raise InvalidSignatureError(f"an Ed25519 signature has 64 bytes, this jws {len(signature)}")
    return encoded_header, signature
