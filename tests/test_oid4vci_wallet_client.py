"""The wallet's OpenID4VCI client against issuers that misbehave (real aiohttp servers on 127.0.0.1).

An offer is untrusted input: its URLs were written by whoever sent it. These
issuers lie about who they are, redirect elsewhere, answer too much, or need a
second nonce; the client must refuse (or recover) as the spec and our fetch
policy say.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote

import aiohttp
import pytest
from aiohttp import web

from credentials.b64 import b64url_decode
from credentials.keys import generate_key_pair
from wallet.oid4vci_client import PRE_AUTHORIZED_GRANT, IssuerUnreachable, OfferRefused, parse_offer_url, redeem_offer, well_known_url
from webbase.testing import serving

CREDENTIAL = {"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiableCredential"]}


class FakeIssuer:
    """A minimal issuer whose behaviour each test bends one way."""

    def __init__(self) -> None:
        self.base = ""
        self.claimed_issuer: str | None = None
        self.nonces_to_refuse = 0
        self.offer_redirect: str | None = None
        self.huge_metadata = False
        self.seen_proofs: list[str] = []

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/offer", self.offer)
        app.router.add_get("/.well-known/openid-credential-issuer", self.metadata)
        app.router.add_get("/.well-known/oauth-authorization-server", self.server)
        app.router.add_post("/token", self.token)
        app.router.add_post("/nonce", self.nonce)
        app.router.add_post("/credential", self.credential)
        return app

    async def offer(self, request: web.Request) -> web.Response:
        if self.offer_redirect:
            raise web.HTTPFound(self.offer_redirect)
        return web.json_response({"credential_issuer": self.base, "credential_configuration_ids": ["Badge"],
                                  "grants": {PRE_AUTHORIZED_GRANT: {"pre-authorized_code": "code-1"}},
                                  "an_extension_we_do_not_know": {"x": 1}})

    async def metadata(self, request: web.Request) -> web.Response:
        if self.huge_metadata:
            return web.Response(body=b'{"pad": "' + b"x" * (600 * 1024) + b'"}', content_type="application/json")
        return web.json_response({
            "credential_issuer": self.claimed_issuer or self.base, "credential_endpoint": f"{self.base}/credential",
            "nonce_endpoint": f"{self.base}/nonce",
            "credential_configurations_supported": {"Badge": {
                "format": "ldp_vc", "cryptographic_binding_methods_supported": ["did:key"],
                "proof_types_supported": {"jwt": {"proof_signing_alg_values_supported": ["EdDSA"]}}}}})

    async def server(self, request: web.Request) -> web.Response:
        return web.json_response({"issuer": self.base, "token_endpoint": f"{self.base}/token"})

    async def token(self, request: web.Request) -> web.Response:
        form = await request.post()
        assert form["grant_type"] == PRE_AUTHORIZED_GRANT and form["pre-authorized_code"] == "code-1"
        return web.json_response({"access_token": "at-1", "token_type": "bearer", "expires_in": 60})

    async def nonce(self, request: web.Request) -> web.Response:
        return web.json_response({"c_nonce": f"n{len(self.seen_proofs)}"}, headers={"Cache-Control": "no-store"})

    async def credential(self, request: web.Request) -> web.Response:
        assert request.headers["Authorization"] == "Bearer at-1"
        body = await request.json()
        self.seen_proofs.append(body["proofs"]["jwt"][0])
        if self.nonces_to_refuse:
            self.nonces_to_refuse -= 1
            return web.json_response({"error": "invalid_nonce"}, status=400)
        return web.json_response({"credentials": [{"credential": CREDENTIAL}]})


@pytest.fixture
async def issuer() -> AsyncIterator[FakeIssuer]:
    fake = FakeIssuer()
    async with serving(fake.app()) as url:
        fake.base = url
        yield fake


async def _redeem(fake: FakeIssuer) -> Any:
    offer = "openid-credential-offer://?credential_offer_uri=" + quote(f"{fake.base}/offer", safe="")
    async with aiohttp.ClientSession() as session:
        return await redeem_offer(offer, tx_code=None, signer=generate_key_pair(), issued_at=1_900_000_000,
                                  session=session, timeout=5)


async def test_a_plain_issuer_gives_its_credential_and_unknown_offer_members_are_ignored(issuer: FakeIssuer) -> None:
    received = await _redeem(issuer)
    assert received.credentials == (CREDENTIAL,) and received.configuration_id == "Badge"
    [proof] = issuer.seen_proofs
    header = json.loads(b64url_decode(proof.split(".")[0]))
    assert header["typ"] == "openid4vci-proof+jwt" and header["alg"] == "EdDSA"
    assert header["kid"].startswith("did:key:z6Mk") and "#" in header["kid"]


async def test_metadata_naming_another_issuer_is_refused(issuer: FakeIssuer) -> None:
    issuer.claimed_issuer = "https://district.example.org"
    with pytest.raises(OfferRefused) as caught:
        await _redeem(issuer)
    assert caught.value.code == "oid4vci_bad_metadata"
    assert issuer.seen_proofs == []  # Nothing was signed for a lying issuer.


async def test_a_redirect_to_another_host_is_refused(issuer: FakeIssuer) -> None:
    issuer.offer_redirect = issuer.base.replace("127.0.0.1", "localhost") + "/offer"
    with pytest.raises(IssuerUnreachable, match="another host"):
        await _redeem(issuer)


async def test_oversized_metadata_is_refused_while_reading(issuer: FakeIssuer) -> None:
    issuer.huge_metadata = True
    with pytest.raises(IssuerUnreachable, match="more than"):
        await _redeem(issuer)


async def test_invalid_nonce_is_retried_once_with_a_new_nonce(issuer: FakeIssuer) -> None:
    issuer.nonces_to_refuse = 1
    received = await _redeem(issuer)
    assert received.credentials == (CREDENTIAL,) and len(issuer.seen_proofs) == 2
    issuer.seen_proofs.clear()
    issuer.nonces_to_refuse = 2
    with pytest.raises(OfferRefused) as caught:
        await _redeem(issuer)
    assert caught.value.code == "oid4vci_invalid_nonce" and len(issuer.seen_proofs) == 2


@pytest.mark.parametrize("text", [
    "openid-credential-offer://?",
    "openid-credential-offer://?credential_offer_uri=a&credential_offer=%7B%7D",
    "openid-credential-offer://?credential_offer_uri=a&credential_offer_uri=b",
    "openid-credential-offer://?credential_offer=%7Bnot-json",
    "openid-credential-offer://?credential_offer=%5B%5D",
    "ftp://example.org/?credential_offer_uri=https%3A%2F%2Fx",
    "",
])
def test_malformed_offer_urls_are_refused(text: str) -> None:
    with pytest.raises(OfferRefused) as caught:
        parse_offer_url(text)
    assert caught.value.code == "oid4vci_bad_offer"


def test_well_known_urls_go_between_host_and_path() -> None:
    assert well_known_url("https://h.example", "openid-credential-issuer") == \
        "https://h.example/.well-known/openid-credential-issuer"
    assert well_known_url("https://h.example/tenant/7/", "oauth-authorization-server") == \
        "https://h.example/.well-known/oauth-authorization-server/tenant/7"


def test_plain_http_only_for_loopback_or_configured_hosts() -> None:
    from wallet.oid4vci_client import IssuerHttp

    strict = IssuerHttp(session=None, allow_http_hosts=frozenset())  # type: ignore[arg-type]
    configured = IssuerHttp(session=None, allow_http_hosts=frozenset({"badges.internal"}))  # type: ignore[arg-type]
    for url in ("https://badges.example.org/offers/1", "http://127.0.0.1:8080/offers/1", "http://[::1]/x",
                "http://localhost:9/x"):
        assert str(strict.check_url(url, "offer")) == url
    for url in ("http://badges.internal/offers/1", "http://badges.example.org/x", "ftp://127.0.0.1/x",
                "file:///etc/passwd", "https:///no-host"):
        with pytest.raises(OfferRefused) as caught:
            strict.check_url(url, "offer")
        assert caught.value.code == "oid4vci_bad_url"
    assert str(configured.check_url("http://badges.internal/offers/1", "offer")) == "http://badges.internal/offers/1"
    with pytest.raises(OfferRefused):
        configured.check_url("http://other.internal/offers/1", "offer")
