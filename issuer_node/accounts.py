"""Operators of the node: users with a role, their bearer tokens, and the checks every API route makes.

Tokens and one-time passwords are shown once and stored only as a hash
(``webbase.tokens.hash_token``, Argon2id for passwords).
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timezone

from webbase.passwords import hash_password
from webbase.tokens import hash_token, new_token

from .errors import Conflict, Forbidden, InvalidRequest, Unauthorized
from .storage import IssuerStore, User
from .storage.records import ROLES, Role

# The user ``init`` creates: it has an API token, no password (add a person with ``user add``).
BOOTSTRAP_ADMIN = "admin@localhost"
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+")


@dataclass(frozen=True)
class NewUser:
    user: User
    password: str  # Shown once; only its hash is stored.


def parse_role(value: str) -> Role:
    if value not in ROLES:
        raise InvalidRequest(f"a role is one of {', '.join(ROLES)}, not {value!r}", field="role")
    return value


def add_user(store: IssuerStore, email: str, role: str, *, now: datetime | None = None) -> NewUser:
    """Create a user with a random one-time password (Argon2id-hashed)."""
    address = email.strip()
    if not _EMAIL.fullmatch(address) or len(address) > 254:
        raise InvalidRequest(f"not an email address: {email!r}", field="email")
    checked = parse_role(role)
    if store.get_user_by_email(address) is not None:
        raise Conflict(f"a user {address} already exists", code="user_exists")
    password = secrets.token_urlsafe(12)
    user = store.add_user(address, checked, password_hash=hash_password(password),
                          created=now or datetime.now(timezone.utc))
    return NewUser(user=user, password=password)


def issue_api_token(store: IssuerStore, user: User, *, label: str | None = None, now: datetime | None = None) -> str:
    """A new bearer token for ``user``; returned once, stored as its SHA-256."""
    token = new_token()
    store.add_api_token(hash_token(token), user.id, created=now or datetime.now(timezone.utc), label=label)
    return token


def authenticate(store: IssuerStore, token: str | None) -> User:
    """The user a bearer token belongs to; ``Unauthorized`` for a missing or unknown token."""
    if not token:
        raise Unauthorized("this route needs an 'Authorization: Bearer <token>' header", code="missing_token")
    user = store.user_for_token(hash_token(token))
    if user is None:
        raise Unauthorized("the bearer token is not valid for this node", code="invalid_token")
    return user


def require_role(user: User, *roles: Role) -> None:
    if user.role not in roles:
        raise Forbidden(f"this needs the role {' or '.join(roles)}; {user.email} is {user.role}", code="wrong_role")
