"""A JSON Schema 2019-09 validity test compiled into Python closures, for Satchel's bundled schemas.

``jsonschema`` walks a schema anew for every instance and builds its error machinery
on the way: about 2 ms for one OB 3.0 credential on this machine, more than the rest of
its verification. The verifier first needs only *whether* a credential is valid; the
errors matter when it is not. ``compile_schema`` turns a schema into one predicate,
once, and ``credentials.ob3.validate_credential`` asks jsonschema for the errors only
when that predicate says invalid, so every message stays jsonschema's own.

Only the keywords the bundled schemas use are compiled, with jsonschema's semantics
for Draft 2019-09 (its type checker, its ``equal`` for ``const``/``enum``, ``re.search``
for ``pattern``, its format checker): ``type``, ``required``, ``properties``,
``additionalProperties``, ``items`` (schema or array) and ``additionalItems``,
``minItems``, ``contains``, ``const``, ``enum``, ``allOf``, ``anyOf``, ``oneOf``,
``if``/``then``/``else``, ``format``, ``pattern`` and local ``$ref`` (``#/...``); the
annotations ``$schema``, ``$id``, ``$defs``, ``$comment``, ``title`` and ``description``
are ignored. A schema with any other keyword raises ``UnsupportedSchema`` (the caller
then uses jsonschema alone). tests/test_schemacheck.py holds the predicate to
jsonschema's verdict on the reference credentials and on generated mutations of them.
"""

from __future__ import annotations

import numbers
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from jsonschema import FormatChecker

Predicate = Callable[[Any], bool]

_ANNOTATIONS = frozenset({"$schema", "$id", "$defs", "$comment", "title", "description", "then", "else"})
_KEYWORDS = frozenset({
    "type", "required", "properties", "additionalProperties", "items", "additionalItems", "minItems", "contains",
    "const", "enum", "allOf", "anyOf", "oneOf", "if", "format", "pattern", "$ref",
})


class UnsupportedSchema(Exception):
    """The schema uses a keyword or a reference this compiler does not handle."""


def _is_integer(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and value.is_integer())


_TYPES: dict[str, Predicate] = {
    "array": lambda value: isinstance(value, list),
    "boolean": lambda value: isinstance(value, bool),
    "integer": _is_integer,
    "null": lambda value: value is None,
    "number": lambda value: not isinstance(value, bool) and isinstance(value, numbers.Number),
    "object": lambda value: isinstance(value, dict),
    "string": lambda value: isinstance(value, str),
}


def equal(one: Any, two: Any) -> bool:
    """jsonschema's ``_utils.equal``: JSON equality where ``True`` is not ``1`` and ``False`` is not ``0``."""
    if one is two:
        return True
    if isinstance(one, str) or isinstance(two, str):
        return bool(one == two)
    if isinstance(one, Sequence) and isinstance(two, Sequence):
        return len(one) == len(two) and all(equal(a, b) for a, b in zip(one, two, strict=True))
    if isinstance(one, Mapping) and isinstance(two, Mapping):
        return one.keys() == two.keys() and all(equal(one[key], two[key]) for key in one)
    if isinstance(one, bool) or isinstance(two, bool):
        return False  # ``one is two`` failed, and a boolean equals only itself.
    return bool(one == two)


