"""The bulk CSV file: read it, check its header, turn each data row into an ``IssueRequest``, name each row's fault.

The format (a contract: operators export it from a spreadsheet):

- UTF-8, with or without a byte order mark; at most ``MAX_BYTES`` bytes and
  ``MAX_ROWS`` data rows; comma-separated with ``"`` quoting (RFC 4180, as
  spreadsheets write it).
- A header row naming the columns, in any order and case: ``name``, ``email``,
  ``achievement`` are required; ``narrative``, ``evidence_url``, ``did`` are
  optional. Any other column is refused by its name (a typo such as ``emial``
  would otherwise drop data silently), and so is a repeated one.
- Row numbers count data rows: row 1 is the first line after the header.
  A row whose cells are all empty is skipped (it keeps its number).
- ``achievement``: the achievement's id URL or its uuid. ``did``: when given,
  the credential is issued to that DID; otherwise to ``email`` as a salted
  sha256 ``IdentityObject`` (or offered to it, ``bulk --offer``).
  ``evidence_url``: one or more http(s) URLs separated by spaces.

File-level faults (not UTF-8, no header, unknown or missing column, too big)
raise ``BulkFileError``: nothing is issued from a file that is not understood.
Row-level faults are ``RowError`` values (row, column, message): such a row is
refused, the others are issued. The row checks are those of
``issuing.check_requests``, so a dry run refuses exactly what a real run would;
besides, a row is refused whose recipient already holds the achievement or that
repeats an earlier row (unless duplicates are allowed), since a corrected file
is a new bulk job and would otherwise issue every earlier row again.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone

from .errors import InvalidRequest, IssuerError
from .issuing import IssueRequest, Recipient, check_requests
from .node import IssuerNode

REQUIRED_COLUMNS = ("name", "email", "achievement")
OPTIONAL_COLUMNS = ("narrative", "evidence_url", "did")
COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
MAX_BYTES = 32 * 1024 * 1024
MAX_ROWS = 100_000
MAX_CELL = 10_000  # The narrative's own limit; no other cell needs as much.

# The issuer's error fields, as the CSV column that holds the faulty value.
_FIELD_COLUMNS = {
    "achievement": "achievement", "recipient": "email", "recipient.did": "did", "recipient.email": "email",
    "email": "email", "recipient.name": "name", "name": "name", "narrative": "narrative",
    "evidence": "evidence_url",
}

# Errors that name no field but whose code says which cell holds the fault.
_CODE_COLUMNS = {"achievement_retired": "achievement", "achievement_not_found": "achievement",
                 "evidence_required": "evidence_url"}


class BulkFileError(InvalidRequest):
    """The file as a whole cannot be used (encoding, header, size): nothing in it is issued."""

    code = "bulk_file"


@dataclass(frozen=True)
class BulkRow:
    """One data row as read: ``number`` counts data rows from 1; cells are stripped, '' when empty."""

    number: int
    name: str
    email: str
    achievement: str
    narrative: str = ""
    evidence_url: str = ""
    did: str = ""

    def request(self) -> IssueRequest:
        """The issue request this row asks for (a DID, when given, is the recipient)."""
        recipient = Recipient(did=self.did, name=self.name or None) if self.did else \
            Recipient(email=self.email or None, name=self.name or None)
        return IssueRequest(achievement=self.achievement, recipient=recipient, narrative=self.narrative or None,
                            evidence_urls=tuple(self.evidence_url.split()))


@dataclass(frozen=True)
class RowError:
    """Why row ``row`` is refused; ``column`` names the cell at fault (None: the row as a whole)."""

    row: int
    column: str | None
    message: str
    code: str = "invalid_request"

    def __str__(self) -> str:
        where = f"row {self.row}, column {self.column}" if self.column else f"row {self.row}"
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class BulkFile:
    """A parsed file: its sha256 (the bulk job's key), its rows, and the faults found while reading them."""

    sha256: str
    rows: tuple[BulkRow, ...]
    read_errors: tuple[RowError, ...]
    total_rows: int  # Data rows in the file, blank ones included.


def read_bulk_bytes(path: str, *, limit: int = MAX_BYTES) -> bytes:
    """The file's bytes, refusing one over ``limit`` before reading it all."""
    try:
        with open(path, "rb") as handle:
            data = handle.read(limit + 1)
    except OSError as exc:
        raise BulkFileError(f"cannot read {path}: {exc.strerror}", field="file") from None
    if len(data) > limit:
        raise BulkFileError(f"{path} is larger than {limit // (1024 * 1024)} MiB; split it into several files",
                            field="file")
    return data


def _text(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise BulkFileError(f"the file is not UTF-8 text (byte {exc.start + 1}, line {line}); "
                            "save it from the spreadsheet as 'CSV UTF-8'", field="file") from None


def _header(cells: list[str]) -> list[str]:
    names = [cell.strip().lower() for cell in cells]
    for position, name in enumerate(names, start=1):
        if not name:
            raise BulkFileError(f"column {position} of the header has no name", field="header")
        if name not in COLUMNS:
            raise BulkFileError(f"unknown column {cells[position - 1].strip()!r} (the columns are "
                                f"{', '.join(COLUMNS)})", field="header")
        if names.count(name) > 1:
            raise BulkFileError(f"the column {name!r} appears twice in the header", field="header")
    missing = [c for c in REQUIRED_COLUMNS if c not in names]
    if missing:
        raise BulkFileError(f"the header lacks the required column{'s' if len(missing) > 1 else ''} "
                            f"{', '.join(missing)} (the header row is {','.join(names)})", field="header")
    return names


def parse_bulk_csv(data: bytes, *, max_rows: int = MAX_ROWS) -> BulkFile:
    """Read a bulk CSV file; raise ``BulkFileError`` for a file that cannot be used as a whole."""
    if not data.strip(b" \t\r\n\xef\xbb\xbf"):
        raise BulkFileError("the file is empty (a header row name,email,achievement is required)", field="file")
    if b"\x00" in data:
        raise BulkFileError("the file contains NUL bytes; it is not a CSV text file", field="file")
    reader = csv.reader(io.StringIO(_text(data), newline=""), strict=True)
    rows: list[BulkRow] = []
    errors: list[RowError] = []
    number = 0
    try:
        header = _header(next(reader))
        for number, cells in enumerate(reader, start=1):
            if number > max_rows:
                raise BulkFileError(f"the file has more than {max_rows:,} rows; split it into several files",
                                    field="file")
            cells = [cell.strip() for cell in cells]
            if not any(cells):
                continue
            if len(cells) > len(header) and any(cells[len(header):]):
                errors.append(RowError(number, None, f"{len(cells)} cells, but the header names {len(header)} "
                                                     "columns"))
                continue
            values = dict(zip(header, cells + [""] * (len(header) - len(cells))))
            long = next((c for c in header if len(values[c]) > MAX_CELL), None)
            if long is not None:
                errors.append(RowError(number, long, f"more than {MAX_CELL:,} characters"))
                continue
            rows.append(BulkRow(number=number, **{c: values.get(c, "") for c in COLUMNS}))
    except csv.Error as exc:
        raise BulkFileError(f"line {reader.line_num}: not valid CSV ({exc})", field="file") from None
    except StopIteration:
        raise BulkFileError("the file is empty (a header row name,email,achievement is required)",
                            field="file") from None
    return BulkFile(sha256=hashlib.sha256(data).hexdigest(), rows=tuple(rows), read_errors=tuple(errors),
                    total_rows=number)


def row_error(row: int, error: IssuerError) -> RowError:
    """An issuer error as the fault of a CSV cell."""
    column = _FIELD_COLUMNS.get(error.field or "", None) or _CODE_COLUMNS.get(error.code)
    if column is None and error.field and error.field.startswith("evidence"):
        column = "evidence_url"
    return RowError(row, column, str(error), error.code)


def _missing_recipient(row: BulkRow) -> RowError | None:
    if not row.did and not row.email:
        return RowError(row.number, "email", "give an email address or a did", "recipient_missing")
    return None


def _duplicates(node: IssuerNode, rows: Sequence[BulkRow]) -> dict[int, RowError]:
    """Rows whose recipient already holds the achievement (or an open offer of it), or that repeat an earlier row.

    A corrected file is a new bulk job: without this check, running it would
    issue every row of the first run a second time.
    """
    keys: dict[str, str] = {}
    for row in rows:
        if row.achievement not in keys:
            achievement = node.store.get_achievement(row.achievement)
            if achievement is not None:
                keys[row.achievement] = achievement.key
    held = node.store.recipients_holding(keys.values(), now=datetime.now(timezone.utc))
    first: dict[tuple[str, str], int] = {}
    faults: dict[int, RowError] = {}
    for row in rows:
        who = row.did or row.email.strip().lower()
        pair = (keys.get(row.achievement, ""), who)
        column = "did" if row.did else "email"
        if pair in held:
            faults[row.number] = RowError(row.number, column, f"{who[:80]} already holds this achievement (a "
                                          "credential not revoked, or an open offer)", "already_held")
        elif pair in first:
            faults[row.number] = RowError(row.number, column, f"the same recipient and achievement as row "
                                          f"{first[pair]}", "repeated_row")
        else:
            first[pair] = row.number
    return faults


def check_rows(node: IssuerNode, rows: Sequence[BulkRow], *, allow_duplicates: bool = False) -> dict[int, RowError]:
    """Each faulty row's first fault, by row number; rows not in the result would be issued.

    Needs no key and changes nothing. A row that has a DID and an email is
    issued to the DID; its email must still be an email address. Unless
    ``allow_duplicates``, a row is refused whose recipient already holds the
    achievement, or that repeats an earlier row's recipient and achievement.
    """
    faults: dict[int, RowError] = {}
    for row in rows:
        missing = _missing_recipient(row)
        if missing is not None:
            faults[row.number] = missing
    candidates = [row for row in rows if row.number not in faults]
    for row, error in zip(candidates, check_requests(node, [row.request() for row in candidates])):
        if error is not None:
            faults[row.number] = row_error(row.number, error)
    # The email of a row issued to its DID is not in the credential, but a bad one is a fault in the file.
    both = [row for row in rows if row.did and row.email and row.number not in faults]
    probes = [IssueRequest(achievement=row.achievement, recipient=Recipient(email=row.email)) for row in both]
    for row, error in zip(both, check_requests(node, probes)):
        if error is not None and error.field == "recipient.email":
            faults[row.number] = row_error(row.number, error)
    if not allow_duplicates:
        faults.update(_duplicates(node, [row for row in rows if row.number not in faults]))
    return faults
