"""Every proof suite Satchel verifies, listed statically: (proof type, cryptosuite) → suite.

Nothing registers itself at import time: ``dataintegrity.verify_proof`` reads
this table, which names each suite module directly, so a proof is verified the
same way whichever modules a program happened to import first.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from .cryptosuite import DATA_INTEGRITY_PROOF, Suite
from .ecdsa import ECDSA_RDFC_2019, ECDSA_SD_2023, EcdsaRdfc2019, EcdsaSd2023
from .ed25519_2018 import ED25519_SIGNATURE_2018, Ed25519Signature2018
from .eddsa import ED25519_SIGNATURE_2020, EDDSA_2022_LEGACY, EDDSA_RDFC_2022, Ed25519Signature2020, EddsaRdfc2022

SUITES: Mapping[tuple[str, str | None], Suite] = MappingProxyType({
    (DATA_INTEGRITY_PROOF, EDDSA_RDFC_2022): EddsaRdfc2022(),
    (DATA_INTEGRITY_PROOF, EDDSA_2022_LEGACY): EddsaRdfc2022(),
    (DATA_INTEGRITY_PROOF, ECDSA_RDFC_2019): EcdsaRdfc2019(),
    (DATA_INTEGRITY_PROOF, ECDSA_SD_2023): EcdsaSd2023(),
    (ED25519_SIGNATURE_2020, None): Ed25519Signature2020(),
    (ED25519_SIGNATURE_2018, None): Ed25519Signature2018(),
})


def find_suite(proof: dict[str, Any]) -> Suite | None:
    """The suite for a proof, or None when Satchel does not know its type (or it is not an object)."""
    if not isinstance(proof, dict):
        return None
    cryptosuite = proof.get("cryptosuite") if proof.get("type") == DATA_INTEGRITY_PROOF else None
    return SUITES.get((str(proof.get("type")), cryptosuite if isinstance(cryptosuite, str) else None))
