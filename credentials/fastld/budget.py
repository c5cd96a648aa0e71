"""The fixed work budget of canonicalization, so that no document can make a verifier spin.

RDFC-1.0 is cheap for ordinary credentials but not for crafted ones: blank nodes that
share a first-degree hash go through Hash N-Degree Quads, whose permutations grow
factorially, and pyld's implementation is also quadratic in the number of such nodes.
Every canonicalization (the fast path and the pyld fallback alike) therefore runs under
the bounds below, and a document past any of them is refused with
``CanonicalizationLimitError`` (code ``canonicalization_limit``) before the expensive part.

Measured need: of the 40 real-world credentials of the reference set, the largest (the
1EdTech "complete" credential) has 363 quads, 42 blank nodes, and needs 20 Hash N-Degree
Quads calls and 36 permutations inside a presentation. A presentation of 20 variants of it
has 7,142 quads and 821 blank nodes and needs 800 calls and 1,800 permutations; one of 20
identical copies (the worst case of shared structure) needs 2,160 calls and 11,420
permutations. The fast path's bounds are at least 3.7 times the latter and 10 times the
former; 10,000 identical blank nodes (10,000 calls) are past them.
"""

from __future__ import annotations

import math
from typing import Any

from ..errors import CanonicalizationLimitError, JsonInputError
from ..strictjson import MAX_JSON_DEPTH
from .onepass import once, settle

MAX_JSON_VALUES = 100_000
"""JSON values (objects, arrays, strings, numbers...) in one document, counted before any JSON-LD work."""

MAX_QUADS = 100_000
"""RDF quads in the dataset to canonicalize (the fast path's pass is linear)."""

MAX_BLANK_NODES = 20_000
"""Distinct blank nodes in the dataset."""

MAX_NDEGREE_CALLS = 8_000
"""Hash N-Degree Quads calls (§4.8), recursion included, for the whole dataset."""

MAX_PERMUTATIONS = 100_000
"""Permutations examined by Hash N-Degree Quads (§4.8.3 step 5.4), for the whole dataset."""

# pyld does the same work several times more slowly, and parts of it are quadratic:
# its node map compares each value of a property with every earlier one of that node
# (2,000 items in one array cost 2 million comparisons, 15 s; so do 2,000 objects that
# share one ``id`` and each give it a value), and its Hash N-Degree Quads grows with
# the square of the nodes that need it. Documents it canonicalizes get smaller bounds.
MAX_REFERENCE_JSON_VALUES = 15_000
MAX_REFERENCE_MERGE_WORK = 250_000
"""The sum, over each (node, property), of the square of its number of values: twice the
comparisons pyld's node map makes. A presentation of 20 variants of the largest real
credential needs 18,123."""
MAX_REFERENCE_QUADS = 15_000
MAX_REFERENCE_NDEGREE_CALLS = 1_500
MAX_REFERENCE_PERMUTATIONS = 20_000


_GRAPH_KEYS = frozenset({"verifiableCredential", "proof", "@graph"})


_SAFE_INT = 2 ** 1023
"""Integers strictly inside this bound read as a finite xsd:double; past it, ``_overflows`` decides."""


def _overflows(value: int) -> bool:
    """Whether JSON-LD cannot read the integer as a double (as ``strictjson`` refuses it in JSON text)."""
    try:
        float(value)
    except OverflowError:
        return True
    return False


def _overflow_error(value: int) -> JsonInputError:
    # Not its digits: Python refuses to write an integer of more than 4,300 digits as text.
    digits = int(value.bit_length() * math.log10(2)) + 1
    return JsonInputError(f"the document holds an integer of about {digits:,} digits, past the range of a 64-bit "
                          "float (JSON-LD reads such a number as an xsd:double)", code="json_bad_number")


def limit_error(what: str, count: int, limit: int) -> CanonicalizationLimitError:
    return CanonicalizationLimitError(
        f"the document is past the canonicalization work budget: {what} {count:,} (limit {limit:,})")


