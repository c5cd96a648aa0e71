"""Issue 16, fuzzing: hypothesis against the four entry points that take documents from strangers.

``satchel verify`` (a file and standard input), the wallet's ``POST /api/credentials``,
the verifier service's ``POST /credentials/verify`` (and ``/presentations/verify``)
and the issuer node's ``POST /credentials/issue`` get arbitrary bytes, arbitrary
JSON and mutations of a valid signed credential or presentation (or, for the
issuer, of a valid issue request), under right and wrong content types
(tests/fuzz_support.py). Each server is real, on 127.0.0.1, one per module.

The contract asserted for every example: never a 5xx and never a traceback in
the log; an HTTP refusal is RFC 9457 problem+json with ``type``, ``title``,
``status`` and ``detail``; an HTTP success is the route's own answer (an import
report, a VC-API verification result, an issued credential signed by the
node); the command exits 0 or 1 with a report, or 2 with one ``error:`` line,
never a traceback. Examples are few and derandomized so CI is stable and fast;
``FUZZ_EXAMPLES`` lists how many each entry point gets.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from evidence_harness import EvidenceNode, evidence_node, smtp  # noqa: F401
from fuzz_support import (
    Answer,
    Background,
    ErrorLog,
    Request,
    compact_jwts,
    content_encoded,
    encoded,
    get_json,
    multipart,
    mutated,
    post,
    problem_fault,
    raw_bytes,
    requests,
    resigned,
    sign_or_keep,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from credentials.baking import bake_png, bake_svg
from credentials.dataintegrity import add_proof
from credentials.jws import sign_compact_jws
from credentials.keys import key_pair_from_seed
from credentials.loader import bundled_loader
from credentials.ob3 import build_credential
from credentials.statuslist import build_status_list_credential, new_status_list, status_entry
from issuer_node.app import adopt_bound_url
from issuer_node.app import create_app as create_issuer_app
from issuer_node.config import IssuerConfig
from issuer_node.provisioning import init_node
from verifier.registry import TrustRegistry
from verifier_web.app import create_app as create_verifier_app
from verifier_web.config import ServiceConfig
from wallet.testing import bearer, running_wallet, sign_up, tiny_png
from webbase.testing import serving

pytestmark = pytest.mark.slow

# Examples per entry point; SATCHEL_FUZZ_EXAMPLES=N runs N each (a longer hunt by hand, never in CI).
FUZZ_EXAMPLES = dict.fromkeys(("cli", "wallet", "verifier", "issuer"), int(os.environ.get("SATCHEL_FUZZ_EXAMPLES", "200")))
TIMES: dict[str, float] = {}
OUTCOMES: dict[str, Counter[str]] = defaultdict(Counter)  # per entry point: how its examples were answered
VC_V2 = "https://www.w3.org/ns/credentials/v2"
LIST_ID = "https://lakeside.example/status/1"
REALWORLD = Path(__file__).resolve().parents[1].parent / "shared" / "reference" / "realworld"
SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="2" height="2"><rect width="2" height="2"/></svg>'


def _settings(entry_point: str) -> settings:
    # Derandomized: the same examples on every run (SATCHEL_FUZZ_RANDOM=1 draws new ones, for a hunt by hand).
    return settings(max_examples=FUZZ_EXAMPLES[entry_point], deadline=None, database=None,
                    derandomize=not os.environ.get("SATCHEL_FUZZ_RANDOM"),
                    print_blob=True, suppress_health_check=list(HealthCheck))


@dataclass
class Documents:
    """Valid documents the mutations start from, and signers that put a valid proof over a mutated one."""

    credential: dict[str, Any]  # signed by the district, addressed to the wallet account
    presentation: dict[str, Any]
    unsigned: dict[str, Any]
    unsigned_presentation: dict[str, Any]
    sign: Callable[[dict[str, Any]], dict[str, Any]]
    sign_presentation: Callable[[dict[str, Any]], dict[str, Any]]
    jwt_header: dict[str, Any]
    jwt_payload: dict[str, Any]
    sign_jwt: Callable[[dict[str, Any], dict[str, Any]], str]
    status_list: dict[str, Any]  # unsigned; the credential with status points at its bit 7
    with_status: dict[str, Any]
    realworld: list[tuple[dict[str, Any], dict[str, Any] | None]]  # published credentials and their key documents


def _documents(holder_did: str) -> Documents:
    district = key_pair_from_seed(bytes([7]) * 32)  # fixed, like every other input, so CI sees the same examples
    start = datetime(2026, 1, 5, 9, tzinfo=UTC)
    unsigned = build_credential(
        issuer={"id": district.did, "name": "Lakeside District", "url": "https://lakeside.example"},
        achievement={"id": "https://lakeside.example/achievements/padlet", "name": "Padlet",
                     "description": "Runs a class discussion.", "criteria": {"narrative": "Two boards."},
                     "image": {"id": "https://lakeside.example/img/padlet.png", "type": "Image"}, "tags": ["edtech"]},
        recipient_did=holder_did, credential_id="urn:uuid:3f0b7a52-8f0e-4a43-9d6c-0d7d2b1c5e41", valid_from=start,
        evidence=[{"id": "https://lakeside.example/evidence/1", "type": ["Evidence"], "narrative": "Two boards."}])
    unsigned["credentialStatus"] = status_entry(list_credential_id=LIST_ID, index=7, purpose="revocation")

    def sign(document: dict[str, Any]) -> dict[str, Any]:
        return add_proof(document, signer=district, loader=bundled_loader(), created=start)

    def sign_presentation(document: dict[str, Any]) -> dict[str, Any]:
        return add_proof(document, signer=district, loader=bundled_loader(), created=start,
                         purpose="authentication", challenge="c-1", domain="https://hr.example")

    def sign_jwt(header: dict[str, Any], payload: dict[str, Any]) -> str:
        return sign_compact_jws(header, payload, signer=district)

    credential = sign(unsigned)
    unsigned_presentation = {"@context": [VC_V2], "id": "urn:uuid:6e5d4c3b-2a19-4f8e-8d7c-6b5a49382716",
                             "type": ["VerifiablePresentation"], "holder": district.did,
                             "verifiableCredential": [credential]}
    plain = {key: value for key, value in unsigned.items() if key != "credentialStatus"}
    lists = build_status_list_credential(list_id=LIST_ID, issuer=district.did, purpose="revocation",
                                         bits=new_status_list(), valid_from=start)
    realworld: list[tuple[dict[str, Any], dict[str, Any] | None]] = []
    if REALWORLD.is_dir():  # ../shared/reference (DESIGN.md §6); the fuzzing runs without it too
        for path in sorted(REALWORLD.glob("[0-9]*.json")):
            if path.name.endswith((".did.json", ".controller.json")):
                continue
            keys = [path.with_name(path.stem + suffix) for suffix in (".did.json", ".controller.json")]
            key_document = next((json.loads(k.read_text()) for k in keys if k.exists()), None)
            realworld.append((json.loads(path.read_text()), key_document))
    return Documents(
        credential=credential, presentation=sign_presentation(unsigned_presentation), unsigned=unsigned,
        unsigned_presentation=unsigned_presentation, sign=sign, sign_presentation=sign_presentation,
        jwt_header={"typ": "JWT"},
        jwt_payload={"iss": district.did, "sub": holder_did, "jti": unsigned["id"], "nbf": int(start.timestamp()),
                     "vc": plain},
        sign_jwt=sign_jwt, status_list=lists, with_status=credential, realworld=realworld)


def hostile_documents(docs: Documents, *, realworld: bool = True) -> st.SearchStrategy[Any]:
    """Broken signatures, valid signatures over hostile content, VC-JWTs (bare and enveloped), published ones."""
    jwts = compact_jwts(docs.jwt_header, docs.jwt_payload, docs.sign_jwt)
    holding = resigned(docs.unsigned, docs.sign).map(
        lambda credential: sign_or_keep(dict(docs.unsigned_presentation, verifiableCredential=[credential]),
                                        docs.sign_presentation))
    choices = [
        st.sampled_from([docs.credential, docs.presentation]).flatmap(mutated),
        resigned(docs.unsigned, docs.sign),
        resigned(docs.unsigned_presentation, docs.sign_presentation),
        holding,
        jwts,
        jwts.map(lambda token: {"@context": [VC_V2], "type": "EnvelopedVerifiableCredential",
                                "id": "data:application/vc+jwt," + token}),
    ]
    if realworld and docs.realworld:
        choices.append(st.sampled_from([document for document, _ in docs.realworld]).flatmap(mutated))
    return st.one_of(choices)


@dataclass
class Servers:
    """The three servers of this module, the documents the fuzzing starts from, and the shared error log."""

    background: Background
    log: ErrorLog
    wallet: str
    wallet_token: str
    verifier: str
    issuer: str
    issuer_token: str
    issuer_did: str
    docs: Documents
    short_form: dict[str, Any]
    template: dict[str, Any]

    def clean(self, where: str) -> None:
        """No traceback or ERROR record anywhere since the last call (and forget what was seen)."""
        seen = self.log.records + self.background.loop_errors
        self.log.records.clear()
        self.background.loop_errors.clear()
        assert seen == [], f"{where}: {seen[:3]}"


async def _setup_issuer(tmp: Path) -> tuple[Any, str, str]:
    result = init_node(tmp / "node", name="Riverside USD", url="https://riverside.example.org")
    app = create_issuer_app(IssuerConfig(data_dir=tmp / "node"))
    manager = serving(app)
    url = await manager.__aenter__()
    adopt_bound_url(app, url)
    return manager, url, result.admin_token


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    import logging

    tmp = tmp_path_factory.mktemp("fuzz")
    log = ErrorLog()
    logging.getLogger().addHandler(log)
    background = Background()
    try:
        wallet = background.enter(running_wallet(tmp / "wallet"))

        async def accounts() -> tuple[dict[str, Any], str]:
            async with aiohttp.ClientSession() as http:
                return await sign_up(http, wallet.url, "ann@example.org")

        account, wallet_token = background.run(accounts())
        docs = _documents(account["did"])
        # A registry naming the district (and another, whose name a forger may claim) and the district's status
        # list, so the registry and status checks run on hostile names and entries too.
        registry = TrustRegistry({docs.credential["issuer"]["id"]: "Lakeside District",
                                  key_pair_from_seed(bytes([8]) * 32).did: "Riverside USD"})
        verifier = background.enter(serving(create_verifier_app(ServiceConfig(
            registry=registry, status_lists=(docs.sign(docs.status_list),)))))
        issuer_manager, issuer, issuer_token = background.run(_setup_issuer(tmp))
        background._entered.append(issuer_manager)
        auth = {"Authorization": f"Bearer {issuer_token}"}
        answer = post(issuer + "/api/achievements", json.dumps({
            "name": "Classroom Data Literacy", "description": "Uses student data to plan lessons",
            "criteria": {"narrative": "Submit a lesson plan"}, "achievementType": "Badge"}).encode(),
            content_type="application/json", headers=auth)
        assert answer.status == 201, answer.body[:300]
        achievement = answer.json()["id"]
        holder_did = account["did"]
        short_form = {"achievement": achievement, "recipient": {"did": holder_did, "name": "Ann Lee"},
                      "narrative": "Ran two discussions", "evidence": ["https://evidence.example/1"],
                      "validUntil": "2099-01-01T00:00:00Z"}
        template = {"@context": ["https://www.w3.org/ns/credentials/v2",
                                 "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"],
                    "type": ["VerifiableCredential", "OpenBadgeCredential"],
                    "credentialSubject": {"id": holder_did, "type": ["AchievementSubject"],
                                          "achievement": {"id": achievement}},
                    "evidence": [{"id": "https://evidence.example/1", "type": ["Evidence"], "narrative": "Two"}]}
        answer = post(issuer + "/credentials/issue", json.dumps({"credential": short_form}).encode(),
                      content_type="application/json", headers=auth)
        assert answer.status == 201, answer.body[:300]
        issuer_did = answer.json()["verifiableCredential"]["issuer"]["id"]
        found = Servers(background, log, wallet.url, wallet_token, verifier, issuer, issuer_token, issuer_did,
                        docs, short_form, template)
        found.clean("setup")
        yield found
    finally:
        background.close()
        logging.getLogger().removeHandler(log)


def _assert_http(answer: Answer, where: str, request: Request) -> Any:
    """The common contract: no 5xx; a refusal is a complete problem+json; a success is JSON (returned)."""
    context = f"{where} {request.label} {request.content_type!r} {request.body[:160]!r}"
    OUTCOMES[where.split(" ")[0]][str(answer.status)] += 1
    if answer.status >= 400:
        fault = problem_fault(answer)
        assert fault is None, f"{context}: {fault}: {answer.body[:300]!r}"
        return None
    assert answer.status in (200, 201), f"{context}: status {answer.status}"
    assert answer.content_type == "application/json", f"{context}: {answer.content_type}"
    return answer.json()


def _timed(name: str, started: float) -> None:
    TIMES[name] = TIMES.get(name, 0.0) + time.perf_counter() - started


# ---------------------------------------------------------------- satchel verify

def _run_cli(args: list[str], stdin: bytes = b"") -> tuple[int, str, str]:
    """``satchel ARGS`` in this process, its standard streams replaced; an exception escaping fails the test."""
    from satchel.cli import main

    out, err = io.StringIO(), io.StringIO()
    saved = sys.stdin
    sys.stdin = io.TextIOWrapper(io.BytesIO(stdin))
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(args)
            except SystemExit as exc:
                code = int(exc.code or 0)
    finally:
        sys.stdin = saved
    return code, out.getvalue(), err.getvalue()


def _baked(docs: Documents) -> st.SearchStrategy[bytes]:
    """A baked PNG or SVG of the credential, cut or overwritten somewhere."""
    png, svg = bake_png(tiny_png(), docs.credential), bake_svg(SVG, docs.credential).encode()
    return st.tuples(st.sampled_from([png, svg]), st.integers(0, 10_000), st.binary(max_size=8)).map(
        lambda t: t[0][: t[1] % len(t[0])] + t[2] + t[0][t[1] % len(t[0]) + len(t[2]):])


def _as_bytes(value: Any) -> st.SearchStrategy[bytes]:
    """A document as a file's bytes: a token as it is, JSON through ``encoded`` (maybe damaged)."""
    return st.just(value.encode("utf-8", "surrogatepass")) if isinstance(value, str) else encoded(value)


