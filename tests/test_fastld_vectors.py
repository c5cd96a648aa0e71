"""The W3C vc-di-eddsa vectors reproduce through the fast path specifically.

Source: ../shared/reference/vc-di-eddsa (w3c/vc-di-eddsa TestVectors, commit
abb673eb): the unsigned alumni and employment authorization credentials, their
proof configurations, and the canonical N-Quads the spec publishes for them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import EXAMPLES_V2, EXAMPLES_V2_DOC
from reference import reference_dir

from credentials import fastld
from credentials.canonical import canonicalize
from credentials.loader import DocumentLoader, bundled_loader


def _loader() -> DocumentLoader:
    return bundled_loader().with_documents({EXAMPLES_V2: EXAMPLES_V2_DOC})


def _read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _with_context(config: dict[str, Any], document: dict[str, Any]) -> dict[str, Any]:
    return dict(config, **{"@context": config.get("@context", document["@context"])})


CASES = [
    # (unsigned credential, folder with canonical N-Quads and proof configuration)
    ("unsigned.json", "eddsa-rdfc-2022"),
    ("employmentAuth.json", "eddsa-rdfc-2022/employ"),
]


@pytest.mark.parametrize(("document_file", "folder"), CASES, ids=["alumni", "employment"])
def test_fast_path_reproduces_canonical_document(document_file: str, folder: str) -> None:
    base = reference_dir() / "vc-di-eddsa"
    document = _read_json(base / document_file)
    expected = (base / folder / "canonDocDataInt.txt").read_text(encoding="utf-8")
    loader = _loader()
    fast = fastld.canonicalize_fast(document, loader=loader)  # raises Unsupported if the fast path declined
    assert fast == expected.rstrip("\n") + "\n"
    assert canonicalize(document, loader=loader) == fast


@pytest.mark.parametrize(("document_file", "folder"), CASES, ids=["alumni", "employment"])
def test_fast_path_reproduces_canonical_proof_configuration(document_file: str, folder: str) -> None:
    base = reference_dir() / "vc-di-eddsa"
    document = _read_json(base / document_file)
    config = _with_context(_read_json(base / folder / "proofConfigDataInt.json"), document)
    expected = (base / folder / "proofCanonDataInt.txt").read_text(encoding="utf-8")
    fast = fastld.canonicalize_fast(config, loader=_loader())
    assert fast == expected.rstrip("\n") + "\n"


def test_fast_path_detects_undefined_term_without_examples_context() -> None:
    """Without the examples context the vector's ``alumniOf`` is still defined by VC 2.0's @vocab,
    so no error; an undefined term needs a context without @vocab (VC 1.1)."""
    document = {
        "@context": ["https://www.w3.org/2018/credentials/v1"],
        "type": ["VerifiableCredential"],
        "issuer": "did:example:issuer",
        "issuanceDate": "2024-01-01T00:00:00Z",
        "credentialSubject": {"id": "did:example:subject", "alumniOf": "The School of Examples"},
    }
    with pytest.raises(fastld.UndefinedTerms) as caught:
        fastld.canonicalize_fast(document, loader=bundled_loader())
    assert caught.value.properties == {"alumniOf"}
