"""Satchel's OB 3.0 JSON Schemas against 1EdTech's published ones, and the faults they must catch.

Corpus test: every OpenBadgeCredential / AchievementCredential /
EndorsementCredential in ``../shared/reference/realworld`` gets the same
valid/invalid answer from our schema as from the reference schema. Our schema
deliberately accepts three things the reference (VC 2.0 only, generated from the
UML) does not: VC 1.1 credentials (``credentials/v1`` context with
``issuanceDate``), a single ``proof`` object instead of an array (VC Data
Model 2.0 §4.12 allows both), and a ``credentialStatus`` array (VC 2.0 §4.10;
the issuer node publishes a revocation and a suspension entry). The reference is therefore asked about the VC 2.0
reading of each document (``_as_vc2``); everything else must agree.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from jsonschema import Draft201909Validator
from reference import REFERENCE_DIR, reference_dir

from credentials.ob3 import validate_credential
from schemas import OB3_SCHEMA_DIR

VC1 = "https://www.w3.org/2018/credentials/v1"
VC2 = "https://www.w3.org/ns/credentials/v2"
OB_TYPES = {"OpenBadgeCredential", "AchievementCredential", "EndorsementCredential"}


def _corpus() -> list[str]:
    folder = REFERENCE_DIR / "realworld"
    if not folder.is_dir():
        return ["<reference missing>"]
    names = []
    for path in sorted(folder.glob("*.json")):
        if path.name.endswith((".did.json", ".controller.json")) or path.name == "MANIFEST.json":
            continue
        kinds = json.loads(path.read_text(encoding="utf-8")).get("type", [])
        if isinstance(kinds, list) and OB_TYPES & set(kinds):
            names.append(path.name)
    return names


def _as_vc2(node: Any) -> Any:
    """The VC 2.0 reading of a document, recursively (embedded endorsements included)."""
    if isinstance(node, list):
        return [_as_vc2(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _as_vc2(value) for key, value in node.items()}
    contexts = out.get("@context")
    if isinstance(contexts, list) and contexts and contexts[0] == VC1:
        out["@context"] = [VC2, *contexts[1:]]
        if "issuanceDate" in out:
            out["validFrom"] = out.pop("issuanceDate")
        if "expirationDate" in out:
            out["validUntil"] = out.pop("expirationDate")
    if isinstance(out.get("proof"), dict):
        out["proof"] = [out["proof"]]
    return out


def _reference_validator(document: dict[str, Any]) -> Draft201909Validator:
    name = "endorsementcredential" if "EndorsementCredential" in document["type"] else "achievementcredential"
    schema = json.loads((reference_dir() / "ob3" / "schema" / f"{name}.json").read_text(encoding="utf-8"))
    return Draft201909Validator(schema, format_checker=Draft201909Validator.FORMAT_CHECKER)


@pytest.mark.parametrize("name", _corpus())
def test_realworld_verdict_matches_reference_schema(name: str) -> None:
    document = json.loads((reference_dir() / "realworld" / name).read_text(encoding="utf-8"))
    reference_errors = list(_reference_validator(document).iter_errors(_as_vc2(document)))
    ours = validate_credential(document)
    assert bool(ours) == bool(reference_errors), (
        f"{name}: ours says {'invalid' if ours else 'valid'} {ours[:3]}, reference says "
        f"{'invalid' if reference_errors else 'valid'} {[e.message[:100] for e in reference_errors[:3]]}"
    )


def test_corpus_is_not_empty() -> None:
    reference_dir()
    assert len(_corpus()) >= 30


@pytest.mark.parametrize("name", ["achievementcredential", "endorsementcredential", "profile"])
def test_our_schemas_are_valid_draft_2019_09(name: str) -> None:
    schema = json.loads((OB3_SCHEMA_DIR / f"{name}.json").read_text(encoding="utf-8"))
    assert schema["$schema"].startswith("https://json-schema.org/draft/2019-09/")
    Draft201909Validator.check_schema(schema)


# --- One valid credential, then one fault at a time ----------------------------------------------

VALID: dict[str, Any] = {
    "@context": [VC2, "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"],
    "id": "urn:uuid:2d6ae5b0-2d07-4e7b-8a4e-0ad5a0c4f0f1",
    "type": ["VerifiableCredential", "OpenBadgeCredential"],
    "name": "Teamwork",
    "issuer": {"id": "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK", "type": ["Profile"], "name": "A"},
    "validFrom": "2024-01-01T00:00:00Z",
    "credentialSubject": {
        "id": "did:key:z6MkjchhfUsD6mmvni8mCdXHw216Xrm9bQe2mBH1P5RDjVJG",
        "type": ["AchievementSubject"],
        "achievement": {
            "id": "urn:uuid:0e2d1f3a-3f0e-4c27-9f0a-5d4c1c1b7a10",
            "type": ["Achievement"],
            "name": "Teamwork",
            "description": "Works well in teams.",
            "criteria": {"narrative": "Nominated by peers."},
        },
    },
}


def _vc11() -> dict[str, Any]:
    doc = copy.deepcopy(VALID)
    doc["@context"] = [VC1, "https://purl.imsglobal.org/spec/ob/v3p0/context.json"]
    doc["issuanceDate"] = doc.pop("validFrom")
    return doc


def _with(path: str, value: Any, base: dict[str, Any] | None = None) -> dict[str, Any]:
    """A copy of VALID with the dotted ``path`` set to ``value`` (or removed when value is _DELETE)."""
    doc = copy.deepcopy(VALID if base is None else base)
    *parents, last = path.split(".")
    node: Any = doc
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    if value is _DELETE:
        del node[last]
    else:
        node[last] = value
    return doc


_DELETE = object()


def _paths(doc: dict[str, Any]) -> set[str]:
    return {error.path for error in validate_credential(doc)}


def test_accepts_vc2_credential() -> None:
    assert validate_credential(VALID) == []


def test_accepts_vc11_credential_with_issuance_date() -> None:
    assert validate_credential(_vc11()) == []


def test_accepts_single_proof_object_and_proof_array() -> None:
    proof = {"type": "DataIntegrityProof", "cryptosuite": "eddsa-rdfc-2022", "created": "2024-01-01T00:00:00Z"}
    assert validate_credential(_with("proof", proof)) == []
    assert validate_credential(_with("proof", [proof, proof])) == []


def test_accepts_hashed_email_recipient_instead_of_did() -> None:
    subject = copy.deepcopy(VALID["credentialSubject"])
    del subject["id"]
    subject["identifier"] = [{"type": "IdentityObject", "identityHash": "sha256$" + "ab" * 32,
                              "identityType": "emailAddress", "hashed": True, "salt": "x"}]
    assert validate_credential(_with("credentialSubject", subject)) == []


def test_accepts_issuer_as_uri_string() -> None:
    assert validate_credential(_with("issuer", VALID["issuer"]["id"])) == []


def test_rejects_missing_issuer() -> None:
    assert _paths(_with("issuer", _DELETE)) == {"$.issuer"}


def test_rejects_issuer_profile_without_id() -> None:
    assert _paths(_with("issuer.id", _DELETE)) == {"$.issuer.id"}


def test_rejects_missing_credential_subject() -> None:
    assert _paths(_with("credentialSubject", _DELETE)) == {"$.credentialSubject"}


def test_rejects_missing_achievement() -> None:
    assert _paths(_with("credentialSubject.achievement", _DELETE)) == {"$.credentialSubject.achievement"}


def test_rejects_achievement_without_criteria() -> None:
    assert _paths(_with("credentialSubject.achievement.criteria", _DELETE)) == {
        "$.credentialSubject.achievement.criteria"}


def test_rejects_empty_criteria() -> None:
    errors = validate_credential(_with("credentialSubject.achievement.criteria", {}))
    assert [(e.path, e.message) for e in errors] == [
        ("$.credentialSubject.achievement.criteria", "needs one of ['id', 'narrative']")]


def test_rejects_achievement_without_name() -> None:
    assert _paths(_with("credentialSubject.achievement.name", _DELETE)) == {"$.credentialSubject.achievement.name"}


def test_rejects_wrong_credential_type() -> None:
    assert _paths(_with("type", ["VerifiableCredential", "AlumniCredential"])) == {"$.type"}


def test_rejects_type_without_verifiable_credential() -> None:
    assert _paths(_with("type", ["OpenBadgeCredential"])) == {"$.type"}


def test_rejects_type_as_string() -> None:
    assert _paths(_with("type", "OpenBadgeCredential")) == {"$.type"}


def test_rejects_achievement_type_as_string() -> None:
    assert _paths(_with("credentialSubject.achievement.type", "Achievement")) == {
        "$.credentialSubject.achievement.type"}


def test_rejects_subject_without_achievement_subject_type() -> None:
    assert _paths(_with("credentialSubject.type", ["Person"])) == {"$.credentialSubject.type"}


def test_rejects_missing_valid_from_in_vc2() -> None:
    assert _paths(_with("validFrom", _DELETE)) == {"$.validFrom"}


def test_rejects_issuance_date_instead_of_valid_from_in_vc2() -> None:
    doc = _with("validFrom", _DELETE)
    doc["issuanceDate"] = "2024-01-01T00:00:00Z"
    assert _paths(doc) == {"$.validFrom"}


def test_rejects_missing_issuance_date_in_vc11() -> None:
    assert _paths(_with("issuanceDate", _DELETE, _vc11())) == {"$.issuanceDate"}


@pytest.mark.parametrize("bad", ["yesterday", "2024-13-01T00:00:00Z", "2024-02-30T25:00:00Z", "2024-01-01",
                                 "2024-01-01T00:00:00", "2024-01-01 00:00:00Z", ""])
def test_rejects_bad_valid_from(bad: str) -> None:
    errors = validate_credential(_with("validFrom", bad))
    assert {e.path for e in errors} == {"$.validFrom"}, errors
    assert "date-time" in errors[0].message


def test_rejects_bad_valid_until() -> None:
    assert _paths(_with("validUntil", "2024/12/31")) == {"$.validUntil"}


def test_rejects_bad_expiration_date_in_vc11() -> None:
    doc = _vc11()
    doc["expirationDate"] = "never"
    assert _paths(doc) == {"$.expirationDate"}


def test_rejects_unknown_base_context() -> None:
    assert _paths(_with("@context", ["https://example.org/ctx", VALID["@context"][1]])) == {"$['@context'][0]"}


def test_rejects_missing_ob_context() -> None:
    assert _paths(_with("@context", [VC2])) == {"$['@context']"}


def test_rejects_malformed_identity_hash() -> None:
    identity = {"type": "IdentityObject", "identityHash": "sha256$not-hex", "identityType": "emailAddress",
                "hashed": True, "salt": "x"}
    assert _paths(_with("credentialSubject.identifier", [identity])) == {
        "$.credentialSubject.identifier[0].identityHash"}


def test_rejects_unknown_identity_type() -> None:
    identity = {"type": "IdentityObject", "identityHash": "a@b.example", "identityType": "email", "hashed": False}
    assert _paths(_with("credentialSubject.identifier", [identity])) == {
        "$.credentialSubject.identifier[0].identityType"}


def test_rejects_image_as_bare_string_in_achievement() -> None:
    assert _paths(_with("credentialSubject.achievement.image", "https://x.example/i.png")) == {
        "$.credentialSubject.achievement.image"}


def test_rejects_proof_without_type() -> None:
    assert _paths(_with("proof", {"proofValue": "z1"})) == {"$.proof.type"}


def test_rejects_non_object_document() -> None:
    assert [e.path for e in validate_credential(["not", "a", "credential"])] == ["$"]


def test_endorsement_credential_needs_name_and_endorsement_subject() -> None:
    doc = copy.deepcopy(VALID)
    doc["type"] = ["VerifiableCredential", "EndorsementCredential"]
    del doc["name"]
    doc["credentialSubject"] = {"id": "urn:uuid:x", "type": ["AchievementSubject"]}
    assert _paths(doc) == {"$.name", "$.credentialSubject.type"}


def test_errors_are_sorted_by_path() -> None:
    doc = _with("issuer", _DELETE)
    del doc["credentialSubject"]["achievement"]
    doc["validFrom"] = "soon"
    paths = [e.path for e in validate_credential(doc)]
    assert paths == sorted(paths) and len(paths) == 3


def test_profile_schema_accepts_profile_and_rejects_missing_type() -> None:
    schema = json.loads((OB3_SCHEMA_DIR / "profile.json").read_text(encoding="utf-8"))
    validator = Draft201909Validator(schema, format_checker=Draft201909Validator.FORMAT_CHECKER)
    profile = {"@context": [VC2], "id": "did:key:z6Mk1", "type": ["Profile"], "name": "A", "url": "https://a.example"}
    assert list(validator.iter_errors(profile)) == []
    del profile["type"]
    assert [list(e.path) for e in validator.iter_errors(profile)] == [[]]
