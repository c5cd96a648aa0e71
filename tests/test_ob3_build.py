"""The OpenBadgeCredential builder: its output is valid under both schemas, and bad input is refused."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from jsonschema import Draft201909Validator
from reference import reference_dir

from credentials.ob3 import (
    OB3_ACHIEVEMENT_SCHEMA_URL,
    BuildError,
    build_credential,
    hash_email,
    matches_identity,
    validate_credential,
)

ISSUER = {"id": "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK", "name": "District A",
          "url": "https://district-a.example", "email": "badges@district-a.example",
          "image": "https://district-a.example/logo.png"}
ACHIEVEMENT = {
    "id": "https://district-a.example/achievements/teamwork",
    "name": "Teamwork",
    "description": "Collaborates within a group.",
    "criteria": {"narrative": "Nominated by peers and reviewed."},
    "image": {"id": "data:image/png;base64,iVBORw0KGgo=", "caption": "badge"},
    "alignment": [{"targetName": "CASE 1.2", "targetUrl": "https://case.example/1.2", "targetType": "CFItem"}],
    "tags": ["teamwork", "collaboration"],
    "achievementType": "Badge",
}
DID = "did:key:z6MkjchhfUsD6mmvni8mCdXHw216Xrm9bQe2mBH1P5RDjVJG"
START = datetime(2024, 5, 1, 12, 30, 15, 123456, tzinfo=timezone.utc)


def _build(**overrides: Any) -> dict[str, Any]:
    kwargs: dict[str, Any] = {
        "issuer": ISSUER, "achievement": ACHIEVEMENT, "recipient_did": DID,
        "credential_id": "urn:uuid:8f1d1a2c-4b7e-4c55-9d4e-1f2a3b4c5d6e", "valid_from": START,
    }
    kwargs.update(overrides)
    return build_credential(**kwargs)


def _reference_errors(document: dict[str, Any]) -> list[str]:
    schema_path = reference_dir() / "ob3" / "schema" / "achievementcredential.json"
    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    validator = Draft201909Validator(schema, format_checker=Draft201909Validator.FORMAT_CHECKER)
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(document)]


FULL_EMAIL = {"recipient_did": None, "recipient_email": "Learner@School.example", "salt": "c0ffee",
              "evidence": [{"id": "https://district-a.example/evidence/1", "narrative": "Led the project."}],
              "valid_until": START + timedelta(days=365), "name": "Teamwork badge"}


@pytest.mark.parametrize("overrides", [{}, FULL_EMAIL], ids=["did-recipient", "email-recipient-full"])
def test_built_credential_is_valid_under_our_and_reference_schema(overrides: dict[str, Any]) -> None:
    document = _build(**overrides)
    assert validate_credential(document) == []
    assert _reference_errors(document) == []


def test_built_credential_shape() -> None:
    document = _build(valid_until=START + timedelta(days=1))
    assert document["@context"] == ["https://www.w3.org/ns/credentials/v2",
                                    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
                                    "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json"]
    assert document["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert document["credentialSchema"] == [{"id": OB3_ACHIEVEMENT_SCHEMA_URL,
                                             "type": "1EdTechJsonSchemaValidator2019"}]
    assert document["issuer"]["type"] == ["Profile"]
    assert document["issuer"]["image"] == {"id": ISSUER["image"], "type": "Image"}
    assert document["validFrom"] == "2024-05-01T12:30:15Z"
    assert document["validUntil"] == "2024-05-02T12:30:15Z"
    subject = document["credentialSubject"]
    assert subject["id"] == DID and subject["type"] == ["AchievementSubject"] and "identifier" not in subject
    assert subject["achievement"]["tag"] == ["teamwork", "collaboration"]
    assert subject["achievement"]["alignment"][0]["type"] == ["Alignment"]
    assert document["name"] == "Teamwork"


def test_dates_are_converted_to_utc() -> None:
    plus_two = timezone(timedelta(hours=2))
    document = _build(valid_from=datetime(2024, 1, 1, 2, 0, 0, tzinfo=plus_two))
    assert document["validFrom"] == "2024-01-01T00:00:00Z"


def test_hash_email_matches_the_spec_form() -> None:
    # IdentityHash: "sha256$" + hex(sha256(identifier + salt)); value computed independently.
    assert hash_email("learner@school.example", "c0ffee") == (
        "sha256$" + hashlib.sha256(b"learner@school.examplec0ffee").hexdigest())


def test_hashed_email_round_trip() -> None:
    document = _build(recipient_did=None, recipient_email="Learner@School.example", salt="c0ffee")
    (identity,) = document["credentialSubject"]["identifier"]
    assert "id" not in document["credentialSubject"]
    assert identity == {"type": "IdentityObject", "identityHash": hash_email("learner@school.example", "c0ffee"),
                        "identityType": "emailAddress", "hashed": True, "salt": "c0ffee"}
    assert "learner" not in json.dumps(document).lower()
    assert matches_identity(identity, "learner@school.example")
    assert matches_identity(identity, "  LEARNER@school.example ")
    assert not matches_identity(identity, "other@school.example")


def test_random_salt_when_none_given() -> None:
    first = _build(recipient_did=None, recipient_email="a@b.example")["credentialSubject"]["identifier"][0]
    second = _build(recipient_did=None, recipient_email="a@b.example")["credentialSubject"]["identifier"][0]
    assert first["salt"] != second["salt"] and len(first["salt"]) >= 16
    assert matches_identity(first, "a@b.example") and matches_identity(second, "a@b.example")


@pytest.mark.parametrize(
    "identity",
    [
        {"type": "IdentityObject", "identityHash": "sha256$zz", "identityType": "emailAddress", "hashed": True},
        {"type": "IdentityObject", "identityHash": hash_email("a@b.example", "s"), "identityType": "name",
         "hashed": True, "salt": "s"},
        {"type": "IdentityObject", "identityHash": hash_email("a@b.example", "s"), "identityType": "emailAddress",
         "hashed": True, "salt": "wrong"},
        {"type": "IdentityObject", "identityHash": 5, "identityType": "emailAddress", "hashed": True},
        {},
    ],
    ids=["malformed-hash", "not-an-email-identity", "wrong-salt", "hash-not-string", "empty"],
)
def test_matches_identity_refuses(identity: dict[str, Any]) -> None:
    assert matches_identity(identity, "a@b.example") is False


def test_matches_identity_plain_and_md5() -> None:
    plain = {"type": "IdentityObject", "identityHash": "A@B.example", "identityType": "emailAddress", "hashed": False}
    assert matches_identity(plain, "a@b.example")
    md5 = {"type": "IdentityObject", "identityType": "emailAddress", "hashed": True, "salt": "s",
           "identityHash": "md5$" + hashlib.md5(b"a@b.examples").hexdigest()}
    assert matches_identity(md5, "a@b.example")


def _without(mapping: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in mapping.items() if k != key}


BAD_INPUTS: list[tuple[str, dict[str, Any], str]] = [
    ("no-recipient", {"recipient_did": None}, "exactly one recipient"),
    ("two-recipients", {"recipient_email": "a@b.example"}, "exactly one recipient"),
    ("recipient-not-a-did", {"recipient_did": "alice"}, "recipient_did must be a DID"),
    ("bad-email", {"recipient_did": None, "recipient_email": "not-an-email"}, "not an email address"),
    ("salt-with-did", {"salt": "x"}, "salt applies only"),
    ("empty-salt", {"recipient_did": None, "recipient_email": "a@b.example", "salt": ""}, "salt must be"),
    ("issuer-without-id", {"issuer": _without(ISSUER, "id")}, "issuer.id"),
    ("issuer-id-not-uri", {"issuer": {**ISSUER, "id": "district a"}}, "issuer.id must be a URI"),
    ("issuer-without-name", {"issuer": _without(ISSUER, "name")}, "issuer.name"),
    ("issuer-unknown-key", {"issuer": {**ISSUER, "nmae": "x"}}, "unsupported key"),
    ("issuer-not-dict", {"issuer": "did:key:z6Mk"}, "issuer must be a Profile dict"),
    ("achievement-without-criteria", {"achievement": _without(ACHIEVEMENT, "criteria")}, "criteria is required"),
    ("empty-criteria", {"achievement": {**ACHIEVEMENT, "criteria": {}}}, "needs a 'narrative' or an 'id'"),
    ("criteria-not-dict", {"achievement": {**ACHIEVEMENT, "criteria": "do it"}}, "criteria must be a dict"),
    ("achievement-without-name", {"achievement": _without(ACHIEVEMENT, "name")}, "achievement.name"),
    ("achievement-without-description", {"achievement": _without(ACHIEVEMENT, "description")},
     "achievement.description"),
    ("achievement-without-id", {"achievement": _without(ACHIEVEMENT, "id")}, "achievement.id"),
    ("bad-achievement-type", {"achievement": {**ACHIEVEMENT, "achievementType": "Trophy"}}, "AchievementType"),
    ("alignment-without-url", {"achievement": {**ACHIEVEMENT, "alignment": [{"targetName": "x"}]}},
     "alignment[0].targetUrl"),
    ("tags-not-list", {"achievement": {**ACHIEVEMENT, "tags": "a,b"}}, "tags must be a list"),
    ("image-not-uri", {"achievement": {**ACHIEVEMENT, "image": "logo"}}, "achievement.image must be a URI"),
    ("naive-valid-from", {"valid_from": datetime(2024, 1, 1)}, "timezone-aware"),
    ("valid-from-not-datetime", {"valid_from": "2024-01-01T00:00:00Z"}, "valid_from must be a datetime"),
    ("valid-until-before-valid-from", {"valid_until": START - timedelta(seconds=1)}, "must be later"),
    ("valid-until-equal-valid-from", {"valid_until": START}, "must be later"),
    ("credential-id-not-uri", {"credential_id": "12345"}, "credential_id must be a URI"),
    ("evidence-not-list", {"evidence": {"narrative": "x"}}, "evidence must be a list"),
    ("evidence-empty-entry", {"evidence": [{}]}, "evidence[0] needs"),
    ("evidence-wrong-type", {"evidence": [{"type": ["Thing"], "narrative": "x"}]}, "must include 'Evidence'"),
    ("empty-name", {"name": " "}, "name must be a non-empty string"),
]


@pytest.mark.parametrize("overrides,expected", [(o, e) for _, o, e in BAD_INPUTS], ids=[n for n, _, _ in BAD_INPUTS])
def test_rejects_bad_input(overrides: dict[str, Any], expected: str) -> None:
    with pytest.raises(BuildError, match=expected.replace("[", r"\[").replace("]", r"\]")) as caught:
        _build(**overrides)
    assert caught.value.code == "ob3_build_invalid"
    assert caught.value.path


def test_built_credential_has_no_undefined_terms() -> None:
    """Safe mode must accept what we issue, or signing it would fail."""
    from credentials.canonical import find_undefined_terms
    from credentials.loader import bundled_loader

    assert find_undefined_terms(_build(valid_until=START + timedelta(days=1)), loader=bundled_loader()) == []
