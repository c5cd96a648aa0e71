"""``satchel demo``: two districts' issuer nodes, a wallet and a verifier, in one process on 127.0.0.1.

The four servers run in one event loop, exactly as ``satchel issuer serve``,
``satchel wallet serve`` and ``satchel verifier serve`` would run them, and
talk to each other only over HTTP (the wallet fetches the districts' status
lists; the verifier fetches the share link from the wallet, its one allowed
host). Sockets are bound first, so every server publishes under the URL it is
really reached at; the first run of a data directory keeps those ports in
``demo.json`` and later runs bind the same ones (the credentials name them).

Output, one line each, in this order: ``issuer-a URL``, ``issuer-b URL``,
``wallet URL``, ``verifier URL``, ``share URL``, then ``login SERVICE ROLE
EMAIL PASSWORD`` lines. Ctrl-C or SIGTERM stops every server (in-flight
requests get two seconds) and, without ``--data-dir``, removes the temporary
data directory.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import signal
import socket
import sys
import tempfile
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from aiohttp import web

from webbase.accesslog import RedactingAccessLogger
from webbase.runner import SERVER_OPTIONS

from .clio import EXIT_OK, UsageError
from .demo_data import DISTRICTS
from .demo_seed import (
    SERVICES,
    STATE_FILE,
    DemoState,
    provision_district,
    provision_wallet,
    registry_entries,
    seed_share,
    seed_teacher,
)

HOST = "127.0.0.1"
# In-flight requests get this long after a stop is asked for (the demo must stop within 5 s).
SHUTDOWN_TIMEOUT = 2.0
# The wallet re-reads the districts' status lists this often (a revocation reaches the share page within it).
REFRESH_SECONDS = 30.0

DESCRIPTION = """\
Start the federation demo on 127.0.0.1: two school districts' issuer nodes
(issuer-a, issuer-b, each with its own did:key and classroom-technology badges
aligned to the ISTE Standards for Educators), one wallet whose demo teacher
already holds badges from both districts and one share link, and one verifier
whose trust registry lists both districts. Prints each URL on a line of its own,
then the demo logins; stops on Ctrl-C or SIGTERM.

