"""What every Data Integrity cryptosuite shares: the ``Suite`` shape and the RDFC hashing.

A suite is a tiny object (as in the Digital Bazaar stack): its name and how it
verifies a proof. The suites live in their own modules (``eddsa``, ``ecdsa``,
``ed25519_2018``); ``suites`` lists them all, statically, for
``dataintegrity.verify_proof``. This module sits below all of them, so that none
needs to import ``dataintegrity``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any, Protocol

from .canonical import canonicalize
from .loader import DocumentLoader
from .resolver import VerificationMethod

DATA_INTEGRITY_PROOF = "DataIntegrityProof"


class Suite(Protocol):
    name: str

    def verify(self, document: dict[str, Any], proof: dict[str, Any], *, loader: DocumentLoader,
               method: VerificationMethod) -> tuple[str, ...]:
        """Check ``proof`` over ``document`` with ``method``'s key; return notes, raise ``ProofError``."""
        ...


def rdfc_hash_data(unsecured: dict[str, Any], proof_config: dict[str, Any], *, loader: DocumentLoader,
                   hasher: Callable[[bytes], Any] = hashlib.sha256,
                   canonize: Callable[..., str] = canonicalize) -> bytes:
    """eddsa-rdfc-2022 §3.3.4-5: hash(canonical proof config) ‖ hash(canonical document)."""
    canonical_config = canonize(proof_config, loader=loader)
    canonical_doc = canonize(unsecured, loader=loader)
    return bytes(hasher(canonical_config.encode()).digest() + hasher(canonical_doc.encode()).digest())
