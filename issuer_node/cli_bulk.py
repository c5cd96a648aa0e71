"""``satchel issuer bulk``: issue a CSV file of awards, resumably; ``--dry-run`` checks it and issues nothing.

Output (a contract): one line per refused row on standard output,
``row N, column C: reason``, then a summary line. A real run writes the result
CSV (``row,state,reason,credential_id,offer_url``; state ``issued``, ``offer
sent`` or ``refused``) and shows a progress bar on standard error when that is
a terminal. Exit codes: 0 every row was (or would be) issued; 1 some row was
refused; 2 the file cannot be used (not UTF-8, no header, an unknown or a
missing column, too large) or the node cannot (key, data directory); nothing is
issued then. Running the same file again resumes it and never issues a row twice.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from .bulk_csv import MAX_BYTES, MAX_ROWS, parse_bulk_csv, read_bulk_bytes

Run = Callable[[argparse.Namespace], int]
BAR_WIDTH = 30


def add_bulk_parser(cmds: Any, *, guarded: Callable[[Run], Run], data_dir: Callable[[argparse.ArgumentParser], None],
                    passphrase: Callable[[argparse.ArgumentParser, str], None]) -> None:
    p = cmds.add_parser(
        "bulk", help="issue the awards of a CSV file (resumable; --dry-run checks it)",
        description="Issue one credential per row of a CSV file with the columns name,email,achievement "
                    "and optionally narrative,evidence_url,did (header row required, UTF-8 with or without BOM, "
                    f"at most {MAX_ROWS:,} rows and {MAX_BYTES // (1024 * 1024)} MiB). achievement is the "
                    "achievement's id or uuid; a row with a did is issued to the did, otherwise to the email "
                    "(hashed and salted in the credential), or offered to it with --offer. Rows are numbered "
                    "from 1 after the header. Bad rows are refused with the reason and do not stop the run; so are "
                    "rows whose recipient already holds the achievement, unless --allow-duplicates. "
                    "The run is resumable: running the same file again (same bytes) continues where it stopped "
                    "and never issues a row twice. Exit 0: every row issued; 1: some rows refused; 2: the file "
                    "or the node cannot be used (nothing issued).")
    data_dir(p)
    p.add_argument("file", metavar="FILE.csv", help="the CSV file")
    p.add_argument("--dry-run", action="store_true",
                   help="check every row and print 'row N, column C: reason' for each bad one; issue nothing")
    p.add_argument("--result", metavar="FILE", type=Path,
                   help="where to write the result CSV (default: FILE.result.csv beside the input)")
    p.add_argument("--offer", action="store_true",
                   help="for rows without a did, create an OpenID4VCI offer mailed through the outbox "
                        "(state 'offer sent') instead of issuing to the email identity")
    p.add_argument("--allow-duplicates", action="store_true",
                   help="issue even to a recipient who already holds the achievement (a credential not revoked, "
                        "an open offer) or who appears twice in the file; by default such rows are refused")
    p.add_argument("--batch-size", type=int, default=200, metavar="N",
                   help="rows per transaction (default 200)")
    passphrase(p, "the passphrase of a sealed key")
    p.set_defaults(run=guarded(run_bulk_command))


def default_result_path(source: str) -> Path:
    path = Path(source)
    stem = path.name[:-4] if path.name.lower().endswith(".csv") else path.name
    return path.with_name(f"{stem}.result.csv")


class ProgressBar:
    """A one-line bar on a terminal (``\\r``-redrawn), nothing elsewhere: a log file gets only the summary."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.enabled = stream.isatty()
        self.started = time.monotonic()
        self.first: int | None = None

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        if self.first is None:
            self.first = done
        filled = BAR_WIDTH * done // total if total else BAR_WIDTH
        elapsed = time.monotonic() - self.started
        rate = (done - self.first) / elapsed if elapsed > 0 else 0.0
        self.stream.write(f"\r[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {done:,}/{total:,} rows  {rate:,.0f}/s ")
        self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self.stream.write("\n")
            self.stream.flush()


def run_bulk_command(args: argparse.Namespace) -> int:
    from .bulk import dry_run, reason_text, run_bulk, write_result_csv
    from .config import IssuerConfig
    from .datadir import read_passphrase_file
    from .errors import InvalidRequest
    from .node import open_node

    if args.batch_size < 1 or args.batch_size > 10_000:
        raise InvalidRequest("--batch-size is 1 to 10,000", field="batch-size")
    bulk = parse_bulk_csv(read_bulk_bytes(args.file))
    rows = len(bulk.rows) + len(bulk.read_errors)
    passphrase = read_passphrase_file(args.passphrase_file) if args.passphrase_file else None
    node = open_node(IssuerConfig(data_dir=args.data_dir, passphrase=passphrase, database=args.database),
                     need_key=not args.dry_run)
    try:
        if args.dry_run:
            checked = dry_run(node, bulk, allow_duplicates=args.allow_duplicates)
            for fault in checked.faults:
                print(fault)
            verb = "offered or issued" if args.offer else "issued"
            done = f", {checked.already_done:,} done by an earlier run" if checked.already_done else ""
            print(f"{rows:,} rows: {checked.ready:,} would be {verb}, {len(checked.faults):,} refused{done} "
                  "(dry run: nothing issued)")
            if checked.already_done:
                print(f"this file was run before (bulk job {bulk.sha256[:12]}); running it again resumes it",
                      file=sys.stderr)
            return 1 if checked.faults else 0

        result_path = args.result or default_result_path(args.file)
        if not result_path.parent.is_dir():
            raise InvalidRequest(f"cannot write the result to {result_path}: no such directory", field="result")
        bar = ProgressBar(sys.stderr)
        started = time.monotonic()
        try:
            summary = run_bulk(node, bulk, filename=Path(args.file).name, batch_size=args.batch_size,
                               offer=args.offer, allow_duplicates=args.allow_duplicates, progress=bar)
        except KeyboardInterrupt:
            bar.close()
            print("error: interrupted; every committed row is kept: run the same command again to resume",
                  file=sys.stderr)
            return 130
        bar.close()
        elapsed = time.monotonic() - started
    finally:
        node.close()
    try:
        write_result_csv(result_path, summary.outcomes)
    except OSError as exc:
        # The rows are issued and recorded: the same command with another --result writes the file, issuing nothing.
        raise InvalidRequest(f"the rows are issued, but the result cannot be written to {result_path}: "
                             f"{exc.strerror}; run the same command with another --result", field="result") from None
    for outcome in summary.refused:
        where = f"row {outcome.row}"
        print(f"{where}, {reason_text(outcome)}" if outcome.column else f"{where}: {reason_text(outcome)}")
    if summary.resumed_rows:
        print(f"resumed bulk job {summary.job.id[:12]}: {summary.resumed_rows:,} rows were done before",
              file=sys.stderr)
    print(f"{rows:,} rows: {summary.count('issued'):,} issued, {summary.count('offer sent'):,} offer sent, "
          f"{summary.count('refused'):,} refused in {elapsed:.1f} s; result: {result_path}")
    return 1 if summary.refused else 0