@dataclass(frozen=True)
class CliCase:
    """One drawn command: the input's bytes and the files its options name (a key document, a status list)."""

    data: bytes
    files: tuple[tuple[str, bytes], ...]


@st.composite
def _cli_cases(draw: st.DrawFn, docs: Documents) -> CliCase:
    files: list[tuple[str, bytes]] = []
    kind = draw(st.sampled_from(["hostile"] * 5 + ["published", "bytes", "baked", "status", "registry"]))
    if kind == "published" and docs.realworld:
        document, key_document = draw(st.sampled_from(docs.realworld))
        data = draw(mutated(document).flatmap(encoded))
        if key_document is not None:
            key = key_document if draw(st.booleans()) else draw(mutated(key_document))
            files.append(("--did-document", draw(encoded(key))))
    elif kind == "bytes":
        data = draw(raw_bytes())
    elif kind == "baked":
        data = draw(_baked(docs))
    elif kind == "registry":
        # A hostile document checked against a (maybe mutated) registry naming its issuer and another district.
        data = draw(hostile_documents(docs, realworld=False).flatmap(_as_bytes))
        listed = [{"did": docs.credential["issuer"]["id"], "name": "Lakeside District", "url": "https://lakeside.example"},
                  {"did": key_pair_from_seed(bytes([8]) * 32).did, "name": "Riverside USD"}]
        files.append(("--registry", draw((st.just(listed) | mutated(listed)).flatmap(encoded))))
    elif kind == "status":
        # The credential whose bit 7 the list holds, with a list that is mutated and (mostly) validly re-signed.
        data = json.dumps(docs.with_status).encode()
        files.append(("--status-list", draw(resigned(docs.status_list, docs.sign).flatmap(encoded))))
    else:
        data = draw(hostile_documents(docs, realworld=False).flatmap(_as_bytes))
    return CliCase(data, tuple(files))


