"""The fast canonicalization path: cached processed contexts, one-pass JSON-LD to RDF, RDFC-1.0.

``canonicalize_fast`` returns the same canonical N-Quads as pyld (``canonical.
canonicalize_reference``) for the documents it understands, and raises
``Unsupported`` for anything else, so that ``canonical.canonicalize`` falls back
to pyld. Undefined terms are reported as ``UndefinedTerms`` (property and type
names), which the caller turns into ``UndefinedTermError`` with JSON paths.
"""

from __future__ import annotations

from typing import Any

from ..loader import DocumentLoader
from .context import Unsupported, roots_for
from .onepass import once, one_pass
from .rdfc import canonicalize_quads
from .torif import ToRdf, UndefinedTerms


def to_quads(document: dict[str, Any], *, loader: DocumentLoader) -> set[tuple[str, str, str, str]]:
    """JSON-LD to RDF (safe mode) as a set of serialized quads; raises ``Unsupported``/``UndefinedTerms``.

    Inside ``one_pass()`` a document is converted once; the set returned is shared, not to be changed.
    """
    return once("quads", document, loader, lambda: ToRdf().convert(document, roots_for(loader).probe))


def canonicalize_fast(document: dict[str, Any], *, loader: DocumentLoader) -> str:
    """RDFC-1.0 canonical N-Quads of ``document``, or ``Unsupported`` when pyld must decide."""
    return once("rdfc", document, loader, lambda: canonicalize_quads(to_quads(document, loader=loader)))


__all__ = ["UndefinedTerms", "Unsupported", "canonicalize_fast", "once", "one_pass", "to_quads"]
