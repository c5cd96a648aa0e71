"""Processed JSON-LD active contexts, built once per loader and reused.

JSON-LD 1.1 Processing Algorithms §4.1 (Context Processing) and §4.2 (Create
Term Definition), for the subset of features that the bundled Verifiable
Credentials, Data Integrity and Open Badges contexts use. Everything else raises
``Unsupported`` so that the caller falls back to pyld, which stays the reference.

An ``ActiveContext`` is immutable once built. Applying a local context to it is
memoized on the context itself (``derive``), so a document's contexts, and the
type-scoped and property-scoped contexts its nodes activate, are processed once
per loader and then cost one dictionary lookup.
"""

from __future__ import annotations

import json
import re
import threading
from typing import Any

from ..loader import DocumentLoader, require_bundled_contexts

# The probe vocabulary of ``canonical.find_undefined_terms``: expansion maps a
# property or type that no context defines to this IRI instead of dropping it.
UNDEFINED_VOCAB = "urn:satchel:undefined-term#"

KEYWORDS = frozenset({
    "@base", "@container", "@context", "@default", "@direction", "@embed", "@explicit", "@graph", "@id",
    "@import", "@included", "@index", "@json", "@language", "@list", "@nest", "@none", "@omitDefault",
    "@prefix", "@preserve", "@propagate", "@protected", "@requireAll", "@reverse", "@set", "@type",
    "@value", "@version", "@vocab",
})
_KEYWORD_FORM = re.compile(r"^@[a-zA-Z]+$")
# The keywords whose presence makes an object something other than a node object.
VALUE_OR_SPECIAL = frozenset({"@value", "@list", "@set", "@graph", "@included", "@reverse", "@nest", "@index"})
# Stricter than pyld's ``_is_absolute_iri``: an IRI we accept is one pyld keeps unchanged.
_ABSOLUTE_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:[^\s<>\"{}|\\^`]*$")
ABSOLUTE_IRI = _ABSOLUTE_IRI
_GEN_DELIMS = frozenset(":/?#[]@")
_TERM_KEYS = frozenset({"@id", "@reverse", "@type", "@container", "@context", "@language", "@prefix",
                        "@protected", "@index", "@nest", "@direction"})
_UNSET: Any = object()
# Bounds the memo of caller-inlined contexts, which an attacker could vary freely.
_MAX_DERIVED = 512
# Bounds each context's memos of keys and types, which documents choose freely too.
_MAX_MEMO = 4_096
MAX_MEMO = _MAX_MEMO
# The memos below are shared by every thread of a server (verification runs in an
# executor). Entries are computed outside any lock and published under this one
# with ``setdefault``: the first value published is the one every thread uses,
# and a compound check-then-store (pin, memo, roots) is never seen half done.
_PUBLISH = threading.Lock()


class Unsupported(Exception):
    """The fast path does not fully understand this input; use the reference path."""


def is_absolute_iri(value: str) -> bool:
    return _ABSOLUTE_IRI.match(value) is not None


class Term:
    """One term definition (JSON-LD 1.1 §4.2), with the parts the fast path uses."""

    __slots__ = ("_key", "container", "context", "iri", "language", "prefix", "protected", "type", "unsupported")

    def __init__(self, iri: str | None, *, type: str | None = None, container: frozenset[str] = frozenset(),
                 language: Any = _UNSET, prefix: bool = False, protected: bool = False,
                 context: Any = _UNSET, unsupported: str | None = None) -> None:
        self.iri = iri
        self.type = type
        self.container = container
        self.language = language
        self.prefix = prefix
        self.protected = protected
        self.context = context
        self.unsupported = unsupported
        # Everything but @protected: what "the same definition" means for protected terms.
        self._key = (iri, type, container, language is _UNSET, None if language is _UNSET else language,
                     prefix, unsupported, json.dumps(context, sort_keys=True) if context is not _UNSET else "")

    def same_as(self, other: Term) -> bool:
        return self._key == other._key