def test_satchel_verify_never_raises_and_answers_with_a_report_or_an_error_line(servers: Servers,
                                                                              tmp_path: Path) -> None:
    path = tmp_path / "input"
    started = time.perf_counter()

    @_settings("cli")
    @given(case=_cli_cases(servers.docs), stdin=st.booleans(), as_json=st.booleans(),
           extra=st.sampled_from([[], ["--challenge", "c-1", "--domain", "https://hr.example"], ["--require-status"],
                                  ["--at", "2026-06-01T00:00:00Z"]]))
    def check(case: CliCase, stdin: bool, as_json: bool, extra: list[str]) -> None:
        path.write_bytes(case.data)
        options: list[str] = []
        for number, (option, content) in enumerate(case.files):
            (tmp_path / f"option{number}").write_bytes(content)
            options += [option, str(tmp_path / f"option{number}")]
        args = ["verify", *(["--json"] if as_json else []), *extra, *options, "-" if stdin else str(path)]
        code, out, err = _run_cli(args, stdin=case.data)
        where = f"satchel {' '.join(args)} < {case.data[:120]!r}"
        OUTCOMES["cli"][f"exit {code}"] += 1
        assert "Traceback" not in err + out, where
        assert code in (0, 1, 2), (where, code, err[-300:])
        if code == 2 or (code == 1 and not out):
            lines = err.strip().splitlines()
            assert len(lines) == 1 and lines[0].startswith("error: ") and len(lines[0]) > 8, (where, err[-300:])
            assert out == "", where
            return
        if as_json:
            report = json.loads(out)
            assert isinstance(report["verified"], bool) and report["verified"] == (code == 0), where
            assert report["checks"] and all({"name", "status", "code"} <= set(c) for c in report["checks"]), where
        else:
            assert ("NOT VERIFIED" in out) == (code == 1), (where, out[:300])
        servers.clean(where)

    check()
    _timed("cli", started)


