"""Holder keys at rest: each account's Ed25519 seed sealed under the server secret (AES-256-GCM).

The AES key is derived from ``server.secret`` with HKDF-SHA256; the account id is
the associated data, so a sealed key copied onto another account's row does not
open. The same secret derives the session-signing key under another HKDF label.
"""

from __future__ import annotations

import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from credentials.keys import Ed25519KeyPair, key_pair_from_seed
from credentials.multibase import decode_base58btc

from .errors import WalletError

_NONCE_BYTES = 12
_VERSION = b"\x01"


def _derive(secret: bytes, label: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=label).derive(secret)


class KeyVault:
    """Seals and opens holder keys; never logs or returns key bytes itself."""

    def __init__(self, server_secret: bytes) -> None:
        self._aead = AESGCM(_derive(server_secret, b"satchel-wallet holder keys v1"))
        self.session_secret = _derive(server_secret, b"satchel-wallet sessions v1")

    def __repr__(self) -> str:
        return "KeyVault(<sealed>)"

    def seal(self, account_id: str, pair: Ed25519KeyPair) -> bytes:
        seed = decode_base58btc(pair.secret_key_multibase())[2:34]  # 0x8026 + 32-byte seed
        nonce = secrets.token_bytes(_NONCE_BYTES)
        return _VERSION + nonce + self._aead.encrypt(nonce, seed, account_id.encode())

    def open(self, account_id: str, sealed: bytes) -> Ed25519KeyPair:
        if not sealed.startswith(_VERSION) or len(sealed) < 1 + _NONCE_BYTES + 16:
            raise WalletError("the holder key of this account is damaged", code="holder_key_damaged")
        nonce, body = sealed[1:1 + _NONCE_BYTES], sealed[1 + _NONCE_BYTES:]
        try:
            seed = self._aead.decrypt(nonce, body, account_id.encode())
        except InvalidTag:
            raise WalletError("the holder key of this account does not open with this server's secret",
                              code="holder_key_damaged") from None
        return key_pair_from_seed(seed)
