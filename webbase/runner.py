"""Run one or several aiohttp apps in one event loop (``satchel … serve``, ``satchel demo``, tests).

Port 0 asks the OS for a free port; the bound port is read back so the caller can print or publish
the real URL. ``serve_forever`` stops every site gracefully on Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from webbase.accesslog import RedactingAccessLogger
from webbase.cpu import shutdown_cpu_executor

# Seconds an in-flight request gets to finish after a stop is asked for.
SHUTDOWN_TIMEOUT = 10.0
# Request bodies are never inflated. No client of ours compresses them; aiohttp would inflate a gzip bomb before
# any limit of ours looks (and again in its lingering read after an answer); and a body that is not what its
# Content-Encoding says becomes an error aiohttp answers itself, in text/plain, racing the handler. The apps
# refuse a body with a content coding with 415 problem+json (``webbase.bodies.refuse_coded_bodies``).
SERVER_OPTIONS: dict[str, Any] = {"auto_decompress": False}

AppSpec = tuple[web.Application, str, int]


def http_url(host: str, port: int) -> str:
    """``http://host:port``, with an IPv6 literal in brackets."""
    shown = f"[{host}]" if ":" in host and not host.startswith("[") else host
    return f"http://{shown}:{port}"


@dataclass
class StartedSite:
    """A running app: ``url`` is where it listens (with the real port when 0 was asked for)."""

    runner: web.AppRunner
    host: str
    port: int

    @property
    def url(self) -> str:
        return http_url(self.host, self.port)

    async def stop(self) -> None:
        """Stop listening, let in-flight requests finish, run the app's cleanup."""
        await self.runner.cleanup()


async def start_site(app: web.Application, host: str, port: int) -> StartedSite:
    """Start ``app`` on ``host:port`` (0 = a free port) and return where it listens."""
    # The access log hides capability tokens in URLs (share links, offers, ?key=, ?token=).
    runner = web.AppRunner(app, shutdown_timeout=SHUTDOWN_TIMEOUT, access_log_class=RedactingAccessLogger,
                           **SERVER_OPTIONS)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
        bound_port = int(runner.addresses[0][1])
    except BaseException:
        await runner.cleanup()
        raise
    return StartedSite(runner=runner, host=host, port=bound_port)


async def start_sites(specs: Iterable[AppSpec]) -> list[StartedSite]:
    """Start several apps in this loop, in order; if one fails, the ones already started are stopped."""
    started: list[StartedSite] = []
    try:
        for app, host, port in specs:
            started.append(await start_site(app, host, port))
    except BaseException:
        await stop_sites(started)
        raise
    return started


async def stop_sites(sites: Sequence[StartedSite]) -> None:
    """Stop sites in reverse start order."""
    for site in reversed(sites):
        await site.stop()


async def serve_until_stopped(
    specs: Iterable[AppSpec], *, on_started: Callable[[list[StartedSite]], None] | None = None,
    stop: asyncio.Event | None = None,
) -> None:
    """Start the apps, call ``on_started`` with them, wait until ``stop`` is set (or SIGINT/SIGTERM), stop them."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    installed: list[signal.Signals] = []
    for signum in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(signum, stop.set)
            installed.append(signum)
        except (NotImplementedError, RuntimeError, ValueError):
            pass  # Not the main thread, or a platform without loop signal handlers.
    sites: list[StartedSite] = []
    try:
        sites = await start_sites(specs)
        if on_started is not None:
            on_started(sites)
        await stop.wait()
    finally:
        await stop_sites(sites)
        for signum in installed:
            loop.remove_signal_handler(signum)


def serve_forever(
    apps_with_hosts_ports: Iterable[AppSpec], *, on_started: Callable[[list[StartedSite]], None] | None = None,
) -> None:
    """Run the apps until Ctrl-C or SIGTERM, then shut down gracefully (the ``serve`` commands' loop)."""
    try:
        asyncio.run(serve_until_stopped(list(apps_with_hosts_ports), on_started=on_started))
    finally:
        shutdown_cpu_executor()
