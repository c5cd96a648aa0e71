"""``satchel key generate``, ``sign``, ``present`` and ``canonicalize``: the core's operator commands."""

from __future__ import annotations

import argparse
import json
import sys
import uuid
from datetime import datetime, timezone
from typing import Any

from credentials.canonical import canonicalize
from credentials.dataintegrity import add_proof
from credentials.errors import CredentialError
from credentials.keys import Ed25519KeyPair, generate_key_pair, key_pair_from_json
from credentials.presentation import build_presentation

from .clio import EXIT_OK, UsageError, loader_with_contexts, parse_moment, print_json, read_document, read_json_object, write_secret_file


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    key = sub.add_parser("key", help="manage Ed25519 did:key key pairs")
    key_sub = key.add_subparsers(dest="key_command", required=True, metavar="COMMAND")
    gen = key_sub.add_parser("generate", help="generate a key pair and its did:key",
                             description="Write {id, publicKeyMultibase, secretKeyMultibase} (Multikey form). "
                                         "With --out the file is created with mode 0600; otherwise it is printed.")
    gen.add_argument("--out", metavar="FILE", help="write the key file here (mode 0600) instead of printing it; "
                                                   "an existing file is never replaced without --force")
    gen.add_argument("--force", action="store_true", help="with --out: replace an existing file (its key is lost)")
    gen.set_defaults(run=run_key_generate)

    sign = sub.add_parser("sign", help="sign a credential with an eddsa-rdfc-2022 proof",
                          description="Print CREDENTIAL with a DataIntegrityProof (eddsa-rdfc-2022, assertionMethod).")
    sign.add_argument("--key", metavar="FILE", required=True, help="key file from 'satchel key generate'")
    sign.add_argument("--created", metavar="ISO8601", help="proof creation time (default: now, UTC)")
    sign.add_argument("--context", metavar="URL=FILE", action="append", help="an extra JSON-LD context (repeatable)")
    sign.add_argument("credential", metavar="CREDENTIAL.json", help="the unsigned credential ('-' for stdin)")
    sign.set_defaults(run=run_sign)

    present = sub.add_parser("present", help="sign a Verifiable Presentation of credentials",
                             description="Print a VerifiablePresentation holding the credentials, signed by the "
                                         "holder's key (eddsa-rdfc-2022, authentication).")
    present.add_argument("--key", metavar="FILE", required=True, help="the holder's key file")
    present.add_argument("--challenge", metavar="C", help="the verifier's challenge (nonce)")
    present.add_argument("--domain", metavar="D", help="the verifier's domain")
    present.add_argument("--created", metavar="ISO8601", help="proof creation time (default: now, UTC)")
    present.add_argument("credentials", metavar="VC.json", nargs="+", help="credentials to present")
    present.set_defaults(run=run_present)

    canon = sub.add_parser("canonicalize", help="print the RDFC-1.0 canonical N-Quads of a document",
                           description="Print the RDFC-1.0 canonical N-Quads (safe mode: undefined terms are an error).")
    canon.add_argument("--context", metavar="URL=FILE", action="append", help="an extra JSON-LD context (repeatable)")
    canon.add_argument("file", metavar="FILE", help="a JSON-LD document ('-' for stdin)")
    canon.set_defaults(run=run_canonicalize)


def run_key_generate(args: argparse.Namespace) -> int:
    pair = generate_key_pair()
    text = json.dumps(pair.to_json(), indent=2) + "\n"
    if args.out:
        write_secret_file(args.out, text, overwrite=args.force)
        print(pair.did)
    else:
        sys.stdout.write(text)
    return EXIT_OK


def _load_key(path: str) -> Ed25519KeyPair:
    try:
        return key_pair_from_json(read_json_object(path, what="key file"))
    except CredentialError as exc:
        raise UsageError(f"{path}: {exc}") from None


def _created(value: str | None) -> datetime:
    return parse_moment(value, option="--created") if value else datetime.now(timezone.utc)


def run_sign(args: argparse.Namespace) -> int:
    key = _load_key(args.key)
    credential = read_document(args.credential, what="credential")
    signed = add_proof(credential, signer=key, loader=loader_with_contexts(args.context), created=_created(args.created))
    print_json(signed)
    return EXIT_OK


def run_present(args: argparse.Namespace) -> int:
    key = _load_key(args.key)
    credentials: list[dict[str, Any] | str] = [read_document(path, what="credential") for path in args.credentials]
    presentation = build_presentation(credentials, holder=key.did, id=f"urn:uuid:{uuid.uuid4()}")
    signed = add_proof(presentation, signer=key, loader=loader_with_contexts(None), created=_created(args.created),
                       purpose="authentication", challenge=args.challenge, domain=args.domain)
    print_json(signed)
    return EXIT_OK


def run_canonicalize(args: argparse.Namespace) -> int:
    document = read_document(args.file, what="JSON-LD document")
    sys.stdout.write(canonicalize(document, loader=loader_with_contexts(args.context)))
    return EXIT_OK
