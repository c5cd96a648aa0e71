"""``satchel issuer offer``: create an award waiting to be claimed and print its credential offer.

Output (a contract): the ``openid-credential-offer://?credential_offer_uri=…``
URL on the first line; with ``--tx-code``, a second line ``tx_code: NNNNNN``
(give it to the learner by another channel than the offer email). The offer
email is queued in the node's outbox; a node serving with ``--smtp`` sends it.
Works while the node is serving (SQLite WAL); needs no key (signing happens
when the wallet redeems the offer).
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable
from typing import Any

from .errors import InvalidRequest

Run = Callable[[argparse.Namespace], int]
_HTTP_URL = re.compile(r"https?://\S{1,2000}")


def add_offer_parser(cmds: Any, *, guarded: Callable[[Run], Run],
                     data_dir: Callable[[argparse.ArgumentParser], None]) -> None:
    p = cmds.add_parser("offer", help="create a credential offer (OpenID4VCI) for a learner; prints its URL",
                        description="Create an award waiting to be claimed and print its OpenID4VCI credential "
                                    "offer URL (first line); with --tx-code a second line 'tx_code: NNNNNN'. "
                                    "The offer email goes to the node's outbox (sent when the node serves with "
                                    "--smtp). The offer is single use and expires in 30 days.")
    data_dir(p)
    p.add_argument("--achievement", required=True, metavar="ID", help="the achievement's id (or its uuid)")
    p.add_argument("--email", required=True, help="where the offer email goes")
    p.add_argument("--name", help="the recipient's name (put in the credential)")
    p.add_argument("--narrative", metavar="TEXT", help="evidence narrative")
    p.add_argument("--evidence-url", action="append", default=[], metavar="URL", help="evidence URL (repeatable)")
    p.add_argument("--tx-code", action="store_true",
                   help="require a six-digit transaction code at redemption (printed, never emailed)")
    p.add_argument("--no-email", action="store_true", help="do not queue the offer email")
    p.set_defaults(run=guarded(run_offer))


def run_offer(args: argparse.Namespace) -> int:
    from .awards import create_award
    from .config import IssuerConfig
    from .node import open_node

    evidence = []
    for url in args.evidence_url:
        if not _HTTP_URL.fullmatch(url):
            raise InvalidRequest(f"evidence URLs must be http(s) URLs, not {url[:80]!r}", field="evidence")
        evidence.append({"id": url, "type": ["Evidence"]})
    node = open_node(IssuerConfig(data_dir=args.data_dir, database=args.database), need_key=False)
    try:
        created = create_award(node.store, achievement_id=args.achievement, email=args.email, name=args.name,
                               narrative=args.narrative, evidence=evidence, tx_code=args.tx_code,
                               public_url=node.public_url, source="cli", notify=not args.no_email)
    finally:
        node.close()
    print(created.offer_url)
    if created.tx_code is not None:
        print(f"tx_code: {created.tx_code}")
    where = "queued in the outbox" if created.outbox_id is not None else "not emailed"
    print(f"offer for {args.email.strip().lower()} {where}; expires {created.expires:%Y-%m-%d %H:%M} UTC",
          file=sys.stderr)
    return 0
