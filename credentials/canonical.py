"""RDFC-1.0 canonicalization of JSON-LD documents, in safe mode.

Safe mode (as in the Digital Bazaar stack): JSON-LD expansion silently drops a
property no context defines, so a signature would not cover it. Here such a
property, or an undefined type, is an error that names its JSON path.

``canonicalize`` is the entry point every proof uses. It takes the fast path
(``credentials.fastld``) when that path fully understands the document, and falls
back to pyld otherwise; ``canonicalize_reference`` is pyld alone, the reference
every fast path is tested against.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

from pyld import jsonld
from pyld.canon import URDNA2015

from . import fastld
from .errors import CanonicalizationError, CanonicalizationLimitError, LoaderError, UndefinedTermError
from .fastld.budget import (
    MAX_REFERENCE_NDEGREE_CALLS,
    MAX_REFERENCE_PERMUTATIONS,
    MAX_REFERENCE_QUADS,
    WorkCounter,
    check_dataset,
    check_document,
    check_document_once,
)
from .fastld.rdfc import canonicalize_quads
from .loader import DocumentLoader, require_bundled_contexts

# Undefined terms are made visible by a leading context whose @vocab is this
# IRI: expansion then maps them here instead of dropping them.
_UNDEFINED_VOCAB = "urn:satchel:undefined-term#"
# pyld keeps process-wide caches of resolved contexts (cachetools LRUCache, not
# thread-safe); servers verify in several threads, so pyld runs one call at a time.
_PYLD = threading.Lock()


def canonicalize(document: dict[str, Any], *, loader: DocumentLoader) -> str:
    """Return the RDFC-1.0 canonical N-Quads of ``document`` (safe mode).

    The fast path (``credentials.fastld``) answers when it fully understands the
    document; anything it declines, or a context it cannot load, goes to pyld,
    which then gives the answer or the error.
    """
    _require_object(document)
    check_document_once(document, loader)
    try:
        return fastld.canonicalize_fast(document, loader=loader)
    except fastld.UndefinedTerms as undefined:
        found = list(_locate(document, undefined.properties, undefined.types, "$"))
        raise UndefinedTermError(found or [(name, "$") for name in sorted(undefined.properties | undefined.types)]) from None
    except (fastld.Unsupported, LoaderError, RecursionError):
        return canonicalize_reference(document, loader=loader)


def canonicalize_reference(document: dict[str, Any], *, loader: DocumentLoader, safe: bool = True) -> str:
    """Canonicalize with pyld (URDNA2015, which RDFC-1.0 standardised unchanged).

    Under the work budget (``fastld.budget``): pyld first turns the document into RDF
    (linear), the fast RDFC implementation then measures the canonicalization work on
    that dataset against the reference bounds, and only a dataset within them is given
    to pyld's URDNA2015, whose cost grows much faster than ours.
    """
    check_document(document, reference=True)
    require_bundled_contexts(document, loader)
    if safe:
        undefined = find_undefined_terms_reference(document, loader=loader)
        if undefined:
            raise UndefinedTermError(undefined)
    try:
        with _PYLD:
            # What jsonld.normalize does, in two steps so that the work is measured in between.
            dataset = jsonld.to_rdf(document, {"documentLoader": loader, "produceGeneralizedRdf": False})
            _probe_work(dataset)
            result = URDNA2015().main(dataset, {"format": "application/n-quads"})
    except jsonld.JsonLdError as exc:
        raise _map_pyld_error(exc) from None
    except RecursionError:
        raise _too_deep() from None
    return str(result)


def to_rdf_reference(document: dict[str, Any], *, loader: DocumentLoader) -> str:
    """Non-canonical N-Quads from pyld, for tests and debugging of the fast path."""
    require_bundled_contexts(document, loader)
    with _PYLD:
        return str(jsonld.to_rdf(document, {"format": "application/n-quads", "documentLoader": loader}))


def find_undefined_terms(document: dict[str, Any], *, loader: DocumentLoader) -> list[tuple[str, str]]:
    """Return (term, JSON path) for every property or type that no context defines.

    The fast path finds them in its one pass; pyld decides what it declines.
    """
    _require_object(document)
    check_document_once(document, loader)
    try:
        fastld.to_quads(document, loader=loader)
        return []
    except fastld.UndefinedTerms as undefined:
        found = list(_locate(document, undefined.properties, undefined.types, "$"))
        return found or [(name, "$") for name in sorted(undefined.properties | undefined.types)]
    except (fastld.Unsupported, LoaderError, RecursionError):
        return find_undefined_terms_reference(document, loader=loader)


def find_undefined_terms_reference(document: dict[str, Any], *, loader: DocumentLoader) -> list[tuple[str, str]]:
    """pyld's answer: expand under a sentinel @vocab and collect what lands there."""
    check_document(document, reference=True)
    probe = dict(document)
    contexts = document.get("@context")
    probe["@context"] = [{"@vocab": _UNDEFINED_VOCAB}] + (contexts if isinstance(contexts, list) else [contexts] if contexts is not None else [])
    try:
        with _PYLD:
            expanded = jsonld.expand(probe, {"documentLoader": loader})
    except jsonld.JsonLdError as exc:
        raise _map_pyld_error(exc) from None
    except RecursionError:
        raise _too_deep() from None
    properties: set[str] = set()
    types: set[str] = set()
    _collect_undefined(expanded, properties, types)
    if not properties and not types:
        return []
    return list(_locate(document, properties, types, "$")) or [(name, "$") for name in sorted(properties | types)]


