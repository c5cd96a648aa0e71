"""A real PostgreSQL for the tests: Debian's server, a throwaway cluster, one database per test.

``pg_cluster`` (session scope) runs ``initdb`` into a temporary folder and ``pg_ctl start``
on a free loopback port (and a socket in that folder), with trust authentication for
local connections only; it stops the server and removes the folder afterwards. When
the server binaries are missing and we are root, ``apt-get install -y postgresql``
provides them. As root, the cluster belongs to the ``postgres`` system user, because
``initdb`` refuses to run as root.

Where no server can be had, the PostgreSQL runs skip with one line saying why; under
``CI=true`` that is a failure instead, so CI always runs both backends.

``pg_url`` (function scope) creates a fresh database in that cluster and returns its
``postgresql://`` URL; every test starts from an empty schema.
"""

from __future__ import annotations

import glob
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from system_packages import install


@dataclass(frozen=True)
class PgCluster:
    host: str
    port: int
    user: str
    folder: Path

    def url(self, database: str) -> str:
        return f"postgresql://{self.user}@{self.host}:{self.port}/{database}"

    def create_database(self, prefix: str = "t") -> str:
        """Create an empty database and return its URL."""
        import psycopg

        name = f"{prefix}_{secrets.token_hex(6)}"
        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"PostgreSQL tests cannot run under CI=true: {reason}", pytrace=False)
    pytest.skip(f"PostgreSQL tests skipped: {reason}")


def _bin_dir() -> Path | None:
    """The folder holding initdb/pg_ctl/postgres: Debian's versioned folder, else PATH."""
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if Path(candidate, "initdb").exists() and Path(candidate, "pg_ctl").exists():
            return Path(candidate)
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _find_or_install() -> tuple[Path | None, str]:
    why = install("postgresql", "the PostgreSQL server (initdb, pg_ctl)", lambda: _bin_dir() is not None)
    return _bin_dir(), why or ""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _as_owner(argv: list[str]) -> list[str]:
    """Run as the cluster's owner: ourselves, or the ``postgres`` user when we are root."""
    if os.geteuid() != 0:
        return argv
    return ["runuser", "-u", "postgres", "--", *argv]


def start_cluster() -> tuple[PgCluster | None, str, subprocess.CompletedProcess[str] | None]:
    bin_dir, why = _find_or_install()
    if bin_dir is None:
        return None, why, None
    folder = Path(tempfile.mkdtemp(prefix="satchel-pg-"))
    user = "postgres" if os.geteuid() == 0 else (os.environ.get("USER") or "postgres")
    if os.geteuid() == 0:
        try:
            shutil.chown(folder, user="postgres", group="postgres")
        except (LookupError, PermissionError) as exc:
            return None, f"cannot hand {folder} to the postgres user: {exc}", None
    data = folder / "data"
    init = subprocess.run(_as_owner([str(bin_dir / "initdb"), "-D", str(data), "-U", user, "--auth=trust",
                                     "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync"]),
                          capture_output=True, text=True, timeout=300)
    if init.returncode != 0:
        shutil.rmtree(folder, ignore_errors=True)
        return None, f"initdb failed: {init.stderr.strip()[-300:]}", None
    port = _free_port()
    options = (f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={folder} "
               "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200 "
               "-c shared_buffers=64MB")
    start = subprocess.run(_as_owner([str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(folder / "server.log"),
                                      "-o", options, "-w", "-t", "60", "start"]),
                           capture_output=True, text=True, timeout=120)
    if start.returncode != 0:
        log = (folder / "server.log").read_text(errors="replace")[-400:] if (folder / "server.log").exists() else ""
        shutil.rmtree(folder, ignore_errors=True)
        return None, f"pg_ctl start failed: {start.stderr.strip()[-200:]} {log}", None
    return PgCluster("127.0.0.1", port, user, folder), "", start


def stop_cluster(cluster: PgCluster) -> None:
    bin_dir = _bin_dir()
    if bin_dir is not None:
        subprocess.run(_as_owner([str(bin_dir / "pg_ctl"), "-D", str(cluster.folder / "data"), "-m", "immediate",
                                  "-w", "stop"]), capture_output=True, text=True, timeout=120, check=False)
    shutil.rmtree(cluster.folder, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PgCluster]:
    try:
        import psycopg
    except ImportError:
        _unavailable("the Python package 'psycopg' is not installed (pip install -e '.[test]')")
    cluster, why, _ = start_cluster()
    if cluster is None:
        _unavailable(why)
    assert cluster is not None
    deadline = time.monotonic() + 30
    while True:
        try:
            import psycopg

            with psycopg.connect(cluster.url("postgres"), connect_timeout=5):
                break
        except Exception:  # the server is still starting
            if time.monotonic() > deadline:
                stop_cluster(cluster)
                _unavailable("the PostgreSQL server started but accepts no connection")
            time.sleep(0.2)
    try:
        yield cluster
    finally:
        stop_cluster(cluster)


@pytest.fixture
def pg_url(pg_cluster: PgCluster) -> str:
    """A fresh, empty database in the test cluster."""
    return pg_cluster.create_database()