class ActiveContext:
    """An immutable active context plus memos of what has been derived from it."""

    __slots__ = ("_derived", "_keys", "_types", "aliases", "id_keys", "language", "plans", "previous", "property_memo",
                 "root", "special_keys", "strings", "terms", "type_keys", "typed", "vocab")

    def __init__(self, terms: dict[str, Term], vocab: str | None, language: str | None,
                 previous: ActiveContext | None, root: Roots) -> None:
        self.terms = terms
        self.vocab = vocab
        self.language = language
        self.previous = previous
        self.root = root
        self._derived: dict[Any, ActiveContext] = {}
        self._keys: dict[str, tuple[str | None, Term | None]] = {}
        self.property_memo: dict[str, tuple[str | None, Term | None, str | None]] = {}
        self._types: dict[str, tuple[str, str | None]] = {}
        # The terms that alias a keyword (``"type"`` for ``@type``), each to its keyword, and the
        # keys that stand for ``@type`` here: asked of every key of every node.
        self.aliases: dict[str, str] = {name: term.iri for name, term in terms.items()
                                        if term.iri is not None and term.iri[:1] == "@"}
        self.type_keys = frozenset(["@type", *(name for name, iri in self.aliases.items() if iri == "@type")])
        self.id_keys = frozenset(["@id", *(name for name, iri in self.aliases.items() if iri == "@id")])
        # The keys that make an object a value, list, set or graph object (or may: a superset).
        self.special_keys = VALUE_OR_SPECIAL | frozenset(
            name for name, iri in self.aliases.items() if iri in VALUE_OR_SPECIAL)
        # Memos kept for ``torif`` (bounded by ``MAX_MEMO``): how a string value of a key is
        # written, and the context that a node's types lead to from this one.
        self.strings: dict[str, tuple[int, Any, bool]] = {}
        self.typed: dict[tuple[str, ...], ActiveContext] = {}
        # How each key of a node object is read under this context (``torif._plan``).
        self.plans: dict[str, tuple[Any, ...]] = {}

    @property
    def has_protected(self) -> bool:
        return any(t.protected for t in self.terms.values())

    def expand_key(self, key: str) -> tuple[str | None, Term | None]:
        """IRI-expand a property key (vocab-relative), memoized: (IRI or keyword, its term)."""
        hit = self._keys.get(key)
        if hit is None:
            term = self.terms.get(key)
            hit = (term.iri, term) if term is not None else (self.expand_iri(key, vocab=True), None)
            if len(self._keys) < _MAX_MEMO:
                self._keys[key] = hit
        return hit

    def property_of(self, key: str) -> tuple[str | None, Term | None, str | None]:
        """``expand_key`` plus the N-Quads predicate (``<iri>``) when the key is a property the
        fast path writes as is: an absolute IRI, not a keyword, not an undefined term. Memoized."""
        hit = self.property_memo.get(key)
        if hit is None:
            expanded, term = self.expand_key(key)
            predicate = None
            if (expanded is not None and expanded[:1] != "@" and not expanded.startswith(UNDEFINED_VOCAB)
                    and is_absolute_iri(expanded)):
                predicate = "<" + expanded + ">"
            hit = (expanded, term, predicate)
            if len(self.property_memo) < _MAX_MEMO:
                self.property_memo[key] = hit
        return hit

    def type_term(self, name: str) -> tuple[str, str | None]:
        """A node type's N-Quads term (``<iri>``), and its name when no context defines it (else None).

        Raises ``Unsupported`` for a type the fast path does not write. Memoized.
        """
        hit = self._types.get(name)
        if hit is None:
            iri = self.expand_iri(name, vocab=True)
            if iri is None or iri[:1] == "@":
                raise Unsupported(f"type {name!r}")
            if iri.startswith(UNDEFINED_VOCAB):
                hit = ("<" + iri + ">", iri[len(UNDEFINED_VOCAB):])
            elif not is_absolute_iri(iri):
                raise Unsupported(f"type {name!r}")
            else:
                hit = ("<" + iri + ">", None)
            if len(self._types) < _MAX_MEMO:
                self._types[name] = hit
        return hit

    def expand_iri(self, value: str, *, vocab: bool) -> str | None:
        """IRI Expansion (§5.2) without a local context; relative results raise ``Unsupported``."""
        if value in KEYWORDS:
            return value
        if value[:1] == "@" and _KEYWORD_FORM.match(value):
            raise Unsupported(f"keyword-like value {value!r}")
        if vocab:
            term = self.terms.get(value)
            if term is not None:
                return term.iri
        colon = value.find(":")
        if colon > 0:
            prefix, suffix = value[:colon], value[colon + 1:]
            if prefix == "_":
                return value
            if not suffix.startswith("//"):
                term = self.terms.get(prefix)
                if term is not None and term.iri is not None and term.prefix:
                    return term.iri + suffix
            if is_absolute_iri(value):
                return value
            raise Unsupported(f"not an IRI: {value!r}")
        if vocab and self.vocab is not None:
            return self.vocab + value
        raise Unsupported(f"relative IRI {value!r}")

    def derive(self, local: Any, *, override_protected: bool = False, propagate: bool = True) -> ActiveContext:
        """Context Processing (§4.1) of ``local`` on this context, memoized per local context."""
        if isinstance(local, str):
            key: Any = (local, override_protected, propagate)
        elif isinstance(local, dict | list):
            key = (id(local), override_protected, propagate)
        else:
            key = (repr(local), override_protected, propagate)
        hit = self._derived.get(key)
        if hit is not None and (not isinstance(local, dict | list) or hit.root.pinned.get(id(local)) is local):
            return hit
        result = self._process(local, override_protected=override_protected, propagate=propagate)
        with _PUBLISH:
            if len(self._derived) < _MAX_DERIVED:
                if isinstance(local, dict | list):
                    # Keep the local context alive, so that its id() names it for the memo's lifetime.
                    self.root.pinned.setdefault(id(local), local)
                # A thread that derived the same context first wins; both results are equal.
                result = self._derived.setdefault(key, result)
        return result

    def derive_inline(self, local: Any) -> ActiveContext:
        """Process a context the document itself embeds (not a URL), memoized by its JSON text."""
        if isinstance(local, str):
            return self.derive(local)
        if isinstance(local, list) and all(type(item) is str and "@context" not in item for item in local):
            # The usual ``@context``, a list of URLs: keyed by the URLs, as their JSON text would be.
            key: tuple[str, Any] = ("inline-urls", tuple(local))
            hit = self._derived.get(key)
            if hit is None:
                hit = self._process(list(local), override_protected=False, propagate=True)
                with _PUBLISH:
                    if len(self._derived) < _MAX_DERIVED:
                        hit = self._derived.setdefault(key, hit)
            return hit
        text = json.dumps(local, sort_keys=True)
        key = ("inline", text)
        hit = self._derived.get(key)
        if hit is None:
            if "@context" in text:
                # Scoped contexts inside a caller's context are validated by pyld eagerly; we do not.
                raise Unsupported("inline context with scoped contexts")
            hit = self._process(json.loads(text), override_protected=False, propagate=True)
            with _PUBLISH:
                if len(self._derived) < _MAX_DERIVED:
                    hit = self._derived.setdefault(key, hit)
        return hit

    def _process(self, local: Any, *, override_protected: bool, propagate: bool) -> ActiveContext:
        # Steps 1-3: result starts as a copy; a non-propagated context remembers where it came from.
        items = local if isinstance(local, list) else [local]
        result = self
        # §4.1 step 2: @propagate in the (first) local context overrides the argument.
        if items and isinstance(items[0], dict) and "@propagate" in items[0]:
            if not isinstance(items[0]["@propagate"], bool):
                raise Unsupported("invalid @propagate")
            propagate = items[0]["@propagate"]
        previous = self.previous
        if not propagate and previous is None:
            previous = self
        for item in items:
            result = result._apply(item, override_protected=override_protected)
        if result.previous is not previous:
            result = ActiveContext(result.terms, result.vocab, result.language, previous, self.root)
        return result

    def _apply(self, item: Any, *, override_protected: bool) -> ActiveContext:
        """§4.1 step 5 for one context in the list."""
        root = self.root
        if item is None:
            # 5.1: a null context resets to the initial context, unless protected terms forbid it.
            if not override_protected and self.has_protected:
                raise Unsupported("invalid context nullification")
            return root.initial
        if isinstance(item, str):
            document = root.loader.load(item)
            if item not in root.checked:
                # The reference refuses every unbundled URL reachable from a context, used or not.
                require_bundled_contexts(document, root.loader)
                root.checked.add(item)
            if not isinstance(document, dict) or "@context" not in document:
                raise Unsupported(f"{item} is not a context document")
            remote = document["@context"]
            nested = remote if isinstance(remote, list) else [remote]
            result = self
            for ctx in nested:
                if isinstance(ctx, str):
                    raise Unsupported("remote context referencing another remote context")
                result = result._apply(ctx, override_protected=override_protected)
            return result
        if not isinstance(item, dict):
            raise Unsupported("invalid local context")
        for key in item:
            if key in ("@import", "@base", "@direction"):
                raise Unsupported(f"context keyword {key}")
        if "@version" in item and item["@version"] != 1.1:
            raise Unsupported("invalid @version")
        terms = dict(self.terms)
        vocab = self.vocab
        language = self.language
        if "@vocab" in item:
            value = item["@vocab"]
            if value is None:
                vocab = None
            elif isinstance(value, str) and value:
                expanded = self.expand_iri(value, vocab=True)
                if expanded is None or not (is_absolute_iri(expanded) or expanded.startswith("_:")):
                    raise Unsupported("invalid @vocab")
                vocab = expanded
            else:
                raise Unsupported("invalid @vocab")
        if "@language" in item:
            value = item["@language"]
            if value is None:
                language = None
            elif isinstance(value, str):
                language = value.lower()
            else:
                raise Unsupported("invalid default language")
        protected_default = item.get("@protected", False)
        if not isinstance(protected_default, bool):
            raise Unsupported("invalid @protected")
        builder = _TermBuilder(self, item, terms, vocab, protected_default, override_protected)
        for term in item:
            if term in ("@vocab", "@language", "@protected", "@version", "@propagate"):
                continue
            builder.define(term)
        return ActiveContext(terms, vocab, language, self.previous, root)


