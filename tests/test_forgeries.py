"""The three forgeries of issue 12, each refused with a named check in every form it can take.

1. A did:web key whose DID document claims the district's did:key as its
   controller signs a credential "from" the district: ``issuer-key`` fails (and
   with a registry the district is not named as the signer).
2. An attacker's presentation around another person's credential as a compact
   VC-JWT, an ``EnvelopedVerifiableCredential``, or a JWT whose only recipient is
   its ``sub`` claim: ``holder`` fails.
3. The same presentation with no ``holder`` at all: ``holder`` still fails.

Real keys, real proofs and JWTs; the presentations go through ``verify()``, the
``satchel verify`` command, and baked PNG/SVG images.
"""

from __future__ import annotations

import base64
import io
import json
import ssl
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import png
import pytest

from credentials.baking import bake_png, bake_svg
from credentials.dataintegrity import add_proof
from credentials.keys import Ed25519KeyPair, generate_key_pair
from credentials.loader import bundled_loader
from credentials.resolver import KeyResolver
from credentials.vcjwt import sign_vc_jwt
from verifier.registry import TrustRegistry
from verifier.report import Report
from verifier.verify import VerifyOptions, verify

VC_V2 = "https://www.w3.org/ns/credentials/v2"
OB3 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
NOW = datetime(2026, 9, 15, tzinfo=UTC)
CREATED = "2026-09-01T00:00:00Z"
EVIL = "did:web:evil.example"
SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="2" height="2"><rect width="2" height="2"/></svg>'


class DidSigner:
    """A real Ed25519 key signing as a verification method of any DID (did:web here)."""

    def __init__(self, pair: Ed25519KeyPair, verification_method: str) -> None:
        self.pair = pair
        self._vm = verification_method

    @property
    def verification_method(self) -> str:
        return self._vm

    @property
    def algorithm(self) -> str:
        return "Ed25519"

    def sign(self, data: bytes) -> bytes:
        return self.pair.sign(data)


def _credential(issuer: str, *, subject: dict[str, Any], name: str = "Restorative Circles") -> dict[str, Any]:
    return {
        "@context": [VC_V2, OB3],
        "id": "urn:uuid:8b6f0a4e-1c2d-4e5f-8a9b-0c1d2e3f4a5b",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": issuer, "type": ["Profile"], "name": "Lakeside District"},
        "validFrom": CREATED,
        "credentialSubject": {"type": ["AchievementSubject"], **subject,
                              "achievement": {"id": "https://lakeside.example/a/1", "type": ["Achievement"], "name": name,
                                              "description": "Leads restorative circles.",
                                              "criteria": {"narrative": "Lead three circles."}}},
    }


def _sign(document: dict[str, Any], signer: Any, **kwargs: Any) -> dict[str, Any]:
    return add_proof(document, signer=signer, loader=bundled_loader(), created=CREATED, **kwargs)


def _evil_document(claimed_controller: str, key: Ed25519KeyPair, *, did: str = EVIL,
                   relationships: tuple[str, ...] = ("assertionMethod", "authentication")) -> dict[str, Any]:
    method = f"{did}#k"
    doc: dict[str, Any] = {
        "@context": ["https://www.w3.org/ns/did/v1"], "id": did,
        "verificationMethod": [{"id": method, "type": "Multikey", "controller": claimed_controller,
                                "publicKeyMultibase": key.public_key_multibase}],
    }
    for name in relationships:
        doc[name] = [method]
    return doc


def _options(*documents: dict[str, Any], registry: TrustRegistry | None = None) -> VerifyOptions:
    return VerifyOptions(now=NOW, resolver=KeyResolver(documents), registry=registry)


def _statuses(report: Report, name: str) -> list[str]:
    return [check.status for check in report.find(name)]


def _codes(report: Report, name: str) -> list[str]:
    return [check.code for check in report.find(name)]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _jwt(header: dict[str, Any], payload: dict[str, Any], signer: Any) -> str:
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(payload).encode())}"
    return f"{signing_input}.{_b64(signer.sign(signing_input.encode()))}"


def _png() -> bytes:
    out = io.BytesIO()
    png.Writer(1, 1, greyscale=True).write(out, [[0]])
    return out.getvalue()


@pytest.fixture
def people() -> dict[str, Ed25519KeyPair]:
    return {"district": generate_key_pair(), "attacker": generate_key_pair(), "learner": generate_key_pair()}


