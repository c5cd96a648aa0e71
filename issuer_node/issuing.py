"""Issuing: build an OpenBadgeCredential, give it two status list positions, sign it, store it.

The credential (issue 13, "What a credential looks like"): VC 2.0 + OB 3.0.3 +
extensions contexts; issuer ``Profile`` (id = the node's did:key, name, url,
image); the achievement embedded with its ``creator``, criteria, image,
alignments and tags; ``validFrom`` and an optional ``validUntil``;
``credentialSchema``; two ``BitstringStatusListEntry`` entries (revocation,
suspension) at random positions never used before; the recipient as a did or
a salted sha256 email ``IdentityObject`` (a name, when given, as a plain
``name`` IdentityObject); evidence. Signed ``eddsa-rdfc-2022`` by the node key.

``issue_batch`` is the one path: allocation, signing and storing of a whole
batch happen in one transaction, so a crash leaves either every credential of
the batch with its indices, or none of them and no index spent.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from credentials.dataintegrity import add_proof
from credentials.ob3 import BuildError, build_credential, validate_credential
from credentials.statuslist import MIN_BITSTRING_BITS, status_entry

from .achievements import builder_achievement, profile_json, require_issuable
from .errors import InvalidRequest, IssuerError, NotFound
from .node import IssuerNode
from .storage import Achievement, NewCredential, StatusSlot

STATUS_LIST_SIZE = MIN_BITSTRING_BITS
MAX_BATCH = 10_000
MAX_EVIDENCE = 20
_HTTP_URL = re.compile(r"https?://[^\s]{1,2000}")
_DID = re.compile(r"did:[a-z0-9]+:[A-Za-z0-9._:%-]{1,500}")
_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s]{1,63}")

# Shapes already checked against the OB 3.0 JSON Schema in this process (see ``_shape``).
_VALIDATED_SHAPES: set[tuple[Any, ...]] = set()


@dataclass(frozen=True)
class Recipient:
    """Exactly one of ``did`` (the holder's did:key) and ``email``; ``name`` is optional."""

    did: str | None = None
    email: str | None = None
    name: str | None = None


@dataclass(frozen=True)
class IssueRequest:
    achievement: str  # uuid key or id URL
    recipient: Recipient
    narrative: str | None = None
    evidence_urls: tuple[str, ...] = ()
    evidence: tuple[dict[str, Any], ...] = field(default=())  # Evidence objects a reviewer approved
    valid_until: datetime | None = None


@dataclass(frozen=True)
class IssuedCredential:
    key: str
    id: str
    document: dict[str, Any]


def _check_recipient(recipient: Recipient) -> Recipient:
    if (recipient.did is None) == (recipient.email is None):
        raise InvalidRequest("give the recipient's did or email, exactly one", field="recipient")
    if recipient.did is not None and not _DID.fullmatch(recipient.did):
        raise InvalidRequest(f"not a DID: {recipient.did[:80]!r}", field="recipient.did")
    email = recipient.email.strip().lower() if recipient.email is not None else None
    if email is not None and not _EMAIL.fullmatch(email):
        raise InvalidRequest(f"not an email address: {recipient.email!r}", field="recipient.email")
    name = recipient.name.strip() if recipient.name else None
    if name is not None and len(name) > 200:
        raise InvalidRequest("the recipient's name must be at most 200 characters", field="recipient.name")
    return Recipient(did=recipient.did, email=email, name=name or None)


def _evidence(request: IssueRequest) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = [dict(item) for item in request.evidence]
    for url in request.evidence_urls:
        if not _HTTP_URL.fullmatch(url):
            raise InvalidRequest(f"evidence URLs must be http(s) URLs, not {url[:80]!r}", field="evidence")
        items.append({"id": url, "type": ["Evidence"]})
    if request.narrative is not None:
        if not request.narrative.strip() or len(request.narrative) > 10_000:
            raise InvalidRequest("the narrative must be 1 to 10,000 characters", field="narrative")
        items.append({"type": ["Evidence"], "narrative": request.narrative.strip()})
    if len(items) > MAX_EVIDENCE:
        raise InvalidRequest(f"at most {MAX_EVIDENCE} pieces of evidence", field="evidence")
    return items


def _shape(achievement: Achievement, recipient: Recipient, evidence: list[dict[str, Any]],
           valid_until: datetime | None) -> tuple[Any, ...]:
    """What decides which parts of the schema a credential exercises; values that the builder checks do not."""
    return (achievement.key, recipient.did is not None, recipient.name is not None, valid_until is not None,
            tuple(tuple(sorted(item)) for item in evidence))


def _document(node: IssuerNode, *, achievement: Achievement, profile: dict[str, Any], recipient: Recipient,
              evidence: list[dict[str, Any]], credential_id: str, valid_from: datetime,
              valid_until: datetime | None, slots: Sequence[StatusSlot], validate: bool) -> dict[str, Any]:
    try:
        document = build_credential(
            issuer={k: v for k, v in profile.items() if k != "type"}, achievement=builder_achievement(achievement),
            recipient_did=recipient.did, recipient_email=recipient.email, evidence=evidence or None,
            credential_id=credential_id, valid_from=valid_from, valid_until=valid_until, validate=False)
    except BuildError as exc:
        raise InvalidRequest(str(exc), field=exc.path) from None
    subject = document["credentialSubject"]
    subject["achievement"]["creator"] = profile
    if recipient.name is not None:
        subject.setdefault("identifier", []).append(
            {"type": "IdentityObject", "identityHash": recipient.name, "identityType": "name", "hashed": False})
    document["credentialStatus"] = [
        status_entry(list_credential_id=slot.list_url, index=slot.index, purpose=slot.purpose) for slot in slots]
    if validate:
        errors = validate_credential(document)
        if errors:
            listed = "; ".join(f"{e.path}: {e.message}" for e in errors[:5])
            raise InvalidRequest(f"the credential would not match the Open Badges 3.0 schema: {listed}")
    return document


Prepared = tuple[IssueRequest, Achievement, Recipient, list[dict[str, Any]]]


def _prepare(node: IssuerNode, request: IssueRequest, achievements: dict[str, Achievement | None],
             moment: datetime) -> Prepared:
    """Check one request against the node's state; raise the ``IssuerError`` that names its fault."""
    if request.achievement not in achievements:
        achievements[request.achievement] = node.store.get_achievement(request.achievement)
    achievement = achievements[request.achievement]
    if achievement is None:
        raise NotFound(f"no achievement {request.achievement}", code="achievement_not_found", field="achievement")
    require_issuable(achievement)
    recipient = _check_recipient(request.recipient)
    evidence = _evidence(request)
    if achievement.evidence_policy == "required" and not evidence:
        raise InvalidRequest(f"the achievement {achievement.name!r} requires evidence (a narrative or a URL)",
                             field="evidence", code="evidence_required")
    if request.valid_until is not None and request.valid_until <= moment:
        raise InvalidRequest("validUntil must be in the future", field="validUntil")
    return request, achievement, recipient, evidence


def check_requests(node: IssuerNode, requests: Sequence[IssueRequest], *,
                   now: datetime | None = None) -> list[IssuerError | None]:
    """A dry run: for each request, the error ``issue_batch`` would refuse it with, or None.

    Nothing is allocated, signed or stored, and no key is needed (the bulk
    runner's ``--dry-run`` reports these per row; ``field`` names the column).
    """
    moment = now or datetime.now(timezone.utc)
    achievements: dict[str, Achievement | None] = {}
    results: list[IssuerError | None] = []
    for request in requests:
        try:
            _prepare(node, request, achievements, moment)
            results.append(None)
        except IssuerError as exc:
            results.append(exc)
    return results


def issue_batch(node: IssuerNode, requests: Sequence[IssueRequest], *, now: datetime | None = None,
                validate_all: bool = False) -> list[IssuedCredential]:
    """Issue every request or none: one transaction for allocation, signing and storage.

    Each request is checked before anything is allocated (``InvalidRequest``,
    ``NotFound``, ``Conflict`` name the fault). The first credential of each
    shape in this process is validated against the OB 3.0 JSON Schema (every one
    with ``validate_all``); the builder's own checks cover the values.
    """
    if not requests:
        return []
    if len(requests) > MAX_BATCH:
        raise InvalidRequest(f"at most {MAX_BATCH:,} credentials per batch")
    moment = (now or datetime.now(timezone.utc)).replace(microsecond=0)
    signer = node.signer
    profile = profile_json(node.organization)
    achievements: dict[str, Achievement | None] = {}
    prepared = [_prepare(node, request, achievements, moment) for request in requests]

    keys = [str(uuid.uuid4()) for _ in prepared]
    status_base = f"{node.public_url}/status"
    issued: list[IssuedCredential] = []
    rows: list[NewCredential] = []
    with node.store.atomic():
        revocation = node.store.allocate_status("revocation", keys, url_base=status_base, size=STATUS_LIST_SIZE)
        suspension = node.store.allocate_status("suspension", keys, url_base=status_base, size=STATUS_LIST_SIZE)
        for key, (request, achievement, recipient, evidence), rev, sus in zip(keys, prepared, revocation, suspension):
            credential_id = f"{node.public_url}/credentials/{key}"
            shape = _shape(achievement, recipient, evidence, request.valid_until)
            validate = validate_all or shape not in _VALIDATED_SHAPES
            document = _document(node, achievement=achievement, profile=profile, recipient=recipient,
                                 evidence=evidence, credential_id=credential_id, valid_from=moment,
                                 valid_until=request.valid_until, slots=(rev, sus), validate=validate)
            if validate:
                _VALIDATED_SHAPES.add(shape)
            salt = document["credentialSubject"]["identifier"][0].get("salt") if recipient.email else None
            signed = add_proof(document, signer=signer, loader=node.loader, created=moment)
            rows.append(NewCredential(key=key, id=credential_id, achievement_key=achievement.key, document=signed,
                                      issued_at=moment, recipient_did=recipient.did, recipient_email=recipient.email,
                                      recipient_name=recipient.name, salt=salt))
            issued.append(IssuedCredential(key=key, id=credential_id, document=signed))
        node.store.insert_credentials(rows)
    return issued


def issue_credential(node: IssuerNode, request: IssueRequest, *, now: datetime | None = None) -> IssuedCredential:
    """Issue one credential (validated against the OB 3.0 schema in full)."""
    return issue_batch(node, [request], now=now, validate_all=True)[0]