# ---------------------------------------------------------------- wallet POST /api/credentials

def _wallet_requests(servers: Servers) -> st.SearchStrategy[Request]:
    # Re-signed credentials twice as often: those that verify are stored, and must read back however odd.
    documents = hostile_documents(servers.docs) | resigned(servers.docs.unsigned, servers.docs.sign)
    as_json = requests(documents, wrap=lambda document: {"credential": document})

    @st.composite
    def upload(draw: st.DrawFn) -> Request:
        files = draw(st.lists(st.tuples(
            st.sampled_from(["file", "files", "", "x\u0000"]),
            st.sampled_from(["badge.png", "badge.svg", "vc.json", "", None, "../../x", "\u202e.json"]),
            st.one_of(documents.flatmap(_as_bytes), raw_bytes(), _baked(servers.docs))), min_size=0, max_size=4))
        body, content_type = multipart(files)
        if draw(st.integers(0, 9)) == 0:
            body = body[: draw(st.integers(0, max(len(body) - 1, 0)))]
        return Request(body, content_type, "upload")

    return as_json | upload().flatmap(content_encoded)


def _wallet_held(servers: Servers) -> list[Any]:
    return list(get_json(servers.wallet + "/api/credentials?limit=100", headers=bearer(servers.wallet_token))["items"])


