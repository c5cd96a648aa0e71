"""Load on loopback: the share page, the wallet's import route and the verifier's ``POST /presentations/verify``.

The servers run in a child process (``bench/load.py serve``): a wallet and a
verifier service on 127.0.0.1, free ports, a fresh data directory, no
background status refresh. This process is the load generator. It signs up one
account, imports 20 really signed badges, makes one share link of all of them,
then drives each route with ``--concurrency`` closed-loop clients (default 50;
each sends its next request as soon as the last one answered) for
``--seconds`` (default 8):

- ``share html``    ``GET /s/{token}`` (the employer's page)
- ``share json``    ``GET /s/{token}.json`` (the signed presentation of 20 badges)
- ``import fresh``  ``POST /api/credentials`` with a credential never seen before (one request, one new badge;
                    signed beforehand by a pool of worker processes, not counted; the phase also ends when
                    the ``--import-pool`` credentials run out, and says so)
- ``import dup``    ``POST /api/credentials`` of a badge already held (verified again, answered "duplicate")
- ``verify vp``     ``POST /presentations/verify`` of the share's presentation (20 badges), with its challenge
                    and domain

Printed per route: requests, requests per second, p50 / p99 / max latency and
errors (an unexpected status, a wrong answer, or an exception); zero errors is
the expectation. Last line: ``{"op": "load", ...}`` JSON.

    .venv/bin/python bench/load.py [--seconds 8] [--concurrency 50] [--import-pool 3000]
                                   [--routes "share html,share json"]
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
from collections.abc import Awaitable, Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import aiohttp

BADGES = 20
ROUTES = ("share html", "share json", "import fresh", "import dup", "verify vp")
SEED = bytes(range(32))  # the bench district's key: every worker process derives the same one


async def serve(data_dir: Path) -> None:
    """The server side: a wallet and a verifier on free ports, until SIGTERM; prints their URLs as JSON."""
    from verifier_web.app import create_app as create_verifier
    from verifier_web.config import ServiceConfig
    from wallet.config import init_data_dir, load_config
    from wallet.context import open_wallet
    from wallet.web.app import create_app as create_wallet
    from wallet.web.app import set_public_url
    from webbase.runner import start_site

    init_data_dir(data_dir, public_url=None)
    wallet = open_wallet(load_config(data_dir, default_public_url="http://127.0.0.1"))
    wallet_app = create_wallet(wallet, background_refresh=False)
    wallet_site = await start_site(wallet_app, "127.0.0.1", 0)
    set_public_url(wallet_app, wallet_site.url)
    verifier_site = await start_site(create_verifier(ServiceConfig()), "127.0.0.1", 0)
    print(json.dumps({"wallet": wallet_site.url, "verifier": verifier_site.url}), flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    await stop.wait()
    await verifier_site.stop()
    await wallet_site.stop()
    wallet.close()


def _sign(did: str, names: list[str]) -> list[dict[str, Any]]:
    """Worker process: badges to ``did`` signed by the bench district."""
    from credentials.keys import key_pair_from_seed
    from wallet.testing import issue_badge

    district = key_pair_from_seed(SEED)
    return [issue_badge(district, did=did, name=name, issuer_name="Lakeside Unified School District",
                        tags=["bench"]) for name in names]


def sign_many(did: str, count: int, prefix: str) -> list[dict[str, Any]]:
    names = [f"{prefix} {n + 1}" for n in range(count)]
    workers = max(1, min(2, os.cpu_count() or 1))
    chunks = [names[i::workers * 4] for i in range(workers * 4)]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return [badge for part in pool.map(_sign, [did] * len(chunks), chunks) for badge in part]


Send = Callable[[aiohttp.ClientSession], Awaitable[bool]]


async def closed_loop(send: Send, *, seconds: float, concurrency: int,
                      more: Callable[[], bool] = lambda: True) -> dict[str, float]:
    """``concurrency`` workers calling ``send`` until ``seconds`` pass (or ``more()`` is false)."""
    latencies: list[float] = []
    errors = 0
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency),
                                     timeout=aiohttp.ClientTimeout(total=120)) as http:
        deadline = time.perf_counter() + seconds

        async def worker() -> None:
            nonlocal errors
            while time.perf_counter() < deadline and more():
                start = time.perf_counter()
                try:
                    ok = await send(http)
                except (aiohttp.ClientError, TimeoutError, ValueError):
                    ok = False
                if ok:
                    latencies.append(time.perf_counter() - start)
                else:
                    errors += 1

        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - began
    latencies.sort()
    cuts = statistics.quantiles(latencies, n=100) if len(latencies) >= 2 else [0.0] * 99
    total = len(latencies) + errors
    return {"requests": total, "per_second": total / elapsed, "p50_ms": cuts[49] * 1000, "p99_ms": cuts[98] * 1000,
            "max_ms": (latencies[-1] if latencies else 0.0) * 1000, "errors": errors, "seconds": elapsed}


async def prepare(wallet: str) -> dict[str, Any]:
    """Account, 20 badges imported, one share of them: the token, the share's presentation, the did."""
    from wallet.testing import bearer, sign_up

    async with aiohttp.ClientSession() as http:
        account, token = await sign_up(http, wallet, "bench@example.org")
        badges = sign_many(account["did"], BADGES, "Classroom tool")
        ids = []
        for badge in badges:
            async with http.post(f"{wallet}/api/credentials", json={"credential": badge}, headers=bearer(token)) as r:
                assert r.status == 201, await r.text()
                ids.append((await r.json())["added"][0]["id"])
        async with http.post(f"{wallet}/api/shares", json={"credentials": ids}, headers=bearer(token)) as r:
            assert r.status == 201, await r.text()
            share = await r.json()
        async with http.get(f"{share['url']}.json") as r:
            assert r.status == 200
            presentation = await r.json()
    return {"token": token, "did": account["did"], "share_url": share["url"], "presentation": presentation,
            "held": badges[0]}


