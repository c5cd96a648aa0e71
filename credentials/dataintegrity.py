"""Data Integrity proofs: creating ``eddsa-rdfc-2022`` proofs, verifying every suite Satchel knows.

Specs: Verifiable Credential Data Integrity 1.0 §4 (add proof, verify proof);
Data Integrity EdDSA Cryptosuites v1.0 §3.3 (eddsa-rdfc-2022), §3.1-2 and the
Ed25519Signature2020 suite (same hashing, its own context). A suite is a tiny
object: its name, how it hashes, how it checks a signature.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from .canonical import canonicalize
from .errors import InvalidSignatureError, ProofError
from .keys import Signer, verify_ed25519
from .loader import DocumentLoader
from .multibase import decode_base58btc, encode_base58btc
from .resolver import KeyResolver, VerificationMethod
from .xsd import format_datetime

DATA_INTEGRITY_PROOF = "DataIntegrityProof"
EDDSA_RDFC_2022 = "eddsa-rdfc-2022"
EDDSA_2022_LEGACY = "eddsa-2022"
ED25519_SIGNATURE_2020 = "Ed25519Signature2020"
ED25519_2020_CONTEXT = "https://w3id.org/security/suites/ed25519-2020/v1"
DATA_INTEGRITY_V2_CONTEXT = "https://w3id.org/security/data-integrity/v2"
VC_V2_CONTEXT = "https://www.w3.org/ns/credentials/v2"


@dataclass(frozen=True)
class ProofResult:
    """What a verified proof established: the suite, the key, and notes for the report."""

    suite: str
    method: VerificationMethod
    purpose: str
    created: str | None
    notes: tuple[str, ...] = field(default_factory=tuple)


class Suite(Protocol):
    name: str

    def verify(self, document: dict[str, Any], proof: dict[str, Any], *, loader: DocumentLoader,
               method: VerificationMethod) -> tuple[str, ...]: ...



def rdfc_hash_data(unsecured: dict[str, Any], proof_config: dict[str, Any], *, loader: DocumentLoader,
                   hasher: Callable[[bytes], Any] = hashlib.sha256,
                   canonize: Callable[..., str] = canonicalize) -> bytes:
    """eddsa-rdfc-2022 §3.3.4-5: hash(canonical proof config) ‖ hash(canonical document)."""
    canonical_config = canonize(proof_config, loader=loader)
    canonical_doc = canonize(unsecured, loader=loader)
    return bytes(hasher(canonical_config.encode()).digest() + hasher(canonical_doc.encode()).digest())


def add_proof(document: dict[str, Any], *, signer: Signer, loader: DocumentLoader, created: datetime | str,
              purpose: str = "assertionMethod", challenge: str | None = None, domain: str | None = None,
              expires: datetime | None = None) -> dict[str, Any]:
    """Return a copy of ``document`` with an ``eddsa-rdfc-2022`` proof (VC DI §4.2, EdDSA §3.3.1).

    Credentials are signed for ``assertionMethod``; presentations for
    ``authentication`` with the verifier's ``challenge`` and ``domain``. An
    existing proof is kept: the new one joins it in a proof set.
    """
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    config: dict[str, Any] = {
        "type": DATA_INTEGRITY_PROOF,
        "cryptosuite": EDDSA_RDFC_2022,
        "created": created if isinstance(created, str) else format_datetime(created),
        "verificationMethod": signer.verification_method,
        "proofPurpose": purpose,
    }
    if expires is not None:
        config["expires"] = format_datetime(expires)
    if challenge is not None:
        config["challenge"] = challenge
    if domain is not None:
        config["domain"] = domain
    # §3.3.1 step 2 and §3.3.5: the proof configuration takes the document's context.
    config_with_context = dict(config, **{"@context": unsecured.get("@context")})
    signature = signer.sign(rdfc_hash_data(unsecured, config_with_context, loader=loader))
    proof = dict(config, proofValue=encode_base58btc(signature))
    secured = dict(document)
    existing = document.get("proof")
    if existing is None:
        secured["proof"] = proof
    else:
        secured["proof"] = (existing if isinstance(existing, list) else [existing]) + [proof]
    return secured


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
            proof_ctx = _as_list(options["@context"])
            doc_ctx = _as_list(unsecured.get("@context"))
            if doc_ctx[: len(proof_ctx)] != proof_ctx:
                raise ProofError("the proof's @context is not a prefix of the document's @context")
            unsecured["@context"] = options["@context"]
        options["@context"] = unsecured.get("@context")
        _verify_ed25519_multibase(method, proof, rdfc_hash_data(unsecured, options, loader=loader))
        return tuple(notes)


class Ed25519Signature2020:
    """The ``Ed25519Signature2020`` suite: the same hashing, its own context, no cryptosuite."""

    name = ED25519_SIGNATURE_2020

    def verify(self, document: dict[str, Any], proof: dict[str, Any], *, loader: DocumentLoader,
               method: VerificationMethod) -> tuple[str, ...]:
        unsecured = {k: v for k, v in document.items() if k != "proof"}
        options = {k: v for k, v in proof.items() if k not in ("proofValue", "jws", "signatureValue")}
        options["@context"] = unsecured.get("@context")
        if ED25519_2020_CONTEXT not in _as_list(unsecured.get("@context")) and "@context" not in proof:
            # The suite's terms must be defined for the proof configuration to mean anything.
            options["@context"] = _as_list(unsecured.get("@context")) + [ED25519_2020_CONTEXT]
        _verify_ed25519_multibase(method, proof, rdfc_hash_data(unsecured, options, loader=loader))
        return ()


def _verify_ed25519_multibase(method: VerificationMethod, proof: dict[str, Any], data: bytes) -> None:
    if method.curve != "Ed25519":
        raise ProofError(f"the key {method.id} is {method.curve}, but this suite needs Ed25519")
    value = proof.get("proofValue")
    if not isinstance(value, str):
        raise ProofError("the proof has no proofValue")
    try:
        signature = decode_base58btc(value)
    except Exception as exc:
        raise InvalidSignatureError(f"proofValue is not multibase base58btc: {exc}") from None
    if len(signature) != 64:
        raise InvalidSignatureError(f"an Ed25519 signature has 64 bytes, this proofValue {len(signature)}")
    verify_ed25519(method.public_key, signature, data)


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


# (proof type, cryptosuite or None) → suite. Other modules register their suites here.
SUITES: dict[tuple[str, str | None], Suite] = {
    (DATA_INTEGRITY_PROOF, EDDSA_RDFC_2022): EddsaRdfc2022(),
    (DATA_INTEGRITY_PROOF, EDDSA_2022_LEGACY): EddsaRdfc2022(),
    (ED25519_SIGNATURE_2020, None): Ed25519Signature2020(),
}


def register_suite(proof_type: str, cryptosuite: str | None, suite: Suite) -> None:
    SUITES[(proof_type, cryptosuite)] = suite


def find_suite(proof: dict[str, Any]) -> Suite | None:
    """The suite for a proof, or None when Satchel does not know its type."""
    cryptosuite = proof.get("cryptosuite") if proof.get("type") == DATA_INTEGRITY_PROOF else None
    return SUITES.get((str(proof.get("type")), cryptosuite if isinstance(cryptosuite, str) else None))


def proofs_of(document: dict[str, Any]) -> list[dict[str, Any]]:
    """The document's proofs as a list (a proof set or a single proof)."""
    proof = document.get("proof")
    if proof is None:
        return []
    items = proof if isinstance(proof, list) else [proof]
    return [p if isinstance(p, dict) else {"type": None, "_malformed": p} for p in items]


