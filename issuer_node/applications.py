"""Applying for an achievement with evidence, and the applicant's private view of the application.

An applicant (no account) submits a name, an email and evidence: URLs (a
video link is a URL), uploaded files (``evidence_files``) and a written
narrative. The node answers with a private status link holding a random key
(stored only as its hash): whoever has the link sees the status, the
reviewer's reasons and, once approved, the offer to claim the badge; with it
the applicant resubmits when asked to. A resubmission is a new round; earlier
rounds and decisions stay in the history. Reviewing is in ``review``.
"""

from __future__ import annotations

import hmac
import re
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from webbase.tokens import hash_token

from .achievements import get_achievement, require_issuable
from .errors import Conflict, InvalidRequest, NotFound
from .evidence_files import MAX_FILES, check_size, clean_filename, sniff_media_type, store_evidence_file
from .node import IssuerNode
from .storage import Achievement
from .storage.applications import Application, EvidenceFile, Submission

MAX_NAME = 200
MAX_NARRATIVE = 10_000
MAX_URLS = 10
MAX_URL = 2000
_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s]{1,63}")
_HTTP_URL = re.compile(r"https?://[^\s<>\"]+")
_BULLET = re.compile(r"^\s*(?:[-*\u2022]|\d{1,2}[.)])\s+")


@dataclass(frozen=True)
class UploadedFile:
    """A file as received: the browser's name (display only) and the bytes (their type is sniffed)."""

    filename: str
    data: bytes


@dataclass(frozen=True)
class EvidenceInput:
    narrative: str | None = None
    evidence_urls: tuple[str, ...] = ()
    files: tuple[UploadedFile, ...] = field(default=())


@dataclass(frozen=True)
class ApplicationInput:
    achievement: str  # uuid key or id URL
    name: str
    email: str
    evidence: EvidenceInput


@dataclass(frozen=True)
class Submitted:
    """A new application and the one copy of its private key."""

    application: Application
    key: str
    status_url: str


def criteria_list(achievement: Achievement) -> list[str]:
    """The criteria a reviewer scores one by one: each line (bullets and numbers dropped) of the criteria text."""
    lines = [_BULLET.sub("", line).strip() for line in achievement.criteria.splitlines()]
    items = [line for line in lines if line]
    return items or [achievement.criteria.strip()]


def _name(value: str) -> str:
    name = " ".join(value.split())
    if not name:
        raise InvalidRequest("your name is required", field="name", code="missing_field")
    if len(name) > MAX_NAME:
        raise InvalidRequest(f"the name must be at most {MAX_NAME} characters", field="name")
    return name


def _email(value: str) -> str:
    email = value.strip().lower()
    if not email:
        raise InvalidRequest("your email address is required", field="email", code="missing_field")
    if not _EMAIL.fullmatch(email):
        raise InvalidRequest("that is not an email address", field="email")
    return email


def _checked_evidence(evidence: EvidenceInput, achievement: Achievement) -> tuple[str | None, list[str]]:
    narrative = evidence.narrative.strip() if evidence.narrative else None
    if narrative is not None and len(narrative) > MAX_NARRATIVE:
        raise InvalidRequest(f"the narrative must be at most {MAX_NARRATIVE:,} characters", field="narrative")
    urls: list[str] = []
    for url in (u.strip() for u in evidence.evidence_urls):
        if not url:
            continue
        if len(url) > MAX_URL or not _HTTP_URL.fullmatch(url):
            raise InvalidRequest(f"an evidence URL must be an http(s) URL, not {url[:80]!r}", field="evidence_url")
        if url not in urls:
            urls.append(url)
    if len(urls) > MAX_URLS:
        raise InvalidRequest(f"at most {MAX_URLS} evidence URLs", field="evidence_url")
    if len(evidence.files) > MAX_FILES:
        raise InvalidRequest(f"at most {MAX_FILES} files", field="file")
    if achievement.evidence_policy == "required" and not (narrative or urls or evidence.files):
        raise InvalidRequest(f"{achievement.name!r} requires evidence: a URL, a file or a written narrative",
                             field="evidence", code="evidence_required")
    return narrative or None, urls


def _store_files(node: IssuerNode, files: Sequence[UploadedFile]) -> list[EvidenceFile]:
    checked = []
    for upload in files:
        check_size(upload.data)
        checked.append((upload, sniff_media_type(upload.data)))
    # Only once every file is acceptable is anything written.
    return [EvidenceFile(digest=store_evidence_file(node.data_dir, upload.data), filename=clean_filename(upload.filename),
                         media_type=media_type, size=len(upload.data)) for upload, media_type in checked]


def status_url(node: IssuerNode, application_id: str, key: str) -> str:
    return f"{node.public_url}/applications/{application_id}?key={key}"


