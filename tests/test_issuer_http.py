"""A real issuer node on 127.0.0.1: achievements, VC-API issue, register, status lists, errors, over HTTP."""

from __future__ import annotations

import io
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from conftest import Result

from credentials.dataintegrity import verify_proof
from credentials.loader import bundled_loader
from credentials.ob3 import matches_identity, validate_credential
from credentials.resolver import KeyResolver
from credentials.statuslist import MIN_BITSTRING_BITS, decode_encoded_list, get_status
from issuer_node.app import adopt_bound_url, create_app
from issuer_node.config import IssuerConfig
from issuer_node.issuing import IssueRequest, Recipient, issue_batch
from issuer_node.node import open_node
from issuer_node.provisioning import init_node
from issuer_node.statuslists import change_status
from webbase.testing import serving

HOLDER = "did:key:z6MkpTHR8VNsBxYAAWHut2Geadd9jSwuBV8xRoAnwWsdvktH"
ACHIEVEMENT = {"name": "Classroom Data Literacy", "description": "Uses student data to plan lessons",
               "criteria": {"narrative": "Submit a lesson plan built on a class dashboard"}, "tags": ["data", "k-12"],
               "alignment": [{"targetName": "ISTE Educator 1.5", "targetUrl": "https://iste.org/standards/1-5"}],
               "achievementType": "Badge"}


