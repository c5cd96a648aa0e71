"""The issuer node's exception tree: feature errors with a stable ``code`` and the HTTP status they map to.

    IssuerError                 (code, status, field)
    ├── InvalidRequest          400: input the node cannot accept (names the field)
    ├── Unauthorized            401: no or unknown bearer token
    ├── Forbidden               403: a known user without the role the action needs
    ├── NotFound                404: no such achievement, credential, list or user
    ├── Conflict                409: the state forbids it (retired achievement, already revoked, user exists)
    └── NodeSetupError          the data directory or key cannot be used (not initialized, wrong passphrase)

Feature modules raise these; the app maps them to RFC 9457 problems in one
middleware and the CLI prints ``error: <detail>``. Neither ever sees a traceback.
"""

from __future__ import annotations


class IssuerError(Exception):
    """Base of every issuer-node feature error."""

    code = "issuer_error"
    status = 400

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field
        if code is not None:
            self.code = code


class InvalidRequest(IssuerError):
    code = "invalid_request"
    status = 400


class Unauthorized(IssuerError):
    code = "unauthorized"
    status = 401


class Forbidden(IssuerError):
    code = "forbidden"
    status = 403


class NotFound(IssuerError):
    code = "not_found"
    status = 404


class Conflict(IssuerError):
    code = "conflict"
    status = 409


class NodeSetupError(IssuerError):
    """A data directory that is missing, not initialized, already initialized, or a key that will not open."""

    code = "node_setup"
    status = 500
