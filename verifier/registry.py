"""The trust registry: which DIDs belong to which organizations.

did:key proves only a key; a registry file the verifier's user trusts says who
holds it: ``{"issuers": [{"id": "did:key:z6Mk…", "name": "Lakeside District"}]}``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class TrustRegistry:
    names: dict[str, str]

    @classmethod
    def from_json(cls, data: Any) -> TrustRegistry:
        if not isinstance(data, dict) or not isinstance(data.get("issuers"), list):
            raise ValueError('a trust registry is {"issuers": [{"id": DID, "name": NAME}, ...]}')
        names: dict[str, str] = {}
        for index, entry in enumerate(data["issuers"]):
            if not isinstance(entry, dict) or not isinstance(entry.get("id"), str) or not isinstance(entry.get("name"), str):
                raise ValueError(f"trust registry issuers[{index}] needs a string id and name")
            names[entry["id"]] = entry["name"]
        return cls(names)

    def name_of(self, issuer_id: str) -> str | None:
        return self.names.get(issuer_id)