class _Compiler:
    def __init__(self, root: Mapping[str, Any], format_checker: FormatChecker | None) -> None:
        self.root = root
        self.format_checker = format_checker
        self.by_ref: dict[str, list[Predicate]] = {}

    def ref(self, pointer: str) -> Predicate:
        """A local ``$ref``, compiled once and called through a cell (references may be recursive)."""
        cell = self.by_ref.get(pointer)
        if cell is None:
            cell = self.by_ref[pointer] = []
            cell.append(self.compile(self.resolve(pointer)))
        return lambda value: cell[0](value)

    def resolve(self, pointer: str) -> Any:
        if not pointer.startswith("#"):
            raise UnsupportedSchema(f"reference {pointer!r} is not local")
        target: Any = self.root
        for part in pointer[1:].split("/")[1:] if pointer != "#" else []:
            part = part.replace("~1", "/").replace("~0", "~")
            if "%" in part:
                raise UnsupportedSchema(f"percent-encoded reference {pointer!r}")
            if isinstance(target, Mapping) and part in target:
                target = target[part]
            elif isinstance(target, list) and part.isdigit() and int(part) < len(target):
                target = target[int(part)]
            else:
                raise UnsupportedSchema(f"unresolvable reference {pointer!r}")
        return target

    def compile(self, schema: Any) -> Predicate:
        if schema is True:
            return lambda value: True
        if schema is False:
            return lambda value: False
        if not isinstance(schema, Mapping):
            raise UnsupportedSchema("a schema is an object or a boolean")
        unknown = set(schema) - _KEYWORDS - _ANNOTATIONS
        if unknown:
            raise UnsupportedSchema(f"keywords {sorted(unknown)}")
        if "$id" in schema and schema is not self.root:
            raise UnsupportedSchema("an embedded $id")
        checks: list[Predicate] = [self.keyword(name, schema[name], schema) for name in schema if name in _KEYWORDS]
        if not checks:
            return lambda value: True
        if len(checks) == 1:
            return checks[0]
        return lambda value: all(check(value) for check in checks)

    def keyword(self, name: str, value: Any, schema: Mapping[str, Any]) -> Predicate:
        if name == "$ref":
            if not isinstance(value, str):
                raise UnsupportedSchema("$ref is a string")
            return self.ref(value)
        if name == "type":
            names = value if isinstance(value, list) else [value]
            try:
                kinds = [_TYPES[kind] for kind in names]
            except (KeyError, TypeError):
                raise UnsupportedSchema(f"type {value!r}") from None
            return lambda instance: any(kind(instance) for kind in kinds)
        if name == "required":
            required = list(value)
            return lambda instance: not isinstance(instance, dict) or all(key in instance for key in required)
        if name == "properties":
            properties = [(key, self.compile(sub)) for key, sub in value.items()]

            def check_properties(instance: Any) -> bool:
                if not isinstance(instance, dict):
                    return True
                return all(check(instance[key]) for key, check in properties if key in instance)
            return check_properties
        if name == "additionalProperties":
            if "patternProperties" in schema:
                raise UnsupportedSchema("patternProperties")
            known = frozenset(schema.get("properties", {}))
            if value is False:
                return lambda instance: not isinstance(instance, dict) or known.issuperset(instance)
            extra = self.compile(value)
            return lambda instance: not isinstance(instance, dict) or all(
                extra(item) for key, item in instance.items() if key not in known)
        if name == "items":
            if isinstance(value, list):
                prefix = [self.compile(sub) for sub in value]
                return lambda instance: not isinstance(instance, list) or all(
                    check(item) for item, check in zip(instance, prefix, strict=False))
            each = self.compile(value)
            return lambda instance: not isinstance(instance, list) or all(each(item) for item in instance)
        if name == "additionalItems":
            items = schema.get("items", {})
            if isinstance(items, dict):
                return lambda instance: True  # Applies only after an array of ``items``.
            if not isinstance(items, list):
                raise UnsupportedSchema("additionalItems after boolean items")
            count = len(items)
            if isinstance(value, Mapping):
                rest = self.compile(value)
                return lambda instance: not isinstance(instance, list) or all(rest(item) for item in instance[count:])
            if not value:
                return lambda instance: not isinstance(instance, list) or len(instance) <= count
            return lambda instance: True
        if name == "minItems":
            least = value
            return lambda instance: not isinstance(instance, list) or len(instance) >= least
        if name == "contains":
            wanted = self.compile(value)
            return lambda instance: not isinstance(instance, list) or any(wanted(item) for item in instance)
        if name == "const":
            const = value
            return lambda instance: equal(instance, const)
        if name == "enum":
            options = list(value)
            return lambda instance: any(equal(instance, option) for option in options)
        if name in ("allOf", "anyOf", "oneOf"):
            subs = [self.compile(sub) for sub in value]
            if name == "allOf":
                return lambda instance: all(sub(instance) for sub in subs)
            if name == "anyOf":
                return lambda instance: any(sub(instance) for sub in subs)
            return lambda instance: sum(1 for sub in subs if sub(instance)) == 1
        if name == "if":
            condition = self.compile(value)
            then = self.compile(schema["then"]) if "then" in schema else None
            otherwise = self.compile(schema["else"]) if "else" in schema else None

            def check_if(instance: Any) -> bool:
                if condition(instance):
                    return then is None or then(instance)
                return otherwise is None or otherwise(instance)
            return check_if
        if name == "format":
            checker = self.format_checker
            if checker is None:
                return lambda instance: True
            fmt = value
            return lambda instance: checker.conforms(instance, fmt)
        if name == "pattern":
            regex = re.compile(value)
            return lambda instance: not isinstance(instance, str) or regex.search(instance) is not None
        raise UnsupportedSchema(name)  # pragma: no cover - _KEYWORDS lists exactly the cases above


def compile_schema(schema: Mapping[str, Any], *, format_checker: FormatChecker | None = None) -> Predicate:
    """A predicate that is True exactly when jsonschema's Draft 2019-09 validator finds no error.

    Raises ``UnsupportedSchema`` for a schema outside the compiled keywords.
    """
    return _Compiler(schema, format_checker).compile(schema)