class _TermBuilder:
    """Create Term Definition (§4.2) for every term of one local context, with its defined map."""

    def __init__(self, active: ActiveContext, local: dict[str, Any], terms: dict[str, Term], vocab: str | None,
                 protected_default: bool, override_protected: bool) -> None:
        self.active = active
        self.local = local
        self.terms = terms
        self.vocab = vocab
        self.protected_default = protected_default
        self.override_protected = override_protected
        self.defined: dict[str, bool] = {}

    def define(self, term: str) -> None:
        state = self.defined.get(term)
        if state is True:
            return
        if state is False:
            raise Unsupported("cyclic IRI mapping")
        self.defined[term] = False
        value = self.local[term]
        # Step 4: "@type" may be redefined only as a set container, which changes nothing in RDF.
        if term == "@type":
            if isinstance(value, dict) and set(value) <= {"@container", "@protected"} and value.get("@container") == "@set":
                self.defined[term] = True
                return
            raise Unsupported("keyword redefinition")
        if term in KEYWORDS or _KEYWORD_FORM.match(term) or term == "":
            raise Unsupported(f"invalid term {term!r}")
        previous = self.terms.pop(term, None)
        definition = self._build(term, value)
        # Steps 27-28: a protected term may only be "redefined" identically.
        if previous is not None and previous.protected and not self.override_protected:
            if not definition.same_as(previous):
                raise Unsupported(f"protected term redefinition: {term}")
            definition = previous
        self.terms[term] = definition
        self.defined[term] = True

    def _expand(self, value: str) -> str | None:
        """IRI Expansion with this local context (§5.2 steps 4-8, vocab true)."""
        if value in KEYWORDS:
            return value
        if _KEYWORD_FORM.match(value):
            raise Unsupported(f"keyword-like value {value!r}")
        if value in self.local and self.defined.get(value) is not True:
            self.define(value)
        term = self.terms.get(value)
        if term is not None:
            return term.iri
        colon = value.find(":")
        if colon > 0:
            prefix, suffix = value[:colon], value[colon + 1:]
            if prefix == "_" or suffix.startswith("//"):
                return value
            if prefix in self.local and self.defined.get(prefix) is not True:
                self.define(prefix)
            ptype = self.terms.get(prefix)
            if ptype is not None and ptype.iri is not None and ptype.prefix:
                return ptype.iri + suffix
            if is_absolute_iri(value):
                return value
            raise Unsupported(f"not an IRI: {value!r}")
        if self.vocab is not None:
            return self.vocab + value
        raise Unsupported(f"relative IRI {value!r}")

    def _build(self, term: str, value: Any) -> Term:
        simple = False
        if value is None:
            return Term(None, protected=self.protected_default, unsupported="null term")
        if isinstance(value, str):
            value = {"@id": value}
            simple = True
        if not isinstance(value, dict):
            raise Unsupported("invalid term definition")
        for key in value:
            if key not in _TERM_KEYS:
                raise Unsupported(f"invalid term definition key {key}")
        protected = value.get("@protected", self.protected_default)
        if not isinstance(protected, bool):
            raise Unsupported("invalid @protected")
        unsupported: str | None = None
        for key in ("@reverse", "@index", "@nest", "@direction"):
            if key in value:
                unsupported = f"term with {key}"
        iri: str | None
        prefix = False
        if "@reverse" in value:
            iri = None
        elif "@id" in value and value["@id"] != term:
            raw = value["@id"]
            if raw is None:
                iri = None
                unsupported = "null term"
            elif not isinstance(raw, str):
                raise Unsupported("invalid IRI mapping")
            else:
                iri = self._expand(raw)
                if iri == "@context":
                    raise Unsupported("invalid keyword alias")
                # 1.1 step 14.2.4: a term that looks like an IRI must expand to its own mapping.
                inner = term[1:-1]
                if ":" in inner or "/" in inner:
                    self.defined[term] = True
                    try:
                        if self._expand(term) != iri:
                            raise Unsupported("invalid IRI mapping")
                    finally:
                        self.defined[term] = False
                if ":" not in term and "/" not in term and simple and iri is not None and (
                        iri[-1:] in _GEN_DELIMS or iri.startswith("_:")):
                    prefix = True
        elif ":" in term[1:]:
            colon = term.find(":")
            pre = term[:colon]
            if pre in self.local:
                self.define(pre)
            ptype = self.terms.get(pre)
            if ptype is not None and ptype.iri is not None:
                iri = ptype.iri + term[colon + 1:]
            elif is_absolute_iri(term) or term.startswith("_:"):
                iri = term
            else:
                raise Unsupported("invalid IRI mapping")
        elif "/" in term:
            raise Unsupported("relative term")
        elif self.vocab is not None:
            iri = self.vocab + term
        else:
            raise Unsupported("invalid IRI mapping")
        type_mapping: str | None = None
        if "@type" in value:
            raw_type = value["@type"]
            if not isinstance(raw_type, str):
                raise Unsupported("invalid type mapping")
            type_mapping = self._expand(raw_type)
            if type_mapping not in ("@id", "@vocab", "@json", "@none") and not (
                    type_mapping is not None and is_absolute_iri(type_mapping)):
                raise Unsupported("invalid type mapping")
        container: frozenset[str] = frozenset()
        if "@container" in value:
            raw_container = value["@container"]
            items = raw_container if isinstance(raw_container, list) else [raw_container]
            if not all(isinstance(c, str) for c in items):
                raise Unsupported("invalid container mapping")
            container = frozenset(items)
            if not container <= {"@set", "@graph", "@list"} or ("@list" in container and len(container) > 1):
                unsupported = unsupported or "container " + ",".join(sorted(container))
        language: Any = _UNSET
        if "@language" in value:
            raw_language = value["@language"]
            if raw_language is not None and not isinstance(raw_language, str):
                raise Unsupported("invalid language mapping")
            language = raw_language.lower() if isinstance(raw_language, str) else None
        if "@prefix" in value:
            if ":" in term or "/" in term or not isinstance(value["@prefix"], bool):
                raise Unsupported("invalid @prefix")
            prefix = value["@prefix"]
        context: Any = value["@context"] if "@context" in value else _UNSET
        return Term(iri, type=type_mapping, container=container, language=language, prefix=prefix,
                    protected=protected, context=context, unsupported=unsupported)


