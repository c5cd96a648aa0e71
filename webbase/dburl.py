"""``--database URL``: which backend a server stores into, read once from the command line.

A plain path or ``sqlite:///path`` means SQLite (the default, one file per node);
``postgresql://user@host:port/db`` (or ``postgres://``) means a shared PostgreSQL that
several server processes can use at once. Anything else is refused with a message
that says what is accepted, before any file or connection is opened.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit


class DatabaseUrlError(Exception):
    """The ``--database`` value names no backend we support."""


@dataclass(frozen=True)
class DatabaseTarget:
    kind: str                 # "sqlite" or "postgresql"
    path: Path | None = None  # the SQLite file
    url: str | None = None    # the PostgreSQL connection URL (libpq form)

    @property
    def is_postgres(self) -> bool:
        return self.kind == "postgresql"

    def describe(self) -> str:
        """For logs and status lines: the target without any password."""
        if self.path is not None:
            return f"sqlite:{self.path}"
        parts = urlsplit(self.url or "")
        host = parts.hostname or "local socket"
        port = f":{parts.port}" if parts.port else ""
        user = f"{parts.username}@" if parts.username else ""
        return f"postgresql://{user}{host}{port}{parts.path}"


def parse_database(value: str | Path, *, default_dir: Path | None = None) -> DatabaseTarget:
    """Read a ``--database`` value; a relative SQLite path is taken under ``default_dir`` when given."""
    text = str(value).strip()
    if not text:
        raise DatabaseUrlError("--database is empty: give a file path, sqlite:///PATH or postgresql://USER@HOST:PORT/DB")
    lowered = text.lower()
    if lowered.startswith(("postgresql://", "postgres://")):
        parts = urlsplit(text)
        if not parts.path.strip("/"):
            raise DatabaseUrlError(f"--database {DatabaseTarget('postgresql', url=text).describe()} names no "
                                   "database: add /DBNAME")
        return DatabaseTarget("postgresql", url=text)
    if lowered.startswith("sqlite:"):
        if not lowered.startswith("sqlite:///"):
            raise DatabaseUrlError("--database sqlite URLs take three slashes: sqlite:///relative/path or "
                                   "sqlite:////absolute/path")
        text = text[len("sqlite:///"):]
        if not text:
            raise DatabaseUrlError("--database sqlite:/// names no file")
    elif "://" in text:
        scheme = text.split("://", 1)[0]
        raise DatabaseUrlError(f"--database scheme {scheme!r} is not supported: give a file path, sqlite:///PATH or "
                               "postgresql://USER@HOST:PORT/DB")
    path = Path(text).expanduser()
    if not path.is_absolute() and default_dir is not None:
        path = default_dir / path
    return DatabaseTarget("sqlite", path=path)