def verify_proof(document: dict[str, Any], proof: dict[str, Any], *, loader: DocumentLoader,
                 resolver: KeyResolver, purpose: str | None = None) -> ProofResult:
    """Verify one proof of ``document``; raise ``ProofError`` (or a subclass) when it does not hold.

    Other proofs in the document's proof set are not part of what this proof signed.
    """
    suite = find_suite(proof)
    if suite is None:
        raise ProofError(f"unknown proof type {proof.get('type')!r}", code="unknown_proof_type")
    expected_purpose = purpose or proof.get("proofPurpose")
    if purpose is not None and proof.get("proofPurpose") != purpose:
        raise ProofError(f"proofPurpose is {proof.get('proofPurpose')!r}, expected {purpose!r}", code="wrong_purpose")
    method = resolver.resolve(str(proof.get("verificationMethod", "")), purpose=str(expected_purpose) if expected_purpose else None)
    single = dict(document)
    single["proof"] = proof
    notes = suite.verify(single, proof, loader=loader, method=method)
    if method.note:
        notes = (method.note,) + tuple(notes)
    created = proof.get("created")
    return ProofResult(suite=suite.name, method=method, purpose=str(proof.get("proofPurpose")),
                       created=created if isinstance(created, str) else None, notes=tuple(notes))