# -- forgery 1: a did:web key that claims the district as its controller ----------------------


def test_did_web_key_claiming_district_controller_fails_issuer_key(people) -> None:
    district, attacker = people["district"], people["attacker"]
    forged = _sign(_credential(district.did, subject={"id": people["learner"].did}), DidSigner(attacker, f"{EVIL}#k"))
    registry = TrustRegistry({district.did: "Lakeside District"})
    report = verify(forged, _options(_evil_document(district.did, attacker), registry=registry))
    assert report.verified is False
    assert _statuses(report, "proof") == ["passed"]  # The attacker's signature is real; it is just not the district's.
    [key] = report.find("issuer-key")
    assert (key.status, key.code) == ("failed", "issuer_key_mismatch")
    assert district.did in key.detail and EVIL in key.detail and "did not sign" in key.detail
    [registry_check] = report.find("registry")
    assert (registry_check.status, registry_check.code) == ("failed", "impersonation_suspected")
    assert "Lakeside District" not in registry_check.detail
    assert report.badge is not None and report.badge.confirmed_by_registry is None
    assert report.badge.issuer_source == "claimed by the credential"
    assert any("says its controller is" in note for note in report.notes)


def test_did_web_key_claiming_district_controller_through_the_command(people, satchel, tmp_path: Path) -> None:
    district, attacker = people["district"], people["attacker"]
    forged = _sign(_credential(district.did, subject={"id": people["learner"].did}), DidSigner(attacker, f"{EVIL}#k"))
    (tmp_path / "vc.json").write_text(json.dumps(forged))
    (tmp_path / "evil.json").write_text(json.dumps(_evil_document(district.did, attacker)))
    (tmp_path / "reg.json").write_text(json.dumps({"issuers": [{"id": district.did, "name": "Lakeside District"}]}))
    args = ["--at", "2026-09-15T00:00:00Z", "--did-document", str(tmp_path / "evil.json"),
            "--registry", str(tmp_path / "reg.json"), str(tmp_path / "vc.json")]
    result = satchel("verify", "--json", *args)
    assert result.code == 1
    report = result.json()
    assert {c["name"]: c["status"] for c in report["checks"]}["issuer-key"] == "failed"
    assert report["badge"]["issuer"]["source"] == "claimed by the credential"
    text = satchel("verify", *args)
    assert text.out.startswith("NOT VERIFIED")
    assert "confirmed by the trust registry" not in text.out


def test_document_for_another_did_cannot_lend_a_key_to_the_issuer(people) -> None:
    """A document whose id is the district's did:key is ignored: a did:key's document is derived from the key."""
    district, attacker = people["district"], people["attacker"]
    forged = _sign(_credential(district.did, subject={"id": "did:example:x"}),
                   DidSigner(attacker, f"{district.did}#{attacker.public_key_multibase}"))
    lying = {"id": district.did, "verificationMethod": [{"id": f"{district.did}#{attacker.public_key_multibase}",
                                                          "type": "Multikey", "controller": district.did,
                                                          "publicKeyMultibase": attacker.public_key_multibase}],
             "assertionMethod": [f"{district.did}#{attacker.public_key_multibase}"]}
    report = verify(forged, _options(lying))
    assert report.verified is False
    assert "passed" not in _statuses(report, "proof")


def test_did_web_key_not_listed_for_assertion_fails_method_not_authorized(people) -> None:
    district = people["district"]
    web = "did:web:district.example"
    signer = DidSigner(district, f"{web}#k")
    signed = _sign(_credential(web, subject={"id": "did:example:x"}), signer)
    report = verify(signed, _options(_evil_document(web, district, did=web, relationships=("authentication",))))
    assert report.verified is False
    [key] = report.find("issuer-key")
    assert (key.status, key.code) == ("failed", "method_not_authorized")
    assert "assertionMethod" in key.detail


def test_did_web_issuer_with_its_own_document_still_verifies(people) -> None:
    district = people["district"]
    web = "did:web:district.example"
    signed = _sign(_credential(web, subject={"id": "did:example:x"}), DidSigner(district, f"{web}#k"))
    report = verify(signed, _options(_evil_document(web, district, did=web)))
    assert report.verified is True, report.to_text()
    assert _statuses(report, "issuer-key") == ["passed"]


