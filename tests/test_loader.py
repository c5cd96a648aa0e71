"""The offline loader serves bundled, hash-pinned contexts and refuses everything else."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from credentials.canonical import canonicalize
from credentials.errors import ContextIntegrityError, ContextNotBundledError
from credentials.loader import ContextPinnedError, DocumentLoader, bundled_loader, read_manifest

VC_V2 = "https://www.w3.org/ns/credentials/v2"


def test_serves_every_manifest_entry() -> None:
    loader = bundled_loader()
    files, _ = read_manifest()
    for url in files:
        assert isinstance(loader.load(url), dict), url


def test_refuses_an_unbundled_url_without_fetching() -> None:
    with pytest.raises(ContextNotBundledError, match="context not bundled: https://example.org/ctx.jsonld"):
        bundled_loader().load("https://example.org/ctx.jsonld")


def test_refuses_a_bundled_file_whose_hash_differs(tmp_path: Path) -> None:
    files, hashes = read_manifest()
    copy = tmp_path / "v2.json"
    shutil.copy(files[VC_V2], copy)
    data = json.loads(copy.read_text())
    data["@context"]["name"] = "https://evil.example/name"
    copy.write_text(json.dumps(data, indent=2) + "\n")
    loader = DocumentLoader({VC_V2: copy}, hashes={VC_V2: hashes[VC_V2]})
    with pytest.raises(ContextIntegrityError, match="does not match its pinned sha256"):
        loader.load(VC_V2)


def test_canonicalize_reports_the_unbundled_context_by_url() -> None:
    doc = {"@context": [VC_V2, "https://example.org/unknown/v1"], "type": ["VerifiableCredential"],
           "issuer": "did:example:1", "credentialSubject": {"id": "did:example:2"}}
    with pytest.raises(ContextNotBundledError, match="context not bundled: https://example.org/unknown/v1"):
        canonicalize(doc, loader=bundled_loader())


def test_a_context_one_loader_was_given_is_refused_by_another() -> None:
    """pyld caches resolved contexts per process; our loader must still be asked first."""
    url = "https://example.org/given/v1"
    given = bundled_loader().with_documents({url: {"@context": {"extra": "https://example.org/extra"}}})
    doc = {"@context": [VC_V2, url], "type": ["VerifiableCredential"], "issuer": "did:example:1",
           "credentialSubject": {"id": "did:example:2", "extra": "x"}}
    assert "https://example.org/extra" in canonicalize(doc, loader=given)
    with pytest.raises(ContextNotBundledError, match="context not bundled"):
        canonicalize(doc, loader=bundled_loader())


def test_a_bundled_context_cannot_be_replaced_by_a_caller() -> None:
    """Pinning lives in the loader itself, so no server or command can redefine what a bundled URL means."""
    forged = {"@context": {"@vocab": "https://evil.example/#"}}
    with pytest.raises(ContextPinnedError) as caught:
        bundled_loader().with_documents({VC_V2: forged})
    assert caught.value.code == "context_pinned"
    files, hashes = read_manifest()
    with pytest.raises(ContextPinnedError):
        DocumentLoader(files, {VC_V2: forged}, hashes)
    assert bundled_loader().load(VC_V2) != forged


def test_a_copy_equal_to_the_bundled_context_is_accepted_and_changes_nothing() -> None:
    loader = bundled_loader().with_documents({VC_V2: bundled_loader().load(VC_V2)})
    assert loader.load(VC_V2) == bundled_loader().load(VC_V2)
    assert loader.cache_key == bundled_loader().cache_key
