"""JSON-LD to RDF in one pass: expansion (JSON-LD 1.1 §5.1), node map and RDF
conversion (§7.1-7.3) fused, for documents whose features the fast path knows.

Quads come out as tuples of N-Quads terms already serialized the way pyld writes
them (``<iri>``, ``_:label``, ``"escaped"^^<datatype>``), graph ``""`` for the
default graph, so that canonicalization can hash them without re-serializing.
Blank node labels are arbitrary here; RDFC-1.0 replaces them.

Undefined terms are found in the same pass: the starting context has the probe
vocabulary of ``canonical.find_undefined_terms``, so a property or type no
context defines expands to an IRI under it, and is collected.
"""

from __future__ import annotations

import math
from typing import Any

from c14n.Canonicalize import canonicalize as canonical_json  # type: ignore[import-untyped]  # pyld's own @json canonicalizer

from .context import ABSOLUTE_IRI, MAX_MEMO, UNDEFINED_VOCAB, ActiveContext, Term, Unsupported, is_absolute_iri
from .embedded import convert_embedded

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
XSD = "http://www.w3.org/2001/XMLSchema#"
RDF_TYPE = f"<{RDF}type>"
RDF_FIRST = f"<{RDF}first>"
RDF_REST = f"<{RDF}rest>"
RDF_NIL = f"<{RDF}nil>"
RDF_JSON = f"{RDF}JSON"
XSD_STRING = f"{XSD}string"
XSD_BOOLEAN = f"{XSD}boolean"
XSD_INTEGER = f"{XSD}integer"
XSD_DOUBLE = f"{XSD}double"
_UNDEFINED_LEN = len(UNDEFINED_VOCAB)
# translate() is slow: it is applied only to a string that holds one of these characters.
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r", '"': '\\"'})


class UndefinedTerms(Exception):
    """Safe mode: these properties and types are defined by no context."""

    def __init__(self, properties: set[str], types: set[str]) -> None:
        super().__init__("undefined terms")
        self.properties = properties
        self.types = types


def canonical_double(value: float) -> str:
    """The canonical xsd:double lexical form, as JSON-LD to RDF writes it (e.g. ``1.5E0``)."""
    mantissa, exponent = f"{value:1.15E}".split("E")
    mantissa = mantissa.rstrip("0")
    if mantissa.endswith("."):
        mantissa += "0"
    return f"{mantissa}E{int(exponent)}"


def literal(value: str, datatype: str | None = None, language: str | None = None) -> str:
    """Serialize a literal exactly as pyld's N-Quads writer does (its escaping, no xsd:string)."""
    if '"' in value or "\\" in value or "\n" in value or "\r" in value or "\t" in value:
        value = value.translate(_ESCAPES)
    text = '"' + value + '"'
    if language is not None:
        return text + "@" + language if language else text
    if datatype is None or datatype == XSD_STRING:
        return text
    return text + "^^<" + datatype + ">"


