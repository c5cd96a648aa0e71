"""A presentation's embedded credentials converted once: their own pass reused inside the presentation's.

In VC 2.0, ``verifiableCredential`` is a ``@graph`` container whose scoped context is
``null``: each embedded credential is processed from the initial context plus its own
``@context``, exactly as the credential is on its own (JSON-LD 1.1 §4.1 step 5.1, Expansion
step 8). Its quads inside the presentation are therefore its own quads (those of the
credential without its proof, which its ``contexts`` check and its proof already
computed, shared by ``onepass``) with fresh blank-node labels and the graph name of the
presentation's graph, plus the quads of its ``proof``, converted in place from a stub
that carries the node's ``@context``, ``id``, ``type`` and ``proof``: the same active
context for the proof as in the whole node. RDFC-1.0 then runs on the whole dataset, as
the specification requires; only JSON-LD to RDF is shared.

One difference is guarded against: the credential's own pass starts from the probe
context (undefined terms made visible under ``UNDEFINED_VOCAB``), the embedded one from
the initial context. They give the same quads whenever the credential's own pass found
no undefined term, which is the only case reused; anything else (an undefined term, a
blank or missing ``id``, a feature the fast path declines) is converted in place as before.
"""

from __future__ import annotations

from typing import Any

from .context import ActiveContext, Term, roots_for
from .onepass import once

_ID_KEYS = ("id", "@id")
_TYPE_KEYS = ("type", "@type")


def convert_embedded(converter: Any, item: dict[str, Any], ctx: ActiveContext, term: Term, graph: str) -> bool:
    """Emit ``item``'s quads into ``converter`` (a ``torif.ToRdf``) in ``graph`` from its own pass; False if not reusable."""
    if term.context is not None or "@context" not in item:
        return False
    ids = [key for key in _ID_KEYS if key in item]
    if len(ids) != 1 or not isinstance(item[ids[0]], str) or item[ids[0]].startswith("_:"):
        return False
    unproven = {key: value for key, value in item.items() if key != "proof"}
    loader = ctx.root.loader
    try:
        own = once("quads", unproven, loader, lambda: type(converter)().convert(unproven, roots_for(loader).probe))
    except Exception:  # Declined, undefined terms, a loader's refusal: converted in place by the caller.
        return False
    stub = {key: item[key] for key in ("@context", ids[0], *_TYPE_KEYS, "proof") if key in item}
    outer = converter.quads
    converter.quads = set()
    try:
        subject = converter._node(stub, ctx, term, graph)
        in_place = converter.quads
    finally:
        converter.quads = outer
    if subject.startswith("_:") or not any(quad[0] == subject for quad in own):
        # ``id`` is not the node's @id under this context after all: convert the whole node in place.
        return False
    outer |= in_place
    labels: dict[str, str] = {}
    for s, p, o, g in own:
        if s[0] == "_":
            s = labels.get(s) or labels.setdefault(s, converter._bnode())
        if o[0] == "_":
            o = labels.get(o) or labels.setdefault(o, converter._bnode())
        if not g:
            g = graph
        elif g[0] == "_":
            g = labels.get(g) or labels.setdefault(g, converter._bnode())
        outer.add((s, p, o, g))
    return True
