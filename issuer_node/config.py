"""The issuer node's configuration: where its data lives and how it is reached."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8080


@dataclass(frozen=True)
class Secret:
    """A secret value (a passphrase) whose ``repr`` never shows it, so it cannot leak into a log."""

    value: bytes = field(repr=False)

    def __repr__(self) -> str:
        return "Secret(***)"


@dataclass(frozen=True)
class IssuerConfig:
    """Everything ``create_app`` and the CLI need to open a node.

    ``public_url`` is the base of every URL the node publishes (achievement,
    credential and status list ids, offers); ``None`` means ``http://HOST:PORT``
    as actually bound. ``smtp`` is ``(host, port)`` or ``None`` (mail then stays
    in the outbox). ``passphrase`` opens a sealed key file. ``database`` is the
    ``--database`` value (a SQLite path or ``sqlite:///…``, or ``postgresql://…``);
    ``None`` means the SQLite file in the data directory.
    """

    data_dir: Path
    public_url: str | None = None
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    smtp: tuple[str, int] | None = None
    passphrase: Secret | None = None
    database: str | None = None
    # Cookies ignore ports: nodes sharing a host (``satchel demo`` runs two) need cookie names of their own.
    cookie_prefix: str = "satchel_issuer"


def normalize_public_url(value: str) -> str:
    """An http(s) base URL without a trailing slash; raises ``ValueError`` for anything else."""
    from urllib.parse import urlsplit

    text = value.strip().rstrip("/")
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise ValueError(f"a public URL is http(s)://host[:port][/path], not {value!r}")
    return text
