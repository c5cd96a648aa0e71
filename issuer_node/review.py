"""Reviewing an application: a rubric per criterion, then approve, ask for a resubmission, or reject.

A decision judges the latest round of a pending application. Asking for a
resubmission and rejecting need feedback (the applicant reads it on the
status page). Approving creates the award (``awards.create_award``: the
credential waits to be claimed with a wallet through OpenID4VCI) carrying the
latest round's narrative and evidence URLs; uploaded files stay private with
the issuer and are never put in a credential. The email to the applicant
(the offer, or the reviewer's reason) is queued in the outbox in the same
transaction as the decision; the outbox sender delivers it.
Two reviewers deciding at once: the first decision counts, the second is a
``Conflict``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from .achievements import get_achievement, require_issuable
from .applications import criteria_list, find_application
from .awards import create_award
from .errors import Conflict, InvalidRequest
from .node import IssuerNode
from .storage import Achievement, User
from .storage.applications import DECISIONS, Application, DecisionKind

MAX_FEEDBACK = 5000
MAX_NOTE = 2000
# Rubric levels, highest first: the score a reviewer gives each criterion.
RUBRIC_LEVELS: tuple[tuple[int, str], ...] = ((3, "Exceeds"), (2, "Meets"), (1, "Partially meets"),
                                              (0, "Not yet evident"))
_LEVEL_NAMES = dict(RUBRIC_LEVELS)


@dataclass(frozen=True)
class ReviewOutcome:
    application: Application
    outbox_id: int | None  # The email to the applicant, queued in the same transaction as the decision.


def parse_decision(value: Any) -> DecisionKind:
    if value not in DECISIONS:
        raise InvalidRequest(f"decision is one of {', '.join(DECISIONS)}", field="decision")
    return value  # type: ignore[no-any-return]


def parse_rubric(value: Any, criteria: list[str]) -> list[dict[str, Any]]:
    """``[{"criterion": INDEX | TEXT, "score": 0..3 | null, "note": TEXT | null}]`` → one entry per scored criterion.

    Each entry names its criterion by position (0-based) or by its exact text;
    the stored entry always holds both, with the level's name.
    """
    if value is None:
        return []
    if not isinstance(value, list):
        raise InvalidRequest("rubric is a list of {criterion, score, note}", field="rubric")
    entries: dict[int, dict[str, Any]] = {}
    for i, item in enumerate(value):
        if not isinstance(item, Mapping):
            raise InvalidRequest(f"rubric[{i}] must be an object {{criterion, score, note}}", field="rubric")
        criterion = item.get("criterion")
        if isinstance(criterion, int) and not isinstance(criterion, bool) and 0 <= criterion < len(criteria):
            index = criterion
        elif isinstance(criterion, str) and criterion in criteria:
            index = criteria.index(criterion)
        else:
            raise InvalidRequest(f"rubric[{i}].criterion must name one of the {len(criteria)} criteria "
                                 "(by position from 0, or by its text)", field="rubric")
        score = item.get("score")
        if score is not None and (isinstance(score, bool) or not isinstance(score, int) or score not in _LEVEL_NAMES):
            raise InvalidRequest(f"rubric[{i}].score is one of 0, 1, 2, 3 (or null)", field="rubric")
        note = item.get("note")
        if note is not None and (not isinstance(note, str) or len(note) > MAX_NOTE):
            raise InvalidRequest(f"rubric[{i}].note is text of at most {MAX_NOTE} characters", field="rubric")
        if index in entries:
            raise InvalidRequest(f"rubric[{i}] scores criterion {index} a second time", field="rubric")
        entries[index] = {"criterion": criteria[index], "index": index, "score": score,
                          "level": _LEVEL_NAMES.get(score) if score is not None else None,
                          "note": note.strip() if note and note.strip() else None}
    return [entries[i] for i in sorted(entries)]


def _evidence(application: Application) -> tuple[str | None, list[dict[str, Any]]]:
    """What the credential carries: the latest narrative and URLs; files only as a private, unnamed note."""
    latest = application.latest
    evidence: list[dict[str, Any]] = [{"id": url, "type": ["Evidence"]} for url in latest.evidence_urls]
    if latest.files and not latest.narrative and not evidence:
        evidence.append({"type": ["Evidence"], "name": "Evidence reviewed by the issuer",
                         "description": f"{len(latest.files)} file(s) reviewed and kept private by the issuer."})
    return latest.narrative, evidence


def _queue_decision_mail(node: IssuerNode, achievement: Achievement, application: Application,
                         decision: DecisionKind, feedback: str, now: datetime) -> int:
    verb = "asks you to resubmit" if decision == "resubmit" else "could not approve"
    organization = node.organization.name
    body = (f"Hello {application.name},\n\n{organization} {verb} your application for \"{achievement.name}\".\n\n"
            f"The reviewer wrote:\n\n{feedback}\n\n"
            "Open the private status link you received when you applied to see the details"
            + (" and to resubmit.\n" if decision == "resubmit" else ".\n"))
    return node.store.add_outbox(application.email, f"Your application: {achievement.name}"[:300], body, created=now)


def _grant(node: IssuerNode, application: Application, achievement: Achievement, now: datetime) -> int | None:
    """Create the award for an approved application and record its offer on the application.

    ``create_award`` queues the offer email in the outbox in the same
    transaction; the outbox sender delivers it (``outbox.wake_outbox``).
    """
    narrative, evidence = _evidence(application)
    created = create_award(node.store, achievement_id=achievement.id, email=application.email, name=application.name,
                           narrative=narrative, evidence=evidence, tx_code=False, now=now,
                           public_url=node.public_url, source=f"application:{application.id}")
    node.store.set_application_award(application.id, award_id=created.award_id, offer_url=created.offer_url,
                                     offer_expires=created.expires, credential_key=None)
    return created.outbox_id


def decide(node: IssuerNode, application_id: str, *, decision: str, feedback: str | None, rubric: Any,
           reviewer: User | None, now: datetime | None = None) -> ReviewOutcome:
    """Record a decision on the latest round; approving also creates the award, in the same transaction."""
    moment = now or datetime.now(timezone.utc)
    kind = parse_decision(decision)
    text = feedback.strip() if isinstance(feedback, str) and feedback.strip() else None
    if text is not None and len(text) > MAX_FEEDBACK:
        raise InvalidRequest(f"feedback must be at most {MAX_FEEDBACK:,} characters", field="feedback")
    if kind != "approve" and text is None:
        raise InvalidRequest("say why: feedback is required to ask for a resubmission or to reject",
                             field="feedback", code="feedback_required")
    application = find_application(node, application_id)
    achievement = get_achievement(node, application.achievement_key)
    scored = parse_rubric(rubric, criteria_list(achievement))
    if application.status != "pending":
        raise Conflict(f"this application is {application.status}, not waiting for a decision",
                       code="not_pending")
    if kind == "approve":
        require_issuable(achievement)
    with node.store.atomic():
        if not node.store.add_decision(application.id, round=application.latest.round, decision=kind, feedback=text,
                                       rubric=scored, reviewer_id=reviewer.id if reviewer else None, at=moment):
            raise Conflict("another reviewer decided on this application first", code="not_pending")
        if kind == "approve":
            outbox_id = _grant(node, application, achievement, moment)
        else:
            assert text is not None
            outbox_id = _queue_decision_mail(node, achievement, application, kind, text, moment)
    return ReviewOutcome(application=find_application(node, application.id), outbox_id=outbox_id)
