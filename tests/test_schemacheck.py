"""The compiled schema predicate (credentials.schemacheck) gives jsonschema's verdict, always.

``credentials.ob3.validate_credential`` trusts the predicate when it says "valid" and asks
jsonschema only otherwise, so a predicate that passed a document jsonschema refuses would
let an invalid badge through. Checked here: every bundled schema compiles; every reference
credential (../shared/reference/realworld) and Satchel's own issued shape get the same
verdict from the predicate as from jsonschema under all three schemas; and so do thousands
of generated mutations of them (a value deleted, replaced by another JSON value, wrapped in
an array, an array emptied or an entry added), which cross most keywords both ways.
"""

from __future__ import annotations

import copy
import json
from datetime import datetime, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft201909Validator
from reference import REFERENCE_DIR

from credentials.ob3 import _is_valid, build_credential, validate_credential
from credentials.schemacheck import UnsupportedSchema, compile_schema, equal
from schemas import OB3_SCHEMA_DIR

SCHEMAS = ("achievementcredential", "endorsementcredential", "profile")
_FORMATS = Draft201909Validator.FORMAT_CHECKER


def _schema(name: str) -> dict[str, Any]:
    return dict(json.loads((OB3_SCHEMA_DIR / f"{name}.json").read_text(encoding="utf-8")))


_VALIDATORS = {name: Draft201909Validator(_schema(name), format_checker=_FORMATS) for name in SCHEMAS}
_PREDICATES = {name: compile_schema(_schema(name), format_checker=_FORMATS) for name in SCHEMAS}


def _satchel_badge() -> dict[str, Any]:
    """What Satchel's issuer signs (it declares the OB 3.0 schema), with a proof in place."""
    document = build_credential(
        issuer={"id": "did:key:z6MkpTHR8VNsBxYAAWHut2Geadd9jSwuBV8xRoAnwWsdvktH", "name": "Riverside USD",
                "url": "https://riverside.example.org"},
        achievement={"id": "https://riverside.example.org/achievements/a1", "name": "Data Literacy",
                     "description": "Uses assessment data.", "criteria": {"narrative": "A unit plan."},
                     "image": {"id": "https://riverside.example.org/a1.png", "caption": "badge"}},
        recipient_email="teacher@example.org", salt="pepper", credential_id="urn:uuid:1",
        evidence=[{"id": "https://riverside.example.org/evidence/1", "narrative": "Reviewed."}],
        valid_from=datetime(2025, 3, 1, tzinfo=timezone.utc))
    document["proof"] = [{"type": "DataIntegrityProof", "cryptosuite": "eddsa-rdfc-2022",
                          "created": "2025-03-01T12:00:00Z", "proofPurpose": "assertionMethod",
                          "verificationMethod": "did:key:z6Mk#z6Mk", "proofValue": "z3FXQ"}]
    return document


def _reference_documents() -> list[dict[str, Any]]:
    folder = REFERENCE_DIR / "realworld"
    documents = [_satchel_badge()]
    if folder.is_dir():
        for path in sorted(folder.glob("*.json")):
            if path.name == "MANIFEST.json":
                continue
            value = json.loads(path.read_text(encoding="utf-8"))
            if isinstance(value, dict):
                documents.append(value)
    return documents


DOCUMENTS = _reference_documents()


def _agree(document: Any) -> None:
    for name in SCHEMAS:
        expected = not any(True for _ in _VALIDATORS[name].iter_errors(document))
        assert _PREDICATES[name](document) is expected, (name, json.dumps(document)[:300])


def test_every_bundled_schema_compiles() -> None:
    assert all(_is_valid(name) is not None for name in ("achievementcredential", "endorsementcredential"))


def test_reference_credentials_get_jsonschemas_verdict() -> None:
    assert len(DOCUMENTS) > 1 or not (REFERENCE_DIR / "realworld").is_dir()
    verdicts = set()
    for document in DOCUMENTS:
        _agree(document)
        verdicts.add(_PREDICATES["achievementcredential"](document))
    assert _PREDICATES["achievementcredential"](_satchel_badge()) is True
    if len(DOCUMENTS) > 1:
        assert verdicts == {True, False}  # The corpus holds valid and invalid credentials: both sides are crossed.


def test_validate_credential_reports_jsonschemas_errors() -> None:
    badge = _satchel_badge()
    assert validate_credential(badge) == []
    broken = copy.deepcopy(badge)
    del broken["credentialSubject"]["achievement"]["criteria"]
    broken["validFrom"] = "yesterday"
    errors = validate_credential(broken)
    assert {error.path for error in errors} >= {"$.credentialSubject.achievement.criteria", "$.validFrom"}


def _paths(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path]
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _paths(value, (*path, index))
    return found


_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 3), st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.sampled_from(["", "x", "Achievement", "Profile", "OpenBadgeCredential", "VerifiableCredential",
                     "2025-03-01T00:00:00Z", "2025-03-01", "2025-13-01T00:00:00Z", "https://example.org/a",
                     "did:key:z6Mk", "urn:uuid:1", "Image", "Evidence", "AchievementSubject", "Alignment",
                     "1EdTechJsonSchemaValidator2019", "https://www.w3.org/ns/credentials/v2"]),
)
_VALUES = st.recursive(_SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(["id", "type", "name", "x"]), inner, max_size=3)),
    max_leaves=6)


@st.composite
def mutated(draw: st.DrawFn) -> Any:
    document = copy.deepcopy(draw(st.sampled_from(DOCUMENTS)))
    for _ in range(draw(st.integers(1, 3))):
        paths = _paths(document)
        path = draw(st.sampled_from(paths))
        if not path:
            continue
        parent = document
        for step in path[:-1]:
            parent = parent[step]
        last = path[-1]
        operation = draw(st.sampled_from(["delete", "replace", "wrap", "unwrap", "empty", "add"]))
        value = parent[last]
        if operation == "delete":
            del parent[last]
        elif operation == "replace":
            parent[last] = draw(_VALUES)
        elif operation == "wrap":
            parent[last] = [value]
        elif operation == "unwrap" and isinstance(value, list) and value:
            parent[last] = value[0]
        elif operation == "empty" and isinstance(value, (list, dict)):
            parent[last] = type(value)()
        elif operation == "add" and isinstance(value, dict):
            value[draw(st.sampled_from(["id", "type", "name", "extra", "image", "achievement"]))] = draw(_VALUES)
        elif operation == "add" and isinstance(value, list):
            value.append(draw(_VALUES))
    return document


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(mutated())
def test_mutations_get_jsonschemas_verdict(document: Any) -> None:
    _agree(document)


@given(_VALUES, _VALUES)
def test_equal_is_jsonschemas(one: Any, two: Any) -> None:
    from jsonschema._utils import equal as reference_equal

    assert equal(one, two) is bool(reference_equal(one, two))
    assert equal(one, copy.deepcopy(one))


@pytest.mark.parametrize("schema", [{"minContains": 2}, {"items": True, "additionalItems": False},
                                    {"$ref": "https://example.org/other"}, {"patternProperties": {}}])
def test_keywords_outside_the_compiled_set_are_declined(schema: dict[str, Any]) -> None:
    with pytest.raises(UnsupportedSchema):
        compile_schema(schema)
