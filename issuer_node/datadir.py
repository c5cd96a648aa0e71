"""The data directory of one issuer node: its database, its signing key, its evidence files.

    DIR/
      issuer.db        SQLite (WAL: issuer.db-wal, issuer.db-shm beside it), unless
                       ``--database`` names another file or a PostgreSQL database
      issuer.key       the node's Ed25519 key, mode 0600: Multikey JSON, or sealed
                       with the operator's passphrase (credentials.secretbox)
      evidence/        uploaded evidence files, named by content hash

The key never leaves this module as bytes: callers get a ``Signer``.
"""

from __future__ import annotations

import json
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from credentials.errors import CredentialError
from credentials.keys import Ed25519KeyPair, key_pair_from_json
from credentials.secretbox import MAGIC as SEALED_MAGIC
from credentials.secretbox import Argon2Params, open_sealed, seal
from webbase.dburl import DatabaseTarget, DatabaseUrlError, parse_database
from webbase.secretfile import write_secret_file

from .config import Secret
from .errors import NodeSetupError

DB_FILE = "issuer.db"
KEY_FILE = "issuer.key"
EVIDENCE_DIR = "evidence"


@dataclass(frozen=True)
class DataDir:
    """Paths inside one node's data directory."""

    root: Path

    @property
    def db_path(self) -> Path:
        return self.root / DB_FILE

    @property
    def key_path(self) -> Path:
        return self.root / KEY_FILE

    @property
    def evidence_dir(self) -> Path:
        return self.root / EVIDENCE_DIR

    def database(self, value: str | None) -> DatabaseTarget:
        """Where the node's database is: ``--database`` when given, else ``issuer.db`` here."""
        if value is None:
            return DatabaseTarget("sqlite", path=self.db_path)
        try:
            return parse_database(value)
        except DatabaseUrlError as exc:
            raise NodeSetupError(str(exc), code="bad_database") from None

    def is_initialized(self, database: DatabaseTarget | None = None) -> bool:
        """The key is here, and the database exists (a PostgreSQL database is checked when it is opened)."""
        target = database or self.database(None)
        return self.key_path.exists() and (target.path is None or target.path.exists())

    def require_initialized(self, database: DatabaseTarget | None = None) -> None:
        if not self.is_initialized(database):
            raise NodeSetupError(f"{self.root} is not an issuer data directory (run 'satchel issuer init' first)",
                                 code="not_initialized")

    def prepare_new(self, database: DatabaseTarget | None = None) -> None:
        """Create the directory (0700) for a new node; refuse one that already holds a node."""
        target = database or self.database(None)
        if (target.path is not None and target.path.exists()) or self.db_path.exists() or self.key_path.exists():
            raise NodeSetupError(f"{self.root} already holds an issuer node; refusing to replace its key",
                                 code="already_initialized")
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.evidence_dir.mkdir(mode=0o700, exist_ok=True)


def write_node_key(layout: DataDir, key: Ed25519KeyPair, *, passphrase: Secret | None,
                   params: Argon2Params | None = None) -> None:
    """Write the key file with mode 0600, sealed when a passphrase is given; never overwrites."""
    data = json.dumps(key.to_json(), indent=2).encode() + b"\n"
    if passphrase is not None:
        data = seal(data, passphrase.value, **({"params": params} if params is not None else {}))
    write_secret_file(layout.key_path, data)


def key_is_sealed(layout: DataDir) -> bool:
    with open(layout.key_path, "rb") as handle:
        return handle.read(len(SEALED_MAGIC)) == SEALED_MAGIC


def load_node_key(layout: DataDir, *, passphrase: Secret | None) -> Ed25519KeyPair:
    """Open the node's key; a sealed key needs the right passphrase (``NodeSetupError`` otherwise)."""
    if not layout.key_path.exists():
        layout.require_initialized()  # Says what is missing.
    mode = stat.S_IMODE(os.stat(layout.key_path).st_mode)
    if mode & 0o077:
        raise NodeSetupError(f"{layout.key_path} is readable by other users (mode {mode:04o}); chmod 600 it",
                             code="key_file_mode")
    data = layout.key_path.read_bytes()
    if data.startswith(SEALED_MAGIC):
        if passphrase is None:
            raise NodeSetupError("the node's key is sealed with a passphrase: give --passphrase-file",
                                 code="key_locked")
        try:
            data = open_sealed(data, passphrase.value)
        except CredentialError:
            raise NodeSetupError("the passphrase does not open the node's key", code="wrong_passphrase") from None
    try:
        return key_pair_from_json(json.loads(data))
    except (ValueError, CredentialError):
        raise NodeSetupError(f"{layout.key_path} is not a readable key file", code="key_file_invalid") from None


def read_passphrase_file(path: str | os.PathLike[str]) -> Secret:
    """The passphrase in a file (one trailing newline dropped); an empty one is refused."""
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise NodeSetupError(f"cannot read the passphrase file {path}: {exc.strerror}", code="passphrase_file") from None
    if raw.endswith(b"\r\n"):
        raw = raw[:-2]
    elif raw.endswith(b"\n"):
        raw = raw[:-1]
    if not raw:
        raise NodeSetupError(f"the passphrase file {path} is empty", code="passphrase_file")
    return Secret(raw)
