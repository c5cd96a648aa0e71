"""The dependency direction is one-way: credentials ← verifier ← servers ← satchel."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from conftest import REPO

# Package → the project packages it must never import.
FORBIDDEN = {
    "credentials": {"verifier", "issuer_node", "wallet", "satchel"},
    "schemas": {"credentials", "verifier", "issuer_node", "wallet", "satchel"},
    "verifier": {"issuer_node", "wallet", "satchel", "webbase", "verifier_web"},
    "webbase": {"issuer_node", "wallet", "satchel", "verifier_web"},
    "verifier_web": {"issuer_node", "wallet", "satchel"},
    "issuer_node": {"wallet", "satchel"},
    "wallet": {"issuer_node", "satchel"},
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_imports_only_downward(package: str) -> None:
    offenders = [f"{path.relative_to(REPO)} imports {sorted(_imports(path) & FORBIDDEN[package])}"
                 for path in sorted((REPO / package).rglob("*.py")) if _imports(path) & FORBIDDEN[package]]
    assert offenders == []


def test_core_does_no_network_io() -> None:
    """The core reads only schemas/; sockets and HTTP clients have no place in it."""
    banned = {"socket", "urllib", "http", "aiohttp", "requests", "httpx", "sqlite3", "sqlite_utils"}
    offenders = [f"{path.relative_to(REPO)}: {sorted(_imports(path) & banned)}"
                 for path in sorted((REPO / "credentials").rglob("*.py")) if _imports(path) & banned]
    assert offenders == []
