"""Benchmark: credentials issued per second through the issuer node's own issue path.

Usage: python3 bench/issue.py [--count N] [--batch B] [--email] [--database URL]

Initializes a node in a temporary data directory, defines one achievement
(criteria, image, one alignment, tags) and issues N credentials with one piece
of evidence each through ``issuer_node.issuing.issue_batch``: build, status index
allocation (revocation and suspension, random, never reused), eddsa-rdfc-2022
signing, storage, one transaction per batch of B (SQLite in the data directory, or
the empty PostgreSQL database ``--database postgresql://…`` names). The first credential
of the shape is validated against the OB 3.0 JSON Schema, the rest are not
(the builder checks its inputs). Also prints credentials per CPU-second of this process (the machine's
other load does not count there). Last line: JSON ``{"op": "issue", "per_second": N}``.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from issuer_node.achievements import AchievementInput, define_achievement, parse_alignment
from issuer_node.config import IssuerConfig
from issuer_node.issuing import IssueRequest, Recipient, issue_batch
from issuer_node.node import IssuerNode, open_node
from issuer_node.provisioning import init_node

HOLDER = "did:key:z6MkpTHR8VNsBxYAAWHut2Geadd9jSwuBV8xRoAnwWsdvktH"


def _database_bytes(node: IssuerNode) -> int:
    from issuer_node.storage.postgres import PgIssuerStore

    if isinstance(node.store, PgIssuerStore):
        return int(node.store.db.value("SELECT pg_database_size(current_database())"))
    return node.data_dir.db_path.stat().st_size


def main() -> None:
    parser = argparse.ArgumentParser(description="credentials issued per second through the node's issue path")
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=500, help="credentials per transaction (default 500)")
    parser.add_argument("--email", action="store_true", help="email recipients (salted hash) instead of a did")
    parser.add_argument("--database", metavar="URL", help="an empty PostgreSQL database (default: SQLite in a temp dir)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "node"
        init_node(data, name="Riverside Unified School District", url="https://riverside.example.org",
                  public_url="https://badges.riverside.example.org", database=args.database)
        node = open_node(IssuerConfig(data_dir=data, database=args.database))
        try:
            achievement = define_achievement(node, AchievementInput(
                name="Classroom Data Literacy", description="Uses student data to plan instruction.",
                criteria="Submit a lesson plan that uses a class dashboard.", tags=("data", "k-12"),
                alignments=(parse_alignment("ISTE Educator 1.5=https://iste.org/standards/1-5"),)))

            def request(i: int) -> IssueRequest:
                recipient = Recipient(email=f"teacher{i}@riverside.example.org") if args.email else Recipient(did=HOLDER)
                return IssueRequest(achievement=achievement.key, recipient=recipient,
                                    evidence_urls=(f"https://evidence.riverside.example.org/plans/{i}",))

            issue_batch(node, [request(-1)])  # Warm-up: contexts, the schema, the first shape's validation.
            start = time.perf_counter()
            cpu_start = time.process_time()
            done = 0
            while done < args.count:
                size = min(args.batch, args.count - done)
                issue_batch(node, [request(done + i) for i in range(size)])
                done += size
            elapsed = time.perf_counter() - start
            cpu = time.process_time() - cpu_start
            stored = node.store.count_credentials()
            db_bytes = _database_bytes(node)
        finally:
            node.close()
    rate = args.count / elapsed
    backend = "PostgreSQL" if args.database else "SQLite"
    print(f"issued {args.count:,} credentials in {elapsed:.2f} s: {rate:,.0f} credentials/s "
          f"({1e6 / rate:.0f} us each; batches of {args.batch}; {stored:,} stored, {backend} database "
          f"{db_bytes / 1e6:.1f} MB)")
    # On a shared machine the wall-clock figure includes other processes' turns; CPU time does not.
    print(f"process CPU time {cpu:.2f} s: {args.count / cpu:,.0f} credentials per CPU-second")
    print(json.dumps({"op": "issue", "backend": backend.lower(), "per_second": round(rate)}))


if __name__ == "__main__":
    main()
