"""The verifier service's VC-API routes, on a real server: verdicts, failed checks named, bad bodies refused.

Every credential is built and signed here with fresh did:key pairs; the
service is ``verifier_web.app.create_app`` served on 127.0.0.1 with a free port.
"""

from __future__ import annotations

import copy
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from verifier_service_support import issue, present, status_list

from credentials.keys import Ed25519KeyPair, generate_key_pair
from verifier.registry import TrustRegistry
from verifier_web.app import create_app
from verifier_web.config import ServiceConfig
from webbase.testing import serving

PROBLEM = "application/problem+json"


@pytest.fixture
def district() -> Ed25519KeyPair:
    return generate_key_pair()


@pytest.fixture
def teacher() -> Ed25519KeyPair:
    return generate_key_pair()


async def _post(url: str, path: str, body: Any, *, raw: bytes | None = None,
                content_type: str = "application/json") -> tuple[int, str, Any]:
    data = raw if raw is not None else json.dumps(body).encode()
    async with aiohttp.ClientSession() as client, client.post(
            url + path, data=data, headers={"Content-Type": content_type}) as response:
        text = await response.text()
        return response.status, response.content_type, json.loads(text) if text else None


@pytest.fixture
async def base_url() -> AsyncIterator[str]:
    async with serving(create_app(ServiceConfig())) as url:
        yield url


async def test_a_good_credential_verifies(base_url: str, district: Ed25519KeyPair, teacher: Ed25519KeyPair) -> None:
    credential = issue(district, recipient=teacher.did)
    status, content_type, result = await _post(base_url, "/credentials/verify", {"verifiableCredential": credential})
    assert (status, content_type) == (200, "application/json")
    assert result["verified"] is True and result["errors"] == []
    assert {"syntax", "contexts", "proof", "issuer-key", "schema", "validity"} <= set(result["checks"])
    # What could not run is a warning with its reason, never a pass.
    assert "status" not in result["checks"] and "registry" not in result["checks"]
    assert {warning["check"] for warning in result["warnings"]} == {"status", "registry"}
    assert all(w["type"].startswith("urn:satchel:check:") and w["detail"] for w in result["warnings"])
    assert result["report"]["badge"]["name"] == "Padlet for Class Discussion"
    assert result["report"]["headline"].startswith("VERIFIED, but")


async def test_a_tampered_credential_fails_naming_the_proof(base_url: str, district: Ed25519KeyPair,
                                                            teacher: Ed25519KeyPair) -> None:
    credential = issue(district, recipient=teacher.did)
    credential["credentialSubject"]["achievement"]["name"] = "Nearpod Master"
    status, _, result = await _post(base_url, "/credentials/verify", {"verifiableCredential": credential})
    assert status == 200 and result["verified"] is False
    assert "proof" not in result["checks"]
    assert [(error["check"], error["code"]) for error in result["errors"]] == [("proof", "signature_mismatch")]
    assert result["report"]["headline"] == "NOT VERIFIED"


async def test_a_credential_given_as_a_vc_jwt_verifies(base_url: str, district: Ed25519KeyPair,
                                                       teacher: Ed25519KeyPair) -> None:
    from verifier_service_support import START, achievement

    from credentials.ob3 import build_credential
    from credentials.vcjwt import sign_vc_jwt

    unsigned = build_credential(issuer={"id": district.did, "name": "Lakeside District"}, achievement=achievement(),
                                recipient_did=teacher.did, credential_id="urn:uuid:5d2c1b0a-9e8f-4a7b-8c6d-5e4f3a2b1c0d",
                                valid_from=START)
    token = sign_vc_jwt(unsigned, signer=district)
    status, _, result = await _post(base_url, "/credentials/verify", {"verifiableCredential": token})
    assert status == 200 and result["verified"] is True and "proof" in result["checks"]


async def test_a_presentation_with_challenge_and_domain(base_url: str, district: Ed25519KeyPair,
                                                        teacher: Ed25519KeyPair) -> None:
    vp = present(teacher, [issue(district, recipient=teacher.did)], challenge="c-81f2", domain="https://hr.example")
    body = {"verifiablePresentation": vp, "options": {"challenge": "c-81f2", "domain": "https://hr.example"}}
    status, _, result = await _post(base_url, "/presentations/verify", body)
    assert status == 200 and result["verified"] is True
    assert {"proof", "challenge", "domain", "holder", "nested"} <= set(result["checks"])
    assert result["report"]["badges"][0]["name"] == "Padlet for Class Discussion"

    body["options"]["challenge"] = "another-challenge"
    status, _, result = await _post(base_url, "/presentations/verify", body)
    assert status == 200 and result["verified"] is False
    assert [(e["check"], e["code"]) for e in result["errors"]] == [("challenge", "challenge_mismatch")]


