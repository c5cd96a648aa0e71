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

from typing import Any

from ..errors import CanonicalizationLimitError
from ..strictjson import MAX_JSON_DEPTH

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
# its node map compares each value of a property with every earlier one (2,000 items in
# one array cost 2 million comparisons, 15 s), and its Hash N-Degree Quads grows with
# the square of the nodes that need it. Documents it canonicalizes get smaller bounds.
MAX_REFERENCE_JSON_VALUES = 15_000
MAX_REFERENCE_ARRAY_ITEMS = 256
MAX_REFERENCE_QUADS = 15_000
MAX_REFERENCE_NDEGREE_CALLS = 1_500
MAX_REFERENCE_PERMUTATIONS = 20_000


def limit_error(what: str, count: int, limit: int) -> CanonicalizationLimitError:
    return CanonicalizationLimitError(
        f"the document is past the canonicalization work budget: {what} {count:,} (limit {limit:,})")


def check_document(document: Any, *, reference: bool = False) -> None:
    """Refuse a document with too many JSON values or nested too deeply, without recursion.

    Documents from the strict JSON reader already respect the depth bound; this also
    covers dicts built in code (a server's own, a test's), before any recursive JSON-LD
    step. With ``reference`` (the document goes to pyld) the smaller bounds apply, and no
    array may hold more than ``MAX_REFERENCE_ARRAY_ITEMS`` items.
    """
    max_values = MAX_REFERENCE_JSON_VALUES if reference else MAX_JSON_VALUES
    max_items = MAX_REFERENCE_ARRAY_ITEMS if reference else MAX_JSON_VALUES
    count = 0
    stack: list[tuple[Any, int]] = [(document, 1)]
    while stack:
        node, depth = stack.pop()
        count += 1
        if count > max_values:
            raise limit_error("JSON values", count, max_values)
        if isinstance(node, dict):
            children: Any = node.values()
        elif isinstance(node, list):
            if len(node) > max_items:
                raise limit_error("items in one array", len(node), max_items)
            children = node
        else:
            continue
        if depth > MAX_JSON_DEPTH:
            raise CanonicalizationLimitError(
                f"the document nests arrays/objects deeper than {MAX_JSON_DEPTH} levels; it is not canonicalized")
        stack.extend((child, depth + 1) for child in children)


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

    __slots__ = ("calls", "permutations", "max_calls", "max_permutations")

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
