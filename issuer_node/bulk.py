"""The bulk runner: issue a whole CSV file, resumably, never twice for one row.

A file is a *bulk job* keyed by the sha256 of its bytes, so running the same
file again resumes it. Rows are processed in order in batches (``BATCH_SIZE``);
each batch is one transaction holding the batch's credentials (through
``issuing.issue_batch``, which allocates the status indices and signs inside
it) and the record of every row of the batch (``storage.bulk``). After a crash
or a SIGKILL, a row therefore has both its credential and its record or
neither, and the rerun starts at the first row without a record. Before a
batch is issued its rows are looked up again inside the transaction, which
holds the job (``store.lock_bulk_job``: SQLite's ``BEGIN IMMEDIATE`` write lock,
a PostgreSQL advisory lock), so two runs of one file at once, in any processes
on one database, still issue each row once. The hold is the transaction's: a
run that dies mid-batch loses its batch and its hold together, and the next
run takes the job over at once (nothing to time out).

Recipients: a row with a ``did`` is issued to the DID. A row with only an email
is issued to the salted email identity (state ``issued``; the learner's wallet
matches the hashed email against the account's verified addresses), or, with
``offer=True``, becomes an award whose OpenID4VCI offer is mailed through the
outbox (state ``offer sent``; the credential is bound to the wallet's did:key
when the learner claims it).

Bad rows are refused with the reason and do not stop the run. A row refused
by an earlier run of the same file is tried again (the node may have gained the
achievement it named); an issued or offered row never is.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .awards import create_award
from .bulk_csv import BulkFile, BulkRow, RowError, check_rows, row_error
from .errors import IssuerError
from .issuing import issue_batch
from .node import IssuerNode
from .storage.bulk import BulkJob, BulkRowOutcome

BATCH_SIZE = 200
RESULT_COLUMNS = ("row", "state", "reason", "credential_id", "offer_url")

Progress = Callable[[int, int], None]  # (rows done, rows in the file)


@dataclass(frozen=True)
class BulkSummary:
    """The outcome of a run: the job, what earlier runs had settled, and every row's outcome (by row)."""

    job: BulkJob
    resumed_rows: int  # Rows issued or offered by earlier runs of the same file.
    outcomes: tuple[BulkRowOutcome, ...]

    def count(self, state: str) -> int:
        return sum(1 for o in self.outcomes if o.state == state)

    @property
    def refused(self) -> tuple[BulkRowOutcome, ...]:
        return tuple(o for o in self.outcomes if o.state == "refused")


def _refusal(fault: RowError) -> BulkRowOutcome:
    return BulkRowOutcome(row=fault.row, state="refused", reason=fault.message, column=fault.column)


def _issue_rows(node: IssuerNode, rows: Sequence[BulkRow], moment: datetime) -> list[BulkRowOutcome]:
    """Issue ``rows`` (already checked) in one savepoint; when the node's state changed since, row by row."""
    if not rows:
        return []
    try:
        with node.store.atomic():
            issued = issue_batch(node, [row.request() for row in rows], now=moment)
        return [BulkRowOutcome(row=row.number, state="issued", credential_key=credential.key)
                for row, credential in zip(rows, issued)]
    except IssuerError:
        pass  # An achievement retired since the check, say: find the row at fault, issue the others.
    outcomes: list[BulkRowOutcome] = []
    for row in rows:
        try:
            with node.store.atomic():
                credential = issue_batch(node, [row.request()], now=moment)[0]
            outcomes.append(BulkRowOutcome(row=row.number, state="issued", credential_key=credential.key))
        except IssuerError as exc:
            outcomes.append(_refusal(row_error(row.number, exc)))
    return outcomes


def _offer_row(node: IssuerNode, row: BulkRow, job: BulkJob, moment: datetime) -> BulkRowOutcome:
    try:
        with node.store.atomic():
            created = create_award(
                node.store, achievement_id=row.achievement, email=row.email, name=row.name or None,
                narrative=row.narrative or None, evidence=[{"id": url, "type": ["Evidence"]}
                                                           for url in row.evidence_url.split()],
                now=moment, public_url=node.public_url, source=f"bulk:{job.id[:16]}:{row.number}")
    except IssuerError as exc:
        return _refusal(row_error(row.number, exc))
    return BulkRowOutcome(row=row.number, state="offer sent", award_id=created.award_id,
                          offer_url=created.offer_url)


