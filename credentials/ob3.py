"""Open Badges 3.0: build an ``OpenBadgeCredential`` and validate one against the OB 3.0 JSON Schemas.

Spec: 1EdTech Open Badges 3.0 (ob_v3p0), sections "AchievementCredential",
"Profile", "Achievement", "IdentityObject" and "IdentityHash", on the W3C VC
Data Model 2.0. The schemas are Satchel's own (``schemas/ob3/``), written from
the spec's data model; they also accept VC 1.1 credentials so that the
verifier can check badges issued before VC 2.0.

Nothing here performs I/O beyond reading ``schemas/`` once. The builder returns
an unsigned document; signing is :mod:`credentials.dataintegrity`'s job.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import cache
from typing import Any, Final

from jsonschema import Draft201909Validator
from jsonschema.exceptions import ValidationError

from schemas import OB3_SCHEMA_DIR

from .errors import CredentialError
from .schemacheck import UnsupportedSchema, compile_schema
from .vcdm import VC_V2_CONTEXT
from .xsd import format_datetime

OB3_CONTEXT: Final = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
# Defines the 1EdTech types that credentialSchema and the like use
# (``1EdTechJsonSchemaValidator2019``); 3.0.3 does not, and safe mode refuses them.
OB3_EXTENSIONS_CONTEXT: Final = "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json"
OB3_ACHIEVEMENT_SCHEMA_URL: Final = (
    "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json"
)
OB3_SCHEMA_VALIDATOR_TYPE: Final = "1EdTechJsonSchemaValidator2019"
IDENTITY_TYPE_EMAIL: Final = "emailAddress"

_ACHIEVEMENT_SCHEMA: Final = "achievementcredential"
_ENDORSEMENT_SCHEMA: Final = "endorsementcredential"

# The spec's AchievementType enumeration; anything else must be an "ext:" term.
ACHIEVEMENT_TYPES: Final = frozenset({
    "Achievement", "ApprenticeshipCertificate", "Assessment", "Assignment", "AssociateDegree", "Award",
    "Badge", "BachelorDegree", "Certificate", "CertificateOfCompletion", "Certification", "CommunityService",
    "Competency", "Course", "CoCurricular", "Degree", "Diploma", "DoctoralDegree", "Fieldwork",
    "GeneralEducationDevelopment", "JourneymanCertificate", "LearningProgram", "License", "Membership",
    "ProfessionalDoctorate", "QualityAssuranceCredential", "MasterCertificate", "MasterDegree",
    "MicroCredential", "ResearchDoctorate", "SecondarySchoolDiploma",
})
_EXT_TERM: Final = re.compile(r"ext:[A-Za-z0-9._-]+")
_IDENTITY_HASH: Final = re.compile(r"(sha256|md5)\$([0-9A-Fa-f]+)")
_IDENTIFIER: Final = re.compile(r"[A-Za-z][A-Za-z0-9_]*")

_ISSUER_KEYS: Final = frozenset({"id", "name", "url", "email", "image", "description", "phone"})
_ACHIEVEMENT_KEYS: Final = frozenset(
    {"id", "name", "description", "criteria", "image", "alignment", "tags", "achievementType"}
)
_ALIGNMENT_KEYS: Final = frozenset(
    {"type", "targetName", "targetUrl", "targetDescription", "targetCode", "targetFramework", "targetType"}
)


@dataclass(frozen=True)
class SchemaError:
    """One JSON Schema violation: where (a JSON path such as ``$.credentialSubject.achievement``) and what."""

    path: str
    message: str


# --- Recipient identity (OB 3.0 IdentityObject / IdentityHash) -------------------------------


def hash_email(email: str, salt: str) -> str:
    """Return the OB 3.0 IdentityHash of an email: ``"sha256$"`` + hex(sha256(email + salt)).

    The spec's IdentityHash section: the identifier and the salt are UTF-8
    encoded, concatenated (identifier first), hashed, and written in hex after
    the algorithm name and a ``$``.
    """
    if not isinstance(email, str) or not isinstance(salt, str):
        raise BuildError("an email and its salt are strings", path="recipient_email")
    return "sha256$" + hashlib.sha256((email + salt).encode("utf-8")).hexdigest()


def matches_identity(identity_object: Mapping[str, Any], email: str) -> bool:
    """Tell whether an IdentityObject names ``email``, so the wallet can claim a badge for an account.

    Hashed identities are compared in constant time against the address as
    given and in lower case (issuers commonly lower-case addresses before
    hashing). ``md5$`` hashes are accepted because the spec allows them for
    existing badges. A malformed object never matches; it does not raise,
    because the wallet scans documents that others wrote.
    """
    if not isinstance(identity_object, Mapping) or not isinstance(email, str):
        return False
    if identity_object.get("identityType") not in (IDENTITY_TYPE_EMAIL, "email"):
        return False
    value = identity_object.get("identityHash")
    if not isinstance(value, str):
        return False
    candidates = {email, email.strip().lower()}
    if identity_object.get("hashed") is not True:
        return any(hmac.compare_digest(value.strip().lower(), c.lower()) for c in candidates)
    match = _IDENTITY_HASH.fullmatch(value)
    salt = identity_object.get("salt", "")
    if match is None or not isinstance(salt, str):
        return False
    algorithm, digest = match.group(1), match.group(2).lower()
    for candidate in candidates:
        data = (candidate + salt).encode("utf-8")
        if algorithm == "sha256":
            computed = hashlib.sha256(data).hexdigest()
        else:
            computed = hashlib.md5(data, usedforsecurity=False).hexdigest()
        if hmac.compare_digest(computed, digest):
            return True
    return False


# --- Building -----------------------------------------------------------------------------------



class BuildError(CredentialError):
    """Input ``build_credential`` cannot turn into an OB 3.0 credential; ``path`` names the argument."""

    code = "ob3_build_invalid"


def _require_aware(moment: datetime, what: str) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise BuildError(f"{what} must be timezone-aware", path=what)
    try:
        moment.astimezone(timezone.utc)
    except (OverflowError, ValueError):
        raise BuildError(f"{what} is outside the years a credential can carry", path=what) from None


def _require_text(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise BuildError(f"{what} must be a non-empty string", path=what)
    return value


def _require_uri(value: Any, what: str) -> str:
    # A URI has a scheme followed by ':'; that is all the spec's URI type asks for.
    text = _require_text(value, what)
    if not re.match(r"[A-Za-z][A-Za-z0-9+.-]*:\S+$", text):
        raise BuildError(f"{what} must be a URI (such as did:key:..., urn:uuid:... or https://...), got {_short(text)}",
                         path=what)
    return text


def _reject_unknown(given: Mapping[str, Any], allowed: Iterable[str], what: str) -> None:
    unknown = sorted(set(given) - set(allowed))
    if unknown:
        raise BuildError(f"{what} has unsupported key(s) {[_short(k) for k in unknown]}; allowed: {sorted(allowed)}",
                         path=what)


def _image(value: Any, what: str) -> dict[str, Any]:
    """Turn an image URI or an Image object into the spec's Image object."""
    if isinstance(value, str):
        return {"id": _require_uri(value, what), "type": "Image"}
    if isinstance(value, Mapping):
        _reject_unknown(value, {"id", "type", "caption"}, what)
        image: dict[str, Any] = {"id": _require_uri(value.get("id"), f"{what}.id"), "type": "Image"}
        if value.get("type", "Image") != "Image":
            raise BuildError(f"{what}.type must be 'Image'", path=f"{what}.type")
        if "caption" in value:
            image["caption"] = _require_text(value["caption"], f"{what}.caption")
        return image
    raise BuildError(f"{what} must be a URI string or an Image object", path=what)


