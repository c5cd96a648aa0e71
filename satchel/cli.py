"""The ``satchel`` command: one entry point, a subcommand per part."""

from __future__ import annotations

import argparse
import os
import sys

from credentials.errors import CredentialError
from issuer_node import cli as issuer_cli
from wallet import cli as wallet_cli

from . import cmd_core, cmd_verifier, cmd_verify, demo
from .clio import EXIT_FAILED, EXIT_USAGE, UsageError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="satchel", description="Satchel: Open Badges 3.0 credentials, signed and verified offline.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    cmd_core.add_parsers(sub)
    cmd_verify.add_parser(sub)
    cmd_verifier.add_parser(sub)
    wallet_cli.add_parser(sub)
    issuer_cli.add_parser(sub)
    demo.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        code = int(args.run(args))
        sys.stdout.flush()
        return code
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except CredentialError as exc:
        # A document the command could not process (an unbundled context, an
        # undefined term while signing): the input is at fault, not the usage.
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILED if args.command == "verify" else EXIT_USAGE
    except BrokenPipeError:
        # The reader went away (``satchel verify x | head -c1``): nothing more can be
        # said to it. Point stdout at /dev/null so the interpreter's final flush is quiet.
        _silence_stdout()
        return EXIT_FAILED


def _silence_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # No real file descriptor (an in-process test).
        pass


if __name__ == "__main__":
    sys.exit(main())
