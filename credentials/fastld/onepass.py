"""One pass per document: what one verification computes about a document, computed once.

A verifier asks several questions of the same document: the ``contexts`` check wants
its undefined terms, each proof its canonical N-Quads, each canonicalization the
document's work budget. They all start from the same JSON-LD to RDF pass. Inside
``one_pass()`` (``verifier.verify`` opens one per ``verify()`` call) each result is
computed once per document and loader, and shared; outside it nothing is kept.

A document is recognised by its entries: the ``unsecured`` copy a proof canonicalizes
(the document without ``proof``) and the copy the ``contexts`` check reads are different
dicts holding the same values, so the key is the (name, id(value)) pairs of the entries,
and the memo keeps every keyed value alive so that no id is reused while it lasts. The
documents are not changed during a verification, which is what makes the memo sound.
A failure (``Unsupported``, ``UndefinedTerms``, a budget refusal) is remembered and raised
again, the same for every asker.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar, cast

T = TypeVar("T")

_MAX_ENTRIES = 4_096
"""A bound on one verification's memo (a presentation of 20 badges uses about 200)."""


class _Memo:
    __slots__ = ("entries", "kept")

    def __init__(self) -> None:
        self.entries: dict[tuple[Any, ...], tuple[bool, Any]] = {}
        self.kept: list[Any] = []


_CURRENT: ContextVar[_Memo | None] = ContextVar("satchel_one_pass", default=None)


@contextmanager
def one_pass() -> Iterator[None]:
    """Share per-document results within this block (re-entrant: an inner block joins the outer one)."""
    if _CURRENT.get() is not None:
        yield
        return
    token = _CURRENT.set(_Memo())
    try:
        yield
    finally:
        _CURRENT.reset(token)


def _key(what: str, document: dict[str, Any], loader: Any) -> tuple[Any, ...]:
    """The memo key: what is asked, the loader, the document's entry names and the ids of their values."""
    return (what, id(loader), tuple(document), tuple(map(id, document.values())))


def once(what: str, document: dict[str, Any], loader: Any, compute: Callable[[], T]) -> T:
    """``compute()`` for ``document`` (and ``loader``), at most once inside ``one_pass()``; always outside it."""
    memo = _CURRENT.get()
    if memo is None:
        return compute()
    key = _key(what, document, loader)
    hit = memo.entries.get(key)
    if hit is None:
        try:
            hit = (True, compute())
        except Exception as exc:  # Remembered and raised again: every asker gets the same answer.
            hit = (False, exc)
        if len(memo.entries) < _MAX_ENTRIES:
            memo.entries[key] = hit
            memo.kept.append((loader, list(document.values())))
    ok, value = hit
    if not ok:
        error = cast(Exception, value)
        raise error.with_traceback(None)
    return cast(T, value)


def settle(what: str, document: dict[str, Any], loader: Any, value: Any) -> None:
    """Record ``value`` as ``what`` for ``document`` inside ``one_pass()``, unless already known; else nothing.

    For a result already implied by another (a part of a document within the work budget is within it).
    """
    memo = _CURRENT.get()
    if memo is None or len(memo.entries) >= _MAX_ENTRIES:
        return
    key = _key(what, document, loader)
    if key not in memo.entries:
        memo.entries[key] = (True, value)
        memo.kept.append((loader, list(document.values())))
