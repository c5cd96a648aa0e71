"""Reading trust registry files: the three plain formats and a registry signed as a credential.

The plain formats are ``verifier.registry.TrustRegistry.from_json``'s. A signed
registry is a Verifiable Credential issued by the registry's operator, with
``REGISTRY_CONTEXT`` after the VC 2.0 context, whose ``credentialSubject``
carries one of the plain forms as a JSON literal: ``"issuers": [{"did", "name",
"url"}, …]`` or a DCC ``"registry": {DID: {"name", "url"}}``. Its proof
is checked by the offline verifier like any credential, and a registry that does
not verify is refused: a list of names that anyone could have edited is worth
nothing as a source of trust.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from credentials.vcdm import issuer_id
from verifier.registry import RegistryError, TrustRegistry
from verifier.verify import VerifyOptions, verify_credential

from .config import RegistrySource

# The signed registry's own terms, given inline after the VC 2.0 context: the
# registry itself is a JSON literal (JSON-LD 1.1 ``@json``), so what the operator
# signed is exactly the JSON a verifier reads, with no term left undefined.
REGISTRY_VOCAB = "urn:satchel:trust-registry#"
REGISTRY_CONTEXT: dict[str, Any] = {
    "TrustRegistryCredential": REGISTRY_VOCAB + "TrustRegistryCredential",
    "issuers": {"@id": REGISTRY_VOCAB + "issuers", "@type": "@json"},
    "registry": {"@id": REGISTRY_VOCAB + "registry", "@type": "@json"},
}


def _plain_kind(data: Any) -> str:
    if isinstance(data, list):
        return "Satchel registry"
    if isinstance(data, dict) and "issuers" in data:
        return "Satchel registry (issuers object)"
    return "DCC issuer registry"


def _is_credential(data: Any) -> bool:
    if not isinstance(data, dict):
        return False
    types = data.get("type")
    types = types if isinstance(types, list) else [types]
    return "VerifiableCredential" in types


def read_signed_registry(credential: dict[str, Any], *, label: str, now: datetime) -> tuple[TrustRegistry, RegistrySource]:
    """The registry a credential carries, once its proof verifies (``RegistryError`` otherwise)."""
    report = verify_credential(credential, VerifyOptions(now=now, clock=now))
    if not report.verified:
        failed = [f"{check.name}: {check.detail}" for check in report.checks if check.status != "passed"
                  and check.name in ("syntax", "contexts", "proof", "issuer-key", "validity")]
        raise RegistryError(f"{label}: the signed registry does not verify ({'; '.join(failed) or report.headline})",
                            code="registry_not_verified")
    subject = credential.get("credentialSubject")
    if not isinstance(subject, dict):
        raise RegistryError(f"{label}: a signed registry's credentialSubject is an object", path="credentialSubject")
    if isinstance(subject.get("issuers"), list):
        inner: Any = subject["issuers"]
    elif isinstance(subject.get("registry"), dict):
        inner = {"registry": subject["registry"]}
    else:
        raise RegistryError(f"{label}: a signed registry's credentialSubject holds \"issuers\": [...] or "
                            "\"registry\": {...}", path="credentialSubject")
    registry = TrustRegistry.from_json(inner)
    return registry, RegistrySource(label, "signed registry", len(registry.names), operator=issuer_id(credential))


def read_registry(data: Any, *, label: str, now: datetime) -> tuple[TrustRegistry, RegistrySource]:
    """A parsed registry file in any accepted format, with a description of where it came from."""
    if _is_credential(data):
        return read_signed_registry(data, label=label, now=now)
    registry = TrustRegistry.from_json(data)
    return registry, RegistrySource(label, _plain_kind(data), len(registry.names))