def test_wallet_import_never_fails_and_refuses_with_problems_or_reports(servers: Servers) -> None:
    started = time.perf_counter()
    added: set[str] = set()

    @_settings("wallet")
    @given(request=_wallet_requests(servers))
    def check(request: Request) -> None:
        answer = post(servers.wallet + "/api/credentials", request.body, content_type=request.content_type,
                      headers=request.with_headers(bearer(servers.wallet_token)))
        body = _assert_http(answer, "wallet", request)
        servers.clean(f"wallet {request.label} {request.body[:160]!r}")
        if body is None:
            return
        assert set(body) == {"added", "duplicates", "refused"}, body
        for refusal in body["refused"]:
            assert refusal["checks"] and all(c["code"] and c["name"] for c in refusal["checks"]), refusal
        assert (answer.status == 201) == bool(body["added"]), body
        added.update(item["id"] for item in body["added"])
        for item in body["added"]:  # A stored credential, however odd its content, reads back.
            stored = get_json(f"{servers.wallet}/api/credentials/{item['id']}", headers=bearer(servers.wallet_token))
            assert stored["id"] == item["id"] and stored["credential"], stored

    check()
    _timed("wallet", started)
    # Only the valid credential (sent unchanged, or changed where no signature looks) can have been stored.
    held = _wallet_held(servers)
    assert {item["id"] for item in held} == added, held
    assert all(item["issuer"]["id"] == servers.docs.credential["issuer"]["id"] for item in held), held