Without --data-dir the demo lives in a temporary directory removed on exit.
With --data-dir the state is kept: a second run serves the same URLs, logins
and badges (the ports of the first run are reused)."""


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("demo", help="run two issuer nodes, a wallet and a verifier on 127.0.0.1 with demo data",
                       description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data-dir", metavar="DIR", type=Path,
                   help="keep the demo's state here between runs (default: a temporary directory removed on exit)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from webbase.cpu import shutdown_cpu_executor

    temporary = args.data_dir is None
    root = Path(tempfile.mkdtemp(prefix="satchel-demo-")) if temporary else Path(args.data_dir)
    try:
        if not temporary:
            _check_data_dir(root)
        asyncio.run(serve_demo(root, out=sys.stdout))
    finally:
        shutdown_cpu_executor()
        if temporary:
            shutil.rmtree(root, ignore_errors=True)
    return EXIT_OK


def _check_data_dir(root: Path) -> None:
    if root.exists() and not root.is_dir():
        raise UsageError(f"--data-dir {root} is not a directory")
    if root.is_dir() and any(root.iterdir()) and not (root / STATE_FILE).is_file():
        raise UsageError(f"--data-dir {root} holds files but no {STATE_FILE}: give an empty or a demo directory")
    root.mkdir(mode=0o700, parents=True, exist_ok=True)


def _bind(port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((HOST, port))
    except OSError as exc:
        sock.close()
        raise UsageError(f"cannot listen on {HOST}:{port} ({exc.strerror}); the demo's credentials name this "
                         "port: stop whatever uses it, or start the demo with a new --data-dir") from None
    return sock


async def _start(app: web.Application, sock: socket.socket) -> web.AppRunner:
    runner = web.AppRunner(app, shutdown_timeout=SHUTDOWN_TIMEOUT, handle_signals=False,
                           access_log_class=RedactingAccessLogger,  # no share link or offer token in the log
                           **SERVER_OPTIONS)
    await runner.setup()
    try:
        await web.SockSite(runner, sock).start()
    except BaseException:
        await runner.cleanup()
        raise
    return runner


def _install_stop(stop: asyncio.Event) -> Callable[[], None]:
    loop = asyncio.get_running_loop()
    installed = []
    for signum in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(signum, stop.set)
            installed.append(signum)
        except (NotImplementedError, RuntimeError, ValueError):
            pass  # Not the main thread (an in-process test stops the demo through ``stop``).

    def remove() -> None:
        for signum in installed:
            loop.remove_signal_handler(signum)

    return remove


async def serve_demo(root: Path, *, out: TextIO, stop: asyncio.Event | None = None,
                     on_ready: Callable[[dict[str, str]], None] | None = None) -> None:
    """Serve the demo from ``root`` until ``stop`` is set (or SIGINT/SIGTERM); print the URLs to ``out``."""
    from issuer_node.app import create_app as issuer_app
    from issuer_node.config import IssuerConfig
    from issuer_node.state import NODE
    from verifier_web.app import create_app as verifier_app
    from verifier_web.config import ServiceConfig
    from verifier_web.registries import read_registry
    from wallet.config import load_config
    from wallet.context import open_wallet
    from wallet.statusrefresh import refresh_status
    from wallet.web.app import create_app as wallet_app

    stop = stop or asyncio.Event()
    remove_handlers = _install_stop(stop)
    state = DemoState.load(root)
    first_run = state is None
    sockets: dict[str, socket.socket] = {}
    runners: list[web.AppRunner] = []
    wallet = None
    try:
        for name in SERVICES:
            sockets[name] = _bind(state.ports[name] if state is not None else 0)
        ports = {name: int(sock.getsockname()[1]) for name, sock in sockets.items()}
        urls = {name: f"http://{HOST}:{port}" for name, port in ports.items()}
        if state is None:
            state = DemoState(ports=ports)
            for district in DISTRICTS:
                state.logins += provision_district(root, district, urls[district.slug])
            provision_wallet(root, urls["wallet"])

        apps: dict[str, web.Application] = {}
        for district in DISTRICTS:
            config = IssuerConfig(data_dir=root / district.slug, public_url=urls[district.slug], host=HOST,
                                  port=ports[district.slug], cookie_prefix=f"satchel_{district.slug.replace('-', '_')}")
            apps[district.slug] = issuer_app(config)
        nodes = {d.slug: apps[d.slug][NODE] for d in DISTRICTS}
        wallet = open_wallet(replace(load_config(root / "wallet", public_url=urls["wallet"]),
                                     refresh_interval_seconds=REFRESH_SECONDS))
        held: list[str] = []
        if first_run:
            teacher, held = await seed_teacher(wallet, nodes)
            state.logins.append(teacher)
        # One registry of both districts: the verifier's, the wallet operator's (its pages name the issuers
        # by it) and a copy for ``satchel verify --registry``.
        entries = registry_entries({slug: node.did for slug, node in nodes.items()})
        for path in (root / "registry.json", root / "wallet" / "registry.json"):
            path.write_text(json.dumps(entries, indent=2) + "\n", encoding="utf-8")
        apps["wallet"] = wallet_app(wallet)

        registry, source = read_registry(entries, label="demo registry (registry.json)", now=datetime.now(UTC))
        apps["verifier"] = verifier_app(ServiceConfig(
            public_url=urls["verifier"], registry=registry, registry_sources=(source,),
            allow_hosts=frozenset({f"{HOST}:{ports['wallet']}"})))

        for name in SERVICES:  # Issuers first: the wallet's first status refresh fetches from them.
            runners.append(await _start(apps[name], sockets.pop(name)))
        if first_run:
            await refresh_status(wallet)  # The share then carries both districts' status lists.
            state.share_token = await seed_share(wallet, held)
            state.save(root)

        shown = {**{name: urls[name] + "/" for name in SERVICES}, "share": f"{urls['wallet']}/s/{state.share_token}"}
        for name in (*SERVICES, "share"):
            print(f"{name} {shown[name]}", file=out)
        for login in state.logins:
            print(f"login {login['service']} {login['role']} {login['email']} {login['password']}", file=out)
        print("Open the URLs above in a browser; press Ctrl-C to stop.", file=out, flush=True)
        if on_ready is not None:
            on_ready(shown)
        await stop.wait()
    finally:
        for sock in sockets.values():
            sock.close()
        for runner in reversed(runners):
            await runner.cleanup()
        if wallet is not None:
            wallet.close()
        remove_handlers()
