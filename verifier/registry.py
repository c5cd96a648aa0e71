"""The trust registry: which DIDs belong to which organizations.

did:key proves only a key; a registry file the verifier's user trusts says who
holds it: ``{"issuers": [{"id": "did:key:z6Mk…", "name": "Lakeside District"}]}``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from credentials.errors import CredentialError

# A registry names organizations, not millions of keys; the bounds keep a bad file cheap to refuse.
MAX_ENTRIES = 100_000
MAX_ID_LENGTH = 2048
MAX_NAME_LENGTH = 512


class RegistryError(CredentialError):
    """A trust registry file that is not ``{"issuers": [{"id": DID, "name": NAME}, …]}``."""

    code = "bad_registry"


@dataclass(frozen=True)
class TrustRegistry:
    names: dict[str, str]

    @classmethod
    def from_json(cls, data: Any) -> TrustRegistry:
        """Read a parsed registry file; raise ``RegistryError`` (with the entry's ``path``) otherwise.

        An id listed twice with two names is refused: which name is right cannot be told.
        """
        if not isinstance(data, dict) or not isinstance(data.get("issuers"), list):
            raise RegistryError('a trust registry is {"issuers": [{"id": DID, "name": NAME}, ...]}', path="issuers")
        if len(data["issuers"]) > MAX_ENTRIES:
            raise RegistryError(f"a trust registry lists at most {MAX_ENTRIES} issuers", path="issuers")
        names: dict[str, str] = {}
        for index, entry in enumerate(data["issuers"]):
            path = f"issuers[{index}]"
            if not isinstance(entry, dict) or not isinstance(entry.get("id"), str) or not isinstance(entry.get("name"), str):
                raise RegistryError(f"trust registry {path} needs a string id and name", path=path)
            did, name = entry["id"], entry["name"]
            if not did or len(did) > MAX_ID_LENGTH or not name.strip() or len(name) > MAX_NAME_LENGTH:
                raise RegistryError(f"trust registry {path} has an empty or overlong id or name", path=path)
            if names.get(did, name) != name:
                raise RegistryError(f"trust registry {path} lists {did[:80]} again under another name", path=path)
            names[did] = name
        return cls(names)

    def name_of(self, issuer_id: str) -> str | None:
        return self.names.get(issuer_id)