# ---------------------------------------------------------------- verifier POST /credentials/verify

def _verifier_requests(servers: Servers) -> st.SearchStrategy[tuple[str, Request]]:
    credentials = requests(hostile_documents(servers.docs),
                           wrap=lambda document: {"verifiableCredential": document})
    options = st.fixed_dictionaries({}, optional={"challenge": st.sampled_from(["c-1", "", "x" * 2000]),
                                                  "domain": st.sampled_from(["https://hr.example", ""])})
    hostile = (st.just(servers.docs.presentation).flatmap(mutated)
               | resigned(servers.docs.unsigned_presentation, servers.docs.sign_presentation))
    presentations = st.tuples(hostile, options | st.just(None)).map(
        lambda pair: {"verifiablePresentation": pair[0], "options": pair[1]})
    return (st.tuples(st.just("/credentials/verify"), credentials)
            | st.tuples(st.just("/presentations/verify"), requests(presentations, wrap=lambda document: document)))


def test_verifier_service_never_fails_and_answers_with_problems_or_results(servers: Servers) -> None:
    started = time.perf_counter()

    @_settings("verifier")
    @given(routed=_verifier_requests(servers))
    def check(routed: tuple[str, Request]) -> None:
        route, request = routed
        answer = post(servers.verifier + route, request.body, content_type=request.content_type,
                      headers=request.with_headers({}))
        body = _assert_http(answer, f"verifier {route}", request)
        servers.clean(f"verifier {route} {request.body[:160]!r}")
        if body is None:
            return
        assert answer.status == 200 and isinstance(body["verified"], bool), body
        assert isinstance(body["errors"], list) and isinstance(body["warnings"], list), body
        if not body["verified"]:
            assert body["errors"] and all(e["check"] and e["code"] for e in body["errors"]), body

    check()
    _timed("verifier", started)


# ---------------------------------------------------------------- issuer POST /credentials/issue

def _issuer_requests(servers: Servers) -> st.SearchStrategy[Request]:
    documents = st.sampled_from([servers.short_form, servers.template, servers.docs.credential]).flatmap(
        lambda base: mutated(base, max_changes=2))
    options = st.just({}) | st.none() | st.sampled_from([[], "x", {"proofPurpose": "authentication"}])
    return requests(documents, wrap=lambda document: {"credential": document}) | requests(
        st.tuples(documents, options).map(lambda pair: {"credential": pair[0], "options": pair[1]}),
        wrap=lambda body: body)


def _register_size(servers: Servers) -> int:
    return len(get_json(servers.issuer + "/api/credentials?limit=1000",
                        headers={"Authorization": f"Bearer {servers.issuer_token}"})["credentials"])


def test_issuer_issue_never_fails_and_issues_only_its_own_credentials(servers: Servers) -> None:
    started = time.perf_counter()
    before = _register_size(servers)
    issued: list[str] = []

    @_settings("issuer")
    @given(request=_issuer_requests(servers))
    def check(request: Request) -> None:
        answer = post(servers.issuer + "/credentials/issue", request.body, content_type=request.content_type,
                      headers=request.with_headers({"Authorization": f"Bearer {servers.issuer_token}"}))
        body = _assert_http(answer, "issuer", request)
        servers.clean(f"issuer {request.body[:160]!r}")
        if body is None:
            return
        assert answer.status == 201, body
        credential = body["verifiableCredential"]
        assert credential["issuer"]["id"] == servers.issuer_did, credential["issuer"]
        assert credential["proof"]["verificationMethod"].startswith(servers.issuer_did + "#"), credential["proof"]
        issued.append(credential["id"])

    check()
    _timed("issuer", started)
    # Every 201 is in the register, and nothing else was added.
    assert _register_size(servers) == before + len(issued)