class ToRdf:
    """One document's conversion: the quads, blank node issuing, undefined-term collection."""

    __slots__ = ("_counter", "_labels", "quads", "undefined_properties", "undefined_types")

    def __init__(self) -> None:
        self.quads: set[tuple[str, str, str, str]] = set()
        self._counter = 0
        self._labels: dict[str, str] = {}
        self.undefined_properties: set[str] = set()
        self.undefined_types: set[str] = set()

    def convert(self, document: Any, ctx: ActiveContext) -> set[tuple[str, str, str, str]]:
        if not isinstance(document, dict):
            raise Unsupported("top-level array or scalar")
        if "@graph" in document:
            raise Unsupported("top-level @graph")
        self._node(document, ctx, None, "", top=True)
        if self.undefined_properties or self.undefined_types:
            raise UndefinedTerms(self.undefined_properties, self.undefined_types)
        return self.quads

    def _bnode(self) -> str:
        self._counter += 1
        return f"_:g{self._counter}"

    def _node_id(self, value: Any, ctx: ActiveContext) -> str:
        """A node's @id (document-relative IRI expansion, §5.2 with vocab false)."""
        if not isinstance(value, str):
            raise Unsupported("non-string @id")
        if value.startswith("_:"):
            # A labelled blank node may be shared across graphs and merged by pyld's node map
            # in ways this one-pass conversion does not reproduce; pyld decides.
            raise Unsupported("labelled blank node")
        return "<" + _document_iri(value, ctx) + ">"

    def _iri(self, value: str, ctx: ActiveContext, *, vocab: bool) -> str:
        expanded = ctx.expand_iri(value, vocab=vocab)
        if expanded is None or not is_absolute_iri(expanded) or expanded.startswith(UNDEFINED_VOCAB):
            raise Unsupported(f"IRI {value!r}")
        return expanded

    def _node(self, node: dict[str, Any], ctx: ActiveContext, prop_term: Term | None, graph: str, *,
              top: bool = False) -> str:
        """Expansion steps 7-13 for a node object, emitting its quads; returns its subject term.

        Each key's handling under the final active context is planned once per context
        (``_plan``); the subject is known before the entries are read, so that each entry's
        quads are written as it is read.
        """
        # Step 7: a non-propagated (type-scoped) context does not apply inside a new node object.
        if ctx.previous is not None and not (len(node) == 1 and _keyword(ctx, next(iter(node))) == "@id"):
            ctx = ctx.previous
        # Step 8: the property-scoped context of the property this node is the value of.
        if prop_term is not None and prop_term.context is not _NO_CONTEXT:
            ctx = ctx.derive(prop_term.context, override_protected=True)
        # Step 9: an embedded context.
        if "@context" in node:
            ctx = ctx.derive_inline(node["@context"])
        # Steps 10-11: type-scoped contexts, taken from the terms in lexicographic order.
        type_ctx = ctx
        types: list[str] = []
        type_keys = ctx.type_keys
        if not type_keys.isdisjoint(node):
            value = _only(node, type_keys, "@type")
            if type(value) is str:
                types.append(value)
            else:
                for item in value if isinstance(value, list) else [value]:
                    if not isinstance(item, str):
                        raise Unsupported("non-string @type")
                    types.append(item)
            if types:
                typed_key = tuple(types)
                typed = type_ctx.typed.get(typed_key)
                if typed is None:
                    terms = type_ctx.terms
                    for name in sorted(types):
                        scoped = terms.get(name)
                        if scoped is not None and scoped.context is not _NO_CONTEXT:
                            ctx = ctx.derive(scoped.context, propagate=False)
                    if len(type_ctx.typed) < MAX_MEMO:
                        type_ctx.typed[typed_key] = ctx
                else:
                    ctx = typed
        # Step 13, the node's @id first (read with the final active context).
        id_keys = ctx.id_keys
        if id_keys.isdisjoint(node):
            self._counter += 1
            subject = f"_:g{self._counter}"
        else:
            subject = self._node_id(_only(node, id_keys, "@id"), ctx)
        quads = self.quads
        add = quads.add
        if types:
            # Types are expanded with the context before type-scoped contexts (step 13.4.4.4).
            type_term = type_ctx.type_term
            for name in types:
                iri, undefined = type_term(name)
                if undefined is not None:
                    self.undefined_types.add(undefined)
                add((subject, RDF_TYPE, iri, graph))
        # Step 13: every other entry, read with the final active context.
        plans = ctx.plans
        special = ctx.special_keys
        for key, value in node.items():
            plan = plans.get(key) or _plan(ctx, key)
            action = plan[0]
            if action != _PROPERTY:
                if action == _TYPE:
                    if key not in type_keys:
                        raise Unsupported(f"key {key!r} becomes @type under a type-scoped context")
                elif action == _JSON:
                    self._undefined(plan)
                    add((subject, plan[1], self._json(value), graph))
                elif action == _LIST:
                    self._undefined(plan)
                    items = value if isinstance(value, list) else [value]
                    add((subject, plan[1], self._list(items, ctx, key, plan[2], graph), graph))
                elif action == _GRAPH:
                    self._undefined(plan)
                    _, predicate, term, _, _ = plan
                    for item in value if isinstance(value, list) else (value,):
                        if not isinstance(item, dict) or _is_value_or_special(item, ctx):
                            raise Unsupported("non-node value in a @graph container")
                        name = self._bnode()
                        # An embedded credential reuses its own pass when the algorithm allows (``embedded``).
                        if term is None or not convert_embedded(self, item, ctx, term, name):
                            self._node(item, ctx, term, name)
                        add((subject, predicate, name, graph))
                # _CONTEXT and _ID: already read.
                continue
            _, predicate, term, undefined, form = plan
            if undefined is not None:
                self.undefined_properties.add(undefined)
            kind = type(value)
            if kind is str:
                # The common case, a plain string: what ``_object`` and ``_scalar`` do for it, with
                # the key's coercion worked out once per context (``_string_form``).
                mode, data, _ = form
                if mode == _LITERAL:
                    if '"' in value or "\\" in value or "\n" in value or "\r" in value or "\t" in value:
                        value = value.translate(_ESCAPES)
                    add((subject, predicate, '"' + value + '"' + data, graph))
                else:
                    add((subject, predicate, self._string(value, form, ctx, key, term, graph), graph))
            elif kind is dict and special.isdisjoint(value):
                # A node object (no key of it is, or stands for, a value, list, set or graph keyword).
                add((subject, predicate, self._node(value, ctx, term, graph), graph))
            else:
                for item in value if kind is list else (value,):
                    if type(item) is str:
                        obj: str | None = self._string(item, form, ctx, key, term, graph)
                    elif type(item) is dict and special.isdisjoint(item):
                        obj = self._node(item, ctx, term, graph)
                    else:
                        obj = self._object(item, ctx, key, term, graph)
                    if obj is not None:
                        add((subject, predicate, obj, graph))
        return subject

    def _undefined(self, plan: tuple[Any, ...]) -> None:
        if plan[3] is not None:
            self.undefined_properties.add(plan[3])

    def _string(self, value: str, form: tuple[int, Any, bool], ctx: ActiveContext, key: str, term: Term | None,
                graph: str) -> str:
        """A string value's RDF term, by the key's string form under ``ctx`` (``_string_form``)."""
        mode, data, vocab = form
        if mode == _LITERAL:
            if '"' in value or "\\" in value or "\n" in value or "\r" in value or "\t" in value:
                value = value.translate(_ESCAPES)
            return '"' + value + '"' + str(data)
        if mode == _IRI:
            if value.startswith("_:"):
                return self._node_id(value, data)
            if vocab:
                return "<" + self._iri(value, data, vocab=True) + ">"
            return "<" + _document_iri(value, data) + ">"
        return self._object(value, ctx, key, term, graph) or ""

    def _object(self, item: Any, ctx: ActiveContext, key: str, term: Term | None, graph: str) -> str | None:
        """Expand one value of a property and return its RDF term (emitting nested quads)."""
        if isinstance(item, dict):
            if _is_value_or_special(item, ctx):
                return self._value_object(item, ctx, term)
            return self._node(item, ctx, term, graph)
        if isinstance(item, list):
            raise Unsupported("nested array")
        if item is None:
            raise Unsupported("null value")
        # Expansion step 4.2: a property-scoped context applies to a scalar's coercion too.
        if term is not None and term.context is not _NO_CONTEXT:
            ctx = ctx.derive(term.context, override_protected=True)
            term = ctx.terms.get(key)
        return self._scalar(item, ctx, term)

    def _scalar(self, value: Any, ctx: ActiveContext, term: Term | None) -> str:
        """Value Expansion (§5.3) and then RDF conversion of the value (§7.3)."""
        type_mapping = term.type if term is not None else None
        if isinstance(value, str):
            if type_mapping == "@id":
                if value.startswith("_:"):
                    return self._node_id(value, ctx)
                return "<" + self._iri(value, ctx, vocab=False) + ">"
            if type_mapping == "@vocab":
                if value.startswith("_:"):
                    return self._node_id(value, ctx)
                return "<" + self._iri(value, ctx, vocab=True) + ">"
        datatype = type_mapping if type_mapping not in (None, "@id", "@vocab", "@none") else None
        language: str | None = None
        if datatype is None and isinstance(value, str):
            if term is not None and term.language is not _UNSET_LANGUAGE:
                language = term.language
            else:
                language = ctx.language
        return self._literal(value, datatype, language)

    def _literal(self, value: Any, datatype: str | None, language: str | None) -> str:
        """§7.3 Object to RDF for a value object, mirroring pyld's number handling."""
        if type(value) is str and datatype != XSD_DOUBLE:
            # The common case first; the same as the string branch at the end.
            if language is not None:
                if datatype is not None:
                    raise Unsupported("language with datatype")
                return literal(value, language=language)
            return literal(value, datatype)
        if isinstance(value, bool):
            return literal("true" if value else "false", datatype or XSD_BOOLEAN)
        if isinstance(value, float):
            if not math.isfinite(value):
                raise Unsupported("non-finite number")
            if not value.is_integer():
                return literal(canonical_double(value), datatype or XSD_DOUBLE)
        if datatype == XSD_DOUBLE:
            try:
                number = float(value)
            except (TypeError, ValueError):
                raise Unsupported("xsd:double that is not a number") from None
            if not math.isfinite(number):
                raise Unsupported("non-finite number")
            return literal(canonical_double(number), XSD_DOUBLE)
        if isinstance(value, int | float):
            if abs(value) >= 1e21:
                return literal(canonical_double(float(value)), datatype or XSD_DOUBLE)
            return literal(str(int(value)), datatype or XSD_INTEGER)
        if not isinstance(value, str):
            raise Unsupported("value of unknown kind")
        if language is not None:
            if datatype is not None:
                raise Unsupported("language with datatype")
            return literal(value, language=language)
        return literal(value, datatype)

    def _value_object(self, item: dict[str, Any], ctx: ActiveContext, term: Term | None) -> str | None:
        value: Any = None
        datatype: str | None = None
        language: str | None = None
        has_value = False
        for key, raw in item.items():
            expanded = _keyword(ctx, key)
            if expanded == "@value":
                value = raw
                has_value = True
            elif expanded == "@type":
                if not isinstance(raw, str):
                    raise Unsupported("value object @type")
                datatype = ctx.expand_iri(raw, vocab=True)
                if datatype is not None and datatype.startswith(UNDEFINED_VOCAB):
                    self.undefined_types.add(datatype[_UNDEFINED_LEN:])
                    return None
                if datatype != "@json" and (datatype is None or not is_absolute_iri(datatype)):
                    raise Unsupported("value object datatype")
            elif expanded == "@language":
                if not isinstance(raw, str):
                    raise Unsupported("value object @language")
                language = raw.lower()
            else:
                raise Unsupported(f"value object key {key!r}")
        if not has_value:
            raise Unsupported("not a value object")
        if datatype == "@json":
            if language is not None:
                raise Unsupported("@json with @language")
            return self._json(value)
        if value is None:
            raise Unsupported("null @value")
        if isinstance(value, dict | list):
            raise Unsupported("structured @value")
        if language is not None and not isinstance(value, str):
            raise Unsupported("language on a non-string")
        if language is not None and datatype is not None:
            raise Unsupported("language with datatype")
        return self._literal(value, datatype, language)

    def _json(self, value: Any) -> str:
        """A JSON literal (JSON-LD 1.1 §4.2.2 and §7.3): RFC 8785 canonical JSON, rdf:JSON."""
        if _has_float(value):
            raise Unsupported("@json literal with a fractional number")
        text = canonical_json(value).decode("utf-8")
        if '"@context"' in text:
            raise Unsupported("@json literal naming a context")
        return literal(text, RDF_JSON)

    def _list(self, items: list[Any], ctx: ActiveContext, key: str, term: Term | None, graph: str) -> str:
        """§7.4 List to RDF: a chain of blank nodes with rdf:first and rdf:rest."""
        objects = []
        for item in items:
            if isinstance(item, list):
                raise Unsupported("list of lists")
            obj = self._object(item, ctx, key, term, graph)
            if obj is None:
                raise Unsupported("dropped list item")
            objects.append(obj)
        if not objects:
            return RDF_NIL
        heads = [self._bnode() for _ in objects]
        for index, (head, obj) in enumerate(zip(heads, objects, strict=True)):
            self.quads.add((head, RDF_FIRST, obj, graph))
            self.quads.add((head, RDF_REST, heads[index + 1] if index + 1 < len(heads) else RDF_NIL, graph))
        return heads[0]


