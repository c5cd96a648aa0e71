"""``satchel verify``: check a credential or presentation offline and print the report."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime

from credentials.errors import CredentialError
from credentials.resolver import KeyResolver
from verifier.inputs import InputError, read_input
from verifier.registry import TrustRegistry
from verifier.verify import VerifyOptions, verify

from .clio import (
    EXIT_FAILED,
    EXIT_OK,
    UsageError,
    loader_with_contexts,
    parse_moment,
    print_json,
    read_bytes,
    read_json,
    read_json_object,
)

DESCRIPTION = """\
Verify a credential or presentation offline and report every check
(syntax, contexts, proof, issuer-key, schema, validity, status, holder,
challenge, domain, registry, nested) as passed, failed or not checked.

Accepts a JSON credential or presentation, a compact VC-JWT, a baked PNG
(iTXt 'openbadgecredential') or SVG (openbadges:credential), or '-' for
standard input. No network access: did:key is decoded locally, contexts are
bundled, other keys come only from --did-document files.

The report starts with what the badge is (name, issuer as the credential
names it, recipient, dates, evidence) and a headline: VERIFIED; "VERIFIED,
but ..." naming each check that could not run (no status list, no trust
registry, no challenge asked for, a recipient no key can prove) and what to
do; or NOT VERIFIED.

Exit status: 0 verified: no check failed and a proof passed (checks that
could not run are named in the headline and in the JSON's "not_checked");
1 not verified: a check failed, or a proof could not be checked (a did:web
or https key without its document, say; a proof of a type Satchel does not
know, beside one that passed, is only listed), or a presented credential
did not verify, or, with --require-status, a status could not be checked;
2 bad usage or unreadable input."""


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("verify", help="verify a credential or presentation offline",
                       description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("file", metavar="FILE|-", help="credential, presentation, VC-JWT, baked PNG/SVG, or - for stdin")
    p.add_argument("--json", action="store_true",
                   help='print the report as JSON: {"verified", "headline", "not_checked": [names], "badge" (or "badges"), '
                        '"checks": [{"name", "status", "code", "detail"}], ...}')
    p.add_argument("--challenge", metavar="C", help="the challenge the presentation's proof must carry")
    p.add_argument("--domain", metavar="D", help="the domain the presentation's proof must carry")
    p.add_argument("--at", metavar="ISO8601", help="verify as of this moment (validity period, status list validity); default now")
    p.add_argument("--did-document", metavar="FILE", action="append", default=[],
                   help="a DID or controller document whose keys you trust (did:web, https issuers); repeatable")
    p.add_argument("--status-list", metavar="FILE", action="append", default=[],
                   help="a status list credential (BitstringStatusList or StatusList2021) to check revocation against; repeatable")
    p.add_argument("--registry", metavar="FILE",
                   help='a trust registry naming the organizations behind DIDs, JSON in one of three shapes: '
                        '[{"did": DID, "name": NAME, "url": URL}, ...], {"issuers": [{"id": DID, "name": NAME}, ...]}, '
                        'or a DCC registry {"registry": {DID: {"name": NAME, "url": URL}}}; DIDs matched exactly (a '
                        'malformed file, or a DID listed under two names: exit 2). A listed issuer whose own key signed '
                        'passes the registry check and is shown by the registry\'s name; an issuer not listed fails it '
                        '(exit 1), and so do a listed issuer whose key did not sign and an unlisted one that claims a '
                        'listed name ("impersonation suspected")')
    p.add_argument("--require-status", action="store_true",
                   help="fail (exit 1) when a credential's revocation status could not be checked: no status list "
                        "given, or no credentialStatus in the credential")
    p.add_argument("--context", metavar="URL=FILE", action="append", help="an extra JSON-LD context you trust (repeatable); bundled ones cannot be replaced")
    p.add_argument("--online", action="store_true",
                   help="allow fetching did:web documents over https (timeout 10 s, 1 MiB, no redirect to another host); off by default")
    p.set_defaults(run=run_verify)


def run_verify(args: argparse.Namespace) -> int:
    try:
        parsed = read_input(read_bytes(args.file))
    except InputError as exc:
        raise UsageError(str(exc)) from None
    documents = [read_json_object(path, what="DID document") for path in args.did_document]
    if args.online:
        from verifier.didweb import fetch_did_web_documents

        documents += fetch_did_web_documents(parsed.document if parsed.document is not None else parsed.jwt, known=documents)
    try:
        resolver = KeyResolver(documents)
    except CredentialError as exc:
        raise UsageError(str(exc)) from None
    registry = None
    if args.registry:
        try:
            registry = TrustRegistry.from_json(read_json(args.registry, what="trust registry"))
        except CredentialError as exc:
            raise UsageError(f"{args.registry}: {exc}") from None
    options = VerifyOptions(
        now=parse_moment(args.at, option="--at") if args.at else datetime.now(UTC),
        challenge=args.challenge, domain=args.domain, loader=loader_with_contexts(args.context), resolver=resolver,
        status_lists=tuple(read_json_object(path, what="status list credential") for path in args.status_list),
        registry=registry, clock=datetime.now(UTC), require_status=args.require_status,
    )
    target = parsed.document if parsed.document is not None else parsed.jwt
    assert target is not None
    report = verify(target, options)
    if args.json:
        out = report.to_json()
        out["input"] = parsed.kind
        print_json(out)
    else:
        print(report.to_text())
    return EXIT_OK if report.verified else EXIT_FAILED
