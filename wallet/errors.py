"""The wallet's exception tree: feature modules raise these, the web layer maps them once.

    WalletError                    (code, status: the HTTP status the web layer answers with)
    ├── NotFound                   404: no such thing *for this account* (another's is not found either)
    ├── Conflict                   409: an email or account that exists already
    ├── Gone                       410: a revoked or expired share link
    ├── Refused                    400: input the wallet will not take (with a precise detail)
    ├── Unauthorized               401: no or bad credentials (password, token)
    └── ExportError                400: an export file that cannot be opened (wrong passphrase, changed byte)

A feature never raises an HTTP exception; routes never invent error JSON.
"""

from __future__ import annotations


class WalletError(Exception):
    """Base of the wallet's errors: a stable ``code``, an HTTP ``status`` and a detail for people."""

    code = "wallet_error"
    status = 400

    def __init__(self, detail: str, *, code: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        if code is not None:
            self.code = code


class NotFound(WalletError):
    code = "not_found"
    status = 404


class Conflict(WalletError):
    code = "conflict"
    status = 409


class Gone(WalletError):
    code = "gone"
    status = 410


class Refused(WalletError):
    code = "refused"
    status = 400


class Unauthorized(WalletError):
    code = "unauthorized"
    status = 401


class ExportError(WalletError):
    code = "export_unreadable"
    status = 400