async def test_a_revoked_credential_in_a_presentation_carrying_its_list(base_url: str, district: Ed25519KeyPair,
                                                                        teacher: Ed25519KeyPair) -> None:
    credential = issue(district, recipient=teacher.did, status_index=41)
    vp = present(teacher, [credential, status_list(district, revoked=41)])
    _, _, result = await _post(base_url, "/presentations/verify", {"verifiablePresentation": vp})
    assert result["verified"] is False
    assert {"check": "status", "code": "revoked", "where": "verifiableCredential[0]"}.items() <= {
        k: v for error in result["errors"] if error["check"] == "status" for k, v in error.items()}.items()

    vp = present(teacher, [credential, status_list(district)])
    _, _, result = await _post(base_url, "/presentations/verify", {"verifiablePresentation": vp})
    assert result["verified"] is True
    assert not [w for w in result["warnings"] if w["check"] == "status"]

    vp = present(teacher, [credential])
    _, _, result = await _post(base_url, "/presentations/verify", {"verifiablePresentation": vp})
    assert [w["code"] for w in result["warnings"] if w["check"] == "status"] == ["status_list_missing"]


async def test_status_lists_given_at_start_are_used(district: Ed25519KeyPair, teacher: Ed25519KeyPair) -> None:
    config = ServiceConfig(status_lists=(status_list(district, revoked=7),))
    async with serving(create_app(config)) as url:
        body = {"verifiableCredential": issue(district, recipient=teacher.did, status_index=7)}
        _, _, result = await _post(url, "/credentials/verify", body)
    assert result["verified"] is False
    assert [(e["check"], e["code"]) for e in result["errors"]] == [("status", "revoked")]


@pytest.mark.parametrize(("path", "body", "code"), [
    ("/credentials/verify", b"{not json", "json_syntax"),
    ("/credentials/verify", b"[1, 2]", "not_an_object"),
    ("/credentials/verify", b"{}", "missing_field"),
    ("/credentials/verify", json.dumps({"verifiableCredential": 42}).encode(), "invalid_field"),
    ("/credentials/verify", json.dumps({"verifiableCredential": "not a jwt"}).encode(), "invalid_field"),
    ("/credentials/verify", json.dumps({"verifiableCredential": {"type": ["VerifiablePresentation"]}}).encode(),
     "invalid_field"),
    ("/credentials/verify", json.dumps({"verifiableCredential": {}, "options": []}).encode(), "invalid_field"),
    ("/credentials/verify", json.dumps({"verifiableCredential": {}, "options": {"challenge": 5}}).encode(),
     "invalid_field"),
    ("/credentials/verify", b'{"verifiableCredential": ' + b"[" * 200 + b"]" * 200 + b"}", "json_too_deep"),
    ("/credentials/verify", b'{"verifiableCredential": {}, "verifiableCredential": {}}', "json_duplicate_key"),
    ("/presentations/verify", b"{}", "missing_field"),
    ("/presentations/verify", json.dumps({"verifiablePresentation": "eyJ"}).encode(), "invalid_field"),
    ("/presentations/verify", json.dumps({"verifiablePresentation": {"type": "VerifiableCredential"}}).encode(),
     "invalid_field"),
])
async def test_bad_bodies_are_400_problems(base_url: str, path: str, body: bytes, code: str) -> None:
    status, content_type, problem = await _post(base_url, path, None, raw=body)
    assert (status, content_type) == (400, PROBLEM)
    assert problem["type"] == f"urn:satchel:problem:{code}" and problem["status"] == 400 and problem["detail"]


async def test_a_body_that_is_not_json_is_415(base_url: str) -> None:
    status, content_type, problem = await _post(base_url, "/credentials/verify", None, raw=b"x=1",
                                                content_type="application/x-www-form-urlencoded")
    assert (status, content_type, problem["type"]) == (415, PROBLEM, "urn:satchel:problem:unsupported_media_type")


