"""The bundled contexts: every manifest entry is present and pinned, and equals the reference files.

The reference files (``../shared/reference/contexts`` and
``realworld/contexts``) are the npm packages' JSON re-serialized the same way
``scripts/refresh_schemas.py`` does it, so the sha256 must be identical, not
just the parsed JSON.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

import pytest
from reference import reference_dir

from schemas import CONTEXTS_DIR, CONTEXTS_MANIFEST


def _manifest() -> dict[str, dict[str, str]]:
    entries = json.loads(CONTEXTS_MANIFEST.read_text(encoding="utf-8"))["contexts"]
    return {entry["url"]: entry for entry in entries}


def _reference_table(folder: Path) -> list[tuple[str, str, str]]:
    """Read (url, file, sha256) rows from the reference MANIFEST.md table."""
    rows = []
    for line in (folder / "MANIFEST.md").read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 4 and cells[0].startswith("http"):
            url, file, _source, sha = cells
            assert re.fullmatch(r"[0-9a-f]{64}", sha), line
            rows.append((url, file, sha))
    return rows


def _load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def test_manifest_has_the_documented_shape() -> None:
    document = _load(CONTEXTS_MANIFEST)
    assert list(document) == ["contexts"]
    for entry in document["contexts"]:
        assert list(entry) == ["url", "file", "sha256", "source"], entry
        assert entry["source"].startswith(("npm:", "pypi:")), entry
    urls = [entry["url"] for entry in document["contexts"]]
    assert len(urls) == len(set(urls)), "a URL is listed twice"


@pytest.mark.parametrize("url", sorted(_manifest()))
def test_manifest_file_exists_and_hash_matches(url: str) -> None:
    entry = _manifest()[url]
    path = CONTEXTS_DIR / entry["file"]
    assert path.is_file(), f"{entry['file']} missing for {url}"
    assert hashlib.sha256(path.read_bytes()).hexdigest() == entry["sha256"], f"{entry['file']} hash differs"
    # The file must also be a JSON-LD context document.
    assert "@context" in _load(path), entry["file"]


def test_no_unlisted_files_in_contexts_dir() -> None:
    listed = {entry["file"] for entry in _manifest().values()} | {CONTEXTS_MANIFEST.name}
    present = {path.name for path in CONTEXTS_DIR.glob("*.json")}
    assert present - listed == set()


@pytest.mark.parametrize(
    "url",
    [
        "https://www.w3.org/ns/did/v1",
        "https://w3id.org/security/suites/ed25519-2018/v1",
        "https://w3id.org/vc/status-list/2021/v1",
        "https://w3id.org/security/v1",
        "https://w3id.org/security/v2",
        "https://w3id.org/dcc/v1",
        "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json",
    ],
)
def test_bundle_includes_contexts_beyond_the_reference(url: str) -> None:
    assert url in _manifest()


def test_contexts_equal_reference_contexts_byte_for_byte() -> None:
    folder = reference_dir() / "contexts"
    rows = _reference_table(folder)
    assert len(rows) >= 15, "reference MANIFEST.md table not parsed"
    manifest = _manifest()
    problems = []
    for url, file, sha in rows:
        entry = manifest.get(url)
        if entry is None:
            problems.append(f"{url}: not in our manifest")
            continue
        if entry["sha256"] != sha:
            problems.append(f"{url}: sha256 {entry['sha256']} != reference {sha}")
        if _load(CONTEXTS_DIR / entry["file"]) != _load(folder / file):
            problems.append(f"{url}: parsed JSON differs from reference {file}")
    assert problems == []


def test_contexts_equal_realworld_contexts() -> None:
    folder = reference_dir() / "realworld" / "contexts"
    index = _load(folder / "index.json")
    assert index, "realworld/contexts/index.json is empty"
    manifest = _manifest()
    problems = []
    for url, info in index.items():
        entry = manifest.get(url)
        if entry is None:
            problems.append(f"{url}: not in our manifest")
        elif _load(CONTEXTS_DIR / entry["file"]) != _load(folder / info["file"]):
            problems.append(f"{url}: parsed JSON differs from realworld {info['file']}")
    assert problems == []