# ---------------------------------------------------------------- what the fuzzing found, pinned

_SPLIT = multipart([("file", "vc.json", b"{}")])
UNSPLITTABLE = {
    "no boundary": (_SPLIT[0], "multipart/form-data"),
    "empty boundary": (_SPLIT[0], "multipart/form-data; boundary="),
    "never reaches its boundary": (b"no boundary here\r\n", "multipart/form-data; boundary=zzz"),
    "NUL in a part header": multipart([("x\u0000", None, b"1")]),
    # A warning in aiohttp, an error under pytest's filterwarnings = error (as here): then malformed, not a 500.
    "cut inside a Content-Disposition": (b'--zzz\r\nContent-Disposition: form-data; name="f"; filename="ba',
                                         "multipart/form-data; boundary=zzz"),
}


@pytest.mark.parametrize("route", ["wallet /api/credentials", "wallet /api/import", "issuer /api/applications"])
@pytest.mark.parametrize("name", list(UNSPLITTABLE))
def test_a_multipart_body_aiohttp_cannot_split_is_400_malformed_multipart(servers: Servers, route: str,
                                                                         name: str) -> None:
    """Was a 500 with aiohttp's ValueError or InvalidHeader in the log (the apply route is public)."""
    server, path = route.split(" ")
    base = {"wallet": servers.wallet, "issuer": servers.issuer}[server]
    body, content_type = UNSPLITTABLE[name]
    answer = post(base + path, body, content_type=content_type, headers=bearer(servers.wallet_token))
    assert problem_fault(answer) is None, answer
    assert (answer.status, answer.json()["type"]) == (400, "urn:satchel:problem:malformed_multipart")
    servers.clean(f"{route} {name}")


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br"])
@pytest.mark.parametrize("compressed", [True, False])
@pytest.mark.parametrize("route", ["wallet /api/credentials", "verifier /credentials/verify",
                                   "issuer /credentials/issue", "issuer /api/applications"])
def test_a_body_with_a_content_coding_is_415_problem_json(servers: Servers, route: str, encoding: str,
                                                          compressed: bool) -> None:
    """Was a 500 (aiohttp's RequestPayloadError out of request.read()) for bytes that are not what the header
    says, or aiohttp's own text/plain 400 (a deflate stream cut short, br), or a hang, with tracebacks in the log
    from aiohttp's lingering read; and aiohttp inflated gzip bombs before any limit of ours. Bodies are no longer
    inflated (webbase.runner.SERVER_OPTIONS): a coded body is 415 before any handler reads it."""
    import gzip

    server, path = route.split(" ")
    base = {"wallet": servers.wallet, "verifier": servers.verifier, "issuer": servers.issuer}[server]
    token = servers.issuer_token if server == "issuer" else servers.wallet_token
    body = b'{"credential": {}}'
    answer = post(base + path, gzip.compress(body) if compressed else body, content_type="application/json",
                  headers={"Content-Encoding": encoding, **bearer(token)})
    assert problem_fault(answer) is None, answer
    assert (answer.status, answer.json()["type"]) == (415, "urn:satchel:problem:unsupported_media_type")
    servers.clean(f"{route} {encoding}")


def test_an_integer_past_a_doubles_range_is_refused_by_every_entry_point(servers: Servers, tmp_path: Path) -> None:
    """Was an OverflowError out of verify() (JSON-LD reads it as an xsd:double): a 500 at both servers."""
    text = json.dumps(servers.docs.credential).replace('"name": "Padlet"', '"name": ' + "9" * 400, 1)
    assert '"name": 999' in text
    for url, envelope in ((servers.wallet + "/api/credentials", "credential"),
                          (servers.verifier + "/credentials/verify", "verifiableCredential")):
        answer = post(url, f'{{"{envelope}": {text}}}'.encode(), content_type="application/json",
                      headers=bearer(servers.wallet_token))
        assert problem_fault(answer) is None, answer
        problem = answer.json()
        assert (answer.status, problem["type"]) == (400, "urn:satchel:problem:json_bad_number"), problem
        assert "out of range" in problem["detail"]
    (tmp_path / "big.json").write_text(text)
    code, out, err = _run_cli(["verify", str(tmp_path / "big.json")])
    assert (code, out) == (2, "") and err.startswith("error: ") and "out of range" in err
    servers.clean("integer past a double")


