"""The wallet's configuration and the layout of its data directory.

    DIR/wallet.db        SQLite (WAL): accounts, emails, credentials, shares, status cache, outbox
    DIR/server.secret    32 random bytes, mode 0600: seals every holder key and derives the session key
    DIR/settings.json    {"publicUrl": ...} written by ``satchel wallet init``

``--database`` (``webbase.dburl``) may put the tables elsewhere: another SQLite file, or
a PostgreSQL database that several wallet processes share. Those processes share the
data directory's ``server.secret`` (the same file, or a copy of it): it seals the holder
keys and signs the session cookies, so any process can open any learner's session.

The holder keys are in the database only sealed under ``server.secret`` (AES-GCM,
see ``wallet.keyvault``), so a copy of the database alone gives away no key
(DESIGN.md §4). ``serve --public-url`` overrides the stored public URL.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from webbase.dburl import DatabaseTarget
from webbase.netpolicy import AddressPolicy, IPNetwork
from webbase.secretfile import write_secret_file

from .errors import Refused

DB_NAME = "wallet.db"
SECRET_NAME = "server.secret"
SETTINGS_NAME = "settings.json"
SECRET_BYTES = 32
DEFAULT_PORT = 8090
MAX_UPLOAD_BYTES = 16 * 1024 * 1024
MAX_FILES_PER_UPLOAD = 200


@dataclass(frozen=True)
class WalletConfig:
    """What a running wallet needs to know; every URL it publishes starts with ``public_url``."""

    data_dir: Path
    public_url: str
    smtp: tuple[str, int] | None = None
    mail_sender: str = "wallet@localhost"
    refresh_interval_seconds: float = 3600.0
    max_upload_bytes: int = MAX_UPLOAD_BYTES
    # Issuers reached over plain http besides loopback (OpenID4VCI asks for https; see oid4vci_client).
    http_issuer_hosts: tuple[str, ...] = ()
    database: DatabaseTarget | None = None  # None: DIR/wallet.db
    # Private networks the operator trusts for offers and status lists (``serve --allow-network``); by
    # default fetches reach public addresses and loopback only (webbase.netpolicy).
    allowed_networks: tuple[IPNetwork, ...] = ()

    @property
    def address_policy(self) -> AddressPolicy:
        return AddressPolicy(allowed_networks=self.allowed_networks)

    @property
    def db_path(self) -> Path:
        return self.data_dir / DB_NAME

    @property
    def database_target(self) -> DatabaseTarget:
        """Where the tables are: ``--database``, else the SQLite file in the data directory."""
        return self.database or DatabaseTarget("sqlite", path=self.db_path)

    @property
    def secret_path(self) -> Path:
        return self.data_dir / SECRET_NAME


def normalize_public_url(url: str) -> str:
    """A public URL is http(s) with a host and no query; kept without a trailing slash."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise Refused(f"the public URL must be http(s)://host[:port][/path], not {url!r}", code="bad_public_url")
    return url.strip().rstrip("/")


def init_data_dir(data_dir: Path, *, public_url: str | None, database: DatabaseTarget | None = None) -> None:
    """Create the data directory, its server secret (0600) and settings; refuse to overwrite a secret.

    The SQLite file is created 0600 when it is the store (``database`` None or a SQLite target)."""
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    secret_path = data_dir / SECRET_NAME
    if secret_path.exists():
        raise Refused(f"{data_dir} is already a wallet data directory ({SECRET_NAME} exists)", code="already_initialized")
    write_secret_file(secret_path, secrets.token_bytes(SECRET_BYTES))
    # The database holds password hashes and share tokens: readable by the owner only
    # (an empty file is an empty SQLite database; the directory itself is 0700).
    sqlite_path = data_dir / DB_NAME if database is None else database.path
    if sqlite_path is not None and not sqlite_path.exists():
        sqlite_path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.close(os.open(sqlite_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    stored = normalize_public_url(public_url) if public_url else None
    settings: dict[str, str | None] = {"publicUrl": stored}
    if database is not None and database.is_postgres:
        # Where the tables are (without any password), so that a command given no --database is
        # refused instead of opening an empty SQLite file beside the secret.
        settings["database"] = database.describe()
    (data_dir / SETTINGS_NAME).write_text(json.dumps(settings, indent=2) + "\n", encoding="utf-8")


def stored_public_url(data_dir: Path) -> str | None:
    settings = data_dir / SETTINGS_NAME
    if not settings.is_file():
        return None
    value = json.loads(settings.read_text(encoding="utf-8")).get("publicUrl")
    return value if isinstance(value, str) else None


def stored_database(data_dir: Path) -> str | None:
    """The PostgreSQL database ``init --database`` named (password-free), if any."""
    settings = data_dir / SETTINGS_NAME
    if not settings.is_file():
        return None
    value = json.loads(settings.read_text(encoding="utf-8")).get("database")
    return value if isinstance(value, str) else None


def load_config(data_dir: Path, *, public_url: str | None = None, smtp: tuple[str, int] | None = None,
                default_public_url: str | None = None, database: DatabaseTarget | None = None) -> WalletConfig:
    """Read the settings of an initialized data directory; ``public_url`` (``--public-url``) wins."""
    if not (data_dir / SECRET_NAME).is_file():
        raise Refused(f"{data_dir} is not a wallet data directory: run 'satchel wallet init --data-dir {data_dir}' first",
                      code="not_initialized")
    elsewhere = stored_database(data_dir)
    if database is None and elsewhere is not None:
        raise Refused(f"the wallet of {data_dir} keeps its tables in {elsewhere}: pass --database with its URL",
                      code="database_required")
    chosen = public_url or stored_public_url(data_dir) or default_public_url
    if chosen is None:
        raise Refused("no public URL: pass --public-url", code="bad_public_url")
    return WalletConfig(data_dir=data_dir, public_url=normalize_public_url(chosen), smtp=smtp, database=database)


def read_server_secret(config: WalletConfig) -> bytes:
    data = config.secret_path.read_bytes()
    if len(data) != SECRET_BYTES:
        raise Refused(f"{config.secret_path} is damaged: {len(data)} bytes, expected {SECRET_BYTES}", code="bad_secret")
    return data

