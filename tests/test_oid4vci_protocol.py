"""The issuer's OpenID4VCI endpoints spoken to directly over HTTP: metadata, token and credential errors.

Each refusal is pinned to the error code OpenID4VCI 1.0 / RFC 6749 / RFC 6750
name for it, so any standards-following wallet can tell what went wrong.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from oid4vci_harness import ACHIEVEMENT

from credentials.b64 import b64url_encode
from credentials.jws import sign_compact_jws
from credentials.keys import Ed25519KeyPair, generate_key_pair
from issuer_node.app import adopt_bound_url, create_app
from issuer_node.awards import AwardCreated, create_award, pre_authorized_code
from issuer_node.config import IssuerConfig
from issuer_node.node import IssuerNode
from issuer_node.provisioning import init_node
from issuer_node.state import NODE
from wallet.oid4vci_client import PRE_AUTHORIZED_GRANT, key_proof
from webbase.testing import serving


@dataclass
class Node:
    url: str
    node: IssuerNode
    http: aiohttp.ClientSession
    achievement_id: str
    admin_token: str

    def award(self, **kwargs: Any) -> AwardCreated:
        return create_award(self.node.store, achievement_id=self.achievement_id, email="ana@school.example",
                            name=None, **kwargs)

    async def token(self, form: dict[str, str]) -> tuple[int, dict[str, Any], aiohttp.typedefs.LooseHeaders]:
        async with self.http.post(f"{self.url}/token", data=form) as response:
            return response.status, await response.json(content_type=None), response.headers

    async def access_token(self, **kwargs: Any) -> str:
        created = self.award(**kwargs)
        status, body, _ = await self.token({"grant_type": PRE_AUTHORIZED_GRANT,
                                            "pre-authorized_code": pre_authorized_code(created.offer_token)})
        assert status == 200, body
        return str(body["access_token"])

    async def nonce(self) -> str:
        async with self.http.post(f"{self.url}/nonce") as response:
            assert response.status == 200 and response.headers["Cache-Control"] == "no-store"
            return str((await response.json())["c_nonce"])

    async def credential(self, access_token: str | None, body: Any) -> tuple[int, dict[str, Any], Any]:
        headers = {"Authorization": f"Bearer {access_token}"} if access_token else {}
        async with self.http.post(f"{self.url}/credential", json=body, headers=headers) as response:
            return response.status, await response.json(content_type=None), response.headers


@pytest.fixture
async def node(tmp_path: Path) -> AsyncIterator[Node]:
    data = tmp_path / "node"
    result = init_node(data, name="Riverside USD", url="https://riverside.example.org")
    app = create_app(IssuerConfig(data_dir=data))
    async with serving(app) as url, aiohttp.ClientSession() as http:
        adopt_bound_url(app, url)
        async with http.post(f"{url}/api/achievements", json=ACHIEVEMENT,
                             headers={"Authorization": f"Bearer {result.admin_token}"}) as response:
            achievement_id = (await response.json())["id"]
        yield Node(url=url, node=app[NODE], http=http, achievement_id=achievement_id, admin_token=result.admin_token)


def _request(proof: str) -> dict[str, Any]:
    return {"credential_configuration_id": "OpenBadgeCredential", "proofs": {"jwt": [proof]}}


def _unsigned(header: dict[str, Any], payload: dict[str, Any]) -> str:
    def part(value: dict[str, Any]) -> str:
        return b64url_encode(json.dumps(value).encode())
    return f"{part(header)}.{part(payload)}."


async def test_metadata_offers_an_ldp_vc_open_badge_bound_to_did_key_with_eddsa_proofs(node: Node) -> None:
    async with node.http.get(f"{node.url}/.well-known/openid-credential-issuer") as response:
        assert response.status == 200 and response.content_type == "application/json"
        metadata = await response.json()
    assert metadata["credential_issuer"] == node.url
    assert metadata["credential_endpoint"] == f"{node.url}/credential"
    assert metadata["nonce_endpoint"] == f"{node.url}/nonce"
    configuration = metadata["credential_configurations_supported"]["OpenBadgeCredential"]
    assert configuration["format"] == "ldp_vc"
    assert configuration["credential_definition"]["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert configuration["credential_definition"]["@context"][:2] == [
        "https://www.w3.org/ns/credentials/v2", "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"]
    assert configuration["cryptographic_binding_methods_supported"] == ["did:key"]
    assert configuration["credential_signing_alg_values_supported"] == ["eddsa-rdfc-2022"]
    assert "EdDSA" in configuration["proof_types_supported"]["jwt"]["proof_signing_alg_values_supported"]
    [display] = configuration["credential_metadata"]["display"]
    assert display["name"] and display["locale"] == "en-US"
    assert metadata["display"][0]["name"] == "Riverside USD"

    async with node.http.get(f"{node.url}/.well-known/oauth-authorization-server") as response:
        server = await response.json()
    assert server["issuer"] == node.url and server["token_endpoint"] == f"{node.url}/token"
    assert server["pre-authorized_grant_anonymous_access_supported"] is True
    assert PRE_AUTHORIZED_GRANT in server["grant_types_supported"]


async def test_offer_json_carries_the_grant_and_the_tx_code_description(node: Node) -> None:
    plain, pinned = node.award(), node.award(tx_code=True)
    async with node.http.get(plain.credential_offer_uri) as response:
        assert response.status == 200 and response.content_type == "application/json"
        assert response.headers["Cache-Control"] == "no-store"
        offer = await response.json()
    assert offer == {"credential_issuer": node.url, "credential_configuration_ids": ["OpenBadgeCredential"],
                     "grants": {PRE_AUTHORIZED_GRANT: {"pre-authorized_code": pre_authorized_code(plain.offer_token)}}}
    async with node.http.get(pinned.credential_offer_uri) as response:
        grant = (await response.json())["grants"][PRE_AUTHORIZED_GRANT]
    assert grant["tx_code"]["input_mode"] == "numeric" and grant["tx_code"]["length"] == 6
    assert grant["tx_code"]["description"]
    async with node.http.get(f"{node.url}/offers/{'x' * 43}") as response:
        assert response.status == 404 and response.content_type == "application/problem+json"


@pytest.mark.parametrize("case, error", [
    ("wrong grant type", "unsupported_grant_type"),
    ("no grant type", "invalid_request"),
    ("no code", "invalid_request"),
    ("unknown code", "invalid_grant"),
    ("used twice", "invalid_grant"),
    ("expired", "invalid_grant"),
    ("tx_code missing", "invalid_request"),
    ("tx_code wrong", "invalid_grant"),
    ("tx_code not expected", "invalid_request"),
    ("json instead of a form", "invalid_request"),
])
async def test_token_errors_are_oauth_shaped(node: Node, case: str, error: str) -> None:
    from datetime import datetime, timedelta, timezone

    created = node.award(tx_code=case.startswith("tx_code") and case != "tx_code not expected",
                         **({"now": datetime.now(timezone.utc) - timedelta(days=31)} if case == "expired" else {}))
    form = {"grant_type": PRE_AUTHORIZED_GRANT, "pre-authorized_code": pre_authorized_code(created.offer_token)}
    if case == "wrong grant type":
        form["grant_type"] = "authorization_code"
    elif case == "no grant type":
        del form["grant_type"]
    elif case == "no code":
        del form["pre-authorized_code"]
    elif case == "unknown code":
        form["pre-authorized_code"] = "not-a-code-anyone-issued"
    elif case == "used twice":
        status, _, _ = await node.token(dict(form))
        assert status == 200
    elif case == "tx_code wrong":
        form["tx_code"] = "000000" if created.tx_code != "000000" else "111111"
    elif case == "tx_code not expected":
        form["tx_code"] = "123456"
    if case == "json instead of a form":
        async with node.http.post(f"{node.url}/token", json=form) as response:
            status, body = response.status, await response.json(content_type=None)
    else:
        status, body, headers = await node.token(form)
        assert headers["Cache-Control"] == "no-store"
    assert status == 400 and body["error"] == error, body
    assert isinstance(body["error_description"], str) and body["error_description"]


async def test_unknown_parameters_are_ignored_and_the_token_answer_is_rfc6749(node: Node) -> None:
    created = node.award()
    status, body, headers = await node.token({"grant_type": PRE_AUTHORIZED_GRANT, "client_id": "some-wallet",
                                              "pre-authorized_code": pre_authorized_code(created.offer_token),
                                              "something_new": "x"})
    assert status == 200 and headers["Cache-Control"] == "no-store"
    assert body["token_type"] == "Bearer" and body["expires_in"] > 0 and len(body["access_token"]) >= 40
    holder = generate_key_pair()
    proof = key_proof(holder, audience=node.url, nonce=await node.nonce(), issued_at=int(time.time()))
    status, answer, headers = await node.credential(body["access_token"], {**_request(proof), "future_field": 1})
    assert status == 200 and headers["Cache-Control"] == "no-store", answer
    [item] = answer["credentials"]
    assert item["credential"]["credentialSubject"]["id"] == holder.did


def _proof(case: str, holder: Ed25519KeyPair, node: Node, nonce: str) -> str:
    now = int(time.time())
    if case == "wrong aud":
        return key_proof(holder, audience="https://other-issuer.example", nonce=nonce, issued_at=now)
    if case == "alg none":
        return _unsigned({"typ": "openid4vci-proof+jwt", "alg": "none", "kid": holder.verification_method},
                         {"aud": node.url, "iat": now, "nonce": nonce})
    if case == "wrong key":
        # The header names one key, another key signed it.
        honest = key_proof(holder, audience=node.url, nonce=nonce, issued_at=now)
        forged = key_proof(generate_key_pair(), audience=node.url, nonce=nonce, issued_at=now)
        return ".".join(honest.split(".")[:2] + forged.split(".")[2:])
    if case == "no typ":
        return sign_compact_jws({}, {"aud": node.url, "iat": now, "nonce": nonce}, signer=holder)
    if case == "old iat":
        return key_proof(holder, audience=node.url, nonce=nonce, issued_at=now - 3600)
    if case == "iat before the epoch":
        return key_proof(holder, audience=node.url, nonce=nonce, issued_at=-9 * 10 ** 10)
    if case == "no nonce":
        return key_proof(holder, audience=node.url, nonce=None, issued_at=now)
    if case == "jwk instead of kid":
        return _unsigned({"typ": "openid4vci-proof+jwt", "alg": "EdDSA",
                          "jwk": {"kty": "OKP", "crv": "Ed25519", "x": b64url_encode(holder.public_key)}},
                         {"aud": node.url, "iat": now, "nonce": nonce})
    if case == "unknown nonce":
        return key_proof(holder, audience=node.url, nonce="made-up-by-the-wallet", issued_at=now)
    if case == "not a jwt":
        return "not.a-jwt"
    raise AssertionError(case)


@pytest.mark.parametrize("case, error", [
    ("wrong aud", "invalid_proof"),
    ("alg none", "invalid_proof"),
    ("wrong key", "invalid_proof"),
    ("no typ", "invalid_proof"),
    ("old iat", "invalid_proof"),
    ("iat before the epoch", "invalid_proof"),
    ("no nonce", "invalid_proof"),
    ("jwk instead of kid", "invalid_proof"),
    ("not a jwt", "invalid_proof"),
    ("unknown nonce", "invalid_nonce"),
])
async def test_bad_key_proofs_are_refused(node: Node, case: str, error: str) -> None:
    access_token = await node.access_token()
    holder = generate_key_pair()
    status, body, _ = await node.credential(access_token, _request(_proof(case, holder, node, await node.nonce())))
    assert status == 400 and body["error"] == error, body
    # A refused proof spends nothing: a good one still gets the credential.
    good = key_proof(holder, audience=node.url, nonce=await node.nonce(), issued_at=int(time.time()))
    status, body, _ = await node.credential(access_token, _request(good))
    assert status == 200 and body["credentials"][0]["credential"]["credentialSubject"]["id"] == holder.did


async def test_a_nonce_is_used_once(node: Node) -> None:
    holder = generate_key_pair()
    nonce = await node.nonce()
    first = key_proof(holder, audience=node.url, nonce=nonce, issued_at=int(time.time()))
    status, _, _ = await node.credential(await node.access_token(), _request(first))
    assert status == 200
    replayed = key_proof(holder, audience=node.url, nonce=nonce, issued_at=int(time.time()))
    status, body, _ = await node.credential(await node.access_token(), _request(replayed))
    assert status == 400 and body["error"] == "invalid_nonce"


@pytest.mark.parametrize("case, status, error", [
    ("no access token", 401, "invalid_token"),
    ("unknown access token", 401, "invalid_token"),
    ("unknown configuration", 400, "unknown_credential_configuration"),
    ("no configuration", 400, "invalid_credential_request"),
    ("no proofs", 400, "invalid_proof"),
    ("other proof type", 400, "invalid_proof"),
    ("two proofs", 400, "invalid_proof"),
])
async def test_credential_request_errors(node: Node, case: str, status: int, error: str) -> None:
    access_token: str | None = await node.access_token()
    holder = generate_key_pair()
    proof = key_proof(holder, audience=node.url, nonce=await node.nonce(), issued_at=int(time.time()))
    body: dict[str, Any] = _request(proof)
    if case == "no access token":
        access_token = None
    elif case == "unknown access token":
        access_token = "x" * 43
    elif case == "unknown configuration":
        body["credential_configuration_id"] = "UniversityDegree"
    elif case == "no configuration":
        del body["credential_configuration_id"]
    elif case == "no proofs":
        del body["proofs"]
    elif case == "other proof type":
        body["proofs"] = {"di_vp": [{}]}
    elif case == "two proofs":
        body["proofs"]["jwt"].append(proof)
    got, answer, headers = await node.credential(access_token, body)
    assert got == status and answer["error"] == error, answer
    if status == 401:
        assert headers["WWW-Authenticate"].startswith('Bearer error="invalid_token"')


async def test_a_second_request_gets_the_same_credential_and_another_key_is_denied(node: Node) -> None:
    access_token = await node.access_token()
    holder = generate_key_pair()

    async def ask(key: Ed25519KeyPair) -> tuple[int, dict[str, Any]]:
        proof = key_proof(key, audience=node.url, nonce=await node.nonce(), issued_at=int(time.time()))
        status, body, _ = await node.credential(access_token, _request(proof))
        return status, body

    status, first = await ask(holder)
    status_again, again = await ask(holder)
    assert status == status_again == 200 and first == again
    status, other = await ask(generate_key_pair())
    assert status == 400 and other["error"] == "credential_request_denied"
    assert node.node.store.count_credentials() == 1


async def test_authorization_details_get_credential_identifiers(node: Node) -> None:
    created = node.award()
    details = json.dumps([{"type": "openid_credential", "credential_configuration_id": "OpenBadgeCredential"}])
    status, token, _ = await node.token({"grant_type": PRE_AUTHORIZED_GRANT, "authorization_details": details,
                                         "pre-authorized_code": pre_authorized_code(created.offer_token)})
    assert status == 200
    [detail] = token["authorization_details"]
    [identifier] = detail["credential_identifiers"]
    holder = generate_key_pair()
    proof = key_proof(holder, audience=node.url, nonce=await node.nonce(), issued_at=int(time.time()))
    status, body, _ = await node.credential(token["access_token"],
                                            {"credential_identifier": "nope", "proofs": {"jwt": [proof]}})
    assert status == 400 and body["error"] == "unknown_credential_identifier"
    status, body, _ = await node.credential(token["access_token"],
                                            {"credential_identifier": identifier, "proofs": {"jwt": [proof]}})
    assert status == 200, body


async def test_five_wrong_tx_codes_kill_the_offer(node: Node) -> None:
    created = node.award(tx_code=True)
    assert created.tx_code is not None
    wrong = "000000" if created.tx_code != "000000" else "111111"
    form = {"grant_type": PRE_AUTHORIZED_GRANT, "pre-authorized_code": pre_authorized_code(created.offer_token)}
    for _ in range(5):
        status, body, _ = await node.token({**form, "tx_code": wrong})
        assert status == 400 and body["error"] == "invalid_grant"
    status, body, _ = await node.token({**form, "tx_code": created.tx_code})
    assert status == 400 and body["error"] == "invalid_grant" and "too many" in body["error_description"]


async def test_awards_api_creates_offers_and_shows_their_state(node: Node) -> None:
    admin = {"Authorization": f"Bearer {node.admin_token}"}
    async with node.http.post(f"{node.url}/api/awards", headers=admin, json={
            "achievement": node.achievement_id, "email": "Cy@School.example", "name": "Cy", "txCode": True,
            "evidence": ["https://example.org/lesson-plan"], "somethingElse": 1}) as response:
        assert response.status == 201, await response.text()
        created = await response.json()
    assert created["offerUrl"].startswith("openid-credential-offer://?credential_offer_uri=")
    assert len(created["txCode"]) == 6 and created["emailQueued"] is True
    async with node.http.get(f"{node.url}/api/awards/{created['id']}", headers=admin) as response:
        award = await response.json()
    assert award["state"] == "offered" and award["email"] == "cy@school.example" and "downloads" not in award

    token = created["offerUrl"].rsplit("%2F", 1)[-1]
    status, body, _ = await node.token({"grant_type": PRE_AUTHORIZED_GRANT, "tx_code": created["txCode"],
                                        "pre-authorized_code": pre_authorized_code(token)})
    assert status == 200
    holder = generate_key_pair()
    proof = key_proof(holder, audience=node.url, nonce=await node.nonce(), issued_at=int(time.time()))
    status, issued, _ = await node.credential(body["access_token"], _request(proof))
    assert status == 200
    assert issued["credentials"][0]["credential"]["evidence"][0]["id"] == "https://example.org/lesson-plan"
    async with node.http.get(f"{node.url}/api/awards?email=cy@school.example", headers=admin) as response:
        [award] = (await response.json())["awards"]
    assert award["state"] == "issued" and set(award["downloads"]) == {"json", "png", "svg"}

    async with node.http.post(f"{node.url}/api/awards", json={"achievement": node.achievement_id,
                                                              "email": "x@y.example"}) as response:
        assert response.status == 401
    async with node.http.post(f"{node.url}/api/awards", headers=admin,
                              json={"achievement": node.achievement_id, "email": "nope"}) as response:
        assert response.status == 400 and (await response.json())["field"] == "email"


async def test_openapi_lists_the_delivery_routes(node: Node) -> None:
    async with node.http.get(f"{node.url}/openapi.json") as response:
        paths = (await response.json())["paths"]
    for path in ("/.well-known/openid-credential-issuer", "/.well-known/oauth-authorization-server",
                 "/offers/{token}", "/offers/{token}/qr.png", "/token", "/nonce", "/credential",
                 "/credentials/{key}/download.json", "/credentials/{key}/download.png",
                 "/credentials/{key}/download.svg", "/api/awards", "/api/awards/{id}"):
        assert path in paths, path


async def test_nonces_expire_cannot_be_forged_and_handing_them_out_writes_nothing(node: Node) -> None:
    import sqlite3
    from datetime import datetime, timedelta, timezone

    from issuer_node.oid4vci import new_nonce

    def spent_rows() -> int:
        with sqlite3.connect(node.node.data_dir.db_path) as db:
            return int(db.execute("SELECT count(*) FROM oid4vci_nonces").fetchone()[0])

    for _ in range(20):
        await node.nonce()
    assert spent_rows() == 0
    holder = generate_key_pair()
    expired = new_nonce(node.node, now=datetime.now(timezone.utc) - timedelta(minutes=10))
    fresh = await node.nonce()
    forged = fresh[:-4] + ("AAAA" if not fresh.endswith("AAAA") else "BBBB")
    for nonce in (expired, forged):
        proof = key_proof(holder, audience=node.url, nonce=nonce, issued_at=int(time.time()))
        status, body, _ = await node.credential(await node.access_token(), _request(proof))
        assert status == 400 and body["error"] == "invalid_nonce", nonce
    proof = key_proof(holder, audience=node.url, nonce=fresh, issued_at=int(time.time()))
    status, _, _ = await node.credential(await node.access_token(), _request(proof))
    assert status == 200 and spent_rows() == 1


async def test_a_draft_style_wallet_using_the_token_nonce_and_a_single_proof_is_served(node: Node) -> None:
    created = node.award()
    status, token, _ = await node.token({"grant_type": PRE_AUTHORIZED_GRANT,
                                         "pre-authorized_code": pre_authorized_code(created.offer_token)})
    assert status == 200 and token["c_nonce_expires_in"] > 0
    holder = generate_key_pair()
    proof = key_proof(holder, audience=node.url, nonce=token["c_nonce"], issued_at=int(time.time()))
    status, body, _ = await node.credential(token["access_token"], {
        "credential_configuration_id": "OpenBadgeCredential", "proof": {"proof_type": "jwt", "jwt": proof}})
    assert status == 200 and body["credentials"][0]["credential"]["credentialSubject"]["id"] == holder.did


async def test_withdrawn_offers_and_retired_achievements_issue_nothing(node: Node) -> None:
    admin = {"Authorization": f"Bearer {node.admin_token}"}
    withdrawn, kept = node.award(), node.award()
    async with node.http.delete(f"{node.url}/api/awards/{withdrawn.award_id}", headers=admin) as response:
        assert response.status == 200 and (await response.json())["state"] == "expired"
    async with node.http.delete(f"{node.url}/api/awards/{withdrawn.award_id}", headers=admin) as response:
        assert response.status == 409
    async with node.http.get(withdrawn.credential_offer_uri) as response:
        assert response.status == 410
    status, body, _ = await node.token({"grant_type": PRE_AUTHORIZED_GRANT,
                                        "pre-authorized_code": pre_authorized_code(withdrawn.offer_token)})
    assert status == 400 and body["error"] == "invalid_grant"

    async with node.http.post(f"{node.url}/api/achievements/{node.achievement_id.rsplit('/', 1)[-1]}/retire",
                              headers=admin, json={}) as response:
        assert response.status == 200, await response.text()
    async with node.http.get(kept.credential_offer_uri) as response:
        assert response.status == 410
        assert (await response.json())["type"].endswith("offer_withdrawn")
    status, body, _ = await node.token({"grant_type": PRE_AUTHORIZED_GRANT,
                                        "pre-authorized_code": pre_authorized_code(kept.offer_token)})
    assert status == 400 and body["error"] == "invalid_grant" and "retired" in body["error_description"]
    assert node.node.store.count_credentials() == 0
