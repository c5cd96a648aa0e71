"""``Wallet``: what every feature function is given (config, store, key vault, mail, clock).

Routes, the CLI, the background refresh and the bench all build one and call the
same feature modules with it; nothing in a feature reads a global.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Protocol

from credentials.xsd import format_datetime

from .config import WalletConfig, read_server_secret
from .keyvault import KeyVault
from .storage import WalletStore, open_store


class MailSender(Protocol):
    """What sending mail needs (``webbase.mail.Mailer`` fits): True when the message left."""

    async def send(self, to: str, subject: str, body: str) -> bool: ...


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class Wallet:
    config: WalletConfig
    store: WalletStore
    vault: KeyVault
    mailer: MailSender | None = None
    clock: Callable[[], datetime] = field(default=utc_now)

    def now(self) -> datetime:
        return self.clock()

    def now_text(self) -> str:
        return format_datetime(self.clock())

    def url(self, path: str) -> str:
        """An absolute URL on the wallet's public URL (``path`` starts with ``/``)."""
        return self.config.public_url + path

    def close(self) -> None:
        self.store.close()


def open_wallet(config: WalletConfig, *, mailer: MailSender | None = None) -> Wallet:
    """Open the store (``config.database_target``: migrated as needed) and the data directory's key vault."""
    vault = KeyVault(read_server_secret(config))
    return Wallet(config=config, store=open_store(config.database_target), vault=vault, mailer=mailer)
