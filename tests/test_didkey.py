"""did:key for Ed25519: encode, decode, resolve, and the errors for everything else."""

import pytest

from credentials.didkey import decode_public_key, did_from_public_key, public_key_from_did, resolve_did_key, verification_method_id
from credentials.errors import DidKeyError
from credentials.keys import generate_key_pair, key_pair_from_json
from credentials.multibase import ED25519_PUB, encode_base58btc

W3C_DID = "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"


def test_round_trips_a_generated_key() -> None:
    pair = generate_key_pair()
    assert pair.did.startswith("did:key:z6Mk")
    assert public_key_from_did(pair.did) == pair.public_key
    assert did_from_public_key(pair.public_key) == pair.did
    assert key_pair_from_json(pair.to_json()).did == pair.did


def test_resolves_to_a_multikey_document() -> None:
    doc = resolve_did_key(W3C_DID)
    vm = doc["verificationMethod"][0]
    assert vm == {"id": f"{W3C_DID}#z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2", "type": "Multikey",
                  "controller": W3C_DID, "publicKeyMultibase": "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"}
    assert doc["assertionMethod"] == [vm["id"]] and doc["authentication"] == [vm["id"]]
    assert verification_method_id(W3C_DID) == vm["id"]


def test_key_repr_hides_the_secret() -> None:
    pair = generate_key_pair()
    assert pair.secret_key_multibase() not in repr(pair)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("did:web:example.com", "not a did:key"),
        ("did:key:", "not a multibase"),
        ("did:key:6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2", "must start with 'z'"),
        ("did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ0", "invalid base58btc"),
        ("did:key:zDnaegE6RR3atJtHKwTRTWHsJ3kNHqFwv7n9YjTgmU7TyfU76", "not an Ed25519 key"),
        ("did:key:" + encode_base58btc(ED25519_PUB + bytes(31)), "32 bytes"),
        (f"{W3C_DID}#z6MkOther", "not this did:key's key"),
    ],
)
def test_rejects_malformed_or_foreign_did_key(value: str, message: str) -> None:
    with pytest.raises(DidKeyError, match=message):
        public_key_from_did(value)


def test_rejects_a_key_file_whose_public_key_does_not_match() -> None:
    pair = generate_key_pair().to_json()
    pair["publicKeyMultibase"] = generate_key_pair().public_key_multibase
    with pytest.raises(DidKeyError, match="does not match"):
        key_pair_from_json(pair)


def test_rejects_non_ed25519_multibase() -> None:
    with pytest.raises(DidKeyError):
        decode_public_key("zQ3shokFTS3brHcDQrn82RUDfCZESWL1ZdCEJwekUDPQiYBme")
