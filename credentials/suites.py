"""Registers the suites beyond the core's eddsa ones with ``credentials.dataintegrity``.

Importing this module registers them; ``register_all`` may be called again at
no cost (it only (re)sets the same table entries).
"""

from __future__ import annotations

from .dataintegrity import DATA_INTEGRITY_PROOF, register_suite
from .ecdsa import ECDSA_RDFC_2019, ECDSA_SD_2023, EcdsaRdfc2019, EcdsaSd2023
from .ed25519_2018 import ED25519_SIGNATURE_2018, Ed25519Signature2018


def register_all() -> None:
    """Register ``Ed25519Signature2018``, ``ecdsa-rdfc-2019`` and ``ecdsa-sd-2023`` (derived proofs)."""
    register_suite(ED25519_SIGNATURE_2018, None, Ed25519Signature2018())
    register_suite(DATA_INTEGRITY_PROOF, ECDSA_RDFC_2019, EcdsaRdfc2019())
    register_suite(DATA_INTEGRITY_PROOF, ECDSA_SD_2023, EcdsaSd2023())


register_all()