def test_issuer_document_listing_another_dids_key_by_reference_authorizes_it(people) -> None:
    """DID Core §5.3: the issuer's own document may list a method of another DID; then, and only then, it is theirs."""
    district, attacker = people["district"], people["attacker"]
    web = "did:web:district.example"
    signed = _sign(_credential(web, subject={"id": "did:example:x"}), DidSigner(attacker, f"{EVIL}#k"))
    delegating = {"id": web, "assertionMethod": [f"{EVIL}#k"]}
    silent = {"id": web, "verificationMethod": _evil_document(web, district, did=web)["verificationMethod"],
              "assertionMethod": [f"{web}#k"]}
    assert _codes(verify(signed, _options(_evil_document(web, attacker), delegating)), "issuer-key") == [
        "issuer_authorizes_key"]
    assert _codes(verify(signed, _options(_evil_document(web, attacker), silent)), "issuer-key") == [
        "issuer_key_mismatch"]


def test_vc_jwt_signed_with_a_did_web_key_claiming_the_district_fails_issuer_key(people) -> None:
    district, attacker = people["district"], people["attacker"]
    credential = _credential(district.did, subject={"id": people["learner"].did})
    token = _jwt({"alg": "EdDSA", "typ": "JWT", "kid": f"{EVIL}#k"},
                 {"iss": district.did, "sub": people["learner"].did, "vc": credential}, attacker)
    report = verify(token, _options(_evil_document(district.did, attacker)))
    assert report.verified is False
    assert _statuses(report, "issuer-key") == ["failed"]
    assert _codes(report, "issuer-key") == ["issuer_key_mismatch"]


@pytest.mark.parametrize("form", ["png", "svg", "enveloped"])
def test_did_web_forgery_is_refused_baked_and_enveloped(people, form, satchel, tmp_path: Path) -> None:
    district, attacker = people["district"], people["attacker"]
    (tmp_path / "evil.json").write_text(json.dumps(_evil_document(district.did, attacker)))
    args = ["verify", "--json", "--at", "2026-09-15T00:00:00Z", "--did-document", str(tmp_path / "evil.json")]
    if form == "enveloped":
        token = _jwt({"alg": "EdDSA", "typ": "JWT", "kid": f"{EVIL}#k"},
                     {"iss": district.did, "vc": _credential(district.did, subject={"id": people["attacker"].did})},
                     attacker)
        vp = _presentation([_envelope(token)], holder=attacker.did)
        report = verify(_sign(vp, attacker, purpose="authentication"), _options(_evil_document(district.did, attacker)))
        assert report.verified is False
        [(_, inner)] = report.nested
        assert _statuses(inner, "issuer-key") == ["failed"]
        return
    forged = _sign(_credential(district.did, subject={"id": people["learner"].did}), DidSigner(attacker, f"{EVIL}#k"))
    path = tmp_path / f"badge.{form}"
    if form == "png":
        path.write_bytes(bake_png(_png(), forged))
    else:
        path.write_text(bake_svg(SVG, forged))
    result = satchel(*args, str(path))
    assert result.code == 1
    assert [c["status"] for c in result.json()["checks"] if c["name"] == "issuer-key"] == ["failed"]


def test_status_list_signed_by_a_did_web_key_claiming_the_district_fails_status(people) -> None:
    """The same forgery on a status list: a list "issued by the district" but signed by the attacker's did:web key."""
    from credentials.statuslist import (
        build_status_list_credential,
        new_status_list,
        status_entry,
    )

    district, attacker = people["district"], people["attacker"]
    list_id = "https://lakeside.example/status/1"
    credential = _credential(district.did, subject={"id": people["learner"].did})
    credential["credentialStatus"] = status_entry(list_credential_id=list_id, index=7, purpose="revocation")
    status_list = build_status_list_credential(list_id=list_id, issuer=district.did, purpose="revocation",
                                               bits=new_status_list(), valid_from=NOW - timedelta(days=30))
    forged_list = _sign(status_list, DidSigner(attacker, f"{EVIL}#k"))
    options = VerifyOptions(now=NOW, resolver=KeyResolver([_evil_document(district.did, attacker)]),
                            status_lists=(forged_list,))
    report = verify(_sign(credential, district), options)
    assert [(c.status, c.code) for c in report.find("status")] == [("failed", "status_list_wrong_issuer")]
    assert report.verified is False


