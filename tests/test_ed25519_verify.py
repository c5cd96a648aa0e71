"""Ed25519 verification (credentials.keys.verify_ed25519, libsodium through PyNaCl).

Every proof and VC-JWT signature is checked here. What a user relies on: a signature made
by an honest key verifies (RFC 8032's own vectors, and signatures from the signer Satchel
issues with); any change to the message, the signature or the key makes it fail with
``InvalidSignatureError``; and a "weak key" forgery that RFC 8032 verification lets through
is refused.
"""

from __future__ import annotations

import os

import pytest

from credentials.errors import InvalidSignatureError
from credentials.keys import generate_key_pair, verify_ed25519

# RFC 8032 §7.1, TEST 1-3: (public key, message, signature).
RFC8032 = [
    ("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
     "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"),
    ("3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
     "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"),
    ("fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
     "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a"),
]


@pytest.mark.parametrize(("key", "message", "signature"), RFC8032)
def test_rfc8032_vectors_verify_and_any_change_fails(key: str, message: str, signature: str) -> None:
    public, data, sig = bytes.fromhex(key), bytes.fromhex(message), bytes.fromhex(signature)
    verify_ed25519(public, sig, data)
    with pytest.raises(InvalidSignatureError):
        verify_ed25519(public, sig, data + b"!")
    with pytest.raises(InvalidSignatureError):
        verify_ed25519(public, sig[:-1] + bytes([sig[-1] ^ 1]), data)
    with pytest.raises(InvalidSignatureError):
        verify_ed25519(bytes([public[0] ^ 1]) + public[1:], sig, data)


def test_signatures_of_satchels_signer_verify() -> None:
    pair = generate_key_pair()
    for _ in range(20):
        data = os.urandom(64)
        verify_ed25519(pair.public_key, pair.sign(data), data)


def test_malformed_keys_and_signatures_are_refused_with_their_reason() -> None:
    pair = generate_key_pair()
    signature = pair.sign(b"data")
    with pytest.raises(InvalidSignatureError, match="32 bytes"):
        verify_ed25519(pair.public_key[:31], signature, b"data")
    with pytest.raises(InvalidSignatureError, match="does not match"):
        verify_ed25519(pair.public_key, signature[:63], b"data")
    with pytest.raises(InvalidSignatureError, match="does not match"):
        verify_ed25519(pair.public_key, signature + b"\0", b"data")


def test_the_weak_key_forgery_is_refused() -> None:
    # The identity point as public key and (R = identity, S = 0) as signature satisfy the
    # RFC 8032 equation for every message (OpenSSL 3, through ``cryptography``, accepts it).
    identity = b"\x01" + b"\x00" * 31
    forged = identity + b"\x00" * 32
    for message in (b"any message", b"another one", b""):
        with pytest.raises(InvalidSignatureError):
            verify_ed25519(identity, forged, message)
