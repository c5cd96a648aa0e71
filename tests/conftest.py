"""Shared fixtures: no network but loopback, the CLI run in-process, the W3C examples context."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "netguard"))
from netguard import install

install()

REPO = Path(__file__).resolve().parents[1]
NETGUARD_DIR = Path(__file__).resolve().parent / "netguard"

# The one-line context of the W3C vectors; no package ships it, so tests give it
# to the loader themselves (never the production loader).
EXAMPLES_V2 = "https://www.w3.org/ns/credentials/examples/v2"
EXAMPLES_V2_DOC = {"@context": {"@vocab": "https://www.w3.org/ns/credentials/examples#"}}


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


@pytest.fixture
def satchel(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Callable[..., Result]:
    """Run ``satchel ARGS`` in this process (fast, and under the network guard)."""
    from satchel.cli import main

    def run(*args: str, stdin: str | None = None) -> Result:
        if stdin is not None:
            import io

            monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin.encode())))
        capsys.readouterr()
        try:
            code = main(list(args))
        except SystemExit as exc:
            code = int(exc.code or 0)
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run


def run_subprocess(*args: str, stdin: str | None = None, cwd: Path | None = None) -> Result:
    """Run the installed ``satchel`` console command in a child process, network-guarded."""
    env = dict(os.environ, PYTHONPATH=str(NETGUARD_DIR))
    proc = subprocess.run([sys.executable, "-m", "satchel", *args], input=stdin, capture_output=True, text=True, env=env,
                          cwd=cwd or REPO, timeout=120)
    return Result(proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture
def write_json(tmp_path: Path) -> Callable[[str, Any], str]:
    def write(name: str, value: Any) -> str:
        path = tmp_path / name
        path.write_text(json.dumps(value, indent=2))
        return str(path)

    return write

# The PostgreSQL fixtures (``pg_cluster``, ``pg_url``) for the storage and multi-process tests.
pytest_plugins = ["pgserver", "wallet_backends"]
