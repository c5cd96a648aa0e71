"""Shared makings for the verifier service tests: real keys, real signed credentials, a real service.

Nothing is mocked: credentials come from ``credentials.ob3.build_credential`` and
are signed by ``credentials.dataintegrity.add_proof`` with freshly generated
did:key pairs; the service runs on 127.0.0.1 with a free port.
"""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from credentials.dataintegrity import add_proof
from credentials.keys import Ed25519KeyPair
from credentials.loader import bundled_loader
from credentials.ob3 import build_credential
from credentials.statuslist import (
    build_status_list_credential,
    new_status_list,
    set_status,
    status_entry,
)
from credentials.xsd import format_datetime
from verifier_web.registries import REGISTRY_CONTEXT

START = datetime.now(UTC).replace(microsecond=0) - timedelta(days=30)
LIST_ID = "https://lakeside.example/status/1"
VC_V2 = "https://www.w3.org/ns/credentials/v2"
# A 1x1 transparent PNG, embedded as the badge image.
PNG_1X1 = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==")
PNG_DATA_URI = "data:image/png;base64," + base64.b64encode(PNG_1X1).decode()


def achievement(name: str = "Padlet for Class Discussion", *, image: str | None = PNG_DATA_URI) -> dict[str, Any]:
    value: dict[str, Any] = {
        "id": "https://lakeside.example/achievements/padlet", "name": name,
        "description": "Runs a class discussion on a Padlet board.",
        "criteria": {"narrative": "Run two discussions and share the boards."},
    }
    if image is not None:
        value["image"] = image
    return value


def issue(issuer: Ed25519KeyPair, *, recipient: str, name: str = "Lakeside District",
          badge_name: str = "Padlet for Class Discussion", status_index: int | None = None,
          image: str | None = PNG_DATA_URI, evidence: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    credential = build_credential(
        issuer={"id": issuer.did, "name": name}, achievement=achievement(badge_name, image=image),
        recipient_did=recipient, credential_id="urn:uuid:3f0b7a52-8f0e-4a43-9d6c-0d7d2b1c5e41",
        valid_from=START, evidence=evidence)
    if status_index is not None:
        credential["credentialStatus"] = status_entry(list_credential_id=LIST_ID, index=status_index, purpose="revocation")
    return add_proof(credential, signer=issuer, loader=bundled_loader(), created=START)


def status_list(issuer: Ed25519KeyPair, *, revoked: int | None = None) -> dict[str, Any]:
    bits = new_status_list()
    if revoked is not None:
        set_status(bits, revoked, 1)
    unsigned = build_status_list_credential(list_id=LIST_ID, issuer=issuer.did, purpose="revocation", bits=bits,
                                            valid_from=START)
    return add_proof(unsigned, signer=issuer, loader=bundled_loader(), created=START)


def present(holder: Ed25519KeyPair, items: list[Any], *, challenge: str | None = None,
            domain: str | None = None) -> dict[str, Any]:
    vp = {"@context": [VC_V2], "id": "urn:uuid:6e5d4c3b-2a19-4f8e-8d7c-6b5a49382716",
          "type": ["VerifiablePresentation"], "holder": holder.did, "verifiableCredential": items}
    return add_proof(vp, signer=holder, loader=bundled_loader(), created=START, purpose="authentication",
                     challenge=challenge, domain=domain)


def signed_registry(operator: Ed25519KeyPair, issuers: list[dict[str, Any]]) -> dict[str, Any]:
    """A trust registry issued as a credential by its operator."""
    registry = {
        "@context": [VC_V2, REGISTRY_CONTEXT], "id": "urn:uuid:9b1f3c2e-0a4d-4e5f-8a6b-7c8d9e0f1a2b",
        "type": ["VerifiableCredential", "TrustRegistryCredential"],
        "issuer": {"id": operator.did, "name": "State Department of Education"}, "validFrom": format_datetime(START),
        "credentialSubject": {"id": "urn:uuid:1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f", "issuers": issuers},
    }
    return add_proof(registry, signer=operator, loader=bundled_loader(), created=START)


_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_token(page_html: str) -> str:
    match = _CSRF.search(page_html)
    assert match, "the page has no CSRF token field"
    return match.group(1)