def _collect_undefined(node: Any, properties: set[str], types: set[str]) -> None:
    if isinstance(node, list):
        for item in node:
            _collect_undefined(item, properties, types)
    elif isinstance(node, dict):
        for key, value in node.items():
            if key.startswith(_UNDEFINED_VOCAB):
                properties.add(key[len(_UNDEFINED_VOCAB):])
            if key == "@type":
                for item in value if isinstance(value, list) else [value]:
                    if isinstance(item, str) and item.startswith(_UNDEFINED_VOCAB):
                        types.add(item[len(_UNDEFINED_VOCAB):])
            elif key != "@value":
                _collect_undefined(value, properties, types)


def _locate(node: Any, properties: set[str], types: set[str], path: str) -> Iterator[tuple[str, str]]:
    """Name the JSON paths at which the undefined names occur in the compacted input."""
    if isinstance(node, list):
        for index, item in enumerate(node):
            yield from _locate(item, properties, types, f"{path}[{index}]")
        return
    if not isinstance(node, dict):
        return
    for key, value in node.items():
        child = f"{path}.{key}" if key.isidentifier() else f"{path}[{key!r}]"
        if key == "@context":
            continue
        if key in properties:
            yield key, child
        if key in ("type", "@type"):
            values = value if isinstance(value, list) else [value]
            for index, item in enumerate(values):
                if isinstance(item, str) and item in types:
                    yield item, f"{child}[{index}]" if isinstance(value, list) else child
            continue
        yield from _locate(value, properties, types, child)


def _probe_work(dataset: dict[str, list[dict[str, Any]]]) -> None:
    """Run the fast RDFC over pyld's dataset under the reference bounds; raise past them.

    Terms are written in an injective form of our own (not pyld's N-Quads): only the
    blank-node structure and the distinctness of the other terms decide the work.
    """
    quads: set[tuple[str, str, str, str]] = set()
    for graph, triples in dataset.items():
        name = "" if graph == "@default" else graph if graph.startswith("_:") else f"<{graph}>"
        for triple in triples:
            quads.add((_term(triple["subject"]), f"<{triple['predicate']['value']}>", _term(triple["object"]), name))
    check_dataset(quads, max_quads=MAX_REFERENCE_QUADS)
    canonicalize_quads(quads, max_quads=MAX_REFERENCE_QUADS, work=WorkCounter(
        max_calls=MAX_REFERENCE_NDEGREE_CALLS, max_permutations=MAX_REFERENCE_PERMUTATIONS))


def _term(term: dict[str, Any]) -> str:
    kind, value = term.get("type"), str(term.get("value", ""))
    if kind == "blank node":
        return value
    if kind == "IRI":
        return f"<{value}>"
    return f"{json.dumps(value)}^^<{term.get('datatype', '')}>@{term.get('language', '')}"


def _require_object(document: Any) -> None:
    if not isinstance(document, dict):
        raise CanonicalizationError("a JSON-LD document to canonicalize is a JSON object", code="not_json_object")


def _too_deep() -> CanonicalizationLimitError:
    # pyld recurses once per level of nesting; a document deeper than Python's stack is refused, never a traceback.
    return CanonicalizationLimitError("the document is nested too deeply to canonicalize")


def _map_pyld_error(exc: Exception) -> CanonicalizationError:
    """Map a pyld error (possibly wrapping ours) to the core's error tree, once, here."""
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, LoaderError):
            return CanonicalizationError(str(cause), code=cause.code)
        details = getattr(cause, "details", None)
        inner = details.get("cause") if isinstance(details, dict) else None
        cause = inner if isinstance(inner, BaseException) else cause.__cause__
    return CanonicalizationError(f"JSON-LD processing failed: {str(exc).splitlines()[0][:300]}")



__all__ = [
    "canonicalize",
    "canonicalize_reference",
    "find_undefined_terms",
    "find_undefined_terms_reference",
    "require_bundled_contexts",
    "to_rdf_reference",
]