def _profile(issuer: Mapping[str, Any]) -> dict[str, Any]:
    if not isinstance(issuer, Mapping):
        raise BuildError("issuer must be a Profile dict with at least 'id' and 'name'", path="issuer")
    _reject_unknown(issuer, _ISSUER_KEYS, "issuer")
    profile: dict[str, Any] = {
        "id": _require_uri(issuer.get("id"), "issuer.id"),
        "type": ["Profile"],
        "name": _require_text(issuer.get("name"), "issuer.name"),
    }
    if "url" in issuer:
        profile["url"] = _require_uri(issuer["url"], "issuer.url")
    for key in ("description", "phone"):
        if key in issuer:
            profile[key] = _require_text(issuer[key], f"issuer.{key}")
    if "email" in issuer:
        profile["email"] = _require_email(issuer["email"], "issuer.email")
    if "image" in issuer:
        profile["image"] = _image(issuer["image"], "issuer.image")
    return profile


def _require_email(value: Any, what: str) -> str:
    text = _require_text(value, what).strip()
    if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", text):
        raise BuildError(f"{what} is not an email address: {_short(text)}", path=what)
    return text


def _criteria(value: Any) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise BuildError("achievement.criteria must be a dict with 'narrative' and/or 'id'", path="achievement.criteria")
    _reject_unknown(value, {"id", "narrative"}, "achievement.criteria")
    criteria: dict[str, Any] = {}
    if "id" in value:
        criteria["id"] = _require_uri(value["id"], "achievement.criteria.id")
    if "narrative" in value:
        criteria["narrative"] = _require_text(value["narrative"], "achievement.criteria.narrative")
    if not criteria:
        raise BuildError("achievement.criteria needs a 'narrative' or an 'id' (a criteria page URL)", path="achievement.criteria")
    return criteria


