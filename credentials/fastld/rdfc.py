"""RDFC-1.0 canonicalization (W3C RDF Dataset Canonicalization) for the common case.

The fast path implements §4.4 steps 1-5 (first-degree hashes, §4.6). When every
blank node has a unique first-degree hash, which is the case for nearly every
credential, those steps settle every canonical label and the Hash N-Degree Quads
algorithm is never needed; otherwise ``Unsupported`` sends the document to pyld.

Quads are serialized as pyld's N-Quads writer does, so that the output is byte
for byte what pyld's URDNA2015 ``normalize`` returns.
"""

from __future__ import annotations

from hashlib import sha256

from .context import Unsupported

Quad = tuple[str, str, str, str]


def _line(s: str, p: str, o: str, g: str) -> str:
    return f"{s} {p} {o} {g} .\n" if g else f"{s} {p} {o} .\n"


def canonicalize_quads(quads: set[Quad]) -> str:
    """Return the canonical N-Quads document (sorted lines) of a dataset of serialized quads."""
    # §4.4.3 step 2: map each blank node to the quads that mention it.
    mentions: dict[str, list[Quad]] = {}
    for quad in quads:
        s, _p, o, g = quad
        if s[0] == "_":
            mentions.setdefault(s, []).append(quad)
        if o[0] == "_" and o != s:
            mentions.setdefault(o, []).append(quad)
        if g and g[0] == "_" and g != s and g != o:
            mentions.setdefault(g, []).append(quad)
    if not mentions:
        return "".join(sorted(_line(*q) for q in quads))
    # Steps 3-5: first-degree hashes (§4.6); a label is settled when its hash is unique.
    by_hash: dict[str, str] = {}
    for node, related in mentions.items():
        lines = []
        for s, p, o, g in related:
            if s[0] == "_":
                s = "_:a" if s == node else "_:z"
            if o[0] == "_":
                o = "_:a" if o == node else "_:z"
            if g and g[0] == "_":
                g = "_:a" if g == node else "_:z"
            lines.append(_line(s, p, o, g))
        lines.sort()
        digest = sha256("".join(lines).encode()).hexdigest()
        if digest in by_hash:
            raise Unsupported("blank nodes with equal first-degree hashes need Hash N-Degree Quads")
        by_hash[digest] = node
    labels = {node: f"_:c14n{index}" for index, (_digest, node) in enumerate(sorted(by_hash.items()))}
    # Step 7: the canonical dataset, each quad relabelled, lines in code point order.
    out = []
    get = labels.get
    for s, p, o, g in quads:
        if s[0] == "_":
            s = labels[s]
        if o[0] == "_":
            o = labels[o]
        if g and g[0] == "_":
            g = get(g, g)
        out.append(_line(s, p, o, g))
    out.sort()
    return "".join(out)
