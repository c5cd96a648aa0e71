"""The small pieces: secrets on disk, CPU work off the loop, several apps in one loop."""

from __future__ import annotations

import asyncio
import os
import signal
import stat
import sys
import threading
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from webbase.app import make_app
from webbase.cpu import run_cpu
from webbase.runner import http_url, serve_until_stopped, start_sites
from webbase.secretfile import write_secret_file


def test_secret_file_is_0600_from_creation(tmp_path: Path) -> None:
    path = tmp_path / "issuer.key"
    old_umask = os.umask(0)  # Even with a permissive umask the file must not be readable by others.
    try:
        write_secret_file(path, b"seed bytes")
    finally:
        os.umask(old_umask)
    assert path.read_bytes() == b"seed bytes"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_secret_file_refuses_to_overwrite(tmp_path: Path) -> None:
    path = tmp_path / "issuer.key"
    write_secret_file(path, b"first")
    with pytest.raises(FileExistsError, match="refusing to overwrite"):
        write_secret_file(path, b"second")
    assert path.read_bytes() == b"first"


def test_secret_file_overwrite_replaces_and_stays_0600(tmp_path: Path) -> None:
    path = tmp_path / "issuer.key"
    path.write_bytes(b"old")
    path.chmod(0o644)
    write_secret_file(path, b"new", overwrite=True)
    assert path.read_bytes() == b"new"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["issuer.key"]


async def test_run_cpu_runs_off_the_loop_thread() -> None:
    loop_thread = threading.get_ident()

    def work(a: int, *, b: int) -> tuple[int, int]:
        return a + b, threading.get_ident()

    total, worker_thread = await run_cpu(work, 2, b=3)
    assert total == 5
    assert worker_thread != loop_thread


async def test_loop_keeps_serving_while_cpu_work_runs() -> None:
    """While a worker is busy, the loop still runs other tasks (the worker waits on an event the loop sets)."""
    release = threading.Event()

    def blocked() -> str:
        assert release.wait(timeout=10)
        return "done"

    task = asyncio.ensure_future(run_cpu(blocked))
    await asyncio.sleep(0)
    assert not task.done()
    release.set()  # Only possible because the loop is not blocked by the work.
    assert await task == "done"


async def test_run_cpu_propagates_exceptions() -> None:
    def fails() -> None:
        raise ValueError("bad document")

    with pytest.raises(ValueError, match="bad document"):
        await run_cpu(fails)


def named_app(name: str) -> web.Application:
    async def hello(request: web.Request) -> web.Response:
        return web.json_response({"app": name})

    app = make_app()
    app.router.add_get("/", hello)
    return app


async def test_two_apps_in_one_loop_on_free_ports() -> None:
    sites = await start_sites([(named_app("issuer"), "127.0.0.1", 0), (named_app("wallet"), "127.0.0.1", 0)])
    try:
        assert sites[0].port != sites[1].port and 0 not in (sites[0].port, sites[1].port)
        async with aiohttp.ClientSession() as client:
            for site, name in zip(sites, ["issuer", "wallet"]):
                assert site.url == f"http://127.0.0.1:{site.port}"
                async with client.get(site.url + "/") as response:
                    assert await response.json() == {"app": name}
    finally:
        for site in sites:
            await site.stop()
    async with aiohttp.ClientSession() as client:
        with pytest.raises(aiohttp.ClientConnectionError):
            async with client.get(sites[0].url + "/"):
                pass


async def test_a_failed_start_stops_the_sites_already_started() -> None:
    first = await start_sites([(named_app("a"), "127.0.0.1", 0)])
    taken = first[0].port
    cleaned: list[str] = []
    second_app = named_app("b")

    async def on_cleanup(app: web.Application) -> None:
        cleaned.append("b")

    second_app.on_cleanup.append(on_cleanup)
    try:
        with pytest.raises(OSError):
            await start_sites([(second_app, "127.0.0.1", 0), (named_app("c"), "127.0.0.1", taken)])
        assert cleaned == ["b"]
    finally:
        await first[0].stop()


async def test_serve_until_stopped_reports_sites_and_stops() -> None:
    stop = asyncio.Event()
    seen: list[str] = []

    def on_started(sites: list) -> None:  # type: ignore[type-arg]
        seen.extend(site.url for site in sites)
        stop.set()

    await serve_until_stopped([(named_app("x"), "127.0.0.1", 0)], on_started=on_started, stop=stop)
    assert len(seen) == 1 and seen[0].startswith("http://127.0.0.1:")


def test_ipv6_urls_are_bracketed() -> None:
    assert http_url("::1", 8080) == "http://[::1]:8080"
    assert http_url("localhost", 80) == "http://localhost:80"


SERVE_SCRIPT = """
import sys
from aiohttp import web
from webbase.app import make_app
from webbase.runner import serve_forever

NAME = web.AppKey("name", str)

async def hello(request):
    return web.json_response({"app": request.app[NAME]})

async def cleanup(app):
    print("cleaned", app[NAME], flush=True)

apps = []
for name in ("issuer", "wallet"):
    app = make_app()
    app[NAME] = name
    app.router.add_get("/", hello)
    app.on_cleanup.append(cleanup)
    apps.append((app, "127.0.0.1", 0))

serve_forever(apps, on_started=lambda sites: print(" ".join(site.url for site in sites), flush=True))
print("stopped", flush=True)
"""


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
async def test_serve_forever_stops_gracefully_on_a_signal(tmp_path: Path, signum: int) -> None:
    from conftest import NETGUARD_DIR

    process = await asyncio.create_subprocess_exec(
        sys.executable, "-W", "error", "-c", SERVE_SCRIPT,
        stdout=asyncio.subprocess.PIPE, env=dict(os.environ, PYTHONPATH=str(NETGUARD_DIR)),
    )
    assert process.stdout is not None
    try:
        urls = (await asyncio.wait_for(process.stdout.readline(), 30)).decode().split()
        assert len(urls) == 2
        async with aiohttp.ClientSession() as client:
            for url, name in zip(urls, ["issuer", "wallet"]):
                async with client.get(url + "/") as response:
                    assert await response.json() == {"app": name}
        process.send_signal(signum)
        rest = (await asyncio.wait_for(process.stdout.read(), 30)).decode().split("\n")
        assert await process.wait() == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert sorted(line for line in rest if line.startswith("cleaned")) == ["cleaned issuer", "cleaned wallet"]
    assert "stopped" in rest