def _alignment(value: Any, index: int) -> dict[str, Any]:
    what = f"achievement.alignment[{index}]"
    if not isinstance(value, Mapping):
        raise BuildError(f"{what} must be a dict with 'targetName' and 'targetUrl'", path=what)
    _reject_unknown(value, _ALIGNMENT_KEYS, what)
    alignment: dict[str, Any] = {
        "type": ["Alignment"],
        "targetName": _require_text(value.get("targetName"), f"{what}.targetName"),
        "targetUrl": _require_uri(value.get("targetUrl"), f"{what}.targetUrl"),
    }
    for key in ("targetDescription", "targetCode", "targetFramework", "targetType"):
        if key in value:
            alignment[key] = _require_text(value[key], f"{what}.{key}")
    return alignment


def _achievement(achievement: Mapping[str, Any]) -> dict[str, Any]:
    if not isinstance(achievement, Mapping):
        raise BuildError("achievement must be a dict with 'id', 'name', 'description' and 'criteria'", path="achievement")
    _reject_unknown(achievement, _ACHIEVEMENT_KEYS, "achievement")
    result: dict[str, Any] = {
        "id": _require_uri(achievement.get("id"), "achievement.id"),
        "type": ["Achievement"],
    }
    if "achievementType" in achievement:
        kind = _require_text(achievement["achievementType"], "achievement.achievementType")
        if kind not in ACHIEVEMENT_TYPES and not _EXT_TERM.fullmatch(kind):
            raise BuildError(
                f"achievement.achievementType {_short(kind)} is not an OB 3.0 AchievementType (nor an 'ext:' term)",
                path="achievement.achievementType")
        result["achievementType"] = kind
    result["name"] = _require_text(achievement.get("name"), "achievement.name")
    result["description"] = _require_text(achievement.get("description"), "achievement.description")
    if "criteria" not in achievement:
        raise BuildError("achievement.criteria is required ({'narrative': ...} or {'id': ...})", path="achievement.criteria")
    result["criteria"] = _criteria(achievement["criteria"])
    if "image" in achievement:
        result["image"] = _image(achievement["image"], "achievement.image")
    if "alignment" in achievement:
        alignments = achievement["alignment"]
        if not isinstance(alignments, list):
            raise BuildError("achievement.alignment must be a list of alignment dicts", path="achievement.alignment")
        result["alignment"] = [_alignment(item, i) for i, item in enumerate(alignments)]
    if "tags" in achievement:
        tags = achievement["tags"]
        if not isinstance(tags, list):
            raise BuildError("achievement.tags must be a list of strings", path="achievement.tags")
        result["tag"] = [_require_text(tag, f"achievement.tags[{i}]") for i, tag in enumerate(tags)]
    return result


def _evidence(items: Any) -> list[dict[str, Any]]:
    if not isinstance(items, list):
        raise BuildError("evidence must be a list of dicts", path="evidence")
    out: list[dict[str, Any]] = []
    for i, item in enumerate(items):
        if not isinstance(item, Mapping):
            raise BuildError(f"evidence[{i}] must be a dict", path=f"evidence[{i}]")
        entry = dict(item)
        kinds = entry.get("type", ["Evidence"])
        if isinstance(kinds, str):
            kinds = [kinds]
        if not isinstance(kinds, list) or "Evidence" not in kinds:
            raise BuildError(f"evidence[{i}].type must include 'Evidence'", path=f"evidence[{i}].type")
        entry["type"] = kinds
        if "id" in entry:
            _require_uri(entry["id"], f"evidence[{i}].id")
        if not any(key in entry for key in ("id", "narrative", "name", "description")):
            raise BuildError(f"evidence[{i}] needs at least one of id, narrative, name, description", path=f"evidence[{i}]")
        out.append(entry)
    return out


