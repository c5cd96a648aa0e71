"""Benchmark: credential offers redeemed per second over HTTP (OpenID4VCI 1.0 pre-authorized flow).

Usage: python3 bench/oid4vci.py [--count N]

Starts an issuer node on 127.0.0.1 (a free port, temporary data directory),
creates N awards, then redeems each one as a wallet would (``wallet.oid4vci_client.redeem_offer``:
offer, issuer and authorization-server metadata, token, nonce, credential with
a fresh holder key's proof JWT), one after another in one event loop. The
time includes the node's signing and storing of each credential. Last line:
JSON ``{"op": "oid4vci_redeem", "per_second": N}``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import aiohttp

from credentials.keys import generate_key_pair
from issuer_node.achievements import AchievementInput, define_achievement
from issuer_node.app import adopt_bound_url, create_app
from issuer_node.awards import create_award
from issuer_node.config import IssuerConfig
from issuer_node.provisioning import init_node
from issuer_node.state import NODE
from wallet.oid4vci_client import redeem_offer
from webbase.testing import serving


async def run(count: int) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "node"
        init_node(data, name="Bench District", url="https://bench.example.org")
        app = create_app(IssuerConfig(data_dir=data))
        async with serving(app) as url, aiohttp.ClientSession() as session:
            adopt_bound_url(app, url)
            node = app[NODE]
            achievement = define_achievement(node, AchievementInput(
                name="Classroom Data Literacy", description="Uses student data to plan lessons",
                criteria="Submit a lesson plan")).id
            offers = [create_award(node.store, achievement_id=achievement, email=f"t{i}@bench.example", name=None,
                                   notify=False).offer_url for i in range(count + 1)]
            holders = [generate_key_pair() for _ in offers]
            await redeem_offer(offers[0], tx_code=None, signer=holders[0], issued_at=int(time.time()),
                               session=session)  # Warm caches (contexts, schema) outside the timing.
            start = time.perf_counter()
            for offer, holder in zip(offers[1:], holders[1:]):
                await redeem_offer(offer, tx_code=None, signer=holder, issued_at=int(time.time()), session=session)
            return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100)
    args = parser.parse_args()
    elapsed = asyncio.run(run(args.count))
    per_second = args.count / elapsed
    print(f"{args.count} offers redeemed in {elapsed:.2f} s: {per_second:.1f} per second "
          f"({1000 * elapsed / args.count:.1f} ms each, six HTTP requests and one signature per offer)")
    print(json.dumps({"op": "oid4vci_redeem", "per_second": round(per_second, 1)}))


if __name__ == "__main__":
    main()
