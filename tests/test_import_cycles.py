"""No import cycles among the project's modules, counting imports inside functions too.

A cycle hidden behind a function-level import still couples two modules both
ways, and it breaks as soon as someone hoists the import. The graph is read
from the source with ``ast`` (nothing is imported), every ``import`` and
``from … import`` anywhere in a module is an edge, except under
``if TYPE_CHECKING:`` (never executed). ``from pkg import name`` is an edge to
``pkg.name`` when that is a module, else to ``pkg``.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from conftest import REPO

PACKAGES = ("credentials", "verifier", "webbase", "issuer_node", "wallet", "satchel", "schemas")


def _modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for package in PACKAGES:
        root = REPO / package
        if not root.is_dir():
            continue
        for path in sorted(root.rglob("*.py")):
            parts = list(path.relative_to(REPO).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _import_nodes(node: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.If) and _is_type_checking(child.test):
            for orelse in child.orelse:
                yield from _import_nodes(orelse)
            continue
        if isinstance(child, (ast.Import, ast.ImportFrom)):
            yield child
        yield from _import_nodes(child)


def _edges(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    is_package = path.name == "__init__.py"
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    targets: set[str] = set()
    for node in _import_nodes(tree):
        if isinstance(node, ast.Import):
            candidates = [alias.name for alias in node.names]
        else:
            if node.level:
                base_parts = name.split(".") if is_package else name.split(".")[:-1]
                base_parts = base_parts[: len(base_parts) - (node.level - 1)]
                base = ".".join(base_parts + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            candidates = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base for alias in node.names]
        for candidate in candidates:
            # ``import a.b.c`` names a.b.c; an attribute import resolves to its nearest module.
            while candidate and candidate not in modules:
                candidate = candidate.rpartition(".")[0]
            if candidate and candidate != name:
                targets.add(candidate)
    return targets


def import_graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _edges(name, path, modules) for name, path in modules.items()}


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    components.append(sorted(component))
    return components


def test_the_project_has_no_import_cycle() -> None:
    graph = import_graph()
    assert "credentials.canonical" in graph and "credentials.fastld" in graph["credentials.canonical"]
    cycles = find_cycles(graph)
    assert cycles == [], "import cycles: " + "; ".join(" <-> ".join(c) for c in cycles)


def test_the_cycle_finder_sees_a_function_level_cycle(tmp_path: Path) -> None:
    """The detector itself: two modules that import each other, one inside a function."""
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert find_cycles(graph) == [["a", "b", "c"]]
    source = "def f():\n    from . import a\n"
    tree = ast.parse(source)
    assert [type(n).__name__ for n in _import_nodes(tree)] == ["ImportFrom"]
    guarded = "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from . import a\n"
    assert [n.module for n in _import_nodes(ast.parse(guarded))] == ["typing"]


def test_every_suite_is_known_in_a_fresh_interpreter_that_imports_only_dataintegrity() -> None:
    """Suites are listed statically: no module has to be imported first for its side effect."""
    import subprocess
    import sys

    probe = (
        "from credentials.dataintegrity import find_suite\n"
        "kinds = [('DataIntegrityProof', c) for c in ('eddsa-rdfc-2022', 'eddsa-2022', 'ecdsa-rdfc-2019', 'ecdsa-sd-2023')]\n"
        "kinds += [('Ed25519Signature2020', None), ('Ed25519Signature2018', None)]\n"
        "print(sorted(find_suite({'type': t, 'cryptosuite': c}).name for t, c in kinds))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, timeout=60,
                            check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(sorted(["eddsa-rdfc-2022", "eddsa-rdfc-2022", "ecdsa-rdfc-2019", "ecdsa-sd-2023",
                                                "Ed25519Signature2020", "Ed25519Signature2018"]))
