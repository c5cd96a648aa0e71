"""Share link throughput: ``GET /s/{token}`` (HTML page and JSON presentation) of a 20-badge share.

The wallet server runs in a child process (``bench/share.py serve``) on
127.0.0.1 with a fresh data directory: one account, 20 really signed badges
imported through ``wallet.importing``, one share link of all of them. This
process is the load generator: ``--concurrency`` clients (default 50) on one
aiohttp connection pool, each sending its next request as soon as the last
one answered, for ``--seconds`` (default 10) per representation. Printed per
representation: requests per second, p50 / p99 / max latency, errors (any
status but 200, any exception). Last line: ``{"op": "share_view", ...}`` JSON.

    python3 bench/share.py [--seconds 10] [--concurrency 50] [--badges 20]
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
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import aiohttp


async def serve(data_dir: Path, badges: int) -> None:
    """The server side: a wallet with one 20-badge share, on a free port, until SIGTERM."""
    from credentials.keys import generate_key_pair
    from wallet.accounts import create_account
    from wallet.config import init_data_dir, load_config
    from wallet.context import open_wallet
    from wallet.importing import import_candidates
    from wallet.reading import from_value
    from wallet.shares import create_share
    from wallet.testing import issue_badge
    from wallet.web.app import create_app, set_public_url
    from webbase.runner import start_site

    init_data_dir(data_dir, public_url=None)
    wallet = open_wallet(load_config(data_dir, default_public_url="http://127.0.0.1"))
    account = await create_account(wallet, "bench@example.org", "a bench password")
    district = generate_key_pair()
    items = [item for i in range(badges) for item in from_value(
        f"badge-{i}.json", issue_badge(district, did=account.did, name=f"Classroom tool {i + 1}",
                                       issuer_name="Lakeside Unified School District", tags=["bench", f"t{i % 5}"]))]
    report = await import_candidates(wallet, account, items)
    assert len(report.added) == badges, report.to_json()
    app = create_app(wallet, background_refresh=False)
    site = await start_site(app, "127.0.0.1", 0)
    set_public_url(app, site.url)
    share = await create_share(wallet, account, [entry["id"] for entry in report.added], expires=None, note=None)
    print(json.dumps({"url": f"{site.url}/s/{share.token}"}), flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    await stop.wait()
    await site.stop()
    wallet.close()


async def load(url: str, *, accept: str, seconds: float, concurrency: int) -> dict[str, float]:
    """Closed-loop load: ``concurrency`` workers for ``seconds``; latencies of the requests that finished."""
    latencies: list[float] = []
    errors = 0
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as http:
        # Warm-up: open the connections and the server's caches, not counted.
        for _ in range(3):
            async with http.get(url, headers={"Accept": accept}) as response:
                await response.read()
        deadline = time.perf_counter() + seconds

        async def worker() -> None:
            nonlocal errors
            while time.perf_counter() < deadline:
                start = time.perf_counter()
                try:
                    async with http.get(url, headers={"Accept": accept}) as response:
                        await response.read()
                        ok = response.status == 200
                except aiohttp.ClientError:
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
    return {"requests": len(latencies) + errors, "per_second": (len(latencies) + errors) / elapsed,
            "p50_ms": cuts[49] * 1000, "p99_ms": cuts[98] * 1000,
            "max_ms": (latencies[-1] if latencies else 0.0) * 1000, "errors": errors}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", nargs="?", default="run", choices=["run", "serve"], help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--seconds", type=float, default=10.0, help="seconds of load per representation (default 10)")
    parser.add_argument("--concurrency", type=int, default=50, help="clients at once (default 50)")
    parser.add_argument("--badges", type=int, default=20, help="badges in the share (default 20)")
    args = parser.parse_args()
    if args.mode == "serve":
        asyncio.run(serve(args.data_dir, args.badges))
        return

    with tempfile.TemporaryDirectory(prefix="satchel-bench-share-") as tmp:
        server = subprocess.Popen([sys.executable, __file__, "serve", "--data-dir", str(Path(tmp) / "wallet"),
                                   "--badges", str(args.badges)], stdout=subprocess.PIPE, text=True,
                                  env=dict(os.environ, PYTHONUNBUFFERED="1"))
        try:
            assert server.stdout is not None
            line = server.stdout.readline()
            if not line:
                raise SystemExit(f"the server exited ({server.wait()}) before printing its URL")
            url = json.loads(line)["url"]
            print(f"share of {args.badges} badges at {url}; {args.concurrency} clients, {args.seconds:g} s each, "
                  f"server pid {server.pid}, load generator pid {os.getpid()}")
            print(f"{'representation':<16} {'requests':>9} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} "
                  f"{'errors':>7}")
            results = {}
            for name, accept in (("html", "text/html"), ("json", "application/json")):
                figures = asyncio.run(load(url, accept=accept, seconds=args.seconds, concurrency=args.concurrency))
                results[name] = figures
                print(f"{name:<16} {figures['requests']:>9,.0f} {figures['per_second']:>9,.0f} "
                      f"{figures['p50_ms']:>8.1f} {figures['p99_ms']:>8.1f} {figures['max_ms']:>8.1f} "
                      f"{figures['errors']:>7.0f}", flush=True)
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
    print(json.dumps({"op": "share_view", "badges": args.badges, "concurrency": args.concurrency,
                      **{f"{name}_{key}": round(value, 2) for name, figures in results.items()
                         for key, value in figures.items()}}))


if __name__ == "__main__":
    main()
