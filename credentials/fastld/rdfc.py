"""RDFC-1.0 canonicalization (W3C RDF Dataset Canonicalization) for the common case.

§4.4 steps 1-5 (first-degree hashes, §4.6) settle every canonical label when each
blank node's first-degree hash is unique, which is the case for most credentials.
Blank nodes that share a hash (two identical evidence entries, say) go through
Hash N-Degree Quads (§4.8). Its calls and permutations are counted against the work
budget (``budget``); a dataset past it raises ``CanonicalizationLimitError``, since
pyld would do the same work, only slower.

Permutations are enumerated as rdf-canonize and pyld do (Steinhaus-Johnson-Trotter over
the sorted list, one direction per distinct node): a related node listed twice is not
permuted with itself, which keeps the common case of a node related through several
quads from growing factorially, and gives the same canonical labels as those libraries.

Quads are serialized as pyld's N-Quads writer does, so that the output is byte
for byte what pyld's URDNA2015 ``normalize`` returns.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from hashlib import sha256, sha384
from typing import Any

from .budget import MAX_BLANK_NODES, MAX_QUADS, WorkCounter, limit_error

Quad = tuple[str, str, str, str]
Hash = Callable[[bytes], Any]

HASH_ALGORITHMS = {"SHA256": sha256, "SHA384": sha384}
"""The hash functions RDFC-1.0 may be run with (§4.4: SHA-256 unless the caller chooses another)."""


def _permutations(items: list[str]) -> Iterator[tuple[str, ...]]:
    """Steinhaus-Johnson-Trotter permutations of ``items`` sorted, directions per distinct value.

    With no repeated items this is every permutation; with repeats it is what
    rdf-canonize (JavaScript) and pyld enumerate, so that all three choose the same path.
    """
    elements = sorted(items)
    left = dict.fromkeys(elements, True)
    last = len(elements) - 1
    while True:
        yield tuple(elements)
        # The largest mobile element: greater than the neighbour it looks at.
        mobile: str | None = None
        position = 0
        for index, element in enumerate(elements):
            if (mobile is None or element > mobile) and (
                    (left[element] and index > 0 and element > elements[index - 1])
                    or (not left[element] and index < last and element > elements[index + 1])):
                mobile, position = element, index
        if mobile is None:
            return
        swap = position - 1 if left[mobile] else position + 1
        elements[position], elements[swap] = elements[swap], mobile
        for element in elements:  # A repeated value flips once per occurrence, as in rdf-canonize.
            if element > mobile:
                left[element] = not left[element]


class _Issuer:
    """Issue Identifier (§4.5): labels in order of first request, with a prefix."""

    __slots__ = ("issued", "prefix")

    def __init__(self, prefix: str, issued: dict[str, str] | None = None) -> None:
        self.prefix = prefix
        self.issued: dict[str, str] = dict(issued) if issued else {}

    def issue(self, node: str) -> str:
        label = self.issued.get(node)
        if label is None:
            label = self.issued[node] = f"{self.prefix}{len(self.issued)}"
        return label

    def copy(self) -> _Issuer:
        return _Issuer(self.prefix, self.issued)


class _NDegree:
    """Hash Related Blank Node (§4.7) and Hash N-Degree Quads (§4.8)."""

    def __init__(self, mentions: dict[str, list[Quad]], first: dict[str, str], canonical: _Issuer,
                 work: WorkCounter, digest: Hash = sha256) -> None:
        self.mentions = mentions
        self.first = first
        self.canonical = canonical
        self.work = work
        self.digest = digest
        self.related_memo: dict[str, str] = {}

    def related_hash(self, related: str, predicate: str, issuer: _Issuer, position: str) -> str:
        # §4.7 steps 1-4: the related node's best-known identifier, its position, the predicate.
        identifier = self.canonical.issued.get(related) or issuer.issued.get(related) or self.first[related]
        data = position + predicate + identifier
        hashed = self.related_memo.get(data)
        if hashed is None:  # The same input recurs across nodes and permutations: hashed once.
            hashed = self.related_memo[data] = str(self.digest(data.encode()).hexdigest())
        return hashed

    def hash(self, node: str, issuer: _Issuer) -> tuple[str, _Issuer]:
        self.work.call()
        # §4.8.3 steps 1-3: group the related blank nodes by their related hash.
        groups: dict[str, list[str]] = {}
        related_hash = self.related_hash
        for s, p, o, g in self.mentions[node]:
            if s[0] == "_" and s != node:
                groups.setdefault(related_hash(s, p, issuer, "s"), []).append(s)
            if o[0] == "_" and o != node:
                groups.setdefault(related_hash(o, p, issuer, "o"), []).append(o)
            if g and g[0] == "_" and g != node:
                groups.setdefault(related_hash(g, "", issuer, "g"), []).append(g)
        data = ""
        # Step 5: for each group in hash order, choose the lexicographically least path.
        for digest, related in sorted(groups.items()):
            data += digest
            chosen_path = ""
            chosen_issuer: _Issuer | None = None
            # One related node has one permutation: the generator's bookkeeping is skipped.
            for permutation in ((related[0],),) if len(related) == 1 else _permutations(related):
                self.work.permutation()
                issuer_copy = issuer.copy()
                path = ""
                recursion: list[str] = []
                skip = False
                for other in permutation:
                    label = self.canonical.issued.get(other)
                    if label is not None:
                        path += label
                    else:
                        if other not in issuer_copy.issued:
                            recursion.append(other)
                        path += issuer_copy.issue(other)
                    if chosen_path and len(path) >= len(chosen_path) and path > chosen_path:
                        skip = True
                        break
                if skip:
                    continue
                for other in recursion:
                    result_hash, result_issuer = self.hash(other, issuer_copy)
                    path += issuer_copy.issue(other) + "<" + result_hash + ">"
                    issuer_copy = result_issuer
                    if chosen_path and len(path) >= len(chosen_path) and path > chosen_path:
                        skip = True
                        break
                if skip:
                    continue
                if not chosen_path or path < chosen_path:
                    chosen_path = path
                    chosen_issuer = issuer_copy
            data += chosen_path
            assert chosen_issuer is not None
            issuer = chosen_issuer
        return self.digest(data.encode()).hexdigest(), issuer


def _line(s: str, p: str, o: str, g: str) -> str:
    return f"{s} {p} {o} {g} .\n" if g else f"{s} {p} {o} .\n"


def canonicalize_quads(quads: set[Quad], *, max_quads: int = MAX_QUADS, work: WorkCounter | None = None) -> str:
    """Return the canonical N-Quads document (sorted lines) of a dataset of serialized quads.

    Raises ``CanonicalizationLimitError`` for a dataset past the work budget (``budget``).
    """
    labels = canonical_labels(quads, max_quads=max_quads, work=work)
    if not labels:
        return "".join(sorted(_line(*q) for q in quads))
    return relabel(quads, labels)


def relabel(quads: set[Quad], labels: dict[str, str]) -> str:
    """§4.4.3 step 7: the dataset with each blank node replaced by its label, lines in code point order."""
    out: list[str] = []
    append = out.append
    for s, p, o, g in quads:
        if s[0] == "_":
            s = labels[s]
        if o[0] == "_":
            o = labels[o]
        if g:
            if g[0] == "_":
                g = labels[g]
            append(f"{s} {p} {o} {g} .\n")
        else:
            append(f"{s} {p} {o} .\n")
    out.sort()
    return "".join(out)


def canonical_labels(quads: set[Quad], *, max_quads: int = MAX_QUADS, work: WorkCounter | None = None,
                     algorithm: str = "SHA256") -> dict[str, str]:
    """The issued identifiers map of RDFC-1.0 (§4.4.3 steps 1-6): each blank node's canonical label.

    Blank nodes are the terms that start with ``_:``; labels are ``_:c14nN``. ``algorithm``
    names the hash function (``HASH_ALGORITHMS``). Raises ``CanonicalizationLimitError``
    for a dataset past the work budget (``budget``), never spending more than it.
    """
    if len(quads) > max_quads:
        raise limit_error("RDF quads", len(quads), max_quads)
    digest = HASH_ALGORITHMS[algorithm]
    # §4.4.3 step 2: map each blank node to the quads that mention it.
    mentions: defaultdict[str, list[Quad]] = defaultdict(list)
    for quad in quads:
        s, _p, o, g = quad
        if s[0] == "_":
            mentions[s].append(quad)
        if o[0] == "_" and o != s:
            mentions[o].append(quad)
        if g and g[0] == "_" and g != s and g != o:
            mentions[g].append(quad)
    if not mentions:
        return {}
    if len(mentions) == 1:
        # One blank node: its first-degree hash is unique whatever it is, so it is issued first.
        return {next(iter(mentions)): "_:c14n0"}
    if len(mentions) > MAX_BLANK_NODES:  # Every blank node is mentioned: the check_dataset bound.
        raise limit_error("blank nodes", len(mentions), MAX_BLANK_NODES)
    # Steps 3-5: first-degree hashes (§4.6); a label is settled when its hash is unique.
    first: dict[str, str] = {}
    by_hash: dict[str, list[str]] = {}
    for node, related in mentions.items():
        lines: list[str] = []
        append = lines.append
        for s, p, o, g in related:
            if s[0] == "_":
                s = "_:a" if s == node else "_:z"
            if o[0] == "_":
                o = "_:a" if o == node else "_:z"
            if g:
                if g[0] == "_":
                    g = "_:a" if g == node else "_:z"
                append(f"{s} {p} {o} {g} .\n")
            else:
                append(f"{s} {p} {o} .\n")
        lines.sort()
        hashed = first[node] = digest("".join(lines).encode()).hexdigest()
        by_hash.setdefault(hashed, []).append(node)
    canonical = _Issuer("_:c14n")
    shared = []
    for _hash, nodes in sorted(by_hash.items()):
        if len(nodes) == 1:
            canonical.issue(nodes[0])
        else:
            shared.append(nodes)
    # Step 6: blank nodes that share a first-degree hash, by Hash N-Degree Quads (§4.8),
    # in the order of their shared hash; within one hash, in the order of their n-degree hash.
    if shared:
        n_degree = _NDegree(mentions, first, canonical, work or WorkCounter(), digest)
        for nodes in shared:
            results = []
            for node in nodes:
                if node in canonical.issued:
                    continue
                temporary = _Issuer("_:b")
                temporary.issue(node)
                results.append(n_degree.hash(node, temporary))
            for _hash, issuer in sorted(results, key=lambda r: r[0]):
                for existing in issuer.issued:
                    canonical.issue(existing)
    return canonical.issued