def _tls_server(tmp_path: Path, body: Callable[[int], dict[str, Any]]) -> tuple[ThreadingHTTPServer, ssl.SSLContext]:
    """An https server on 127.0.0.1 with a fresh self-signed certificate; ``body(port)`` is /.well-known/did.json."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(hours=1))
            .not_valid_after(now + timedelta(hours=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
            .sign(key, hashes.SHA256()))
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    (tmp_path / "cert.pem").write_bytes(cert_pem)
    (tmp_path / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                         serialization.NoEncryption()))

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            data = json.dumps(body(self.server.server_address[1])).encode()
            self.send_response(200 if self.path == "/.well-known/did.json" else 404)
            self.send_header("Content-Type", "application/did+json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    serving = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    serving.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    server.socket = serving.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, ssl.create_default_context(cadata=cert_pem.decode())


@pytest.fixture
def did_web_host(tmp_path: Path, people) -> Iterator[tuple[str, ssl.SSLContext]]:
    """A did:web host on loopback that serves a document claiming the district's did:key as its key's controller."""
    def body(port: int) -> dict[str, Any]:
        return _evil_document(people["district"].did, people["attacker"], did=f"did:web:127.0.0.1%3A{port}")

    server, client = _tls_server(tmp_path, body)
    try:
        yield f"did:web:127.0.0.1%3A{server.server_address[1]}", client
    finally:
        server.shutdown()
        server.server_close()


def test_online_did_web_document_claiming_district_controller_fails_issuer_key(people, did_web_host) -> None:
    """The --online path: the document is really fetched (https on loopback) and speaks only for its own DID."""
    from verifier.didweb import fetch_did_web_documents

    did, tls = did_web_host
    district, attacker = people["district"], people["attacker"]
    forged = _sign(_credential(district.did, subject={"id": people["learner"].did}), DidSigner(attacker, f"{did}#k"))
    fetched = fetch_did_web_documents(forged, known=[], tls=tls)
    assert [doc["id"] for doc in fetched] == [did]
    report = verify(forged, _options(*fetched, registry=TrustRegistry({district.did: "Lakeside District"})))
    assert report.verified is False
    assert _statuses(report, "proof") == ["passed"]
    assert _codes(report, "issuer-key") == ["issuer_key_mismatch"]
    assert _codes(report, "registry") == ["impersonation_suspected"]


# -- forgeries 2 and 3: someone else's credential in the attacker's presentation ----------------


def _presentation(credentials: list[Any], *, holder: str | None) -> dict[str, Any]:
    vp: dict[str, Any] = {"@context": [VC_V2], "id": "urn:uuid:2f7e9c1a-3b4d-4e5f-9a0b-1c2d3e4f5a6b",
                          "type": ["VerifiablePresentation"], "verifiableCredential": credentials}
    if holder is not None:
        vp["holder"] = holder
    return vp


def _envelope(token: str) -> dict[str, Any]:
    return {"@context": [VC_V2], "id": f"data:application/vc+jwt,{token}", "type": "EnvelopedVerifiableCredential"}


def _victims_credential(people, form: str) -> Any:
    """The district's real credential for the learner, in the given form."""
    district, learner = people["district"], people["learner"]
    credential = _credential(district.did, subject={"id": learner.did})
    if form == "json":
        return _sign(credential, district)
    if form == "sub-only":
        # VC-JOSE-COSE: the recipient is only the registered claim sub, not credentialSubject.id.
        payload = dict(_credential(district.did, subject={}), iss=district.did, sub=learner.did)
        return _envelope(_jwt({"alg": "EdDSA", "typ": "vc+jwt", "kid": district.verification_method}, payload, district))
    token = sign_vc_jwt(credential, signer=district)
    return token if form == "jwt" else _envelope(token)


FORMS = ["json", "jwt", "enveloped", "sub-only"]


@pytest.mark.parametrize("holder", ["attacker", None])
@pytest.mark.parametrize("form", FORMS)
def test_attackers_presentation_of_someone_elses_credential_fails_holder(people, form, holder) -> None:
    attacker = people["attacker"]
    vp = _presentation([_victims_credential(people, form)], holder=attacker.did if holder else None)
    report = verify(_sign(vp, attacker, purpose="authentication"), _options())
    [(_, inner)] = report.nested
    assert inner.verified is True, inner.to_text()  # The district's credential itself is genuine.
    [check] = report.find("holder")
    assert (check.status, check.code) == ("failed", "subject_not_holder"), check.detail
    assert people["learner"].did in check.detail and attacker.did in check.detail
    assert report.verified is False
    assert report.headline == "NOT VERIFIED"


