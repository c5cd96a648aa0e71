"""``satchel issuer …``: the operator's commands (a contract: tests and scripts call them exactly so).

``add_parser(sub)`` registers the ``issuer`` command on the ``satchel`` parser
(satchel/cli.py calls it; this package never imports satchel). Each command
prints ``error: <detail>`` on standard error and exits 2 for bad usage, bad
input or an unusable data directory, 1 when the node's state refuses the
action (a retired achievement, an already revoked credential), 0 otherwise.
Every command works while the node is serving (SQLite WAL, or PostgreSQL with
``--database postgresql://…``, which several serving processes may share).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .achievements import AchievementInput, achievement_admin_json, define_achievement, parse_alignment
from .config import DEFAULT_HOST, DEFAULT_PORT, IssuerConfig, Secret
from .datadir import read_passphrase_file
from .errors import Conflict, Forbidden, IssuerError
from .images import MAX_IMAGE_BYTES

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2

Run = Callable[[argparse.Namespace], int]


def _guarded(run: Run) -> Run:
    """Turn feature errors into the ``error:`` line and the exit code."""
    def wrapper(args: argparse.Namespace) -> int:
        try:
            return run(args)
        except IssuerError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_FAILED if isinstance(exc, (Conflict, Forbidden)) else EXIT_USAGE
    return wrapper


def _data_dir(parser: argparse.ArgumentParser) -> None:
    """``--data-dir`` (key, evidence files) and ``--database`` (where the register is): every command that opens a node."""
    parser.add_argument("--data-dir", metavar="DIR", required=True, type=Path, help="the node's data directory")
    parser.add_argument("--database", metavar="URL",
                        help="the node's database: a SQLite file path or sqlite:///PATH, or postgresql://USER@HOST:PORT/DB "
                             "(several serving processes may share one PostgreSQL database); default DIR/issuer.db")


def _passphrase(parser: argparse.ArgumentParser, why: str) -> None:
    parser.add_argument("--passphrase-file", metavar="F", help=why)


def _secret(args: argparse.Namespace) -> Secret | None:
    return read_passphrase_file(args.passphrase_file) if getattr(args, "passphrase_file", None) else None


def _config(args: argparse.Namespace, **extra: Any) -> IssuerConfig:
    return IssuerConfig(data_dir=args.data_dir, passphrase=_secret(args), database=args.database, **extra)


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    issuer = sub.add_parser("issuer", help="run an organization's issuer node (define badges, issue, revoke)",
                            description="Run an organization's issuer node: its database, signing key, "
                                        "achievements, credentials and status lists.")
    cmds = issuer.add_subparsers(dest="issuer_command", required=True, metavar="COMMAND")

    p = cmds.add_parser("init", help="create a node: key, database, profile, admin token",
                        description="Create the data directory, the organization's Ed25519 did:key (key file "
                                    "mode 0600, sealed when --passphrase-file is given) and its issuer Profile. "
                                    "Prints two lines: the DID, then an admin API token (shown once, stored hashed).")
    _data_dir(p)
    p.add_argument("--name", required=True, help="the organization's name")
    p.add_argument("--url", required=True, help="the organization's web site (the Profile's url)")
    p.add_argument("--public-url", metavar="URL", help="the node's public base URL (default http://HOST:PORT)")
    _passphrase(p, "seal the key with the passphrase in this file (Argon2id + AES-256-GCM)")
    p.set_defaults(run=_guarded(run_init))

    p = cmds.add_parser("serve", help="serve the node over HTTP",
                        description="Serve the node. Prints the URL it listens on once it is listening "
                                    "(with --port 0, a free port). Stops on Ctrl-C or SIGTERM.")
    _data_dir(p)
    p.add_argument("--host", default=DEFAULT_HOST, help=f"address to listen on (default {DEFAULT_HOST})")
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT}; 0 = a free port)")
    p.add_argument("--public-url", metavar="URL", help="the base of every URL the node publishes (default http://HOST:PORT)")
    p.add_argument("--smtp", metavar="HOST:PORT", help="send mail through this SMTP server (default: outbox only)")
    _passphrase(p, "the passphrase of a sealed key")
    p.set_defaults(run=_guarded(run_serve))

    ach = cmds.add_parser("achievement", help="define and list achievements")
    ach_cmds = ach.add_subparsers(dest="achievement_command", required=True, metavar="COMMAND")
    p = ach_cmds.add_parser("add", help="define an achievement; prints its id",
                            description="Define an achievement. Prints its id, a URL under the node's public URL.")
    _data_dir(p)
    p.add_argument("--name", required=True)
    p.add_argument("--description", required=True)
    p.add_argument("--criteria", required=True, metavar="TEXT", help="what a learner must do (criteria narrative)")
    p.add_argument("--image", metavar="FILE", help="PNG, JPEG or SVG (default: a generated badge)")
    p.add_argument("--tag", action="append", default=[], metavar="T", help="a tag (repeatable)")
    p.add_argument("--alignment", action="append", default=[], metavar="NAME=URL",
                   help="an alignment to a framework or standard (repeatable)")
    p.add_argument("--evidence", choices=["required", "optional"], default="optional",
                   help="whether issuing needs evidence (default optional)")
    p.add_argument("--type", dest="achievement_type", metavar="TYPE", help="an OB 3.0 achievementType, e.g. Badge")
    p.set_defaults(run=_guarded(run_achievement_add))
    p = ach_cmds.add_parser("list", help="list achievements",
                            description="One line per achievement: id, name, and 'retired' when it is.")
    _data_dir(p)
    p.add_argument("--json", action="store_true", help="print a JSON list instead")
    p.set_defaults(run=_guarded(run_achievement_list))

    p = cmds.add_parser("issue", help="issue one credential; prints it",
                        description="Issue one OpenBadgeCredential (signed eddsa-rdfc-2022) and print it.")
    _data_dir(p)
    p.add_argument("--achievement", required=True, metavar="ID", help="the achievement's id (or its uuid)")
    who = p.add_mutually_exclusive_group(required=True)
    who.add_argument("--did", help="the holder's DID (credentialSubject.id)")
    who.add_argument("--email", help="the recipient's email (stored hashed and salted in the credential)")
    p.add_argument("--name", help="the recipient's name")
    p.add_argument("--narrative", metavar="TEXT", help="evidence narrative")
    p.add_argument("--evidence-url", action="append", default=[], metavar="URL", help="evidence URL (repeatable)")
    _passphrase(p, "the passphrase of a sealed key")
    p.set_defaults(run=_guarded(run_issue))

    from .cli_offer import add_offer_parser

    add_offer_parser(cmds, guarded=_guarded, data_dir=_data_dir)

    from .cli_bulk import add_bulk_parser

    add_bulk_parser(cmds, guarded=_guarded, data_dir=_data_dir, passphrase=_passphrase)

    for action, verb in (("revoke", "revoke (for good)"), ("suspend", "suspend"), ("unsuspend", "lift a suspension of")):
        p = cmds.add_parser(action, help=f"{verb} a credential",
                            description=f"{verb.capitalize()} a credential, with a reason. The serving node publishes "
                                        "the changed status list at once.")
        _data_dir(p)
        p.add_argument("credential", metavar="CREDENTIAL_ID", help="the credential's id (or its uuid)")
        p.add_argument("--reason", required=True, metavar="TEXT")
        _passphrase(p, "the passphrase of a sealed key (re-signs the list now; without it the serving node does)")
        p.set_defaults(run=_guarded(_status_runner(action)))

    user = cmds.add_parser("user", help="manage operators")
    user_cmds = user.add_subparsers(dest="user_command", required=True, metavar="COMMAND")
    p = user_cmds.add_parser("add", help="add an admin or reviewer; prints a one-time password",
                             description="Add a user. Prints a one-time password (stored Argon2id-hashed).")
    _data_dir(p)
    p.add_argument("--email", required=True)
    p.add_argument("--role", required=True, choices=["admin", "reviewer"])
    p.set_defaults(run=_guarded(run_user_add))


def run_init(args: argparse.Namespace) -> int:
    from .provisioning import init_node

    result = init_node(args.data_dir, name=args.name, url=args.url, public_url=args.public_url,
                       passphrase=_secret(args), database=args.database)
    print(result.did)
    print(result.admin_token)
    print("keep the admin token: it is shown only once", file=sys.stderr)
    return EXIT_OK


def _parse_smtp(value: str | None) -> tuple[str, int] | None:
    if value is None:
        return None
    host, sep, port = value.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        from .errors import InvalidRequest

        raise InvalidRequest(f"--smtp takes HOST:PORT, not {value!r}", field="smtp")
    return host, int(port)


def run_serve(args: argparse.Namespace) -> int:
    from webbase.runner import StartedSite, serve_forever

    from .app import adopt_bound_url, create_app
    from .state import ADOPT_BOUND_URL

    config = _config(args, host=args.host, port=args.port, public_url=args.public_url, smtp=_parse_smtp(args.smtp))
    app = create_app(config)
    if app[ADOPT_BOUND_URL] and args.database and args.database.lower().startswith(("postgresql:", "postgres:")):
        # Each process would publish ids under its own address (the last one started wins the stored URL).
        print("warning: no public URL is configured; when several processes serve this database, give each "
              "--public-url (the load balancer's address)", file=sys.stderr, flush=True)

    def started(sites: list[StartedSite]) -> None:
        public = adopt_bound_url(app, sites[0].url)
        print(sites[0].url, flush=True)
        if public != sites[0].url:
            print(f"publishing under {public}", file=sys.stderr, flush=True)

    serve_forever([(app, args.host, args.port)], on_started=started)
    return EXIT_OK


def _open(args: argparse.Namespace, *, need_key: bool) -> Any:
    from .node import open_node

    return open_node(_config(args), need_key=need_key)


def run_achievement_add(args: argparse.Namespace) -> int:
    image = None
    if args.image:
        try:
            with open(args.image, "rb") as handle:
                image = handle.read(MAX_IMAGE_BYTES + 1)
        except OSError as exc:
            from .errors import InvalidRequest

            raise InvalidRequest(f"cannot read {args.image}: {exc.strerror}", field="image") from None
    spec = AchievementInput(name=args.name, description=args.description, criteria=args.criteria, image=image,
                            tags=tuple(args.tag), alignments=tuple(parse_alignment(a) for a in args.alignment),
                            evidence_policy=args.evidence, achievement_type=args.achievement_type)
    node = _open(args, need_key=False)
    try:
        print(define_achievement(node, spec).id)
    finally:
        node.close()
    return EXIT_OK


def run_achievement_list(args: argparse.Namespace) -> int:
    node = _open(args, need_key=False)
    try:
        achievements = node.store.list_achievements()
    finally:
        node.close()
    if args.json:
        print(json.dumps([achievement_admin_json(a) for a in achievements], indent=2, ensure_ascii=False))
    else:
        for a in achievements:
            print("\t".join([a.id, a.name] + (["retired"] if a.retired else [])))
    return EXIT_OK


def run_issue(args: argparse.Namespace) -> int:
    from .issuing import IssueRequest, Recipient, issue_credential

    request = IssueRequest(achievement=args.achievement, recipient=Recipient(did=args.did, email=args.email,
                                                                             name=args.name),
                           narrative=args.narrative, evidence_urls=tuple(args.evidence_url))
    node = _open(args, need_key=True)
    try:
        issued = issue_credential(node, request)
    finally:
        node.close()
    print(json.dumps(issued.document, indent=2, ensure_ascii=False))
    return EXIT_OK


def _status_runner(action: str) -> Run:
    def run(args: argparse.Namespace) -> int:
        from .statuslists import change_status

        node = _open(args, need_key=False)
        try:
            if args.passphrase_file or not _key_sealed(node):
                from .datadir import load_node_key

                node.key = load_node_key(node.data_dir, passphrase=_secret(args))
            change = change_status(node, args.credential, action, reason=args.reason)  # type: ignore[arg-type]
        finally:
            node.close()
        past = {"revoke": "revoked", "suspend": "suspended", "unsuspend": "unsuspended"}[action]
        print(f"{past} {change.credential.id}")
        return EXIT_OK
    return run


def _key_sealed(node: Any) -> bool:
    from .datadir import key_is_sealed

    return key_is_sealed(node.data_dir)


def run_user_add(args: argparse.Namespace) -> int:
    from .accounts import add_user

    node = _open(args, need_key=False)
    try:
        created = add_user(node.store, args.email, args.role)
    finally:
        node.close()
    print(created.password)
    return EXIT_OK
