"""``satchel verifier serve``: the verifier service (VC-API verify routes and the verifier page)."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime

from credentials.errors import CredentialError

from .clio import EXIT_OK, UsageError, read_json, read_json_object

DESCRIPTION = """\
Serve the verifier: POST /credentials/verify and POST /presentations/verify
(W3C VC-API), /openapi.json, and a page at / where a person pastes a share
link, pastes JSON or a JWT, or uploads a file (JSON, baked PNG/SVG) and reads
the report in plain words.

Offline by default: no share link or did:web document is fetched unless
--online is given or its host is named with --allow-host. Prints the URL it listens on once it is
listening (with --port 0, a free port); stops on Ctrl-C or SIGTERM."""


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    verifier = sub.add_parser("verifier", help="run the verifier service (VC-API and the verifier page)",
                              description="Run the verifier service.")
    cmds = verifier.add_subparsers(dest="verifier_command", required=True, metavar="COMMAND")
    p = cmds.add_parser("serve", help="serve the verifier over HTTP", description=DESCRIPTION,
                        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8070, help="port to listen on (default 8070; 0 = a free port)")
    p.add_argument("--public-url", metavar="URL", help="the URL people reach the service at (default http://HOST:PORT)")
    p.add_argument("--registry", metavar="FILE", action="append", default=[],
                   help='a trust registry (repeatable, most authoritative first): [{"did", "name", "url"}, ...], '
                        '{"issuers": [{"id", "name"}, ...]}, a DCC issuer registry {"registry": {DID: {"name", '
                        '"url"}}}, or a registry signed as a credential by its operator (refused unless it verifies)')
    p.add_argument("--status-list", metavar="FILE", action="append", default=[],
                   help="a status list credential to check revocation against (repeatable); a presentation's own "
                        "status lists are used too")
    p.add_argument("--online", action="store_true",
                   help="allow fetching share links (http/https) and did:web issuers' DID documents (https) from any "
                        "host, with a timeout, a size limit and no redirect to another host")
    p.add_argument("--allow-host", metavar="HOST", action="append", default=[],
                   help="fetch share links and did:web documents from this host (or HOST:PORT) even without "
                        "--online (repeatable)")
    p.add_argument("--allow-network", metavar="CIDR", action="append", default=[],
                   help="a private network share links and did:web documents may be fetched from (repeatable; by "
                        "default only public addresses and loopback are reached)")
    p.add_argument("--rate-limit", metavar="N", type=int, default=600,
                   help="verifications (API calls and form posts) per client address per minute (default 600; 0: no limit)")
    p.set_defaults(run=run_serve)


def run_serve(args: argparse.Namespace) -> int:
    from verifier.registry import TrustRegistry
    from verifier_web.app import create_app
    from verifier_web.config import ServiceConfig
    from verifier_web.registries import read_registry
    from webbase.netpolicy import parse_networks
    from webbase.runner import StartedSite, http_url, serve_forever

    if args.rate_limit < 0:
        raise UsageError("--rate-limit is a number of requests per minute, 0 or more")
    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port {args.port} is not a port number (0 to 65535)")
    now = datetime.now(UTC)
    registries, sources = [], []
    for path in args.registry:
        try:
            registry, source = read_registry(read_json(path, what="trust registry"), label=path, now=now)
        except CredentialError as exc:
            raise UsageError(f"{path}: {exc}") from None
        registries.append(registry)
        sources.append(source)
    if args.public_url and not args.public_url.startswith(("http://", "https://")):
        raise UsageError(f"--public-url must be an http(s) URL, not {args.public_url!r}")
    try:
        networks = parse_networks(args.allow_network)
    except ValueError as exc:
        raise UsageError(f"--allow-network: {exc}") from None
    config = ServiceConfig(
        public_url=args.public_url.rstrip("/") if args.public_url else None,
        registry=TrustRegistry.merged(registries) if registries else None, registry_sources=tuple(sources),
        status_lists=tuple(read_json_object(path, what="status list credential") for path in args.status_list),
        verify_limit=args.rate_limit or None, online=args.online, allow_hosts=frozenset(host.strip().lower() for host in args.allow_host if host.strip()),
        allowed_networks=networks,
    )
    app = create_app(config)

    def started(sites: list[StartedSite]) -> None:
        print(http_url(args.host, sites[0].port), flush=True)
        sys.stdout.flush()

    serve_forever([(app, args.host, args.port)], on_started=started)
    return EXIT_OK
