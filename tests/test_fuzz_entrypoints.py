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
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from fuzz_support import (
    Answer,
    Background,
    ErrorLog,
    Request,
    encoded,
    get_json,
    multipart,
    mutated,
    post,
    problem_fault,
    raw_bytes,
    requests,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from credentials.baking import bake_png, bake_svg
from credentials.keys import generate_key_pair
from issuer_node.app import adopt_bound_url
from issuer_node.app import create_app as create_issuer_app
from issuer_node.config import IssuerConfig
from issuer_node.provisioning import init_node
from verifier_web.app import create_app as create_verifier_app
from verifier_web.config import ServiceConfig
from wallet.testing import bearer, issue_badge, running_wallet, sign_up, tiny_png
from webbase.testing import serving

pytestmark = pytest.mark.slow

# Examples per entry point; SATCHEL_FUZZ_EXAMPLES=N runs N each (a longer hunt by hand, never in CI).
FUZZ_EXAMPLES = dict.fromkeys(("cli", "wallet", "verifier", "issuer"), int(os.environ.get("SATCHEL_FUZZ_EXAMPLES", "200")))
TIMES: dict[str, float] = {}
SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="2" height="2"><rect width="2" height="2"/></svg>'


def _settings(entry_point: str) -> settings:
    # Derandomized: the same examples on every run (SATCHEL_FUZZ_RANDOM=1 draws new ones, for a hunt by hand).
    return settings(max_examples=FUZZ_EXAMPLES[entry_point], deadline=None, database=None,
                    derandomize=not os.environ.get("SATCHEL_FUZZ_RANDOM"),
                    print_blob=True, suppress_health_check=list(HealthCheck))


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
    credential: dict[str, Any]
    presentation: dict[str, Any]
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
        verifier = background.enter(serving(create_verifier_app(ServiceConfig())))
        issuer_manager, issuer, issuer_token = background.run(_setup_issuer(tmp))
        background._entered.append(issuer_manager)

        async def accounts() -> tuple[dict[str, Any], str]:
            async with aiohttp.ClientSession() as http:
                return await sign_up(http, wallet.url, "ann@example.org")

        account, wallet_token = background.run(accounts())
        auth = {"Authorization": f"Bearer {issuer_token}"}
        answer = post(issuer + "/api/achievements", json.dumps({
            "name": "Classroom Data Literacy", "description": "Uses student data to plan lessons",
            "criteria": {"narrative": "Submit a lesson plan"}, "achievementType": "Badge"}).encode(),
            content_type="application/json", headers=auth)
        assert answer.status == 201, answer.body[:300]
        achievement = answer.json()["id"]
        district = generate_key_pair()
        credential = issue_badge(district, did=account["did"], issuer_name="Lakeside District")
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
        from verifier_service_support import present

        presentation = present(district, [credential], challenge="c-1", domain="https://hr.example")
        found = Servers(background, log, wallet.url, wallet_token, verifier, issuer, issuer_token, issuer_did,
                        credential, presentation, short_form, template)
        found.clean("setup")
        yield found
    finally:
        background.close()
        logging.getLogger().removeHandler(log)


def _assert_http(answer: Answer, where: str, request: Request) -> Any:
    """The common contract: no 5xx; a refusal is a complete problem+json; a success is JSON (returned)."""
    context = f"{where} {request.label} {request.content_type!r} {request.body[:160]!r}"
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


def _cli_documents(servers: Servers) -> st.SearchStrategy[bytes]:
    png, svg = bake_png(tiny_png(), servers.credential), bake_svg(SVG, servers.credential).encode()
    documents = st.sampled_from([servers.credential, servers.presentation]).flatmap(mutated)
    images = st.tuples(st.sampled_from([png, svg]), st.integers(0, 10_000), st.binary(max_size=8)).map(
        lambda t: t[0][: t[1] % len(t[0])] + t[2] + t[0][t[1] % len(t[0]) + len(t[2]):])
    return documents.flatmap(encoded) | raw_bytes() | images


def test_satchel_verify_never_raises_and_answers_with_a_report_or_an_error_line(servers: Servers,
                                                                              tmp_path: Path) -> None:
    path = tmp_path / "input"
    started = time.perf_counter()

    @_settings("cli")
    @given(data=_cli_documents(servers), stdin=st.booleans(), as_json=st.booleans(),
           extra=st.sampled_from([[], ["--challenge", "c-1", "--domain", "https://hr.example"], ["--require-status"],
                                  ["--at", "2026-06-01T00:00:00Z"]]))
    def check(data: bytes, stdin: bool, as_json: bool, extra: list[str]) -> None:
        path.write_bytes(data)
        args = ["verify", *(["--json"] if as_json else []), *extra, "-" if stdin else str(path)]
        code, out, err = _run_cli(args, stdin=data)
        where = f"satchel {' '.join(args)} < {data[:120]!r}"
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
    documents = st.sampled_from([servers.credential, servers.presentation]).flatmap(mutated)
    as_json = requests(documents, wrap=lambda document: {"credential": document})
    png, svg = bake_png(tiny_png(), servers.credential), bake_svg(SVG, servers.credential).encode()

    @st.composite
    def upload(draw: st.DrawFn) -> Request:
        files = draw(st.lists(st.tuples(
            st.sampled_from(["file", "files", "", "x\u0000"]),
            st.sampled_from(["badge.png", "badge.svg", "vc.json", "", None, "../../x", "\u202e.json"]),
            st.one_of(documents.flatmap(encoded), raw_bytes(), st.sampled_from([png, svg]),
                      st.tuples(st.sampled_from([png, svg]), st.integers(0, 5_000)).map(
                          lambda t: t[0][: t[1] % len(t[0])]))), min_size=0, max_size=4))
        body, content_type = multipart(files)
        if draw(st.integers(0, 9)) == 0:
            body = body[: draw(st.integers(0, max(len(body) - 1, 0)))]
        return Request(body, content_type, "upload")

    return as_json | upload()


def _wallet_held(servers: Servers) -> list[Any]:
    return list(get_json(servers.wallet + "/api/credentials?limit=100", headers=bearer(servers.wallet_token))["items"])


def test_wallet_import_never_fails_and_refuses_with_problems_or_reports(servers: Servers) -> None:
    started = time.perf_counter()
    added: set[str] = set()

    @_settings("wallet")
    @given(request=_wallet_requests(servers))
    def check(request: Request) -> None:
        answer = post(servers.wallet + "/api/credentials", request.body, content_type=request.content_type,
                      headers=bearer(servers.wallet_token))
        body = _assert_http(answer, "wallet", request)
        servers.clean(f"wallet {request.label} {request.body[:160]!r}")
        if body is None:
            return
        assert set(body) == {"added", "duplicates", "refused"}, body
        for refusal in body["refused"]:
            assert refusal["checks"] and all(c["code"] and c["name"] for c in refusal["checks"]), refusal
        assert (answer.status == 201) == bool(body["added"]), body
        added.update(item["id"] for item in body["added"])

    check()
    _timed("wallet", started)
    # Only the valid credential (sent unchanged, or changed where no signature looks) can have been stored.
    held = _wallet_held(servers)
    assert {item["id"] for item in held} == added, held
    assert all(item["issuer"]["id"] == servers.credential["issuer"]["id"] for item in held), held


# ---------------------------------------------------------------- verifier POST /credentials/verify

def _verifier_requests(servers: Servers) -> st.SearchStrategy[tuple[str, Request]]:
    credentials = requests(st.just(servers.credential).flatmap(mutated),
                           wrap=lambda document: {"verifiableCredential": document})
    options = st.fixed_dictionaries({}, optional={"challenge": st.sampled_from(["c-1", "", "x" * 2000]),
                                                  "domain": st.sampled_from(["https://hr.example", ""])})
    presentations = st.tuples(st.just(servers.presentation).flatmap(mutated), options | st.just(None)).map(
        lambda pair: {"verifiablePresentation": pair[0], "options": pair[1]})
    return (st.tuples(st.just("/credentials/verify"), credentials)
            | st.tuples(st.just("/presentations/verify"), requests(presentations, wrap=lambda document: document)))


def test_verifier_service_never_fails_and_answers_with_problems_or_results(servers: Servers) -> None:
    started = time.perf_counter()

    @_settings("verifier")
    @given(routed=_verifier_requests(servers))
    def check(routed: tuple[str, Request]) -> None:
        route, request = routed
        answer = post(servers.verifier + route, request.body, content_type=request.content_type)
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
    documents = st.sampled_from([servers.short_form, servers.template, servers.credential]).flatmap(mutated)
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
                      headers={"Authorization": f"Bearer {servers.issuer_token}"})
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


def test_an_integer_past_a_doubles_range_is_refused_by_every_entry_point(servers: Servers, tmp_path: Path) -> None:
    """Was an OverflowError out of verify() (JSON-LD reads it as an xsd:double): a 500 at both servers."""
    text = json.dumps(servers.credential).replace('"name": "Fractions"', '"name": ' + "9" * 400, 1)
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
    credential = json.loads(json.dumps(servers.credential))
    del credential["proof"]["cryptosuite"]
    answer = post(servers.verifier + "/credentials/verify", json.dumps({"verifiableCredential": credential}).encode(),
                  content_type="application/json")
    result = answer.json()
    assert answer.status == 200 and result["verified"] is False
    assert [(e["check"], e["code"]) for e in result["errors"]] == [("proof", "unknown_proof_type")]


def test_print_the_fuzzing_figures() -> None:
    """Not an assertion on time: the examples per entry point and the seconds they took, for the report."""
    if not TIMES:
        pytest.skip("run with the fuzzing tests to print their figures")
    for name, seconds in TIMES.items():
        print(f"{name}: {FUZZ_EXAMPLES[name]} examples in {seconds:.1f} s")
