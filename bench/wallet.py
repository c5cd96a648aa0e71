"""Wallet figures: imports per second through the HTTP import path, and whether list, filter and share
page costs stay flat as one account grows to 100, 1,000 and 10,000 held credentials.

    .venv/bin/python bench/wallet.py [--sizes 100,1000,10000] [--batch 100] [--database URL]
    .venv/bin/python bench/wallet.py --database postgresql://USER@HOST:PORT/DB --processes 2 [--count 1000]

Credentials are really signed (one issuer, eddsa-rdfc-2022) and imported as multipart uploads of
``--batch`` files to a wallet on 127.0.0.1, exactly as a learner's upload is (verified, addressed,
hashed, stored once); imports/s is the rate of the uploads since the previous size. At each size it times a first page (limit 50), a tag filter, an issuer filter,
a text search, and the employer's page of a 20-badge share link (median of 20 views; a view only
renders what was stored when the link was made). Signing the credentials is not counted.

``--database`` stores into another SQLite file or a PostgreSQL database (each run signs up a fresh
account, so a database that holds data already may be reused). ``--processes N`` starts N
``satchel wallet serve`` processes on one data directory and one database and measures imports per
second twice with N clients each uploading ``--batch`` files at a time: all clients on the first process,
then one client per process; the same work, the same concurrency, one process against N.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import aiohttp

from credentials.keys import Ed25519KeyPair, generate_key_pair
from wallet.config import init_data_dir
from wallet.storage import open_store
from wallet.testing import bearer, issue_badge, running_wallet, sign_up
from webbase.dburl import DatabaseTarget, parse_database

REPO = Path(__file__).resolve().parents[1]


async def _timed_get(http: aiohttp.ClientSession, url: str, headers: dict[str, str], repeat: int = 20) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        async with http.get(url, headers=headers) as response:
            await response.read()
            assert response.status == 200, response.status
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def _bench_email() -> str:
    return f"bench-{uuid.uuid4().hex[:12]}@example.org"


def _upload_form(issuer: Ed25519KeyPair, other: Ed25519KeyPair, did: str, first: int, count: int) -> aiohttp.FormData:
    form = aiohttp.FormData()
    for n in range(first, first + count):
        signer = issuer if n % 2 else other
        badge = issue_badge(signer, did=did, name=f"Badge {n}", tags=["math" if n % 3 else "art", f"t{n % 50}"],
                            issuer_name="District A" if n % 2 else "District B")
        form.add_field("file", json.dumps(badge).encode(), filename=f"{n}.json", content_type="application/json")
    return form


async def run(sizes: list[int], batch: int, database: DatabaseTarget | None) -> None:
    issuer, other = generate_key_pair(), generate_key_pair()
    print(f"database: {database.describe() if database else 'sqlite (the data directory)'}")
    with tempfile.TemporaryDirectory() as tmp:
        async with running_wallet(Path(tmp) / "w", database=database) as w, aiohttp.ClientSession() as http:
            account, token = await sign_up(http, w.url, _bench_email())
            auth = bearer(token)
            held = 0
            print(f"{'held':>7} {'imports/s':>10} {'page ms':>8} {'tag ms':>7} {'issuer ms':>10} {'text ms':>8} "
                  f"{'share page ms':>14}")
            for size in sizes:
                import_seconds, start_held = 0.0, held
                while held < size:
                    count = min(batch, size - held)
                    form = _upload_form(issuer, other, account["did"], held, count)
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


@contextmanager
def _serving(data_dir: Path, database: str, count: int) -> Iterator[list[str]]:
    """``count`` ``satchel wallet serve`` processes on one data directory and one database: their URLs."""
    procs = [subprocess.Popen([sys.executable, "-m", "satchel", "wallet", "serve", "--data-dir", str(data_dir),
                               "--database", database, "--port", "0"], stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, text=True, cwd=REPO, env=dict(os.environ))
             for _ in range(count)]
    try:
        urls = []
        for proc in procs:
            assert proc.stdout is not None
            line = proc.stdout.readline()
            if "listening on " not in line:
                raise SystemExit(f"wallet serve did not start (exit {proc.poll()})")
            urls.append(line.split("listening on ", 1)[1].split()[0])
        yield urls
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        for proc in procs:
            proc.wait(timeout=30)


async def run_processes(database: DatabaseTarget, processes: int, count: int, batch: int) -> None:
    """Imports/s with ``processes`` clients: all on the first process, then one per process."""
    issuer, other = generate_key_pair(), generate_key_pair()
    print(f"database: {database.describe()}; {processes} 'satchel wallet serve' processes; {processes} clients "
          f"uploading {batch} files at a time; {count} credentials per row")
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "w"
        init_data_dir(data, public_url=None, database=database)
        open_store(database).close()  # migrated once, before the servers race to
        with _serving(data, database.url or str(database.path), processes) as urls:
            async with aiohttp.ClientSession() as http:
                account, token = await sign_up(http, urls[0], _bench_email())
                auth = bearer(token)
                print(f"{'processes':>9} {'clients':>7} {'imports':>7} {'seconds':>8} {'imports/s':>10}")
                first = 0
                for used in (1, processes):
                    forms: list[list[aiohttp.FormData]] = [[] for _ in range(processes)]
                    for n, start in enumerate(range(first, first + count, batch)):
                        forms[n % processes].append(_upload_form(issuer, other, account["did"], start,
                                                                 min(batch, first + count - start)))
                    first += count

                    async def client(url: str, mine: list[aiohttp.FormData]) -> int:
                        added = 0
                        for form in mine:
                            async with http.post(f"{url}/api/credentials", data=form, headers=auth) as response:
                                report: dict[str, Any] = await response.json()
                            assert response.status == 201, report
                            added += len(report["added"])
                        return added

                    start_time = time.perf_counter()
                    added = await asyncio.gather(*(client(urls[n % used], forms[n]) for n in range(processes)))
                    seconds = time.perf_counter() - start_time
                    assert sum(added) == count, added
                    print(f"{used:>9} {processes:>7} {count:>7} {seconds:>8.2f} {count / seconds:>10.1f}", flush=True)
                    if processes == 1:
                        break


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="100,1000,10000", help="comma-separated held counts to measure at")
    parser.add_argument("--batch", type=int, default=100, help="files per multipart upload")
    parser.add_argument("--database", metavar="URL", help="a SQLite path or sqlite:///PATH, or postgresql://… "
                                                          "(default: SQLite in a temporary data directory)")
    parser.add_argument("--processes", type=int, help="measure imports/s across this many serving processes "
                                                      "on one database (PostgreSQL) instead of the size table")
    parser.add_argument("--count", type=int, default=1000, help="credentials per row of the --processes table")
    args = parser.parse_args()
    database = parse_database(args.database) if args.database else None
    if args.processes:
        if database is None or (args.processes > 1 and not database.is_postgres):
            parser.error("--processes N (N > 1) needs --database postgresql://…: one SQLite file is for one process")
        asyncio.run(run_processes(database, args.processes, args.count, args.batch))
        return
    asyncio.run(run(sorted(int(s) for s in args.sizes.split(",")), args.batch, database))


if __name__ == "__main__":
    main()
