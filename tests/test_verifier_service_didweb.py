"""did:web issuers: their documents are fetched only when the service may, over https, for that DID only.

A real https server on loopback (a certificate made here, trusted through the
service's ``tls`` setting) serves the issuer's DID document.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from verifier_service_support import START, achievement

from credentials.dataintegrity import add_proof
from credentials.keys import Ed25519KeyPair, generate_key_pair
from credentials.loader import bundled_loader
from credentials.ob3 import build_credential
from verifier_web.app import create_app
from verifier_web.config import ServiceConfig
from verifier_web.didweb import did_web_controllers
from webbase.testing import serving


@dataclass(frozen=True)
class DidWebSigner:
    """Signs with an Ed25519 key as ``did:web:…#key-1``."""

    key: Ed25519KeyPair
    did: str

    @property
    def verification_method(self) -> str:
        return self.did + "#key-1"

    @property
    def algorithm(self) -> str:
        return "Ed25519"

    def sign(self, data: bytes) -> bytes:
        return self.key.sign(data)


def _certificate(tmp_path: Path) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(hours=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(cert_path, key_path)
    client = ssl.create_default_context(cafile=str(cert_path))
    return server, client


@dataclass
class Issuer:
    did: str
    signer: DidWebSigner
    client_tls: ssl.SSLContext
    hits: list[str]


@pytest.fixture
async def did_web_issuer(tmp_path: Path) -> AsyncIterator[Issuer]:
    server_tls, client_tls = _certificate(tmp_path)
    key = generate_key_pair()
    hits: list[str] = []
    holder: dict[str, str] = {}

    async def did_json(request: web.Request) -> web.Response:
        hits.append(request.path)
        did = holder["did"]
        return web.json_response({
            "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"], "id": did,
            "verificationMethod": [{"id": did + "#key-1", "type": "Multikey", "controller": did,
                                    "publicKeyMultibase": key.public_key_multibase}],
            "assertionMethod": [did + "#key-1"],
        })

    app = web.Application()
    app.router.add_get("/.well-known/did.json", did_json)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=server_tls)
    await site.start()
    port = runner.addresses[0][1]
    holder["did"] = f"did:web:127.0.0.1%3A{port}"
    try:
        yield Issuer(holder["did"], DidWebSigner(key, holder["did"]), client_tls, hits)
    finally:
        await runner.cleanup()


def _credential(issuer: Issuer) -> dict[str, Any]:
    unsigned = build_credential(issuer={"id": issuer.did, "name": "Riverside District"}, achievement=achievement(),
                                recipient_did=generate_key_pair().did,
                                credential_id="urn:uuid:8c7b6a5d-4e3f-4a2b-9c1d-0e9f8a7b6c5d", valid_from=START)
    return add_proof(unsigned, signer=issuer.signer, loader=bundled_loader(), created=START)


async def _verify(config: ServiceConfig, credential: dict[str, Any]) -> Any:
    async with serving(create_app(config)) as url, aiohttp.ClientSession() as client, client.post(
            url + "/credentials/verify", json={"verifiableCredential": credential}) as response:
        return await response.json()


async def test_a_did_web_issuer_is_resolved_when_its_host_is_allowed(did_web_issuer: Issuer) -> None:
    config = ServiceConfig(allow_hosts=frozenset({"127.0.0.1"}), tls=did_web_issuer.client_tls)
    result = await _verify(config, _credential(did_web_issuer))
    assert result["verified"] is True and {"proof", "issuer-key"} <= set(result["checks"])
    assert did_web_issuer.hits == ["/.well-known/did.json"]


async def test_offline_the_did_web_key_is_not_checked_and_nothing_is_fetched(did_web_issuer: Issuer) -> None:
    result = await _verify(ServiceConfig(tls=did_web_issuer.client_tls), _credential(did_web_issuer))
    assert result["verified"] is False and "proof" not in result["checks"]
    proof = [c for c in result["report"]["checks"] if c["name"] == "proof"]
    assert [c["status"] for c in proof] == ["not checked"]
    assert did_web_issuer.hits == []


def test_the_did_web_controllers_of_a_document_are_found() -> None:
    document = {"proof": [{"verificationMethod": "did:web:a.example#k"}, {"verificationMethod": "did:key:z6Mk#z6Mk"}],
                "verifiableCredential": [{"proof": {"verificationMethod": "did:web:b.example:u#1"}}]}
    assert did_web_controllers(document) == ["did:web:a.example", "did:web:b.example:u"]
