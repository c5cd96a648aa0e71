"""Applications for an achievement and their review: one table family of the issuer store.

An application is one person asking for one achievement with evidence. Its
history is append-only: every (re)submission is a numbered ``round`` with its
narrative, evidence URLs and uploaded files (the files themselves live in the
data directory, named by content hash; see ``issuer_node.evidence_files``), and
every reviewer decision is a row naming the round it judged, the feedback and
the rubric. The application row carries only the current status and, once
approved, what the approval produced (the award and its offer).

The applicant's private key is stored only as its SHA-256 (``key_hash``).

``ApplicationStore`` is the protocol; ``SqlApplicationStore`` the mixin both
backends' stores inherit (written in the SQL they share, on ``sqlaccess.SqlAccess``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol

from .sqlaccess import Row, SqlAccess
from .values import compact_json as _dumps
from .values import parse_timestamp as _dt
from .values import timestamp_text as _ts

ApplicationStatus = Literal["pending", "resubmit", "approved", "rejected"]
DecisionKind = Literal["approve", "resubmit", "reject"]
APPLICATION_STATUSES: tuple[ApplicationStatus, ...] = ("pending", "resubmit", "approved", "rejected")
DECISIONS: tuple[DecisionKind, ...] = ("approve", "resubmit", "reject")
# The status a decision leaves the application in.
STATUS_AFTER: dict[DecisionKind, ApplicationStatus] = {"approve": "approved", "resubmit": "resubmit",
                                                       "reject": "rejected"}


@dataclass(frozen=True)
class EvidenceFile:
    """An uploaded file: ``digest`` (sha256 hex) names its bytes in the data directory."""

    digest: str
    filename: str
    media_type: str
    size: int


@dataclass(frozen=True)
class Submission:
    round: int
    narrative: str | None
    evidence_urls: tuple[str, ...]
    files: tuple[EvidenceFile, ...]
    created: datetime


@dataclass(frozen=True)
class Decision:
    round: int
    decision: DecisionKind
    feedback: str | None
    rubric: tuple[dict[str, Any], ...]
    reviewer_email: str | None
    created: datetime


@dataclass(frozen=True)
class Application:
    id: str
    achievement_key: str
    name: str
    email: str
    key_hash: str
    status: ApplicationStatus
    created: datetime
    updated: datetime
    submissions: tuple[Submission, ...]
    decisions: tuple[Decision, ...]
    award_id: str | None = None
    offer_url: str | None = None
    offer_expires: datetime | None = None
    credential_key: str | None = None

    @property
    def latest(self) -> Submission:
        return self.submissions[-1]

    @property
    def last_decision(self) -> Decision | None:
        return self.decisions[-1] if self.decisions else None


class ApplicationStore(Protocol):
    """Applications, their rounds of evidence and the reviewers' decisions."""

    def atomic(self) -> AbstractContextManager[None]: ...

    def add_application(self, *, id: str, achievement_key: str, name: str, email: str, key_hash: str,
                        narrative: str | None, evidence_urls: Sequence[str], files: Sequence[EvidenceFile],
                        at: datetime) -> None:
        """Store a new pending application with its first round of evidence."""
        ...

    def add_submission(self, application_id: str, *, narrative: str | None, evidence_urls: Sequence[str],
                       files: Sequence[EvidenceFile], at: datetime) -> int | None:
        """A new round for an application waiting for a resubmission; it becomes pending again.

        Returns the round number, or None when the application is not waiting for one.
        """
        ...

    def get_application(self, application_id: str) -> Application | None: ...

    def list_applications(self, *, status: ApplicationStatus | None = None, achievement_key: str | None = None,
                          email: str | None = None, limit: int = 100, offset: int = 0) -> list[Application]:
        """Oldest first for pending ones (a queue), newest first otherwise."""
        ...

    def count_applications(self, *, status: ApplicationStatus | None = None) -> int: ...

    def add_decision(self, application_id: str, *, round: int, decision: DecisionKind, feedback: str | None,
                     rubric: Sequence[dict[str, Any]], reviewer_id: int | None, at: datetime) -> bool:
        """Record a decision on a pending application's ``round`` and move it to the status that follows.

        False (nothing written) when the application is no longer pending at that
        round: two reviewers deciding at once, only the first decision counts.
        """
        ...

    def set_application_award(self, application_id: str, *, award_id: str | None, offer_url: str | None,
                              offer_expires: datetime | None, credential_key: str | None) -> None: ...

    def application_file(self, application_id: str, digest: str) -> EvidenceFile | None:
        """The file ``digest`` if it belongs to one of the application's rounds."""
        ...


