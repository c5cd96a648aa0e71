"""Data Integrity proofs: creating ``eddsa-rdfc-2022`` proofs, verifying every suite Satchel knows.

Specs: Verifiable Credential Data Integrity 1.0 §4 (add proof, verify proof);
Data Integrity EdDSA Cryptosuites v1.0 §3.3.1 (eddsa-rdfc-2022, create). A suite
is a tiny object: its name and how it checks a proof; each lives in its own
module and ``suites`` lists them all, so verifying needs no import side effect.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .cryptosuite import DATA_INTEGRITY_PROOF, Suite, rdfc_hash_data
from .eddsa import ED25519_2020_CONTEXT, ED25519_SIGNATURE_2020, EDDSA_2022_LEGACY, EDDSA_RDFC_2022
from .errors import ProofError
from .keys import Signer
from .loader import DocumentLoader
from .multibase import encode_base58btc
from .resolver import KeyResolver, VerificationMethod
from .suites import SUITES, find_suite
from .xsd import format_datetime

__all__ = [
    "DATA_INTEGRITY_PROOF", "DATA_INTEGRITY_V2_CONTEXT", "ED25519_2020_CONTEXT", "ED25519_SIGNATURE_2020",
    "EDDSA_2022_LEGACY", "EDDSA_RDFC_2022", "SUITES", "ProofResult", "Suite", "add_proof",
    "find_suite", "proofs_of", "rdfc_hash_data", "verify_proof",
]

DATA_INTEGRITY_V2_CONTEXT = "https://w3id.org/security/data-integrity/v2"


@dataclass(frozen=True)
class ProofResult:
    """What a verified proof established: the suite, the key, and notes for the report."""

    suite: str
    method: VerificationMethod
    purpose: str
    created: str | None
    notes: tuple[str, ...] = field(default_factory=tuple)


def add_proof(document: dict[str, Any], *, signer: Signer, loader: DocumentLoader, created: datetime | str,
              purpose: str = "assertionMethod", challenge: str | None = None, domain: str | None = None,
              expires: datetime | None = None) -> dict[str, Any]:
    """Return a copy of ``document`` with an ``eddsa-rdfc-2022`` proof (VC DI §4.2, EdDSA §3.3.1).

    Credentials are signed for ``assertionMethod``; presentations for
    ``authentication`` with the verifier's ``challenge`` and ``domain``. An
    existing proof is kept: the new one joins it in a proof set.
    """
    if not isinstance(document, dict):
        raise ProofError("only a JSON object can be signed", code="not_json_object")
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


def proofs_of(document: dict[str, Any]) -> list[dict[str, Any]]:
    """The document's proofs as a list (a proof set or a single proof); none for what is not an object."""
    proof = document.get("proof") if isinstance(document, dict) else None
    if proof is None:
        return []
    items = proof if isinstance(proof, list) else [proof]
    return [p if isinstance(p, dict) else {"type": None, "_malformed": p} for p in items]


def verify_proof(document: dict[str, Any], proof: dict[str, Any], *, loader: DocumentLoader,
                 resolver: KeyResolver, purpose: str | None = None) -> ProofResult:
    """Verify one proof of ``document``; raise ``ProofError`` (or a subclass) when it does not hold.

    Other proofs in the document's proof set are not part of what this proof signed.
    """
    if not isinstance(document, dict) or not isinstance(proof, dict):
        raise ProofError("a proof is a JSON object on a document that is a JSON object", code="malformed_proof")
    suite = find_suite(proof)  # Every suite Satchel knows, listed statically in ``suites``.
    if suite is None:
        raise ProofError(f"unknown proof type {str(proof.get('type'))[:80]!r}", code="unknown_proof_type")
    expected_purpose = purpose or proof.get("proofPurpose")
    if purpose is not None and proof.get("proofPurpose") != purpose:
        raise ProofError(f"proofPurpose is {str(proof.get('proofPurpose'))[:80]!r}, expected {purpose!r}",
                         code="wrong_purpose")
    method = resolver.resolve(str(proof.get("verificationMethod", "")), purpose=str(expected_purpose) if expected_purpose else None)
    single = dict(document)
    single["proof"] = proof
    notes = suite.verify(single, proof, loader=loader, method=method)
    if method.note:
        notes = (method.note,) + tuple(notes)
    created = proof.get("created")
    return ProofResult(suite=suite.name, method=method, purpose=str(proof.get("proofPurpose")),
                       created=created if isinstance(created, str) else None, notes=tuple(notes))