async def test_a_document_of_any_shape_gets_a_report_never_a_500(base_url: str, district: Ed25519KeyPair,
                                                                 teacher: Ed25519KeyPair) -> None:
    good = issue(district, recipient=teacher.did)
    shapes: list[Any] = [{}, {"@context": 5}, {"proof": "x"}, dict(good, proof=[None, 3]),
                         dict(good, credentialSubject="nobody"), dict(good, issuer=["a"])]
    for shape in shapes:
        status, _, result = await _post(base_url, "/credentials/verify", {"verifiableCredential": copy.deepcopy(shape)})
        assert status == 200, shape
        assert result["verified"] is False and result["errors"]


async def test_openapi_lists_the_routes(base_url: str) -> None:
    async with aiohttp.ClientSession() as client, client.get(base_url + "/openapi.json") as response:
        document = await response.json()
    assert document["openapi"].startswith("3.1")
    assert {"post"} <= set(document["paths"]["/credentials/verify"])
    assert {"post"} <= set(document["paths"]["/presentations/verify"])
    assert {"/", "/verify/link", "/verify/paste", "/verify/upload", "/openapi.json"} <= set(document["paths"])


async def test_a_registry_keeps_signature_apart_from_issuer(district: Ed25519KeyPair, teacher: Ed25519KeyPair) -> None:
    registry = TrustRegistry({district.did: "Lakeside School District"})
    async with serving(create_app(ServiceConfig(registry=registry))) as url:
        _, _, known = await _post(url, "/credentials/verify", {"verifiableCredential": issue(district, recipient=teacher.did)})
        stranger = generate_key_pair()
        _, _, unknown = await _post(url, "/credentials/verify", {
            "verifiableCredential": issue(stranger, recipient=teacher.did, name="Hillcrest Academy")})
        _, _, impostor = await _post(url, "/credentials/verify", {
            "verifiableCredential": issue(stranger, recipient=teacher.did, name="Lakeside  school district")})
    assert known["verified"] is True and "registry" in known["checks"]
    assert known["report"]["badge"]["issuer"]["source"] == "confirmed by the trust registry"
    for result, code in ((unknown, "issuer_unknown"), (impostor, "impersonation_suspected")):
        assert "proof" in result["checks"] and "issuer-key" in result["checks"]  # The signature itself is fine.
        assert [(e["check"], e["code"]) for e in result["errors"]] == [("registry", code)]
        assert result["report"]["badge"]["issuer"]["source"] == "claimed by the credential"


async def test_an_enveloped_vc_jwt_is_unwrapped(base_url: str, district: Ed25519KeyPair, teacher: Ed25519KeyPair) -> None:
    from verifier_service_support import START, achievement

    from credentials.ob3 import build_credential
    from credentials.vcjwt import sign_vc_jwt

    unsigned = build_credential(issuer={"id": district.did, "name": "Lakeside District"}, achievement=achievement(),
                                recipient_did=teacher.did, credential_id="urn:uuid:7a6b5c4d-3e2f-4a1b-9c8d-7e6f5a4b3c2d",
                                valid_from=START)
    envelope = {"@context": ["https://www.w3.org/ns/credentials/v2"], "type": "EnvelopedVerifiableCredential",
                "id": "data:application/vc+jwt," + sign_vc_jwt(unsigned, signer=district)}
    _, _, result = await _post(base_url, "/credentials/verify", {"verifiableCredential": envelope})
    assert result["verified"] is True and result["report"]["badge"]["name"] == "Padlet for Class Discussion"


async def test_verifications_are_rate_limited_per_client(district: Ed25519KeyPair, teacher: Ed25519KeyPair) -> None:
    body = {"verifiableCredential": issue(district, recipient=teacher.did)}
    async with serving(create_app(ServiceConfig(verify_limit=2))) as url:
        first = [await _post(url, "/credentials/verify", body) for _ in range(2)]
        async with aiohttp.ClientSession() as client, client.post(url + "/credentials/verify", json=body) as response:
            status, content_type, retry = response.status, response.content_type, response.headers.get("Retry-After")
            problem = await response.json(content_type=None)
        async with aiohttp.ClientSession() as client, client.get(url + "/openapi.json") as response:
            still_readable = response.status
    assert [status for status, _, _ in first] == [200, 200]
    assert (status, content_type, problem["type"]) == (429, PROBLEM, "urn:satchel:problem:rate_limited")
    assert retry is not None and int(retry) >= 1
    assert still_readable == 200
