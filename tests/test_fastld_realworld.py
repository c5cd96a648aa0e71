"""Every real-world credential gives the same canonical N-Quads (or the same error) through
the fast path as through pyld, or the fast path declines and ``canonicalize`` falls back.

Source: ../shared/reference/realworld (see its MANIFEST.json for provenance), with the
extra contexts of its ``contexts/`` folder and the W3C examples context. Each credential
is checked three ways, as verification uses it: the whole document, the document without
its proof, and each proof's configuration with the document's context.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import EXAMPLES_V2, EXAMPLES_V2_DOC
from reference import REFERENCE_DIR, reference_dir

from credentials import fastld
from credentials.canonical import _locate, canonicalize, canonicalize_reference
from credentials.errors import CredentialError, UndefinedTermError
from credentials.loader import DocumentLoader, bundled_loader

REALWORLD = REFERENCE_DIR / "realworld"
# Documents that are not credentials: key documents and the corpus' own manifest.
_NOT_CREDENTIALS = (".did.json", ".controller.json", "MANIFEST.json")


def _credential_files() -> list[Path]:
    if not REALWORLD.is_dir():
        return []
    return sorted(p for p in REALWORLD.glob("*.json") if not p.name.endswith(_NOT_CREDENTIALS))


def _loader() -> DocumentLoader:
    folder = reference_dir() / "realworld" / "contexts"
    index = json.loads((folder / "index.json").read_text(encoding="utf-8"))
    extra: dict[str, Any] = {url: json.loads((folder / entry["file"]).read_text(encoding="utf-8"))
                             for url, entry in index.items()}
    extra[EXAMPLES_V2] = EXAMPLES_V2_DOC
    return bundled_loader().with_documents(extra)


def _cases(document: Any) -> Iterator[tuple[str, Any]]:
    yield "document", document
    if isinstance(document, dict) and "proof" in document:
        yield "unsecured", {k: v for k, v in document.items() if k != "proof"}
        proofs = document["proof"] if isinstance(document["proof"], list) else [document["proof"]]
        for index, proof in enumerate(proofs):
            if isinstance(proof, dict):
                config = {k: v for k, v in proof.items() if k not in ("proofValue", "jws")}
                config["@context"] = document.get("@context")
                yield f"proof[{index}] configuration", config


def _outcome_reference(document: Any, loader: DocumentLoader) -> str:
    try:
        return canonicalize_reference(document, loader=loader)
    except UndefinedTermError as exc:
        return f"UndefinedTermError {exc.terms}"
    except CredentialError as exc:
        return f"{type(exc).__name__}"


def _outcome_fast(document: Any, loader: DocumentLoader) -> str | None:
    """The fast path's answer in the reference's terms, or None when it declines."""
    try:
        return fastld.canonicalize_fast(document, loader=loader)
    except fastld.Unsupported:
        return None
    except fastld.UndefinedTerms as undefined:
        return f"UndefinedTermError {list(_locate(document, undefined.properties, undefined.types, '$'))}"


FAST_PATH_TAKEN: list[str] = []


@pytest.mark.parametrize("path", _credential_files(), ids=lambda p: p.stem)
def test_fast_path_matches_pyld_or_declines(path: Path) -> None:
    loader = _loader()
    document = json.loads(path.read_text(encoding="utf-8"))
    for name, case in _cases(document):
        reference = _outcome_reference(case, loader)
        fast = _outcome_fast(case, loader)
        if fast is not None:
            FAST_PATH_TAKEN.append(f"{path.stem}:{name}")
            assert fast == reference, f"{path.name} ({name}): fast path differs from pyld"
        # Whatever the fast path did, the public entry point gives the reference's answer.
        try:
            public = canonicalize(case, loader=loader)
        except UndefinedTermError as exc:
            public = f"UndefinedTermError {exc.terms}"
        except CredentialError as exc:
            public = type(exc).__name__
        assert public == reference


def test_fast_path_covers_most_of_the_corpus() -> None:
    """Coverage figure for the report: how many of the corpus' canonicalizations take the fast path."""
    loader = _loader()
    taken = total = 0
    declined: list[str] = []
    for path in _credential_files():
        for name, case in _cases(json.loads(path.read_text(encoding="utf-8"))):
            total += 1
            if _outcome_fast(case, loader) is not None:
                taken += 1
            else:
                declined.append(f"{path.stem} ({name})")
    print(f"fast path: {taken}/{total} canonicalizations; declined: {', '.join(declined) or 'none'}")
    assert total > 0
    assert taken >= 0.9 * total, declined
