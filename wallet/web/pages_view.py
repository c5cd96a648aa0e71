"""What the learner pages show of a held credential, read from its stored record and document.

Nothing here decides anything: the standing and the status line come from what
the import and the status refresh stored (``holdings.status_line``, the same
words the API gives), so a page view never verifies. The document is read again
only for what lists do not store (the issuer's image, evidence, criteria, the
recipient) and only for display; every value reaches the page through Jinja2's
autoescaping, images only as ``data:`` URIs and links only as http(s) URLs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from credentials.errors import CredentialError
from verifier.registry import TrustRegistry
from verifier.summary import summarize

# ``_image`` is the import's own rule for images (data: URIs only), applied here to the issuer's logo.
from ..badge import _image, credential_of
from ..holdings import status_line
from ..reading import Candidate
from ..storage import CredentialRecord
from ..trust import name_issuer


@dataclass(frozen=True)
class EvidenceView:
    name: str | None
    url: str | None          # an http(s) URL, safe to link to
    text: str | None         # the id when it is not a link, narrative, description


@dataclass(frozen=True)
class BadgeView:
    id: str
    name: str
    description: str | None
    image: str | None
    issuer_id: str
    issuer_name: str | None
    issuer_image: str | None
    issuer_source: str
    issuer_warning: str | None
    tags: tuple[str, ...]
    issued: str | None
    valid_until: str | None
    state: str
    state_detail: str
    status_line: str
    status_checked: bool
    added_at: str
    source: str
    format: str
    criteria: str | None = None
    recipient: tuple[str, ...] = ()
    evidence: tuple[EvidenceView, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class IssuerGroup:
    issuer_id: str
    issuer_name: str | None
    issuer_image: str | None
    issuer_source: str
    issuer_warning: str | None
    badges: tuple[BadgeView, ...]


def _credential(record: CredentialRecord) -> tuple[dict[str, Any], str | None]:
    candidate = (Candidate("held", "jwt", jwt=record.document) if record.format == "jwt"
                 else Candidate("held", "json", document=json.loads(record.document)))
    try:
        return credential_of(candidate)
    except (CredentialError, ValueError):
        return {}, None


def _link(value: str | None) -> str | None:
    return value if value and value.startswith(("https://", "http://")) else None


def badge_view(record: CredentialRecord, registry: TrustRegistry | None = None) -> BadgeView:
    """The record as a page shows it (reads the document for evidence, criteria, issuer image, recipient).

    The issuer's name is the credential's claim unless ``registry`` (the operator's) lists the issuer.
    """
    naming = name_issuer(registry, record.issuer_id, record.issuer_name)
    credential, jwt_subject = _credential(record)
    summary = summarize(credential, jwt_subject=jwt_subject)
    issuer = credential.get("issuer")
    evidence = tuple(EvidenceView(name=e.name, url=_link(e.id),
                                  text=" ".join(t for t in ((None if _link(e.id) else e.id), e.narrative,
                                                            e.description) if t) or None)
                     for e in (summary.evidence if summary else ()))
    return BadgeView(
        id=record.id, name=record.achievement_name or "(a badge with no name)", description=record.description,
        image=record.image, issuer_id=record.issuer_id, issuer_name=naming.name,
        issuer_image=_image(issuer.get("image")) if isinstance(issuer, dict) else None,
        issuer_source=naming.source, issuer_warning=naming.warning, tags=record.tags, issued=record.valid_from, valid_until=record.valid_until,
        state=record.state, state_detail=record.state_detail, status_line=status_line(record),
        status_checked=record.status_checked_at is not None, added_at=record.added_at, source=record.source,
        format=record.format, criteria=summary.criteria if summary else None,
        recipient=tuple(summary.recipient.to_lines()) if summary else (), evidence=evidence)


def group_by_issuer(badges: list[BadgeView]) -> list[IssuerGroup]:
    """The badges of one page grouped by issuer, in the order each issuer first appears (newest first)."""
    groups: dict[str, list[BadgeView]] = {}
    for badge in badges:
        groups.setdefault(badge.issuer_id, []).append(badge)
    out = []
    for issuer_id, members in groups.items():
        first = members[0]
        out.append(IssuerGroup(issuer_id=issuer_id, issuer_name=first.issuer_name,
                               issuer_image=next((b.issuer_image for b in members if b.issuer_image), None),
                               issuer_source=first.issuer_source, issuer_warning=first.issuer_warning,
                               badges=tuple(members)))
    return out


def plain_check(check: dict[str, Any]) -> str:
    """One failed check of an import report in plain words: ``proof: the signature does not match``."""
    name = str(check.get("name") or "check")
    detail = str(check.get("detail") or check.get("code") or "failed")
    return f"{name}: {detail}"
