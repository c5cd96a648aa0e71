"""The EdDSA suites over RDFC: ``eddsa-rdfc-2022`` (and its draft name ``eddsa-2022``), ``Ed25519Signature2020``.

Spec: Data Integrity EdDSA Cryptosuites v1.0 §3.3 (eddsa-rdfc-2022, verify
§3.3.2); Ed25519Signature2020 (W3C CCG) hashes the same way with its own context
and no ``cryptosuite``. Creating proofs is ``dataintegrity.add_proof``.
"""

from __future__ import annotations

from typing import Any

from .cryptosuite import rdfc_hash_data
from .errors import InvalidSignatureError, MultibaseError, ProofError
from .keys import verify_ed25519
from .loader import DocumentLoader
from .multibase import decode_base58btc
from .resolver import VerificationMethod
from .vcdm import as_list

EDDSA_RDFC_2022 = "eddsa-rdfc-2022"
EDDSA_2022_LEGACY = "eddsa-2022"
ED25519_SIGNATURE_2020 = "Ed25519Signature2020"
ED25519_2020_CONTEXT = "https://w3id.org/security/suites/ed25519-2020/v1"


class EddsaRdfc2022:
    """``DataIntegrityProof`` / ``eddsa-rdfc-2022`` (EdDSA Cryptosuites §3.3.2, verify)."""

    name = EDDSA_RDFC_2022

    def verify(self, document: dict[str, Any], proof: dict[str, Any], *, loader: DocumentLoader,
               method: VerificationMethod) -> tuple[str, ...]:
        notes: list[str] = []
        if proof.get("cryptosuite") == EDDSA_2022_LEGACY:
            notes.append("cryptosuite 'eddsa-2022' is the pre-Recommendation name of eddsa-rdfc-2022; verified as eddsa-rdfc-2022")
        unsecured = {k: v for k, v in document.items() if k != "proof"}
        options = {k: v for k, v in proof.items() if k != "proofValue"}
        # Step 4: a proof's own @context must be a prefix of the document's.
        if "@context" in options:
            proof_ctx = as_list(options["@context"])
            doc_ctx = as_list(unsecured.get("@context"))
            if doc_ctx[: len(proof_ctx)] != proof_ctx:
                raise ProofError("the proof's @context is not a prefix of the document's @context")
            unsecured["@context"] = options["@context"]
        options["@context"] = unsecured.get("@context")
        verify_ed25519_multibase(method, proof, rdfc_hash_data(unsecured, options, loader=loader))
        return tuple(notes)


class Ed25519Signature2020:
    """The ``Ed25519Signature2020`` suite: the same hashing, its own context, no cryptosuite."""

    name = ED25519_SIGNATURE_2020

    def verify(self, document: dict[str, Any], proof: dict[str, Any], *, loader: DocumentLoader,
               method: VerificationMethod) -> tuple[str, ...]:
        unsecured = {k: v for k, v in document.items() if k != "proof"}
        options = {k: v for k, v in proof.items() if k not in ("proofValue", "jws", "signatureValue")}
        options["@context"] = unsecured.get("@context")
        if ED25519_2020_CONTEXT not in as_list(unsecured.get("@context")) and "@context" not in proof:
            # The suite's terms must be defined for the proof configuration to mean anything.
            options["@context"] = as_list(unsecured.get("@context")) + [ED25519_2020_CONTEXT]
        verify_ed25519_multibase(method, proof, rdfc_hash_data(unsecured, options, loader=loader))
        return ()


def verify_ed25519_multibase(method: VerificationMethod, proof: dict[str, Any], data: bytes) -> None:
    """Check a multibase base58btc ``proofValue`` as an Ed25519 signature of ``data``."""
    if method.curve != "Ed25519":
        raise ProofError(f"the key {method.id} is {method.curve}, but this suite needs Ed25519")
    value = proof.get("proofValue")
    if not isinstance(value, str):
        raise ProofError("the proof has no proofValue")
    try:
        signature = decode_base58btc(value)
    except MultibaseError as exc:
        # The multibase code (bad_multibase, multibase_too_long) is kept: it says what is wrong.
        raise InvalidSignatureError(f"proofValue is not multibase base58btc: {exc}", code=exc.code) from None
    if len(signature) != 64:
        raise InvalidSignatureError(f"an Ed25519 signature has 64 bytes, this proofValue {len(signature)}")
    verify_ed25519(method.public_key, signature, data)