def _identity_object(email: str, salt: str) -> dict[str, Any]:
    return {
        "type": "IdentityObject",
        "identityHash": hash_email(email, salt),
        "identityType": IDENTITY_TYPE_EMAIL,
        "hashed": True,
        "salt": salt,
    }


def build_credential(
    *,
    issuer: Mapping[str, Any],
    achievement: Mapping[str, Any],
    recipient_did: str | None = None,
    recipient_email: str | None = None,
    salt: str | None = None,
    evidence: list[dict[str, Any]] | None = None,
    credential_id: str,
    valid_from: datetime,
    valid_until: datetime | None = None,
    name: str | None = None,
    validate: bool = True,
) -> dict[str, Any]:
    """Build an unsigned VC 2.0 ``OpenBadgeCredential`` (DESIGN.md §2) and check it against our schema.

    The recipient is either a DID (``credentialSubject.id``) or an email,
    which is never written in clear: it becomes a salted, hashed
    IdentityObject (spec: IdentityObject, IdentityHash). The address is
    lower-cased and stripped before hashing so that the wallet can match it
    reliably. Without ``salt`` a random one is drawn, so pass one for a
    reproducible document.

    Raises ``BuildError`` (code ``ob3_build_invalid``, ``path`` the argument
    such as ``achievement.criteria``) for anything the spec would not accept. ``validate=False`` skips the final JSON Schema check (about
    half the cost) for callers that build many credentials of one shape and
    validate the first of each shape themselves (the issuer node's batches).
    """
    if (recipient_did is None) == (recipient_email is None):
        raise BuildError("give exactly one recipient: recipient_did or recipient_email", path="recipient")
    subject: dict[str, Any] = {}
    if recipient_did is not None:
        if salt is not None:
            raise BuildError("salt applies only to recipient_email", path="salt")
        did = _require_text(recipient_did, "recipient_did")
        if not re.fullmatch(r"did:[a-z0-9]+:\S+", did):
            raise BuildError(f"recipient_did must be a DID (did:method:...), got {_short(did)}", path="recipient_did")
        subject["id"] = did
    subject["type"] = ["AchievementSubject"]
    if recipient_email is not None:
        email = _require_email(recipient_email, "recipient_email").lower()
        if salt is None:
            salt = secrets.token_hex(16)
        elif not isinstance(salt, str) or not salt:
            raise BuildError("salt must be a non-empty string", path="salt")
        subject["identifier"] = [_identity_object(email, salt)]
    subject["achievement"] = _achievement(achievement)

    credential_uri = _require_uri(credential_id, "credential_id")
    if not isinstance(valid_from, datetime):
        raise BuildError("valid_from must be a datetime", path="valid_from")
    _require_aware(valid_from, "valid_from")
    start = format_datetime(valid_from)
    end: str | None = None
    if valid_until is not None:
        if not isinstance(valid_until, datetime):
            raise BuildError("valid_until must be a datetime", path="valid_until")
        _require_aware(valid_until, "valid_until")
        end = format_datetime(valid_until)
        if valid_until <= valid_from:
            raise BuildError(f"valid_until ({end}) must be later than valid_from ({start})", path="valid_until")

    document: dict[str, Any] = {
        "@context": [VC_V2_CONTEXT, OB3_CONTEXT, OB3_EXTENSIONS_CONTEXT],
        "id": credential_uri,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": _require_text(name, "name") if name is not None else subject["achievement"]["name"],
        "issuer": _profile(issuer),
        "validFrom": start,
    }
    if end is not None:
        document["validUntil"] = end
    document["credentialSubject"] = subject
    if evidence is not None:
        document["evidence"] = _evidence(evidence)
    document["credentialSchema"] = [{"id": OB3_ACHIEVEMENT_SCHEMA_URL, "type": OB3_SCHEMA_VALIDATOR_TYPE}]

    # The checks above should make this unreachable; it guards the builder and
    # the schema against drifting apart.
    errors = validate_credential(document) if validate else []
    if errors:
        listed = "; ".join(f"{e.path}: {e.message}" for e in errors)
        raise BuildError(f"built credential does not match the OB 3.0 schema: {listed}", path=errors[0].path,
                         code="ob3_build_schema_mismatch")
    return document


# --- Validation ---------------------------------------------------------------------------------


@cache
def _validator(name: str) -> Draft201909Validator:
    """Load and compile one bundled schema, once per process."""
    schema = json.loads((OB3_SCHEMA_DIR / f"{name}.json").read_text(encoding="utf-8"))
    Draft201909Validator.check_schema(schema)
    return Draft201909Validator(schema, format_checker=Draft201909Validator.FORMAT_CHECKER)


