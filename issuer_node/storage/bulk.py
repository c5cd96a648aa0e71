"""Bulk jobs: one table family of the issuer store, what makes a bulk CSV run resumable and never issue twice.

- ``bulk_jobs``: one row per distinct CSV file, keyed by the sha256 of its
  bytes (the same file again is the same job: a rerun resumes it);
- ``bulk_rows``: the outcome of each data row of a job, ``(job_id, row)`` the
  primary key. The bulk runner writes a batch's row outcomes in the SAME
  transaction as the batch's credentials (or awards), so after a crash a row
  has either its credential and its record, or neither; the primary key makes a
  second record for an issued row impossible even when two runs race.

A row refused earlier (``state = 'refused'``) may be tried again by a later run
of the same file (the node may have gained the achievement meanwhile);
``record_bulk_rows`` then replaces the refusal. An issued or offered row is
never replaced.

``BulkStore`` is the protocol; ``SqlBulkStore`` the mixin both backends' stores
inherit (written in the SQL they share, on ``sqlaccess.SqlAccess``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

from .sqlaccess import Row, SqlAccess, StoreConflict
from .values import parse_timestamp as _dt
from .values import timestamp_text as _ts

BulkState = Literal["issued", "offer sent", "refused"]
BULK_STATES: tuple[BulkState, ...] = ("issued", "offer sent", "refused")


@dataclass(frozen=True)
class BulkJob:
    """One CSV file's run: ``id`` is the file's sha256 (hex); ``finished`` is set when every row has an outcome."""

    id: str
    filename: str
    rows: int
    created: datetime
    finished: datetime | None = None


@dataclass(frozen=True)
class BulkRowOutcome:
    """What happened to data row ``row`` (1 = the first row after the header).

    ``credential_key`` for ``issued``; ``award_id`` and ``offer_url`` for
    ``offer sent``; ``column`` and ``reason`` for ``refused``.
    ``credential_id`` is filled in when read back (the credential's id URL).
    """

    row: int
    state: BulkState
    reason: str | None = None
    column: str | None = None
    credential_key: str | None = None
    award_id: str | None = None
    offer_url: str | None = None
    credential_id: str | None = None


class BulkStore(Protocol):
    """Bulk CSV jobs and their per-row outcomes."""

    def atomic(self) -> AbstractContextManager[None]: ...

    def start_bulk_job(self, job_id: str, *, filename: str, rows: int, created: datetime) -> tuple[BulkJob, bool]:
        """The job of this file, created when new; returns (job, created_now)."""
        ...

    def get_bulk_job(self, job_id: str) -> BulkJob | None: ...

    def list_bulk_jobs(self, *, limit: int = 50) -> list[BulkJob]: ...

    def bulk_rows_settled(self, job_id: str, rows: Iterable[int] | None = None) -> set[int]:
        """The rows (of ``rows``, or all) that were issued or offered: the ones a run must never touch again."""
        ...

    def lock_bulk_job(self, job_id: str) -> None:
        """Inside a batch's ``atomic()``: hold the job until commit, so one process at a time runs a batch of it.

        A second run of the same file (another process, another node process on a
        shared database) waits here, then finds the rows the first one settled. The
        hold ends with the transaction, also when its process dies: a crashed
        run's batch is simply rolled back and taken by whoever runs next.
        """
        ...

    def record_bulk_rows(self, job_id: str, outcomes: Sequence[BulkRowOutcome]) -> None:
        """Record outcomes (replacing earlier refusals only); call inside the batch's ``atomic()`` block."""
        ...

    def list_bulk_rows(self, job_id: str) -> list[BulkRowOutcome]:
        """Every recorded outcome of the job, by row, with each issued credential's id."""
        ...

    def finish_bulk_job(self, job_id: str, *, at: datetime) -> None: ...

    def recipients_holding(self, achievement_keys: Iterable[str], *, now: datetime) -> set[tuple[str, str]]:
        """(achievement key, recipient) pairs already served: a credential not revoked, or an offer still open.

        The recipient is the DID or the (lower-case) email the credential or award names.
        """
        ...


def _job(row: Row) -> BulkJob:
    return BulkJob(id=row["id"], filename=row["filename"], rows=int(row["rows"]),
                   created=_dt(row["created"]) or datetime.min, finished=_dt(row["finished"]))


class SqlBulkStore(SqlAccess):
    """The methods of ``BulkStore``, in SQL both backends run; mixed into each backend's store."""

    def start_bulk_job(self, job_id: str, *, filename: str, rows: int, created: datetime) -> tuple[BulkJob, bool]:
        with self._write():
            changed = self._run(
                "INSERT INTO bulk_jobs (id, filename, rows, created) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                (job_id, filename, rows, _ts(created)))
            row = self._one("SELECT * FROM bulk_jobs WHERE id = ?", (job_id,))
        assert row is not None
        return _job(row), changed == 1

    def get_bulk_job(self, job_id: str) -> BulkJob | None:
        row = self._one("SELECT * FROM bulk_jobs WHERE id = ?", (job_id,))
        return None if row is None else _job(row)

    def list_bulk_jobs(self, *, limit: int = 50) -> list[BulkJob]:
        return [_job(r) for r in self._all_rows("SELECT * FROM bulk_jobs ORDER BY created DESC LIMIT ?", (limit,))]

    def bulk_rows_settled(self, job_id: str, rows: Iterable[int] | None = None) -> set[int]:
        done = {int(r["row"]) for r in self._all_rows(
            "SELECT row FROM bulk_rows WHERE job_id = ? AND state != 'refused'", (job_id,))}
        return done if rows is None else done & set(rows)

    def lock_bulk_job(self, job_id: str) -> None:
        self._serialize(f"bulk_job:{job_id}")

    def record_bulk_rows(self, job_id: str, outcomes: Sequence[BulkRowOutcome]) -> None:
        with self._write():
            for o in outcomes:
                changed = self._run(
                    "INSERT INTO bulk_rows (job_id, row, state, reason, col, credential_key, award_id, offer_url) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (job_id, row) DO UPDATE SET state = excluded.state, "
                    "reason = excluded.reason, col = excluded.col, credential_key = excluded.credential_key, "
                    "award_id = excluded.award_id, offer_url = excluded.offer_url WHERE bulk_rows.state = 'refused'",
                    (job_id, o.row, o.state, o.reason, o.column, o.credential_key, o.award_id, o.offer_url))
                if changed != 1:
                    # The row was issued or offered by another run meanwhile: roll the whole batch back.
                    raise StoreConflict(f"bulk job {job_id[:12]}: row {o.row} is already settled")

    def list_bulk_rows(self, job_id: str) -> list[BulkRowOutcome]:
        rows = self._all_rows(
            "SELECT b.*, c.id AS credential_id FROM bulk_rows b LEFT JOIN credentials c ON c.key = b.credential_key "
            "WHERE b.job_id = ? ORDER BY b.row", (job_id,))
        return [BulkRowOutcome(row=int(r["row"]), state=r["state"], reason=r["reason"], column=r["col"],
                               credential_key=r["credential_key"], award_id=r["award_id"], offer_url=r["offer_url"],
                               credential_id=r["credential_id"]) for r in rows]

    def finish_bulk_job(self, job_id: str, *, at: datetime) -> None:
        with self._write():
            self._run("UPDATE bulk_jobs SET finished = ? WHERE id = ?", (_ts(at), job_id))

    def recipients_holding(self, achievement_keys: Iterable[str], *, now: datetime) -> set[tuple[str, str]]:
        held: set[tuple[str, str]] = set()
        for key in set(achievement_keys):
            for row in self._all_rows("SELECT coalesce(recipient_did, recipient_email) AS who FROM credentials "
                                      "WHERE achievement_key = ? AND revoked_at IS NULL", (key,)):
                held.add((key, str(row["who"])))
            # An award redeemed into a credential bound to a wallet's DID still names the email it was offered to.
            for row in self._all_rows("SELECT a.email FROM awards a LEFT JOIN credentials c ON c.key = a.credential_key "
                                      "WHERE a.achievement_key = ? AND ((a.credential_key IS NULL AND a.expires > ?) "
                                      "OR (c.key IS NOT NULL AND c.revoked_at IS NULL))", (key, _ts(now))):
                held.add((key, str(row["email"])))
        return held