def check_document(document: Any, *, reference: bool = False) -> None:
    """Refuse a document with too many JSON values or nested too deeply, without recursion.

    A value JSON cannot hold (NaN, Infinity, a set...) raises ``JsonInputError``.

    Documents from the strict JSON reader already respect the depth bound; this also
    covers dicts built in code (a server's own, a test's), before any recursive JSON-LD
    step. With ``reference`` (the document goes to pyld) the smaller bounds apply, and
    the values each (node, property) collects are counted: objects with the same ``id``
    are one node, so their values add up (``MAX_REFERENCE_MERGE_WORK``).
    """
    if not reference:
        _check_plain(document)
        return
    max_values = MAX_REFERENCE_JSON_VALUES
    merged: dict[tuple[int, Any, str], int] = {}
    count = 0
    # (value, depth, graph): nodes merge only within one graph, and each credential of a
    # presentation, each proof and each @graph value is a graph of its own.
    stack: list[tuple[Any, int, int]] = [(document, 1, 0)]
    while stack:
        node, depth, graph = stack.pop()
        count += 1
        if count > max_values:
            raise limit_error("JSON values", count, max_values)
        if depth > MAX_JSON_DEPTH and isinstance(node, (dict, list)):
            raise CanonicalizationLimitError(
                f"the document nests arrays/objects deeper than {MAX_JSON_DEPTH} levels; it is not canonicalized")
        if isinstance(node, dict):
            identity = node.get("id", node.get("@id"))
            name: Any = identity if isinstance(identity, str) else id(node)
            for key, value in node.items():
                if not isinstance(key, str):
                    raise JsonInputError(f"the document has an object key {key!r} that is not a string",
                                         code="json_syntax")
                if reference:
                    slot = (graph, name, key)
                    merged[slot] = merged.get(slot, 0) + (len(value) if isinstance(value, list) else 1)
                if key in _GRAPH_KEYS:
                    items = value if isinstance(value, list) else [value]
                    stack.extend((item, depth + 1, id(item)) for item in items)
                else:
                    stack.append((value, depth + 1, graph))
        elif isinstance(node, list):
            stack.extend((child, depth + 1, graph) for child in node)
        elif isinstance(node, float) and not math.isfinite(node):
            raise JsonInputError(f"the document holds the number {node!r}, which is not JSON", code="json_bad_number")
        elif type(node) is int and not -_SAFE_INT < node < _SAFE_INT and _overflows(node):
            raise _overflow_error(node)
        elif node is not None and not isinstance(node, (str, int, float)):
            raise JsonInputError(f"the document holds a {type(node).__name__}, which is not a JSON value",
                                 code="json_syntax")
    work = sum(values * values for values in merged.values())
    if work > MAX_REFERENCE_MERGE_WORK:
        raise limit_error("JSON-LD node-map work (values per property, squared)", work, MAX_REFERENCE_MERGE_WORK)


def _check_plain(document: Any, watch: frozenset[str] = frozenset()) -> bool:
    """``check_document`` without ``reference``: the same walk in the same order, with less per value.

    No graph is tracked (only the node-map bound needs it), and depths are kept in a stack of
    their own, so that most values cost a pop and a type test. Returns whether any object
    has a key in ``watch`` (asked on the way, so that a caller need not walk again).
    """
    seen = False
    stack: list[Any] = [document]
    depths: list[int] = [1]
    count = 0
    pop, pop_depth = stack.pop, depths.pop
    while stack:
        node = pop()
        depth = pop_depth()
        count += 1
        if count > MAX_JSON_VALUES:
            raise limit_error("JSON values", count, MAX_JSON_VALUES)
        kind = type(node)
        if kind is str or kind is bool or node is None or (kind is int and -_SAFE_INT < node < _SAFE_INT):
            continue
        if kind is dict or kind is list or isinstance(node, (dict, list)):
            if depth > MAX_JSON_DEPTH:
                raise CanonicalizationLimitError(
                    f"the document nests arrays/objects deeper than {MAX_JSON_DEPTH} levels; it is not canonicalized")
            if isinstance(node, dict):
                for key in node:
                    if not isinstance(key, str):
                        raise JsonInputError(f"the document has an object key {key!r} that is not a string",
                                             code="json_syntax")
                if watch and not seen and not watch.isdisjoint(node):
                    seen = True
                if _GRAPH_KEYS.isdisjoint(node):
                    children: Any = list(node.values())
                else:
                    # As in the reference walk: the items of a graph's array are its children.
                    children = []
                    for key, value in node.items():
                        if key in _GRAPH_KEYS:
                            children.extend(value if isinstance(value, list) else [value])
                        else:
                            children.append(value)
            else:
                children = node
            # The children pushed last are popped next, one after another: the plain scalars
            # among them are counted here, in that same order, instead of being pushed.
            end = len(children)
            while end:
                child = children[end - 1]
                child_kind = type(child)
                if not (child_kind is str or child_kind is bool or child is None
                        or (child_kind is int and -_SAFE_INT < child < _SAFE_INT)):
                    break
                count += 1
                if count > MAX_JSON_VALUES:
                    raise limit_error("JSON values", count, MAX_JSON_VALUES)
                end -= 1
            if end:
                stack.extend(children if end == len(children) else children[:end])
                depths.extend([depth + 1] * end)
        elif isinstance(node, float) and not math.isfinite(node):
            raise JsonInputError(f"the document holds the number {node!r}, which is not JSON", code="json_bad_number")
        elif kind is int and _overflows(node):
            raise _overflow_error(node)
        elif not isinstance(node, (str, int, float)):
            raise JsonInputError(f"the document holds a {type(node).__name__}, which is not a JSON value",
                                 code="json_syntax")
    return seen