class Roots:
    """The two starting contexts for one loader: the probe root (undefined terms made visible) and
    the initial context that ``"@context": null`` resets to, as in pyld."""

    def __init__(self, loader: DocumentLoader) -> None:
        self.loader = loader
        self.checked: set[str] = set()
        self.pinned: dict[int, Any] = {}
        self.initial = ActiveContext({}, None, None, None, self)
        self.probe = ActiveContext({}, UNDEFINED_VOCAB, None, None, self)


_ROOTS: dict[tuple[str, ...], Roots] = {}
# The roots last found for a loader, by the loader's identity: ``cache_key`` sorts every URL the
# loader serves, and each conversion asks. The loader itself is kept, so that its id names it.
_BY_LOADER: dict[int, tuple[DocumentLoader, Roots]] = {}


def roots_for(loader: DocumentLoader) -> Roots:
    """The processed-context cache for this loader's content (one per ``cache_key``)."""
    known = _BY_LOADER.get(id(loader))
    if known is not None and known[0] is loader:
        return known[1]
    roots = _roots_by_key(loader)
    with _PUBLISH:
        if len(_BY_LOADER) >= 64:
            _BY_LOADER.clear()
        _BY_LOADER[id(loader)] = (loader, roots)
    return roots


def _roots_by_key(loader: DocumentLoader) -> Roots:
    key = loader.cache_key
    roots = _ROOTS.get(key)
    if roots is None or (roots.loader is not loader and not _same_extra(roots.loader, loader)):
        fresh = Roots(loader)
        with _PUBLISH:
            current = _ROOTS.get(key)
            if current is not None and current is not roots and current.loader is loader:
                return current  # Another thread published roots for this very loader meanwhile.
            if len(_ROOTS) > 64:
                _ROOTS.clear()
            _ROOTS[key] = fresh
        roots = fresh
    return roots


def _same_extra(a: DocumentLoader, b: DocumentLoader) -> bool:
    """Two loaders with the same URLs share processed contexts only if their documents are equal."""
    urls = [u for u in a.cache_key[a.cache_key.index("|") + 1:]]
    try:
        return all(a.load(u) == b.load(u) for u in urls)
    except Exception:
        return False
