"""The offline JSON-LD document loader: bundled, hash-pinned contexts and nothing else.

A URL the manifest does not list is refused with "context not bundled: URL",
never fetched; a bundled file whose sha256 differs from the manifest is refused.
Callers may add documents they were given (a test context, a context file the
operator names) with ``with_documents``; those are theirs to trust, but a bundled
URL is pinned: no caller can replace what it means (``ContextPinnedError``).

A loader is shared by every thread of a server: its cache only ever gains
entries, each published whole (``dict.setdefault``), so two threads loading the
same URL at once agree on one parsed document.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from schemas import CONTEXTS_DIR, CONTEXTS_MANIFEST

from .errors import ContextIntegrityError, ContextNotBundledError, LoaderError


class ContextPinnedError(LoaderError):
    """A caller tried to give its own document for a URL the bundle pins."""

    code = "context_pinned"

    def __init__(self, url: str) -> None:
        super().__init__(f"context {url} is bundled and pinned: it cannot be replaced")
        self.url = url


class DocumentLoader:
    """Resolves context URLs to parsed JSON from the bundle (and caller-given extras).

    Instances are immutable after construction and cache parsed documents, so one
    loader can serve every verification in a process. ``__call__`` is the
    pyld ``documentLoader`` interface.
    """

    def __init__(self, manifest: Mapping[str, Path], extra: Mapping[str, Any] | None = None,
                 hashes: Mapping[str, str] | None = None) -> None:
        self._files = dict(manifest)
        self._hashes = dict(hashes or {})
        self._extra = dict(extra or {})
        for url in self._extra:
            if url in self._files:
                raise ContextPinnedError(url)
        self._cache: dict[str, Any] = {}

    @property
    def urls(self) -> frozenset[str]:
        return frozenset(self._files) | frozenset(self._extra)

    @property
    def cache_key(self) -> tuple[str, ...]:
        """Identifies what this loader can return, for caches of processed contexts."""
        return tuple(sorted(self._files)) + ("|",) + tuple(sorted(self._extra))

    def load(self, url: str) -> Any:
        """Return the parsed JSON document for ``url``; refuse anything not bundled."""
        doc = self._cache.get(url)
        if doc is not None:
            return doc
        if url in self._files:
            doc = self._read_pinned(url)
        elif url in self._extra:
            doc = self._extra[url]
        else:
            raise ContextNotBundledError(url)
        # Publish once: a thread that lost the race returns the winner's document.
        return self._cache.setdefault(url, doc)

    def _read_pinned(self, url: str) -> Any:
        path = self._files[url]
        data = path.read_bytes()
        expected = self._hashes.get(url)
        if expected is not None and hashlib.sha256(data).hexdigest() != expected:
            raise ContextIntegrityError(f"bundled context {path.name} for {url} does not match its pinned sha256")
        try:
            return json.loads(data)
        except json.JSONDecodeError as exc:
            raise LoaderError(f"bundled context {path.name} is not JSON: {exc}") from None

    def __call__(self, url: str, options: Any = None) -> dict[str, Any]:
        return {"contextUrl": None, "documentUrl": url, "document": self.load(url)}

    def with_documents(self, extra: Mapping[str, Any]) -> DocumentLoader:
        """A loader that also returns these caller-given documents (URL → parsed JSON).

        Raises ``ContextPinnedError`` for a URL the bundle serves with other
        content: the contexts a signature's meaning rests on are never the
        caller's to redefine. A copy equal to the bundled document is dropped.
        """
        given: dict[str, Any] = {}
        for url, document in extra.items():
            if url in self._files:
                if document != self.load(url):
                    raise ContextPinnedError(url)
                continue
            given[url] = document
        merged = dict(self._extra)
        merged.update(given)
        return DocumentLoader(self._files, merged, self._hashes)


def read_manifest(path: Path = CONTEXTS_MANIFEST) -> tuple[dict[str, Path], dict[str, str]]:
    """Read ``schemas/contexts/manifest.json``: URL → file, URL → sha256."""
    data = json.loads(path.read_text(encoding="utf-8"))
    files: dict[str, Path] = {}
    hashes: dict[str, str] = {}
    for entry in data["contexts"]:
        files[entry["url"]] = CONTEXTS_DIR / entry["file"]
        hashes[entry["url"]] = entry["sha256"]
    return files, hashes


_DEFAULT: DocumentLoader | None = None
_DEFAULT_LOCK = threading.Lock()


def bundled_loader() -> DocumentLoader:
    """The process-wide loader over the bundled manifest (built once, then shared by every thread)."""
    global _DEFAULT
    if _DEFAULT is None:
        with _DEFAULT_LOCK:
            if _DEFAULT is None:
                files, hashes = read_manifest()
                _DEFAULT = DocumentLoader(files, hashes=hashes)
    return _DEFAULT


def require_bundled_contexts(document: Any, loader: DocumentLoader) -> None:
    """Load every context URL the document names, so that an unbundled one is refused.

    pyld keeps a process-wide cache of resolved contexts keyed by URL; asking our
    loader first guarantees that a URL this loader does not serve is refused even
    when another loader put it in that cache.
    """
    seen: set[str] = set()
    pending = list(context_urls(document))
    while pending:
        url = pending.pop()
        if url in seen:
            continue
        seen.add(url)
        pending.extend(context_urls(loader.load(url)))


def context_urls(node: Any) -> Iterator[str]:
    """Every context URL named in ``@context`` or ``@import`` anywhere in ``node`` (iteratively: any depth)."""
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, list):
            stack.extend(reversed(current))
        elif isinstance(current, dict):
            for key, value in current.items():
                if key in ("@context", "@import"):
                    for ctx in value if isinstance(value, list) else [value]:
                        if isinstance(ctx, str):
                            yield ctx
                        else:
                            stack.append(ctx)
                elif isinstance(value, (dict, list)):
                    stack.append(value)