_LITERAL, _IRI, _GENERAL = 0, 1, 2
# What a key of a node object is under an active context (``_plan``): a property whose
# values are read one by one, @context, @type, @id, or a property with a @json, @list or
# @graph term.
_PROPERTY, _CONTEXT, _TYPE, _ID, _JSON, _LIST, _GRAPH = range(7)
Plan = tuple[int, str | None, Term | None, str | None, Any]


def _plan(ctx: ActiveContext, key: str) -> Plan:
    """How ``_node`` reads ``key`` under ``ctx``: (action, predicate, term, undefined name, string form).

    Memoized on ``ctx`` (bounded by ``MAX_MEMO``); a key the fast path does not write raises
    ``Unsupported`` every time, and is not kept. The same decisions, in the same order, as
    expansion step 13 makes them for each entry.
    """
    plan: Plan
    if key == "@context":
        plan = (_CONTEXT, None, None, None, None)
    else:
        expanded, term, predicate = ctx.property_memo.get(key) or ctx.property_of(key)
        undefined: str | None = None
        if predicate is None:
            if expanded == "@type":
                plan = (_TYPE, None, None, None, None)
            elif expanded == "@id":
                plan = (_ID, None, None, None, None)
            elif expanded is None:
                raise Unsupported(f"term {key!r} mapped to null")
            elif expanded[:1] == "@":
                raise Unsupported(f"keyword {expanded} in a node object")
            elif expanded.startswith(UNDEFINED_VOCAB):
                undefined = expanded[_UNDEFINED_LEN:]
                predicate = "<" + expanded + ">"
            else:
                raise Unsupported(f"property {key!r}")
        if predicate is not None:
            container: frozenset[str] = _EMPTY
            if term is not None:
                if term.unsupported is not None:
                    raise Unsupported(term.unsupported)
                container = term.container
            if term is not None and term.type == "@json":
                plan = (_JSON, predicate, term, undefined, None)
            elif "@list" in container:
                plan = (_LIST, predicate, term, undefined, None)
            elif "@graph" in container:
                plan = (_GRAPH, predicate, term, undefined, None)
            else:
                plan = (_PROPERTY, predicate, term, undefined, ctx.strings.get(key) or _string_form(ctx, key, term))
    if len(ctx.plans) < MAX_MEMO:
        ctx.plans[key] = plan
    return plan


