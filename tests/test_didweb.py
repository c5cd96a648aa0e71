"""``--online`` did:web mapping (did:web §3.2); the fetch itself is never exercised: tests have no network."""

import pytest

from verifier.didweb import DidWebError, did_web_url, fetch_did_web_documents


@pytest.mark.parametrize(("did", "url"), [
    ("did:web:w3c-ccg.github.io", "https://w3c-ccg.github.io/.well-known/did.json"),
    ("did:web:example.com:user:alice", "https://example.com/user/alice/did.json"),
    ("did:web:example.com%3A3000:u", "https://example.com:3000/u/did.json"),
    ("did:web:example.com#key-1", "https://example.com/.well-known/did.json"),
])
def test_maps_did_web_to_https(did: str, url: str) -> None:
    assert did_web_url(did) == url


@pytest.mark.parametrize("did", ["did:key:z6Mk", "did:web:", "did:web:evil.example%2Fpath", "did:web:user@host"])
def test_refuses_malformed_did_web(did: str) -> None:
    with pytest.raises(DidWebError):
        did_web_url(did)


def test_given_documents_are_not_fetched_again() -> None:
    doc = {"id": "did:web:example.com"}
    credential = {"proof": {"verificationMethod": "did:web:example.com#key-1"}}
    assert fetch_did_web_documents(credential, known=[doc]) == []
