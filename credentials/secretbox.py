"""Passphrase encryption of a secret (a signing key, a holder key in a wallet export), bytes in and out.

The key is derived with Argon2id (RFC 9106) from the passphrase and a random
salt; the secret is sealed with AES-256-GCM. The blob describes itself, so that
parameters can change later and old blobs still open::

    offset  size  field
    0       8     magic b"SATCHSBX"
    8       1     format version (1)
    9       1     KDF (1 = Argon2id v1.3)
    10      4     time_cost (iterations), big-endian
    14      4     memory_cost in KiB, big-endian
    18      1     parallelism (lanes)
    19      1     salt length S (16 written)
    20      S     salt
    20+S    1     AEAD (1 = AES-256-GCM)
    21+S    1     nonce length N (12)
    22+S    N     nonce
    22+S+N  …     ciphertext ‖ 16-byte tag

The whole header is the AEAD's associated data: changing any byte of it (or of
the ciphertext), or a wrong passphrase, fails authentication and raises
``SecretBoxError`` (code ``sealed_open_failed``); garbage is never returned.
Opening refuses parameters past fixed bounds before deriving anything, so a
crafted blob cannot make the reader spend gigabytes or minutes.
"""

from __future__ import annotations

import os
import struct
import unicodedata
from dataclasses import dataclass

from argon2.low_level import Type, hash_secret_raw
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from .errors import CredentialError

MAGIC = b"SATCHSBX"
VERSION = 1
KDF_ARGON2ID = 1
AEAD_AES_256_GCM = 1
SALT_BYTES = 16
NONCE_BYTES = 12
KEY_BYTES = 32
TAG_BYTES = 16
# Bounds on what a blob may ask of the reader (and what a writer may choose).
MAX_TIME_COST = 64
MAX_MEMORY_KIB = 1024 * 1024  # 1 GiB
MAX_PARALLELISM = 16
MAX_BLOB_BYTES = 256 * 1024 * 1024  # A whole wallet export is sealed as one blob.
_FIXED = struct.Struct(">8sBBIIBB")  # magic, version, kdf, time, memory, parallelism, salt length


class SecretBoxError(CredentialError):
    """A sealed secret that cannot be opened (wrong passphrase, changed byte, unknown format)."""

    code = "sealed_open_failed"


@dataclass(frozen=True)
class Argon2Params:
    """Argon2id cost parameters. The defaults follow RFC 9106 §4's second recommendation in spirit
    (64 MiB, 3 passes); tests pass cheaper ones."""

    time_cost: int = 3
    memory_kib: int = 64 * 1024
    parallelism: int = 4

    def check(self) -> None:
        """Refuse parameters Argon2 cannot use or that exceed the reader's bounds."""
        if not 1 <= self.time_cost <= MAX_TIME_COST:
            raise SecretBoxError(f"argon2 time_cost must be 1..{MAX_TIME_COST}", code="sealed_bad_params")
        if not 1 <= self.parallelism <= MAX_PARALLELISM:
            raise SecretBoxError(f"argon2 parallelism must be 1..{MAX_PARALLELISM}", code="sealed_bad_params")
        if not 8 * self.parallelism <= self.memory_kib <= MAX_MEMORY_KIB:
            raise SecretBoxError(f"argon2 memory must be {8 * self.parallelism}..{MAX_MEMORY_KIB} KiB",
                                 code="sealed_bad_params")


DEFAULT_PARAMS = Argon2Params()


def seal(plaintext: bytes, passphrase: str | bytes, *, params: Argon2Params = DEFAULT_PARAMS) -> bytes:
    """Encrypt ``plaintext`` under ``passphrase``; the result opens only with ``open_sealed``."""
    if not isinstance(plaintext, bytes):
        raise SecretBoxError("the secret to seal must be bytes", code="sealed_bad_input")
    if len(plaintext) > MAX_BLOB_BYTES - 256:
        raise SecretBoxError("the secret to seal is too large", code="sealed_bad_input")
    params.check()
    salt = os.urandom(SALT_BYTES)
    nonce = os.urandom(NONCE_BYTES)
    header = (_FIXED.pack(MAGIC, VERSION, KDF_ARGON2ID, params.time_cost, params.memory_kib, params.parallelism,
                          SALT_BYTES) + salt + bytes([AEAD_AES_256_GCM, NONCE_BYTES]) + nonce)
    key = _derive(_passphrase_bytes(passphrase), salt, params)
    return header + AESGCM(key).encrypt(nonce, plaintext, header)


def open_sealed(blob: bytes, passphrase: str | bytes) -> bytes:
    """Decrypt a blob from ``seal``; raise ``SecretBoxError`` for a wrong passphrase or any change."""
    if not isinstance(blob, bytes) or len(blob) > MAX_BLOB_BYTES:
        raise SecretBoxError("not a sealed secret (wrong type or too large)")
    if len(blob) < _FIXED.size or not blob.startswith(MAGIC):
        raise SecretBoxError("not a sealed secret (no SATCHSBX header)")
    _, version, kdf, time_cost, memory_kib, parallelism, salt_len = _FIXED.unpack_from(blob)
    if version != VERSION or kdf != KDF_ARGON2ID:
        raise SecretBoxError(f"sealed secret of an unknown format (version {version}, kdf {kdf})")
    params = Argon2Params(time_cost=time_cost, memory_kib=memory_kib, parallelism=parallelism)
    try:
        params.check()
    except SecretBoxError:
        raise SecretBoxError("sealed secret with argon2 parameters out of bounds") from None
    pos = _FIXED.size
    if salt_len < 8 or len(blob) < pos + salt_len + 2:
        raise SecretBoxError("sealed secret truncated or with a bad salt length")
    salt = blob[pos:pos + salt_len]
    pos += salt_len
    aead, nonce_len = blob[pos], blob[pos + 1]
    pos += 2
    if aead != AEAD_AES_256_GCM or nonce_len != NONCE_BYTES:
        raise SecretBoxError(f"sealed secret with an unknown cipher ({aead}) or nonce length ({nonce_len})")
    if len(blob) < pos + nonce_len + TAG_BYTES:
        raise SecretBoxError("sealed secret truncated")
    nonce = blob[pos:pos + nonce_len]
    pos += nonce_len
    header, sealed = blob[:pos], blob[pos:]
    key = _derive(_passphrase_bytes(passphrase), salt, params)
    try:
        return AESGCM(key).decrypt(nonce, sealed, header)
    except InvalidTag:
        raise SecretBoxError("the sealed secret does not open: wrong passphrase, or the data was changed") from None


def _passphrase_bytes(passphrase: str | bytes) -> bytes:
    # NFC, so that the same passphrase typed on two systems (composed or decomposed accents) opens.
    if isinstance(passphrase, str):
        data = unicodedata.normalize("NFC", passphrase).encode("utf-8")
    elif isinstance(passphrase, bytes):
        data = passphrase
    else:
        raise SecretBoxError("a passphrase is a string or bytes", code="sealed_bad_input")
    if not data:
        raise SecretBoxError("an empty passphrase protects nothing", code="sealed_empty_passphrase")
    return data


def _derive(passphrase: bytes, salt: bytes, params: Argon2Params) -> bytes:
    return hash_secret_raw(passphrase, salt, time_cost=params.time_cost, memory_cost=params.memory_kib,
                           parallelism=params.parallelism, hash_len=KEY_BYTES, type=Type.ID)