@dataclass
class Node:
    url: str
    token: str
    data: Path
    http: aiohttp.ClientSession

    def auth(self, token: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {token or self.token}"}

    async def post(self, path: str, body: Any, *, token: str | None = None) -> tuple[int, Any, str]:
        async with self.http.post(self.url + path, json=body, headers=self.auth(token)) as response:
            return response.status, await response.json(content_type=None), response.content_type

    async def get_json(self, path: str, *, token: str | None = None) -> tuple[int, Any, str]:
        headers = self.auth(token) if token != "" else {}
        async with self.http.get(path if path.startswith("http") else self.url + path, headers=headers) as response:
            return response.status, await response.json(content_type=None), response.content_type


@pytest.fixture
async def node(tmp_path: Path) -> AsyncIterator[Node]:
    data = tmp_path / "node"
    result = init_node(data, name="Riverside USD", url="https://riverside.example.org")
    app = create_app(IssuerConfig(data_dir=data))
    async with serving(app) as url, aiohttp.ClientSession() as http:
        adopt_bound_url(app, url)
        yield Node(url=url, token=result.admin_token, data=data, http=http)


async def _define(node: Node, **overrides: Any) -> dict[str, Any]:
    status, body, _ = await node.post("/api/achievements", {**ACHIEVEMENT, **overrides})
    assert status == 201, body
    return body


async def _issue(node: Node, credential: dict[str, Any]) -> dict[str, Any]:
    status, body, _ = await node.post("/credentials/issue", {"credential": credential, "options": {}})
    assert status == 201, body
    return body["verifiableCredential"]


async def _status_files(node: Node, credential: dict[str, Any], write_json: Callable[[str, Any], str]) -> list[str]:
    """Fetch the credential's status lists over HTTP and save them, as a wallet or a verifier would."""
    files = []
    for entry in credential["credentialStatus"]:
        status, document, _ = await node.get_json(entry["statusListCredential"], token="")
        assert status == 200
        files.append(write_json(f"{entry['statusPurpose']}.json", document))
    return files


def _bit(path: str, entry: dict[str, Any]) -> int:
    document = json.loads(Path(path).read_text())
    return get_status(decode_encoded_list(document["credentialSubject"]["encodedList"]), int(entry["statusListIndex"]))


def _verify(satchel: Callable[..., Result], lists: list[str], credential_file: str) -> dict[str, Any]:
    args = [a for path in lists for a in ("--status-list", path)]
    return satchel("verify", "--json", *args, credential_file).json()


def _check(report: dict[str, Any], name: str) -> list[dict[str, Any]]:
    return [c for c in report["checks"] if c["name"] == name]


async def test_define_issue_verify_suspend_unsuspend_revoke(node: Node, satchel: Callable[..., Result],
                                                            write_json: Callable[[str, Any], str]) -> None:
    achievement = await _define(node)
    assert achievement["id"] == f"{node.url}/achievements/{achievement['key']}"
    status, public, _ = await node.get_json(f"/achievements/{achievement['key']}", token="")
    assert status == 200 and public["type"] == ["Achievement"] and public["creator"]["name"] == "Riverside USD"

    credential = await _issue(node, {"achievement": achievement["id"],
                                     "recipient": {"email": "Tea.Cher@Riverside.example.org", "name": "Tea Cher"},
                                     "narrative": "Planned a unit with the dashboard",
                                     "evidence": ["https://evidence.example/lesson-plan"]})
    assert credential["@context"] == ["https://www.w3.org/ns/credentials/v2",
                                      "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
                                      "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json"]
    assert credential["id"].startswith(f"{node.url}/credentials/")
    issuer = credential["issuer"]
    assert issuer["id"].startswith("did:key:z6Mk") and issuer["url"] == "https://riverside.example.org"
    assert issuer["image"]["type"] == "Image"
    embedded = credential["credentialSubject"]["achievement"]
    assert embedded["id"] == achievement["id"] and embedded["creator"]["id"] == issuer["id"]
    assert embedded["tag"] == ["data", "k-12"] and embedded["alignment"][0]["targetName"] == "ISTE Educator 1.5"
    assert embedded["image"]["id"].startswith(f"{node.url}/images/")
    identity = credential["credentialSubject"]["identifier"][0]
    assert identity["hashed"] is True and matches_identity(identity, "tea.cher@riverside.example.org")
    assert "tea.cher" not in json.dumps(credential).lower()
    assert [(e["type"], e["statusPurpose"]) for e in credential["credentialStatus"]] == [
        ("BitstringStatusListEntry", "revocation"), ("BitstringStatusListEntry", "suspension")]
    assert credential["proof"]["cryptosuite"] == "eddsa-rdfc-2022"
    assert validate_credential(credential) == []
    async with node.http.get(embedded["image"]["id"]) as response:
        assert response.status == 200 and response.content_type == "image/svg+xml"

    vc_file = write_json("vc.json", credential)
    lists = await _status_files(node, credential, write_json)
    report = _verify(satchel, lists, vc_file)
    assert report["verified"] is True, report
    assert [c["status"] for c in _check(report, "status")] == ["passed", "passed"]
    assert _check(report, "schema")[0]["status"] == "passed"

    key = credential["id"].rsplit("/", 1)[1]
    status, entry, _ = await node.post(f"/api/credentials/{key}/suspend", {"reason": "under review"})
    assert status == 200 and entry["suspended"] is True and entry["suspendedReason"] == "under review"
    lists = await _status_files(node, credential, write_json)
    assert _bit(lists[1], credential["credentialStatus"][1]) == 1
    assert _bit(lists[0], credential["credentialStatus"][0]) == 0
    report = _verify(satchel, lists, vc_file)
    assert report["verified"] is False
    assert any(c["status"] == "failed" and "suspended" in c["detail"] for c in _check(report, "status"))

    status, entry, _ = await node.post(f"/api/credentials/{key}/unsuspend", {"reason": "review done"})
    assert status == 200 and entry["suspended"] is False
    lists = await _status_files(node, credential, write_json)
    assert _bit(lists[1], credential["credentialStatus"][1]) == 0
    assert _verify(satchel, lists, vc_file)["verified"] is True

    status, entry, _ = await node.post(f"/api/credentials/{key}/revoke", {"reason": "issued in error"})
    assert status == 200 and entry["revoked"] is True and entry["revokedReason"] == "issued in error"
    lists = await _status_files(node, credential, write_json)
    assert _bit(lists[0], credential["credentialStatus"][0]) == 1
    revocation_list = json.loads(Path(lists[0]).read_text())
    assert revocation_list["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    assert revocation_list["issuer"] == issuer["id"]
    assert len(decode_encoded_list(revocation_list["credentialSubject"]["encodedList"])) * 8 >= MIN_BITSTRING_BITS
    assert revocation_list["credentialSubject"]["encodedList"].startswith("uH4sI")
    assert "validFrom" in revocation_list and "validUntil" in revocation_list
    proof = verify_proof(revocation_list, revocation_list["proof"], loader=bundled_loader(), resolver=KeyResolver(),
                         purpose="assertionMethod")
    assert proof.method.id.startswith(issuer["id"])
    report = _verify(satchel, lists, vc_file)
    assert any(c["status"] == "failed" and "revoked" in c["detail"] for c in _check(report, "status"))
    status, problem, content_type = await node.post(f"/api/credentials/{key}/unsuspend", {"reason": "x"})
    assert status == 409 and content_type == "application/problem+json"
    assert problem["type"] == "urn:satchel:problem:already_revoked"


async def test_register_entry_and_search(node: Node) -> None:
    achievement = await _define(node)
    credential = await _issue(node, {"achievement": achievement["key"], "recipient": {"did": HOLDER}})
    key = credential["id"].rsplit("/", 1)[1]
    status, entry, _ = await node.get_json(f"/credentials/{key}")
    assert status == 200
    assert entry["id"] == credential["id"] and entry["recipient"]["did"] == HOLDER
    assert entry["verifiableCredential"] == credential and entry["revoked"] is False
    assert {s["purpose"] for s in entry["status"]} == {"revocation", "suspension"}
    status, found, _ = await node.get_json(f"/api/credentials?recipient={HOLDER}")
    assert status == 200 and [c["id"] for c in found["credentials"]] == [credential["id"]]


async def test_issue_takes_an_unsigned_open_badge_credential(node: Node) -> None:
    achievement = await _define(node)
    unsigned = {"@context": ["https://www.w3.org/ns/credentials/v2",
                             "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"],
                "type": ["VerifiableCredential", "OpenBadgeCredential"],
                "credentialSubject": {"id": HOLDER, "type": ["AchievementSubject"],
                                      "achievement": {"id": achievement["id"]}},
                "evidence": [{"id": "https://evidence.example/1", "type": ["Evidence"]}]}
    credential = await _issue(node, unsigned)
    assert credential["credentialSubject"]["id"] == HOLDER
    assert credential["credentialSubject"]["achievement"]["name"] == ACHIEVEMENT["name"]
    assert credential["evidence"] == [{"id": "https://evidence.example/1", "type": ["Evidence"]}]


async def _problem(response: aiohttp.ClientResponse) -> dict[str, Any]:
    assert response.content_type == "application/problem+json"
    body = await response.json(content_type=None)
    assert set(body) >= {"type", "title", "status", "detail"} and body["status"] == response.status
    return body


@pytest.mark.parametrize(("path", "body", "status", "code"), [
    ("/credentials/issue", {"options": {}}, 400, "invalid_request"),
    ("/credentials/issue", {"credential": {"recipient": {"did": HOLDER}}}, 400, "invalid_request"),
    ("/credentials/issue", {"credential": {"achievement": "nope", "recipient": {"did": HOLDER}}}, 404,
     "achievement_not_found"),
    ("/credentials/issue", {"credential": {"achievement": "A", "recipient": {"did": HOLDER, "email": "a@b.example"}}},
     400, "invalid_request"),
    ("/credentials/issue", {"credential": {"achievement": "A", "recipient": {"did": "not a did"}}}, 400,
     "invalid_request"),
    ("/credentials/issue", {"credential": {"achievement": "A", "recipient": {"did": HOLDER},
                                           "validUntil": "tomorrow"}}, 400, "invalid_request"),
    ("/credentials/issue", [1, 2], 400, "not_an_object"),
    ("/api/achievements", {"name": "x"}, 400, "invalid_request"),
    ("/api/achievements", {**ACHIEVEMENT, "evidence": "sometimes"}, 400, "invalid_request"),
    ("/api/achievements", {**ACHIEVEMENT, "image": "https://elsewhere.example/x.png"}, 400, "invalid_request"),
    ("/api/credentials/nope/revoke", {"reason": "r"}, 404, "credential_not_found"),
    ("/api/credentials/nope/suspend", {}, 400, "invalid_request"),
])
async def test_bad_requests_are_problems(node: Node, path: str, body: Any, status: int, code: str) -> None:
    if isinstance(body, dict) and isinstance(body.get("credential"), dict) and body["credential"].get("achievement") == "A":
        body["credential"]["achievement"] = (await _define(node))["id"]
    async with node.http.post(node.url + path, json=body, headers=node.auth()) as response:
        problem = await _problem(response)
    assert (response.status, problem["type"]) == (status, f"urn:satchel:problem:{code}"), problem


async def test_bodies_that_are_not_json_are_problems(node: Node) -> None:
    async with node.http.post(node.url + "/credentials/issue", data=b"credential=1", headers=node.auth()) as response:
        assert response.status == 415 and (await _problem(response))["type"].endswith("unsupported_media_type")
    headers = {**node.auth(), "Content-Type": "application/json"}
    async with node.http.post(node.url + "/credentials/issue", data=b'{"credential": ', headers=headers) as response:
        assert response.status == 400 and (await _problem(response))["type"].startswith("urn:satchel:problem:json_")
    big = b'{"credential": "' + b"x" * (3 * 1024 * 1024) + b'"}'
    async with node.http.post(node.url + "/credentials/issue", data=io.BytesIO(big), headers=headers) as response:
        assert response.status == 413 and (await _problem(response))["type"].endswith("body_too_large")


@pytest.mark.parametrize(("method", "path"), [
    ("POST", "/credentials/issue"), ("GET", "/credentials/x"), ("POST", "/api/achievements"),
    ("GET", "/api/achievements"), ("GET", "/api/credentials"), ("POST", "/api/credentials/x/revoke"),
])
async def test_api_routes_need_a_valid_bearer_token(node: Node, method: str, path: str) -> None:
    for headers, code in (({}, "missing_token"), ({"Authorization": "Bearer not-a-token"}, "invalid_token"),
                          ({"Authorization": f"Basic {node.token}"}, "missing_token")):
        async with node.http.request(method, node.url + path, json={}, headers=headers) as response:
            problem = await _problem(response)
            assert response.status == 401 and problem["type"] == f"urn:satchel:problem:{code}"
            assert response.headers["WWW-Authenticate"].startswith("Bearer")


async def test_a_reviewer_cannot_issue_or_revoke(node: Node) -> None:
    from issuer_node.accounts import add_user, issue_api_token

    store_node = open_node(IssuerConfig(data_dir=node.data), need_key=False)
    try:
        reviewer = add_user(store_node.store, "rev@riverside.example.org", "reviewer").user
        token = issue_api_token(store_node.store, reviewer)
    finally:
        store_node.close()
    status, problem, _ = await node.post("/credentials/issue", {"credential": {}}, token=token)
    assert status == 403 and problem["type"] == "urn:satchel:problem:wrong_role"
    status, listed, _ = await node.get_json("/api/achievements", token=token)
    assert status == 200 and listed == {"achievements": []}


async def test_unknown_things_are_404_problems(node: Node) -> None:
    for path in ("/credentials/unknown", "/achievements/unknown", "/status/unknown", "/images/" + "0" * 64,
                 "/no/such/route"):
        async with node.http.get(node.url + path, headers=node.auth()) as response:
            assert response.status == 404, path
            assert (await _problem(response))["status"] == 404


async def test_status_indices_are_unique_and_random(node: Node) -> None:
    achievement = await _define(node)
    issuer = open_node(IssuerConfig(data_dir=node.data))
    try:
        batch = issue_batch(issuer, [IssueRequest(achievement=achievement["key"],
                                                  recipient=Recipient(email=f"t{i}@x.example")) for i in range(300)])
    finally:
        issuer.close()
    one_more = await _issue(node, {"achievement": achievement["key"], "recipient": {"did": HOLDER}})
    documents = [c.document for c in batch] + [one_more]
    for purpose_index, purpose in enumerate(("revocation", "suspension")):
        entries = [d["credentialStatus"][purpose_index] for d in documents]
        assert {e["statusPurpose"] for e in entries} == {purpose}
        assert len({e["statusListCredential"] for e in entries}) == 1
        indices = [int(e["statusListIndex"]) for e in entries]
        assert len(set(indices)) == 301, "an index was given twice"
        assert all(0 <= i < MIN_BITSTRING_BITS for i in indices)
        # Not issuance order: neither sorted nor a run of neighbours, spread over the list.
        assert indices != sorted(indices)
        assert sum(1 for a, b in zip(indices, indices[1:]) if b - a == 1) < 10
        assert max(indices) - min(indices) > MIN_BITSTRING_BITS // 2


async def test_status_list_is_signed_once_and_re_signed_after_a_change_from_another_process(node: Node) -> None:
    achievement = await _define(node)
    credential = await _issue(node, {"achievement": achievement["key"], "recipient": {"did": HOLDER}})
    url = credential["credentialStatus"][0]["statusListCredential"]
    _, first, _ = await node.get_json(url, token="")
    _, second, _ = await node.get_json(url, token="")
    assert first["proof"] == second["proof"], "a GET must not re-sign an unchanged list"
    # As ``satchel issuer revoke`` does while the node serves: its own connection, no signing.
    cli = open_node(IssuerConfig(data_dir=node.data), need_key=False)
    try:
        change = change_status(cli, credential["id"], "revoke", reason="from the command line")
    finally:
        cli.close()
    assert change.resigned is False
    _, third, _ = await node.get_json(url, token="")
    assert third["proof"]["proofValue"] != first["proof"]["proofValue"]
    bits = decode_encoded_list(third["credentialSubject"]["encodedList"])
    assert get_status(bits, int(credential["credentialStatus"][0]["statusListIndex"])) == 1


async def test_a_retired_achievement_issues_nothing(node: Node) -> None:
    achievement = await _define(node)
    status, retired, _ = await node.post(f"/api/achievements/{achievement['key']}/retire", {})
    assert status == 200 and retired["retired"] is True
    status, problem, _ = await node.post("/credentials/issue", {"credential": {"achievement": achievement["key"],
                                                                              "recipient": {"did": HOLDER}}})
    assert status == 409 and problem["type"] == "urn:satchel:problem:achievement_retired"


async def test_openapi_lists_every_route_and_no_response_carries_the_key(node: Node) -> None:
    achievement = await _define(node)
    credential = await _issue(node, {"achievement": achievement["key"], "recipient": {"did": HOLDER}})
    status, document, _ = await node.get_json("/openapi.json", token="")
    assert status == 200 and document["openapi"].startswith("3.1")
    for path, method in [("/credentials/issue", "post"), ("/credentials/{key}", "get"), ("/status/{key}", "get"),
                         ("/api/achievements", "post"), ("/api/achievements", "get"), ("/achievements/{key}", "get"),
                         ("/api/credentials/{key}/revoke", "post"), ("/api/credentials/{key}/suspend", "post"),
                         ("/api/credentials/{key}/unsuspend", "post"), ("/", "get")]:
        assert method in document["paths"][path], path
    secret = json.loads((node.data / "issuer.key").read_text())["secretKeyMultibase"]
    bodies = [json.dumps(document), json.dumps(credential)]
    for path in ("/", f"/credentials/{credential['id'].rsplit('/', 1)[1]}", "/api/achievements",
                 credential["credentialStatus"][0]["statusListCredential"]):
        async with node.http.get(path if path.startswith("http") else node.url + path, headers=node.auth()) as r:
            bodies.append(await r.text())
    assert not any(secret in body for body in bodies)


async def test_ids_already_issued_survive_a_new_public_url(tmp_path: Path) -> None:
    data = tmp_path / "node"
    token = init_node(data, name="Riverside USD", url="https://riverside.example.org",
                      public_url="https://old.riverside.example.org").admin_token
    first = create_app(IssuerConfig(data_dir=data))
    async with serving(first) as url, aiohttp.ClientSession() as http:
        adopt_bound_url(first, url)  # A configured public URL wins over the bound one.
        node = Node(url=url, token=token, data=data, http=http)
        achievement = await _define(node)
        credential = await _issue(node, {"achievement": achievement["key"], "recipient": {"did": HOLDER}})
    assert credential["id"].startswith("https://old.riverside.example.org/credentials/")
    second = create_app(IssuerConfig(data_dir=data, public_url="https://new.riverside.example.org"))
    async with serving(second) as url, aiohttp.ClientSession() as http:
        node = Node(url=url, token=token, data=data, http=http)
        _, entry, _ = await node.get_json(f"/credentials/{credential['id'].rsplit('/', 1)[1]}")
        assert entry["verifiableCredential"]["id"] == credential["id"]
        _, public, _ = await node.get_json(f"/achievements/{achievement['key']}", token="")
        assert public["id"] == achievement["id"]
        newer = await _issue(node, {"achievement": achievement["key"], "recipient": {"did": HOLDER}})
        assert newer["id"].startswith("https://new.riverside.example.org/credentials/")
        assert newer["credentialSubject"]["achievement"]["id"] == achievement["id"]


async def test_dry_run_names_the_fault_of_each_request_and_issues_nothing(node: Node) -> None:
    from issuer_node.issuing import check_requests

    achievement = await _define(node, evidence="required")
    checker = open_node(IssuerConfig(data_dir=node.data), need_key=False)
    try:
        results = check_requests(checker, [
            IssueRequest(achievement=achievement["key"], recipient=Recipient(email="a@x.example"), narrative="n"),
            IssueRequest(achievement=achievement["key"], recipient=Recipient(email="not-an-email"), narrative="n"),
            IssueRequest(achievement="https://elsewhere.example/achievements/1", recipient=Recipient(did=HOLDER)),
            IssueRequest(achievement=achievement["key"], recipient=Recipient(did=HOLDER)),
        ])
        assert checker.store.count_credentials() == 0
    finally:
        checker.close()
    assert results[0] is None
    assert [(r.code, r.field) for r in results[1:] if r is not None] == [
        ("invalid_request", "recipient.email"), ("achievement_not_found", "achievement"),
        ("evidence_required", "evidence")]


async def test_without_a_configured_public_url_each_serve_publishes_under_its_own_address(tmp_path: Path) -> None:
    data = tmp_path / "node"
    token = init_node(data, name="Riverside USD", url="https://riverside.example.org").admin_token
    seen = []
    for _ in range(2):
        app = create_app(IssuerConfig(data_dir=data))
        async with serving(app) as url, aiohttp.ClientSession() as http:
            adopt_bound_url(app, url)
            achievement = await _define(Node(url=url, token=token, data=data, http=http))
            assert achievement["id"].startswith(url + "/achievements/")
            seen.append(url)
    # A command run now mints ids under the address the node was last served at.
    cli = open_node(IssuerConfig(data_dir=data), need_key=False)
    try:
        assert cli.public_url == seen[-1]
    finally:
        cli.close()