def check_document_once(document: Any, loader: Any) -> None:
    """``check_document(document)``, once per document inside ``onepass.one_pass()``.

    A presentation's embedded credentials are parts of it: when the presentation is within
    the budget, so is each of them without its proof (fewer values, less depth, the same
    keys and values), so their own checks are settled here instead of walking them again.
    """
    def check() -> None:
        check_document(document)
        _settle_credentials(document, loader)

    once("budget", document, loader, check)


def within_budget(document: Any, loader: Any, *, watch: frozenset[str] = frozenset()) -> bool:
    """Whether the whole ``document`` passes ``check_document``; if so its parts are settled as within it.

    A verifier that walks a document anyway (for its depth) asks this instead: the document
    without its proof, and a presentation's credentials without theirs, are then known to be
    within the budget, and not walked again inside the same ``onepass.one_pass()``. With
    ``watch``, whether any object has one of those keys is settled as ``"watched"`` too.
    """
    try:
        seen = _check_plain(document, watch)
    except (CanonicalizationLimitError, JsonInputError):
        return False
    if watch and isinstance(document, dict):
        # Recorded for the caller: whether any object of the document has a key in ``watch``.
        settle("watched", document, loader, seen)
    if isinstance(document, dict):
        unproven = {key: value for key, value in document.items() if key != "proof"}
        settle("budget", unproven, loader, None)
        _settle_credentials(unproven, loader)
    return True


def _settle_credentials(document: Any, loader: Any) -> None:
    credentials = document.get("verifiableCredential") if isinstance(document, dict) else None
    for item in credentials if isinstance(credentials, list) else [credentials]:
        if isinstance(item, dict):
            settle("budget", {key: value for key, value in item.items() if key != "proof"}, loader, None)


def check_dataset(quads: Any, *, max_quads: int = MAX_QUADS) -> None:
    """Refuse a dataset with too many quads or blank nodes (quads are (s, p, o, g) strings)."""
    if len(quads) > max_quads:
        raise limit_error("RDF quads", len(quads), max_quads)
    blank: set[str] = set()
    for s, _p, o, g in quads:
        if s[0] == "_":
            blank.add(s)
        if o[0] == "_":
            blank.add(o)
        if g and g[0] == "_":
            blank.add(g)
    if len(blank) > MAX_BLANK_NODES:
        raise limit_error("blank nodes", len(blank), MAX_BLANK_NODES)


class WorkCounter:
    """Counts Hash N-Degree Quads calls and permutations against their bounds."""

    __slots__ = ("calls", "max_calls", "max_permutations", "permutations")

    def __init__(self, *, max_calls: int = MAX_NDEGREE_CALLS, max_permutations: int = MAX_PERMUTATIONS) -> None:
        self.calls = 0
        self.permutations = 0
        self.max_calls = max_calls
        self.max_permutations = max_permutations

    def call(self) -> None:
        self.calls += 1
        if self.calls > self.max_calls:
            raise limit_error("Hash N-Degree Quads calls", self.calls, self.max_calls)

    def permutation(self) -> None:
        self.permutations += 1
        if self.permutations > self.max_permutations:
            raise limit_error("blank-node permutations", self.permutations, self.max_permutations)