class SqlApplicationStore(SqlAccess):
    """The methods of ``ApplicationStore``, in SQL both backends run; mixed into each backend's store."""

    def _insert_round(self, application_id: str, round_number: int, narrative: str | None,
                      evidence_urls: Sequence[str], files: Sequence[EvidenceFile], at: datetime) -> None:
        submission_id = self._insert_id(
            "INSERT INTO application_submissions (application_id, round, narrative, evidence_urls, created) "
            "VALUES (?, ?, ?, ?, ?)", (application_id, round_number, narrative, _dumps(list(evidence_urls)), _ts(at)))
        self._run_many(
            "INSERT INTO application_files (submission_id, digest, filename, media_type, size) VALUES (?, ?, ?, ?, ?)",
            [(submission_id, f.digest, f.filename, f.media_type, f.size) for f in files])

    def add_application(self, *, id: str, achievement_key: str, name: str, email: str, key_hash: str,
                        narrative: str | None, evidence_urls: Sequence[str], files: Sequence[EvidenceFile],
                        at: datetime) -> None:
        with self._write():
            self._run(
                "INSERT INTO applications (id, achievement_key, name, email, key_hash, status, created, updated) "
                "VALUES (?, ?, ?, ?, ?, 'pending', ?, ?)", (id, achievement_key, name, email, key_hash, _ts(at), _ts(at)))
            self._insert_round(id, 1, narrative, evidence_urls, files, at)

    def add_submission(self, application_id: str, *, narrative: str | None, evidence_urls: Sequence[str],
                       files: Sequence[EvidenceFile], at: datetime) -> int | None:
        with self._write():
            changed = self._run("UPDATE applications SET status = 'pending', updated = ? "
                                "WHERE id = ? AND status = 'resubmit'", (_ts(at), application_id))
            if changed != 1:
                return None
            row = self._one("SELECT max(round) AS last FROM application_submissions WHERE application_id = ?",
                            (application_id,))
            round_number = int(row["last"] or 0) + 1 if row is not None else 1
            self._insert_round(application_id, round_number, narrative, evidence_urls, files, at)
        return round_number

    def _load(self, row: Row) -> Application:
        submissions = []
        for sub in self._all_rows("SELECT * FROM application_submissions WHERE application_id = ? ORDER BY round",
                                  (row["id"],)):
            files = tuple(EvidenceFile(digest=f["digest"], filename=f["filename"], media_type=f["media_type"],
                                       size=int(f["size"]))
                          for f in self._all_rows("SELECT * FROM application_files WHERE submission_id = ? "
                                                  "ORDER BY id", (sub["id"],)))
            submissions.append(Submission(round=int(sub["round"]), narrative=sub["narrative"],
                                          evidence_urls=tuple(json.loads(sub["evidence_urls"])), files=files,
                                          created=_dt(sub["created"]) or datetime.min))
        decisions = tuple(
            Decision(round=int(d["round"]), decision=d["decision"], feedback=d["feedback"],
                     rubric=tuple(json.loads(d["rubric"])), reviewer_email=d["email"],
                     created=_dt(d["created"]) or datetime.min)
            for d in self._all_rows("SELECT d.*, u.email FROM application_decisions d LEFT JOIN users u "
                                    "ON u.id = d.reviewer_id WHERE d.application_id = ? ORDER BY d.id", (row["id"],)))
        return Application(
            id=row["id"], achievement_key=row["achievement_key"], name=row["name"], email=row["email"],
            key_hash=row["key_hash"], status=row["status"], created=_dt(row["created"]) or datetime.min,
            updated=_dt(row["updated"]) or datetime.min, submissions=tuple(submissions), decisions=decisions,
            award_id=row["award_id"], offer_url=row["offer_url"], offer_expires=_dt(row["offer_expires"]),
            credential_key=row["credential_key"])

    def get_application(self, application_id: str) -> Application | None:
        row = self._one("SELECT * FROM applications WHERE id = ?", (application_id,))
        return None if row is None else self._load(row)

    def list_applications(self, *, status: ApplicationStatus | None = None, achievement_key: str | None = None,
                          email: str | None = None, limit: int = 100, offset: int = 0) -> list[Application]:
        clauses: list[str] = []
        params: list[Any] = []
        for column, value in (("status", status), ("achievement_key", achievement_key), ("email", email)):
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(value)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        order = "updated ASC, id" if status == "pending" else "updated DESC, id"
        rows = self._all_rows(f"SELECT * FROM applications {where} ORDER BY {order} LIMIT ? OFFSET ?",
                              (*params, limit, offset))
        return [self._load(r) for r in rows]

    def count_applications(self, *, status: ApplicationStatus | None = None) -> int:
        if status is None:
            return int(self._value("SELECT count(*) AS n FROM applications"))
        return int(self._value("SELECT count(*) AS n FROM applications WHERE status = ?", (status,)))

    def add_decision(self, application_id: str, *, round: int, decision: DecisionKind, feedback: str | None,
                     rubric: Sequence[dict[str, Any]], reviewer_id: int | None, at: datetime) -> bool:
        with self._write():
            changed = self._run(
                "UPDATE applications SET status = ?, updated = ? WHERE id = ? AND status = 'pending' "
                "AND (SELECT max(round) FROM application_submissions WHERE application_id = ?) = ?",
                (STATUS_AFTER[decision], _ts(at), application_id, application_id, round))
            if changed != 1:
                return False
            self._run(
                "INSERT INTO application_decisions (application_id, round, decision, feedback, rubric, reviewer_id, "
                "created) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (application_id, round, decision, feedback, _dumps(list(rubric)), reviewer_id, _ts(at)))
        return True

    def set_application_award(self, application_id: str, *, award_id: str | None, offer_url: str | None,
                              offer_expires: datetime | None, credential_key: str | None) -> None:
        with self._write():
            self._run(
                "UPDATE applications SET award_id = ?, offer_url = ?, offer_expires = ?, credential_key = ? "
                "WHERE id = ?", (award_id, offer_url, _ts(offer_expires) if offer_expires else None, credential_key,
                                 application_id))

    def application_file(self, application_id: str, digest: str) -> EvidenceFile | None:
        row = self._one("SELECT f.* FROM application_files f JOIN application_submissions s ON s.id = f.submission_id "
                        "WHERE s.application_id = ? AND f.digest = ? ORDER BY f.id LIMIT 1", (application_id, digest))
        if row is None:
            return None
        return EvidenceFile(digest=row["digest"], filename=row["filename"], media_type=row["media_type"],
                            size=int(row["size"]))
