"""Wallet figures: imports per second through the HTTP import path, and whether list, filter and share
page costs stay flat as one account grows to 100, 1,000 and 10,000 held credentials.

    .venv/bin/python bench/wallet.py [--sizes 100,1000,10000] [--batch 100]

Credentials are really signed (one issuer, eddsa-rdfc-2022) and imported as multipart uploads of
``--batch`` files to a wallet on 127.0.0.1, exactly as a learner's upload is (verified, addressed,
hashed, stored once); imports/s is the rate of the uploads since the previous size. At each size it times a first page (limit 50), a tag filter, an issuer filter,
a text search, and the employer's page of a 20-badge share link (median of 20 views; a view only
renders what was stored when the link was made). Signing the credentials is not counted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import aiohttp

from credentials.keys import generate_key_pair
from wallet.testing import bearer, issue_badge, running_wallet, sign_up


async def _timed_get(http: aiohttp.ClientSession, url: str, headers: dict[str, str], repeat: int = 20) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        async with http.get(url, headers=headers) as response:
            await response.read()
            assert response.status == 200, response.status
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


async def run(sizes: list[int], batch: int) -> None:
    issuer, other = generate_key_pair(), generate_key_pair()
    with tempfile.TemporaryDirectory() as tmp:
        async with running_wallet(Path(tmp) / "w") as w, aiohttp.ClientSession() as http:
            account, token = await sign_up(http, w.url, "bench@example.org")
            auth = bearer(token)
            held = 0
            print(f"{'held':>7} {'imports/s':>10} {'page ms':>8} {'tag ms':>7} {'issuer ms':>10} {'text ms':>8} "
                  f"{'share page ms':>14}")
            for size in sizes:
                import_seconds, start_held = 0.0, held
                while held < size:
                    count = min(batch, size - held)
                    files = []
                    for n in range(held, held + count):
                        signer = issuer if n % 2 else other
                        badge = issue_badge(signer, did=account["did"], name=f"Badge {n}",
                                            tags=["math" if n % 3 else "art", f"t{n % 50}"],
                                            issuer_name="District A" if n % 2 else "District B")
                        files.append(json.dumps(badge).encode())
                    form = aiohttp.FormData()
                    for n, data in enumerate(files):
                        form.add_field("file", data, filename=f"{held + n}.json", content_type="application/json")
                    start = time.perf_counter()
                    async with http.post(f"{w.url}/api/credentials", data=form, headers=auth) as response:
                        report = await response.json()
                    import_seconds += time.perf_counter() - start
                    assert len(report["added"]) == count, report["refused"][:1]
                    held += count
                page = await _timed_get(http, f"{w.url}/api/credentials?limit=50", auth)
                tag = await _timed_get(http, f"{w.url}/api/credentials?limit=50&tag=t7", auth)
                by_issuer = await _timed_get(http, f"{w.url}/api/credentials?limit=50&issuer={issuer.did}", auth)
                text = await _timed_get(http, f"{w.url}/api/credentials?limit=50&q=badge%2042", auth)
                async with http.get(f"{w.url}/api/credentials?limit=20", headers=auth) as response:
                    ids = [item["id"] for item in (await response.json())["items"]]
                async with http.post(f"{w.url}/api/shares", json={"credentials": ids}, headers=auth) as response:
                    share = await response.json()
                share_page = await _timed_get(http, share["url"], {"Accept": "text/html"})
                print(f"{held:>7} {(held - start_held) / import_seconds:>10.1f} {page:>8.1f} {tag:>7.1f} {by_issuer:>10.1f} "
                      f"{text:>8.1f} {share_page:>14.1f}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="100,1000,10000", help="comma-separated held counts to measure at")
    parser.add_argument("--batch", type=int, default=100, help="files per multipart upload")
    args = parser.parse_args()
    asyncio.run(run(sorted(int(s) for s in args.sizes.split(",")), args.batch))


if __name__ == "__main__":
    main()
