"""Password hashing with Argon2id (argon2-cffi's recommended parameters).

Hashing and verifying take tens of milliseconds of CPU on purpose: handlers call them through
``webbase.cpu.run_cpu`` so a login never stalls the loop.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()

MAX_PASSWORD_LENGTH = 1024  # Longer input is refused rather than hashed: it is never a real password.


def hash_password(password: str) -> str:
    """An encoded Argon2id hash (salt and parameters included) to store instead of the password."""
    if len(password) > MAX_PASSWORD_LENGTH:
        raise ValueError(f"a password must be at most {MAX_PASSWORD_LENGTH} characters")
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True only when ``password`` matches; a wrong password or a damaged hash is False, never an exception."""
    if len(password) > MAX_PASSWORD_LENGTH:
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with weaker parameters than today's (rehash after a good login)."""
    try:
        return _hasher.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True