def phases(wallet: str, verifier: str, setup: dict[str, Any], fresh: list[dict[str, Any]]) -> dict[str, Any]:
    """Each route's ``send``: True only for the expected answer."""
    auth = {"Authorization": f"Bearer {setup['token']}"}
    presentation = setup["presentation"]
    proof = presentation["proof"][0] if isinstance(presentation["proof"], list) else presentation["proof"]
    verify_body = {"verifiablePresentation": presentation,
                   "options": {"challenge": proof["challenge"], "domain": proof["domain"]}}

    async def share_html(http: aiohttp.ClientSession) -> bool:
        async with http.get(setup["share_url"], headers={"Accept": "text/html"}) as r:
            body = await r.read()
            return r.status == 200 and b"Classroom tool" in body

    async def share_json(http: aiohttp.ClientSession) -> bool:
        async with http.get(f"{setup['share_url']}.json") as r:
            document = await r.json()
            return r.status == 200 and len(document["verifiableCredential"]) == BADGES

    async def import_fresh(http: aiohttp.ClientSession) -> bool:
        badge = fresh.pop()
        async with http.post(f"{wallet}/api/credentials", json={"credential": badge}, headers=auth) as r:
            answer = await r.json()
            return r.status == 201 and len(answer["added"]) == 1

    async def import_duplicate(http: aiohttp.ClientSession) -> bool:
        async with http.post(f"{wallet}/api/credentials", json={"credential": setup["held"]}, headers=auth) as r:
            answer = await r.json()
            return r.status == 200 and len(answer["duplicates"]) == 1

    async def verify(http: aiohttp.ClientSession) -> bool:
        async with http.post(f"{verifier}/presentations/verify", json=verify_body) as r:
            answer = await r.json()
            return r.status == 200 and answer.get("verified") is True

    return {"share html": (share_html, None), "share json": (share_json, None),
            "import fresh": (import_fresh, lambda: bool(fresh)), "import dup": (import_duplicate, None),
            "verify vp": (verify, None)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", nargs="?", default="run", choices=["run", "serve"], help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--seconds", type=float, default=8.0, help="seconds of load per route (default 8)")
    parser.add_argument("--concurrency", type=int, default=50, help="clients at once (default 50)")
    parser.add_argument("--import-pool", type=int, default=3000,
                        help="fresh credentials signed before the import phase (default 3000)")
    parser.add_argument("--routes", default=",".join(ROUTES),
                        help=f"comma-separated routes to drive (default all: {','.join(ROUTES)})")
    args = parser.parse_args()
    chosen = [name.strip() for name in args.routes.split(",") if name.strip()]
    unknown = sorted(set(chosen) - set(ROUTES))
    if unknown or not chosen:
        parser.error(f"--routes takes some of {', '.join(ROUTES)}; not {', '.join(unknown) or 'nothing'}")
    if "import fresh" not in chosen:
        args.import_pool = 0
    if args.mode == "serve":
        asyncio.run(serve(args.data_dir))
        return

    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="satchel-bench-load-") as tmp:
        server = subprocess.Popen([sys.executable, __file__, "serve", "--data-dir", str(Path(tmp) / "wallet")],
                                  stdout=subprocess.PIPE, text=True, env=dict(os.environ, PYTHONUNBUFFERED="1"))
        try:
            assert server.stdout is not None
            line = server.stdout.readline()
            if not line:
                raise SystemExit(f"the servers exited ({server.wait()}) before printing their URLs")
            urls = json.loads(line)
            setup = asyncio.run(prepare(urls["wallet"]))
            started = time.perf_counter()
            fresh = sign_many(setup["did"], args.import_pool, "Fresh badge")
            print(f"wallet {urls['wallet']}, verifier {urls['verifier']} (server pid {server.pid}, load generator "
                  f"pid {os.getpid()}); share of {BADGES} badges; {args.import_pool:,} fresh credentials signed in "
                  f"{time.perf_counter() - started:.1f} s (not counted); {args.concurrency} clients, "
                  f"{args.seconds:g} s per route")
            print(f"{'route':<14} {'requests':>9} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'errors':>7}")
            for name, (send, more) in phases(urls["wallet"], urls["verifier"], setup, fresh).items():
                if name not in chosen:
                    continue
                figures = asyncio.run(closed_loop(send, seconds=args.seconds, concurrency=args.concurrency,
                                                  **({"more": more} if more else {})))
                results[name] = figures
                ran_out = f" (pool used up after {figures['seconds']:.1f} s)" if more and not fresh else ""
                print(f"{name:<14} {figures['requests']:>9,.0f} {figures['per_second']:>8,.1f} "
                      f"{figures['p50_ms']:>8.1f} {figures['p99_ms']:>8.1f} {figures['max_ms']:>8.1f} "
                      f"{figures['errors']:>7.0f}{ran_out}", flush=True)
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
    print(json.dumps({"op": "load", "badges": BADGES, "concurrency": args.concurrency, "seconds": args.seconds,
                      **{f"{name.replace(' ', '_')}_{key}": round(value, 2) for name, figures in results.items()
                         for key, value in figures.items()}}))


if __name__ == "__main__":
    main()