def _only(node: dict[str, Any], keys: frozenset[str], keyword: str) -> Any:
    """The value of the one key of ``node`` among ``keys`` (a keyword and its aliases); two collide, as in pyld."""
    found: Any = _MISSING
    for key in keys:
        if key in node:
            if found is not _MISSING:
                raise Unsupported(f"colliding keywords: two keys stand for {keyword}")
            found = node[key]
    return found


_MISSING: Any = object()


def _document_iri(value: str, ctx: ActiveContext) -> str:
    """IRI Expansion with ``vocab`` false (§5.2), for a value that must be an absolute IRI.

    What ``ctx.expand_iri(value, vocab=False)`` and then ``ToRdf._iri`` decide, with one
    match of the absolute-IRI pattern: a compact IRI whose prefix is a prefix term, or an
    absolute IRI as it is; anything else (a keyword, a relative IRI, a blank node, an IRI
    under the undefined-term vocabulary) raises ``Unsupported``.
    """
    colon = value.find(":")
    if colon > 0:
        if not value.startswith("//", colon + 1):
            term = ctx.terms.get(value[:colon])
            if term is not None and term.iri is not None and term.prefix and value[:colon] != "_":
                expanded = term.iri + value[colon + 1:]
                if ABSOLUTE_IRI.match(expanded) is not None and not expanded.startswith(UNDEFINED_VOCAB):
                    return expanded
                raise Unsupported(f"IRI {value!r}")
        if ABSOLUTE_IRI.match(value) is not None and not value.startswith(UNDEFINED_VOCAB):
            return value
    raise Unsupported(f"IRI {value!r}")