@pytest.mark.parametrize("form", FORMS)
def test_learner_presenting_own_credential_in_every_form_passes_holder(people, form) -> None:
    learner = people["learner"]
    for holder in (learner.did, None):
        vp = _presentation([_victims_credential(people, form)], holder=holder)
        report = verify(_sign(vp, learner, purpose="authentication"), _options())
        assert _statuses(report, "holder") == ["passed"], report.to_text()
        assert report.verified is True


@pytest.mark.parametrize("image", ["png", "svg"])
@pytest.mark.parametrize("holder", ["attacker", None])
def test_baked_attacker_presentation_fails_holder_through_the_command(people, image, holder, satchel,
                                                                      tmp_path: Path) -> None:
    attacker = people["attacker"]
    vp = _sign(_presentation([_victims_credential(people, "enveloped")], holder=attacker.did if holder else None),
               attacker, purpose="authentication")
    path = tmp_path / f"vp.{image}"
    if image == "png":
        path.write_bytes(bake_png(_png(), vp))
    else:
        path.write_text(bake_svg(SVG, vp))
    result = satchel("verify", "--json", "--at", "2026-09-15T00:00:00Z", str(path))
    assert result.code == 1
    holder_checks = [c for c in result.json()["checks"] if c["name"] == "holder"]
    assert [(c["status"], c["code"]) for c in holder_checks] == [("failed", "subject_not_holder")]


def test_holder_named_but_signed_by_another_key_fails_holder_key_mismatch(people) -> None:
    attacker, learner = people["attacker"], people["learner"]
    vp = _presentation([_victims_credential(people, "json")], holder=learner.did)
    report = verify(_sign(vp, attacker, purpose="authentication"), _options())
    assert _codes(report, "holder") == ["holder_key_mismatch"]
    assert report.verified is False


def test_did_web_key_claiming_the_learner_cannot_present_for_them(people) -> None:
    """Forgery 1 in a presentation: the attacker's did:web document says its key is controlled by the learner."""
    attacker, learner = people["attacker"], people["learner"]
    vp = _presentation([_victims_credential(people, "json")], holder=learner.did)
    signed = _sign(vp, DidSigner(attacker, f"{EVIL}#k"), purpose="authentication")
    report = verify(signed, _options(_evil_document(learner.did, attacker)))
    assert _statuses(report, "proof") == ["passed"]
    assert _codes(report, "holder") == ["holder_key_mismatch"]
    assert report.verified is False


def test_presentation_key_not_listed_for_authentication_fails_holder(people) -> None:
    attacker = people["attacker"]
    web = "did:web:holder.example"
    vp = _presentation([], holder=web)
    signed = _sign(vp, DidSigner(attacker, f"{web}#k"), purpose="authentication")
    report = verify(signed, _options(_evil_document(web, attacker, did=web, relationships=("assertionMethod",))))
    assert _codes(report, "holder") == ["method_not_authorized"]
    assert report.verified is False


def test_unreadable_presented_credential_fails_holder(people) -> None:
    attacker = people["attacker"]
    vp = _presentation([_envelope("not-a-jwt")], holder=None)
    report = verify(_sign(vp, attacker, purpose="authentication"), _options())
    assert _codes(report, "holder") == ["subject_unreadable"]
    assert report.verified is False


def test_attacker_did_key_claiming_the_district_name_reads_impersonation_suspected(people, satchel,
                                                                                   tmp_path: Path) -> None:
    """Not a forgery of the signature, but of the name: the attacker issues as itself, calling itself the district."""
    district, attacker = people["district"], people["attacker"]
    forged = _sign(_credential(attacker.did, subject={"id": people["learner"].did}), attacker)
    (tmp_path / "vc.json").write_text(json.dumps(forged))
    (tmp_path / "reg.json").write_text(json.dumps([{"did": district.did, "name": "Lakeside District"}]))
    result = satchel("verify", "--json", "--at", "2026-09-15T00:00:00Z", "--registry", str(tmp_path / "reg.json"),
                     str(tmp_path / "vc.json"))
    assert result.code == 1
    report = result.json()
    assert [c["code"] for c in report["checks"] if c["name"] == "registry"] == ["impersonation_suspected"]
    assert report["badge"]["issuer"]["source"] == "claimed by the credential"
