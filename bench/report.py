"""Benchmark: full ``verify()`` reports per second on a credential or presentation, in one process.

Usage: python3 bench/report.py FILE [--n N] [--challenge C] [--domain D] [--context URL=FILE ...]

Every check runs, as ``satchel verify`` runs them (syntax, contexts, each proof, issuer
key, schema, validity, status, registry; for a presentation also challenge, domain,
holder and each presented credential). Prints the failed checks once (a report that does
not verify is still timed: the figure is for the work done), the time per report, and as
its last line JSON ``{"op": "report", "per_second": N}``.
"""

from __future__ import annotations

import argparse
import json
from datetime import datetime, timezone

from _common import loader_for, per_second, read_json

from credentials.resolver import KeyResolver
from verifier.verify import VerifyOptions, verify


def main() -> None:
    parser = argparse.ArgumentParser(description="full verify() reports per second")
    parser.add_argument("file")
    parser.add_argument("--n", type=int, default=500)
    parser.add_argument("--challenge")
    parser.add_argument("--domain")
    parser.add_argument("--context", action="append", default=[], metavar="URL=FILE")
    args = parser.parse_args()
    document = read_json(args.file)
    options = VerifyOptions(now=datetime.now(timezone.utc), challenge=args.challenge, domain=args.domain,
                            loader=loader_for(args.context), resolver=KeyResolver())
    first = verify(document, options)
    failed = [f"{check.name}: {check.code}" for check in first.checks if check.status == "failed"]
    nested = sum(1 for _label, sub in first.nested if sub.verified)
    print(f"{first.kind} {args.file}: verified={first.verified}"
          + (f", {nested} of {len(first.nested)} credentials verified" if first.nested else "")
          + (f"; failed: {', '.join(failed)}" if failed else ""))
    rate = per_second(lambda: verify(document, options), args.n, warmup=min(20, max(2, args.n // 10)))
    print(f"report: {rate:,.1f} reports/s ({1e3 / rate:.2f} ms each)")
    print(json.dumps({"op": "report", "per_second": round(rate, 1)}))


if __name__ == "__main__":
    main()