@cache
def _is_valid(name: str) -> Callable[[Any], bool] | None:
    """The same schema compiled into one predicate (``schemacheck``), or None if it cannot be."""
    try:
        return compile_schema(_validator(name).schema, format_checker=Draft201909Validator.FORMAT_CHECKER)
    except UnsupportedSchema:
        return None


def json_path(parts: Iterable[str | int]) -> str:
    """Render a path as JSONPath: ``$.credentialSubject.identifier[0]``, ``$['@context'][1]``."""
    out = "$"
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _IDENTIFIER.fullmatch(part):
            out += f".{part}"
        else:
            escaped = part.replace("\\", "\\\\").replace("'", "\\'")
            out += f"['{escaped}']"
    return out


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    return {str: "string", list: "array", dict: "object", type(None): "null"}.get(type(value), type(value).__name__)


def _list_or_empty(value: Any) -> list[Any]:
    return list(value) if isinstance(value, (list, tuple)) else []


def _describe(error: ValidationError) -> tuple[list[str | int], str]:
    """Turn a jsonschema error into (path, a short message a person can act on)."""
    path: list[str | int] = list(error.absolute_path)
    kind: Any = error.validator
    # jsonschema types these as "maybe unset"; on a reported error they are always set.
    expected: Any = error.validator_value
    if kind == "required" and isinstance(error.instance, dict):
        # Point at the missing property itself.
        missing = [p for p in expected if p not in error.instance]
        name = next((p for p in missing if error.message.startswith(repr(p))), missing[0] if missing else "")
        return [*path, name], "is required"
    if kind == "type":
        return path, f"must be of type {expected}, not {_json_type(error.instance)}"
    if kind == "const":
        return path, f"must be {_short(expected)}, not {_short(error.instance)}"
    if kind == "contains":
        wanted = expected.get("const", expected.get("enum"))
        return path, f"must contain {_short(wanted)}"
    if kind == "enum":
        return path, f"{_short(error.instance)} is not one of {_short(expected)}"
    if kind in ("pattern", "format") and isinstance(error.schema, Mapping) and error.schema.get("format") == "date-time":
        # The pattern and the format check report the same fault; one message lets them collapse into one.
        return path, f"{_short(error.instance)} is not a date-time with a time zone, such as 2024-01-31T09:00:00Z"
    if kind == "pattern":
        return path, f"{_short(error.instance)} does not match the required pattern {expected}"
    if kind == "format":
        return path, f"{_short(error.instance)} is not a valid {expected}"
    if kind in ("anyOf", "oneOf") and error.context:
        subs = error.context
        if all(sub.validator == "required" for sub in subs):
            names = sorted({str(n) for sub in subs for n in _list_or_empty(sub.validator_value)})
            return path, f"needs one of {names}"
        return path, f"{_short(error.instance)} is not valid: " + " or ".join(
            sorted({_describe(sub)[1] for sub in subs})
        )
    if kind == "minItems":
        return path, f"must have at least {expected} item(s)"
    if kind == "additionalProperties":
        return path, error.message
    return path, error.message if len(error.message) <= 200 else error.message[:197] + "..."


def schema_name_for(document: Mapping[str, Any]) -> str:
    """Pick the schema by the credential's type: EndorsementCredential, else AchievementCredential."""
    kinds = document.get("type") if isinstance(document, Mapping) else None
    if isinstance(kinds, list) and "EndorsementCredential" in kinds:
        return _ENDORSEMENT_SCHEMA
    return _ACHIEVEMENT_SCHEMA


def validate_credential(document: Any) -> list[SchemaError]:
    """Validate an OB 3.0 credential (VC 2.0 or 1.1) against Satchel's OB 3.0 JSON Schema.

    Returns every violation, sorted by path, one per jsonschema error; an empty
    list means valid. It never raises for a bad document: the verifier reports
    these as the "schema" check.
    """
    if not isinstance(document, dict):
        return [SchemaError("$", f"must be a JSON object, not {_json_type(document)}")]
    name = schema_name_for(document)
    is_valid = _is_valid(name)
    if is_valid is not None and is_valid(document):
        # The compiled predicate agrees with jsonschema (tests/test_schemacheck.py); it is
        # asked first because a valid credential, the usual case, then costs a tenth.
        return []
    validator = _validator(name)
    found = {SchemaError(json_path(path), message) for path, message in map(_describe, validator.iter_errors(document))}
    return sorted(found, key=lambda e: (e.path, e.message))
