"""Who an issuer is, as the learner pages say it: the credential's claim, or the operator's trust registry.

A did:key proves only a key. Unless a registry the wallet's operator trusts
lists the issuer, the name and logo a credential carries are shown as "claimed
by the credential". The operator may put a registry file at ``DIR/registry.json``
(any shape ``verifier.registry.TrustRegistry`` reads: Satchel's list, the
``{"issuers": …}`` object, or a DCC issuer registry); it is read when the server
starts. Held credentials were verified at import, so their issuer id is the key
that signed them: looking that id up is sound. A credential whose issuer the
registry does not list but whose claimed name the registry gives to another DID
is flagged: impersonation suspected.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from credentials.errors import CredentialError
from credentials.strictjson import parse_json
from verifier.registry import TrustRegistry

from .errors import Refused

REGISTRY_FILE = "registry.json"
MAX_REGISTRY_BYTES = 16 * 1024 * 1024
CLAIMED = "claimed by the credential"
CONFIRMED = "confirmed by this wallet's trust registry"
SUSPECTED = "impersonation suspected"


@dataclass(frozen=True)
class IssuerNaming:
    """The name to show, where it comes from, and a warning when the claim looks like impersonation."""

    name: str | None
    source: str
    warning: str | None = None


def load_registry(data_dir: Path) -> TrustRegistry | None:
    """The operator's registry at ``DIR/registry.json``, None when there is none; ``Refused`` when it is unreadable."""
    path = data_dir / REGISTRY_FILE
    if not path.is_file():
        return None
    try:
        return TrustRegistry.from_json(parse_json(path.read_bytes(), max_bytes=MAX_REGISTRY_BYTES))
    except CredentialError as exc:
        raise Refused(f"{path} is not a trust registry: {exc}", code="bad_registry") from None


def name_issuer(registry: TrustRegistry | None, issuer_id: str, claimed_name: str | None) -> IssuerNaming:
    """How a page names the issuer of a held (verified) credential."""
    if registry is not None:
        registered = registry.name_of(issuer_id)
        if registered is not None:
            return IssuerNaming(registered, CONFIRMED)
        owners = registry.dids_named(claimed_name) if claimed_name else []
        if owners:
            return IssuerNaming(claimed_name, SUSPECTED, (
                f"This credential calls its issuer {claimed_name!r}, the name this wallet's trust registry gives to "
                f"{owners[0]}, but it was issued by {issuer_id}, which the registry does not list."))
    return IssuerNaming(claimed_name, CLAIMED)
