"""``satchel wallet init | serve | export | import``: the wallet's operator commands.

``satchel/cli.py`` registers these with ``add_parser``; this module imports
nothing of ``satchel`` (the composition root sits above every server). Errors
print ``error: <detail>`` and exit 2 (bad usage or unreadable input).
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import sys
from dataclasses import replace
from pathlib import Path

from webbase.dburl import DatabaseTarget, DatabaseUrlError, parse_database
from webbase.mail import Mailer, parse_smtp
from webbase.netpolicy import parse_networks
from webbase.runner import StartedSite, http_url, serve_forever
from webbase.secretfile import write_secret_file

from .config import DEFAULT_PORT, init_data_dir, load_config, stored_public_url
from .context import open_wallet
from .errors import WalletError

EXIT_OK, EXIT_USAGE = 0, 2


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    wallet = sub.add_parser("wallet", help="run a wallet server for learners; export and import accounts",
                            description="The Satchel wallet: learners collect, share and take their badges anywhere.")
    commands = wallet.add_subparsers(dest="wallet_command", required=True, metavar="COMMAND")

    init = commands.add_parser("init", help="create a wallet data directory",
                               description="Create DIR with wallet.db, a server secret (mode 0600) that seals the "
                                           "holder keys, and settings.json.")
    init.add_argument("--data-dir", metavar="DIR", required=True, type=Path)
    init.add_argument("--public-url", metavar="URL", help="the URL share links are built on (default: http://HOST:PORT "
                                                          "of 'serve')")
    _add_database_option(init)
    init.set_defaults(run=run_init)

    serve = commands.add_parser("serve", help="serve the wallet (API and share pages)",
                                description="Serve the wallet on HOST:PORT until Ctrl-C; prints the URL once listening.")
    serve.add_argument("--data-dir", metavar="DIR", required=True, type=Path)
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"default {DEFAULT_PORT}; 0 picks a free port")
    serve.add_argument("--public-url", metavar="URL", help="overrides the one given to init")
    serve.add_argument("--smtp", metavar="HOST:PORT", help="send confirmation mail through this SMTP server "
                                                           "(otherwise it goes to the outbox table)")
    serve.add_argument("--allow-network", metavar="CIDR", action="append", default=[],
                       help="a private network offers and status lists may be fetched from (repeatable; by default "
                            "only public addresses and loopback are reached)")
    _add_database_option(serve)
    serve.set_defaults(run=run_serve)

    export = commands.add_parser("export", help="export one account as an encrypted file",
                                 description="Write the account (holder key, credentials, emails, share settings) "
                                             "as one file encrypted with a passphrase (Argon2id + AES-256-GCM).")
    export.add_argument("--data-dir", metavar="DIR", required=True, type=Path)
    export.add_argument("--account", metavar="EMAIL", required=True, help="the account's login email")
    export.add_argument("--out", metavar="FILE", required=True, type=Path)
    export.add_argument("--passphrase-file", metavar="F", type=Path,
                        help="read the passphrase from the first line of F (otherwise asked on the terminal)")
    _add_database_option(export)
    export.set_defaults(run=run_export)

    restore = commands.add_parser("import", help="restore an account from an export file",
                                  description="Restore the account in FILE on this wallet, with the same holder did; "
                                              "a wrong passphrase or a changed byte writes nothing.")
    restore.add_argument("--data-dir", metavar="DIR", required=True, type=Path)
    restore.add_argument("file", metavar="FILE", type=Path)
    restore.add_argument("--passphrase-file", metavar="F", type=Path)
    _add_database_option(restore)
    restore.set_defaults(run=run_import)


def _add_database_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--database", metavar="URL",
                        help="where the tables are: a file path or sqlite:///PATH (default: DIR/wallet.db), or "
                             "postgresql://USER@HOST:PORT/DB, one database several 'serve' processes share "
                             "(each with the same server.secret); give every command the same value")


def _database(args: argparse.Namespace) -> DatabaseTarget | None:
    """The ``--database`` target (a relative SQLite path is taken under the data directory), or None."""
    if args.database is None:
        return None
    return parse_database(args.database, default_dir=args.data_dir)


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return EXIT_USAGE


def run_init(args: argparse.Namespace) -> int:
    try:
        database = _database(args)
        init_data_dir(args.data_dir, public_url=args.public_url, database=database)
        open_wallet(load_config(args.data_dir, default_public_url=http_url("127.0.0.1", DEFAULT_PORT),
                                database=database)).close()
    except (WalletError, OSError, DatabaseUrlError) as exc:
        return _fail(str(exc))
    print(f"wallet data directory ready: {args.data_dir}")
    return EXIT_OK


def run_serve(args: argparse.Namespace) -> int:
    from .web.app import create_app, set_public_url

    try:
        smtp = parse_smtp(args.smtp) if args.smtp else None
        configured = args.public_url or stored_public_url(args.data_dir)
        config = load_config(args.data_dir, public_url=args.public_url, smtp=smtp,
                             default_public_url=http_url(args.host, args.port or DEFAULT_PORT),
                             database=_database(args))
        config = replace(config, allowed_networks=parse_networks(args.allow_network))
    except (WalletError, ValueError, DatabaseUrlError) as exc:
        return _fail(str(exc))
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    try:
        wallet = open_wallet(config, mailer=Mailer(smtp, sender=config.mail_sender) if smtp else None)
    except WalletError as exc:
        return _fail(str(exc))
    app = create_app(wallet)

    def started(sites: list[StartedSite]) -> None:
        if not configured:
            set_public_url(app, sites[0].url)
        print(f"Satchel wallet listening on {sites[0].url} (public URL {wallet.config.public_url}, database "
              f"{wallet.config.database_target.describe()})", flush=True)

    try:
        serve_forever([(app, args.host, args.port)], on_started=started)
    except OSError as exc:
        return _fail(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}")
    finally:
        wallet.close()
    return EXIT_OK


def read_passphrase(path: Path | None, *, confirm: bool) -> str:
    """The passphrase from the first line of ``path``, or asked with getpass on a terminal."""
    if path is not None:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise WalletError(f"cannot read the passphrase file {path}: {exc}", code="bad_passphrase_file") from None
        line = text.splitlines()[0] if text else ""
        if not line:
            raise WalletError(f"the passphrase file {path} is empty", code="bad_passphrase_file")
        return line
    if not sys.stdin.isatty():
        raise WalletError("no passphrase: pass --passphrase-file F, or run on a terminal to be asked",
                          code="no_passphrase")
    first = getpass.getpass("Passphrase: ")
    if confirm and getpass.getpass("Passphrase again: ") != first:
        raise WalletError("the two passphrases differ", code="passphrase_mismatch")
    return first


def run_export(args: argparse.Namespace) -> int:
    from .portability import export_account, export_account_by_email

    try:
        config = load_config(args.data_dir, default_public_url=http_url("127.0.0.1", DEFAULT_PORT),
                             database=_database(args))
        passphrase = read_passphrase(args.passphrase_file, confirm=True)
        wallet = open_wallet(config)
        try:
            account = export_account_by_email(wallet, args.account)
            blob = asyncio.run(export_account(wallet, account, passphrase))
        finally:
            wallet.close()
        # A fresh 0600 file beside the target, renamed over it once whole: a crash mid-write never leaves
        # half an export (or a truncated old one) where the learner expects their backup.
        write_secret_file(args.out, blob, overwrite=True)
    except (WalletError, OSError, DatabaseUrlError) as exc:
        return _fail(str(exc))
    print(f"exported {args.account} to {args.out} ({len(blob):,} bytes, encrypted)")
    return EXIT_OK


def run_import(args: argparse.Namespace) -> int:
    from .portability import import_account

    try:
        config = load_config(args.data_dir, default_public_url=http_url("127.0.0.1", DEFAULT_PORT),
                             database=_database(args))
        blob = args.file.read_bytes()
        passphrase = read_passphrase(args.passphrase_file, confirm=False)
        wallet = open_wallet(config)
        try:
            account = asyncio.run(import_account(wallet, blob, passphrase))
        finally:
            wallet.close()
    except (WalletError, OSError, DatabaseUrlError) as exc:
        return _fail(str(exc))
    print(f"imported the account {account.login_email} ({account.did})")
    return EXIT_OK