def test_a_proof_of_no_known_suite_is_not_verified_and_the_errors_say_why(servers: Servers) -> None:
    """Was ``"verified": false`` with ``"errors": []`` (the reason only among the warnings)."""
    credential = json.loads(json.dumps(servers.docs.credential))
    del credential["proof"]["cryptosuite"]
    answer = post(servers.verifier + "/credentials/verify", json.dumps({"verifiableCredential": credential}).encode(),
                  content_type="application/json")
    result = answer.json()
    assert answer.status == 200 and result["verified"] is False
    assert [(e["check"], e["code"]) for e in result["errors"]] == [("proof", "unknown_proof_type")]


def test_a_status_entry_whose_type_is_an_object_is_a_report_not_a_crash(servers: Servers, tmp_path: Path) -> None:
    """Was a TypeError (unhashable dict) out of verify(): a traceback from the command, a 500 from the servers."""
    credential = json.loads(json.dumps(servers.docs.credential))
    credential["credentialStatus"]["type"] = {}
    (tmp_path / "vc.json").write_text(json.dumps(credential))
    code, out, err = _run_cli(["verify", "--json", str(tmp_path / "vc.json")])
    assert code == 1 and err == "", err
    assert {(c["name"], c["status"]) for c in json.loads(out)["checks"]} >= {("proof", "failed"),
                                                                            ("status", "not checked")}
    answer = post(servers.verifier + "/credentials/verify", json.dumps({"verifiableCredential": credential}).encode(),
                  content_type="application/json")
    assert answer.status == 200 and answer.json()["verified"] is False
    servers.clean("status type {}")


def test_a_key_document_listing_an_object_as_an_id_is_a_report_not_a_crash(tmp_path: Path) -> None:
    """Was a TypeError (unhashable dict) in the key resolver: a traceback from ``satchel verify --did-document``."""
    credential_file, key_file = REALWORLD / "06-dcc-v2-rdfc-didweb-multikey.json", REALWORLD / (
        "06-dcc-v2-rdfc-didweb-multikey.did.json")
    if not key_file.exists():
        pytest.skip("../shared/reference not found")
    key_document = json.loads(key_file.read_text())
    key_document["assertionMethod"] = [{"id": {}}]
    (tmp_path / "did.json").write_text(json.dumps(key_document))
    code, out, err = _run_cli(["verify", "--json", "--did-document", str(tmp_path / "did.json"), str(credential_file)])
    assert code == 1 and err == "", err
    proof = [c for c in json.loads(out)["checks"] if c["name"] == "proof"]
    assert [(c["status"], c["code"]) for c in proof] == [("not checked", "method_not_authorized")], proof


@pytest.mark.parametrize("score", [[], {}, [2], {"a": 2}])
async def test_a_rubric_score_that_is_not_a_number_is_400_not_500(evidence_node: EvidenceNode, score: Any) -> None:
    """Was a TypeError (``[] in dict``) behind the reviewer's decision route: a 500."""
    achievement = await evidence_node.define()
    _, created, _ = await evidence_node.apply(achievement["id"])
    status, problem, content_type = await evidence_node.call(
        "POST", f"/api/applications/{created['id']}/decision", token=evidence_node.reviewer_token,
        json={"decision": "approve", "rubric": [{"criterion": 0, "score": score}]})
    assert (status, content_type, problem["type"], problem["field"]) == (
        400, "application/problem+json", "urn:satchel:problem:invalid_request", "rubric")


def test_print_the_fuzzing_figures() -> None:
    """Not an assertion on time: the examples per entry point and the seconds they took, for the report."""
    if not TIMES:
        pytest.skip("run with the fuzzing tests to print their figures")
    for name, seconds in TIMES.items():
        answers = ", ".join(f"{outcome}: {count}" for outcome, count in sorted(OUTCOMES[name].items()))
        print(f"{name}: {FUZZ_EXAMPLES[name]} examples in {seconds:.1f} s ({answers}; shrinking and replays included)")