def submit_application(node: IssuerNode, spec: ApplicationInput, *, now: datetime | None = None) -> Submitted:
    """Check and store a new application (pending) with its first round of evidence."""
    moment = now or datetime.now(timezone.utc)
    achievement = get_achievement(node, spec.achievement)
    require_issuable(achievement)
    name, email = _name(spec.name), _email(spec.email)
    narrative, urls = _checked_evidence(spec.evidence, achievement)
    files = _store_files(node, spec.evidence.files)
    application_id = str(uuid.uuid4())
    key = secrets.token_urlsafe(24)
    node.store.add_application(id=application_id, achievement_key=achievement.key, name=name, email=email,
                               key_hash=hash_token(key), narrative=narrative, evidence_urls=urls, files=files,
                               at=moment)
    application = node.store.get_application(application_id)
    assert application is not None
    return Submitted(application=application, key=key, status_url=status_url(node, application_id, key))


def find_application(node: IssuerNode, application_id: str) -> Application:
    application = node.store.get_application(application_id) if len(application_id) <= 64 else None
    if application is None:
        raise NotFound("no such application", code="application_not_found")
    return application


def applicant_application(node: IssuerNode, application_id: str, key: str | None) -> Application:
    """The application whose private key is ``key``; ``NotFound`` alike for a wrong key and a wrong id."""
    application = node.store.get_application(application_id) if len(application_id) <= 64 else None
    given = hash_token(key) if key and len(key) <= 128 else ""
    if application is None or not hmac.compare_digest(application.key_hash.encode(), given.encode()):
        raise NotFound("no such application (check the link you were sent)", code="application_not_found")
    return application


def resubmit_application(node: IssuerNode, application_id: str, key: str | None, evidence: EvidenceInput, *,
                         now: datetime | None = None) -> Application:
    """A new round of evidence after a reviewer asked for one; the application is pending again."""
    application = applicant_application(node, application_id, key)
    achievement = get_achievement(node, application.achievement_key)
    if application.status != "resubmit":
        raise Conflict(f"this application is {application.status}; it takes a resubmission only when a reviewer "
                       "asks for one", code="not_awaiting_resubmission")
    require_issuable(achievement)
    narrative, urls = _checked_evidence(evidence, achievement)
    if not (narrative or urls or evidence.files):
        raise InvalidRequest("a resubmission needs new evidence: a URL, a file or a narrative", field="evidence",
                             code="evidence_required")
    files = _store_files(node, evidence.files)
    if node.store.add_submission(application.id, narrative=narrative, evidence_urls=urls, files=files,
                                 at=now or datetime.now(timezone.utc)) is None:
        raise Conflict("this application is no longer waiting for a resubmission", code="not_awaiting_resubmission")
    return find_application(node, application.id)


# --- views ----------------------------------------------------------------------------------------


def file_url(node: IssuerNode, application: Application, item: EvidenceFile, key: str | None = None) -> str:
    base = f"{node.public_url}/api/applications/{application.id}/files/{item.digest}"
    return f"{base}?key={key}" if key else base


def _submission_json(node: IssuerNode, application: Application, submission: Submission,
                     key: str | None) -> dict[str, Any]:
    return {"round": submission.round, "submitted": submission.created.isoformat(),
            "narrative": submission.narrative, "evidenceUrls": list(submission.evidence_urls),
            "files": [{"name": f.filename, "mediaType": f.media_type, "size": f.size,
                       "url": file_url(node, application, f, key)} for f in submission.files]}


def application_json(node: IssuerNode, application: Application, *, key: str | None = None,
                     reviewer: bool = False) -> dict[str, Any]:
    """The application with its whole history; the reviewer's view adds who decided."""
    achievement = get_achievement(node, application.achievement_key)
    last = application.last_decision
    value: dict[str, Any] = {
        "id": application.id, "status": application.status,
        "achievement": {"id": achievement.id, "key": achievement.key, "name": achievement.name,
                        "retired": achievement.retired},
        "name": application.name, "email": application.email,
        "created": application.created.isoformat(), "updated": application.updated.isoformat(),
        "feedback": last.feedback if last is not None and application.status in ("resubmit", "rejected") else None,
        "submissions": [_submission_json(node, application, s, key) for s in application.submissions],
        "decisions": [{"round": d.round, "decision": d.decision, "feedback": d.feedback, "rubric": list(d.rubric),
                       "decided": d.created.isoformat(), **({"reviewer": d.reviewer_email} if reviewer else {})}
                      for d in application.decisions],
        "offer": None,
    }
    if application.status == "approved" and (application.offer_url or application.credential_key):
        value["offer"] = {"offerUrl": application.offer_url,
                          "expires": application.offer_expires.isoformat() if application.offer_expires else None,
                          "credential": f"{node.public_url}/credentials/{application.credential_key}"
                          if application.credential_key else None}
    if reviewer:
        value["criteria"] = criteria_list(achievement)
    return value