def _string_form(ctx: ActiveContext, key: str, term: Term | None) -> tuple[int, Any, bool]:
    """How ``_object`` writes a string value of ``key`` under ``ctx``, memoized on ``ctx``.

    ``(_LITERAL, suffix, _)``: the quoted, escaped string followed by ``suffix`` (``@lang``,
    ``^^<datatype>`` or nothing); ``(_IRI, context, vocab)``: an IRI expanded in ``context``;
    ``(_GENERAL, None, _)``: anything else (xsd:double), left to ``_object``. The same steps
    as ``_object`` and ``_scalar``: the property-scoped context first, then the coercion.
    """
    scoped, scoped_term = ctx, term
    if term is not None and term.context is not _NO_CONTEXT:
        scoped = ctx.derive(term.context, override_protected=True)
        scoped_term = scoped.terms.get(key)
    type_mapping = scoped_term.type if scoped_term is not None else None
    form: tuple[int, Any, bool]
    if type_mapping == "@id" or type_mapping == "@vocab":
        form = (_IRI, scoped, type_mapping == "@vocab")
    else:
        datatype = type_mapping if type_mapping not in (None, "@none") else None
        if datatype == XSD_DOUBLE:
            form = (_GENERAL, None, False)
        elif datatype is None:
            if scoped_term is not None and scoped_term.language is not _UNSET_LANGUAGE:
                language = scoped_term.language
            else:
                language = scoped.language
            form = (_LITERAL, "@" + language if language else "", False)
        else:
            form = (_LITERAL, "" if datatype == XSD_STRING else "^^<" + datatype + ">", False)
    if len(ctx.strings) < MAX_MEMO:
        ctx.strings[key] = form
    return form


def _keyword(ctx: ActiveContext, key: str) -> str | None:
    """The keyword a key stands for (itself or an alias), without expanding other keys."""
    if key[:1] == "@":
        return key
    return ctx.aliases.get(key)


_SPECIAL_OBJECTS = frozenset({"@list", "@set", "@graph", "@included", "@reverse", "@nest", "@index"})


def _is_value_or_special(item: dict[str, Any], ctx: ActiveContext) -> bool:
    """True for a value object; raises ``Unsupported`` for list, set and graph objects."""
    aliases = ctx.aliases
    for key in item:
        expanded = key if key[:1] == "@" else aliases.get(key)
        if expanded is None:
            continue
        if expanded == "@value":
            return True
        if expanded in _SPECIAL_OBJECTS:
            raise Unsupported(f"{expanded} object")
    return False


def _has_float(value: Any) -> bool:
    if isinstance(value, float):
        return True
    if isinstance(value, dict):
        return any(_has_float(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_float(v) for v in value)
    return False


_EMPTY: frozenset[str] = frozenset()
_NO_CONTEXT = Term(None).context
_UNSET_LANGUAGE = Term(None).language
