"""Length bounds on DIDs and proof values handed to sign, present and canonicalize."""

from __future__ import annotations

import json

import pytest
from reference import reference_dir

from credentials.errors import CredentialError
from credentials.limits import MAX_DID_LENGTH, MAX_PROOF_VALUE_LENGTH, ValueTooLongError, check_value_lengths


def test_every_realworld_credential_is_within_the_bounds() -> None:
    folder = reference_dir() / "realworld"
    checked = 0
    for path in sorted(folder.glob("*.json")):
        check_value_lengths(json.loads(path.read_text(encoding="utf-8")))
        checked += 1
    assert checked >= 40


@pytest.mark.parametrize(("document", "path"), [
    ({"issuer": "did:key:z6Mk" + "a" * MAX_DID_LENGTH}, "$.issuer"),
    ({"credentialSubject": {"id": "did:web:" + "a" * MAX_DID_LENGTH}}, "$.credentialSubject.id"),
    ({"proof": [{"verificationMethod": "did:key:" + "z" * MAX_DID_LENGTH}]}, "$.proof[0].verificationMethod"),
    ({"verifiableCredential": [{"proof": {"proofValue": "z" * (MAX_PROOF_VALUE_LENGTH + 1)}}]},
     "$.verifiableCredential[0].proof.proofValue"),
])
def test_rejects_over_long_values_with_their_path(document: dict[str, object], path: str) -> None:
    with pytest.raises(ValueTooLongError) as raised:
        check_value_lengths(document)
    assert isinstance(raised.value, CredentialError)
    assert raised.value.code == "value_too_long"
    assert raised.value.path == path
    assert "aaaa" not in str(raised.value) and "zzzz" not in str(raised.value)


def test_long_data_that_is_not_an_identifier_is_allowed() -> None:
    image = "data:image/png;base64," + "A" * 500_000
    check_value_lengths({"achievement": {"image": {"id": image}}, "description": "did:" + "x" * 10_000})


def test_deep_document_does_not_recurse() -> None:
    document: dict[str, object] = {}
    node = document
    for _ in range(200_000):
        child: dict[str, object] = {}
        node["a"] = child
        node = child
    check_value_lengths(document)
