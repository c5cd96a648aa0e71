"""The W3C vc-di-eddsa test vectors, reproduced byte for byte (TestVectors, commit abb673eb).

Ed25519 is deterministic, so canonical N-Quads, both hashes, the signature and
the proofValue must all equal the published ones. Read from ../shared/reference.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from conftest import EXAMPLES_V2, EXAMPLES_V2_DOC
from reference import reference_dir

from credentials.canonical import canonicalize
from credentials.dataintegrity import add_proof, verify_proof
from credentials.keys import key_pair_from_json
from credentials.loader import bundled_loader
from credentials.multibase import decode_base58btc
from credentials.resolver import KeyResolver

CASES = {"alumni": ("unsigned.json", "eddsa-rdfc-2022"), "employment": ("employmentAuth.json", "eddsa-rdfc-2022/employ")}


@pytest.fixture
def vectors() -> Path:
    return reference_dir() / "vc-di-eddsa"


@pytest.fixture
def loader():
    return bundled_loader().with_documents({EXAMPLES_V2: EXAMPLES_V2_DOC})


def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


@pytest.mark.parametrize("case", sorted(CASES))
def test_eddsa_rdfc_2022_vector_reproduces_byte_for_byte(case: str, vectors: Path, loader) -> None:
    unsigned_name, folder = CASES[case]
    unsigned = json.loads(_text(vectors / unsigned_name))
    config = json.loads(_text(vectors / folder / "proofConfigDataInt.json"))
    key = key_pair_from_json(json.loads(_text(vectors / "keyPair.json")))

    canonical_doc = canonicalize(unsigned, loader=loader)
    canonical_config = canonicalize(config, loader=loader)
    assert canonical_doc == _text(vectors / folder / "canonDocDataInt.txt")
    assert canonical_config == _text(vectors / folder / "proofCanonDataInt.txt")
    doc_hash = hashlib.sha256(canonical_doc.encode()).hexdigest()
    config_hash = hashlib.sha256(canonical_config.encode()).hexdigest()
    assert doc_hash == _text(vectors / folder / "docHashDataInt.txt").strip()
    assert config_hash == _text(vectors / folder / "proofHashDataInt.txt").strip()
    assert config_hash + doc_hash == _text(vectors / folder / "combinedHashDataInt.txt").strip()

    signed = add_proof(unsigned, signer=key, loader=loader, created=config["created"])
    assert signed["proof"]["proofValue"] == _text(vectors / folder / "sigBTC58DataInt.txt").strip()
    assert decode_base58btc(signed["proof"]["proofValue"]).hex() == _text(vectors / folder / "sigHexDataInt.txt").strip()
    assert signed == json.loads(_text(vectors / folder / "signedDataInt.json"))


@pytest.mark.parametrize("case", sorted(CASES))
def test_eddsa_rdfc_2022_signed_vector_verifies(case: str, vectors: Path, loader) -> None:
    signed = json.loads(_text(vectors / CASES[case][1] / "signedDataInt.json"))
    result = verify_proof(signed, signed["proof"], loader=loader, resolver=KeyResolver())
    assert result.suite == "eddsa-rdfc-2022"
    assert result.method.controller == "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"


def test_ed25519signature2020_vector_verifies_and_canonicalizes(vectors: Path, loader) -> None:
    folder = vectors / "Ed25519Signature2020"
    signed = json.loads(_text(folder / "signedEdSig.json"))
    result = verify_proof(signed, signed["proof"], loader=loader, resolver=KeyResolver())
    assert result.suite == "Ed25519Signature2020"
    unsigned = {k: v for k, v in signed.items() if k != "proof"}
    assert canonicalize(unsigned, loader=loader) == _text(folder / "canonDocEdSig.txt")
    assert canonicalize(json.loads(_text(folder / "proofConfigEdSig.json")), loader=loader) == _text(folder / "proofCanonEdSig.txt")


def test_ed25519signature2020_vector_with_one_changed_value_fails(vectors: Path, loader) -> None:
    from credentials.errors import InvalidSignatureError

    signed = json.loads(_text(vectors / "Ed25519Signature2020" / "signedEdSig.json"))
    signed["credentialSubject"]["alumniOf"] = "The School of Counterfeits"
    with pytest.raises(InvalidSignatureError):
        verify_proof(signed, signed["proof"], loader=loader, resolver=KeyResolver())