def _run_batch(node: IssuerNode, job: BulkJob, batch: Sequence[BulkRow | RowError], faults: dict[int, RowError],
               *, offer: bool) -> int:
    """One transaction: the batch's credentials (or awards) and the record of each of its rows."""
    moment = datetime.now(timezone.utc)
    with node.store.atomic():
        node.store.lock_bulk_job(job.id)  # One batch of this job at a time, whichever process runs it.
        numbers = [item.number if isinstance(item, BulkRow) else item.row for item in batch]
        settled = node.store.bulk_rows_settled(job.id, numbers)  # By a concurrent run of this file.
        outcomes: list[BulkRowOutcome] = []
        to_issue: list[BulkRow] = []
        for item in batch:
            if isinstance(item, RowError):
                outcomes.append(_refusal(item))
            elif item.number in settled:
                continue
            elif item.number in faults:
                outcomes.append(_refusal(faults[item.number]))
            elif offer and not item.did:
                outcomes.append(_offer_row(node, item, job, moment))
            else:
                to_issue.append(item)
        outcomes += _issue_rows(node, to_issue, moment)
        node.store.record_bulk_rows(job.id, sorted(outcomes, key=lambda o: o.row))
    return len(batch)


def run_bulk(node: IssuerNode, bulk: BulkFile, *, filename: str, batch_size: int = BATCH_SIZE, offer: bool = False,
             allow_duplicates: bool = False, progress: Progress | None = None) -> BulkSummary:
    """Issue (or resume issuing) every row of ``bulk``; return every row's outcome.

    Needs the node's key (signing). ``progress(done, total)`` is called after
    each committed batch, ``done`` counting rows settled by earlier runs too.
    Unless ``allow_duplicates``, rows whose recipient already holds the
    achievement are refused (``bulk_csv.check_rows``).
    """
    store = node.store
    job, _ = store.start_bulk_job(bulk.sha256, filename=filename, rows=bulk.total_rows,
                                  created=datetime.now(timezone.utc))
    settled = store.bulk_rows_settled(job.id)
    rows = [row for row in bulk.rows if row.number not in settled]
    faults = check_rows(node, rows, allow_duplicates=allow_duplicates)
    pending: list[BulkRow | RowError] = sorted(
        [*rows, *bulk.read_errors], key=lambda item: item.number if isinstance(item, BulkRow) else item.row)
    done = len(bulk.rows) + len(bulk.read_errors) - len(pending)
    if progress is not None:
        progress(done, done + len(pending))
    for start in range(0, len(pending), max(batch_size, 1)):
        done += _run_batch(node, job, pending[start:start + batch_size], faults, offer=offer)
        if progress is not None:
            progress(done, len(bulk.rows) + len(bulk.read_errors))
    store.finish_bulk_job(job.id, at=datetime.now(timezone.utc))
    finished = store.get_bulk_job(job.id) or job
    return BulkSummary(job=finished, resumed_rows=len(settled), outcomes=tuple(store.list_bulk_rows(job.id)))


@dataclass(frozen=True)
class DryRun:
    """What a run would do: the faulty rows' first faults (by row) and the rows an earlier run already settled."""

    faults: tuple[RowError, ...]
    already_done: int
    rows: int

    @property
    def ready(self) -> int:
        return self.rows - self.already_done - len(self.faults)


def dry_run(node: IssuerNode, bulk: BulkFile, *, allow_duplicates: bool = False) -> DryRun:
    """Check every row a run of ``bulk`` would still try; issues nothing and needs no key.

    Rows issued or offered by an earlier run of the same file are not checked
    again (a run skips them too).
    """
    settled = node.store.bulk_rows_settled(bulk.sha256)
    rows = [row for row in bulk.rows if row.number not in settled]
    faults = check_rows(node, rows, allow_duplicates=allow_duplicates)
    return DryRun(faults=tuple(sorted([*bulk.read_errors, *faults.values()], key=lambda fault: fault.row)),
                  already_done=len(settled), rows=len(bulk.rows) + len(bulk.read_errors))


def _cell(value: Any) -> str:
    """A result cell a spreadsheet shows as text: never a formula (CSV injection)."""
    text = "" if value is None else str(value)
    return f"'{text}" if text[:1] in ("=", "+", "-", "@") else text


def reason_text(outcome: BulkRowOutcome) -> str:
    if outcome.reason is None:
        return ""
    return f"column {outcome.column}: {outcome.reason}" if outcome.column else outcome.reason


def result_csv_text(outcomes: Sequence[BulkRowOutcome]) -> str:
    """The result CSV: a header, then per row its number, state, reason, credential id and offer URL."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(RESULT_COLUMNS)
    for o in outcomes:
        writer.writerow([o.row, o.state, _cell(reason_text(o)), _cell(o.credential_id), _cell(o.offer_url)])
    return out.getvalue()


def write_result_csv(path: Path, outcomes: Sequence[BulkRowOutcome]) -> None:
    """Write the result CSV atomically: the reader finds the whole new file or the old one."""
    path = Path(path)
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent or Path("."))
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(result_csv_text(outcomes))
        os.replace(temp, path)
    except BaseException:
        if os.path.exists(temp):
            os.unlink(temp)
        raise
