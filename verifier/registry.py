"""The trust registry: which DIDs belong to which organizations.

did:key proves only a key; a registry file the verifier's user trusts says who
holds it. Three spellings are read (``TrustRegistry.from_json``):

- Satchel's own list: ``[{"did": "did:key:z6Mk…", "name": "Lakeside District", "url": "https://…"}]``;
- the older object form: ``{"issuers": [{"id": "did:key:z6Mk…", "name": "Lakeside District"}]}``;
- the Digital Credentials Consortium's issuer-registry file (the "legacy" format its
  issuer-registry-client reads): ``{"meta": {"created", "updated"}, "registry": {"<did>": {"name", "location", "url"}}}``.

A registry signed as a credential by its operator is read by
``verifier_web.registries`` (it needs the verifier itself to check the proof).
Several registries are merged most authoritative first: the first to list a DID
names it, as the DCC client does.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from credentials.errors import CredentialError

# A registry names organizations, not millions of keys; the bounds keep a bad file cheap to refuse.
MAX_ENTRIES = 100_000
MAX_ID_LENGTH = 2048
MAX_NAME_LENGTH = 512
MAX_URL_LENGTH = 2048


class RegistryError(CredentialError):
    """A trust registry file in none of the accepted shapes (see the module docstring)."""

    code = "bad_registry"


_SHAPES = ('a trust registry is [{"did": DID, "name": NAME, "url": URL}, ...], {"issuers": [{"id": DID, "name": NAME}, '
           '...]} or a DCC registry {"registry": {DID: {"name": NAME, "url": URL}}}')


def name_key(name: str) -> str:
    """How names are compared when looking for a claimed one: case and spacing do not make another organization."""
    return " ".join(name.casefold().split())


@dataclass(frozen=True)
class TrustRegistry:
    names: dict[str, str]
    urls: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: Any) -> TrustRegistry:
        """Read a parsed registry file; raise ``RegistryError`` (with the entry's ``path``) otherwise.

        An id listed twice with two names is refused: which name is right cannot be told.
        """
        if isinstance(data, list):
            entries = [(f"[{index}]", entry) for index, entry in enumerate(data)]
            id_key = "did"
        elif isinstance(data, dict) and isinstance(data.get("issuers"), list):
            entries = [(f"issuers[{index}]", entry) for index, entry in enumerate(data["issuers"])]
            id_key = "id"
        elif isinstance(data, dict) and isinstance(data.get("registry", data.get("entries")), dict):
            key = "registry" if isinstance(data.get("registry"), dict) else "entries"
            entries = [(f"{key}[{did[:80]!r}]", dict(entry, did=did) if isinstance(entry, dict) else entry)
                       for did, entry in data[key].items()]
            id_key = "did"
        else:
            raise RegistryError(_SHAPES, path="issuers" if isinstance(data, dict) else None)
        if len(entries) > MAX_ENTRIES:
            raise RegistryError(f"a trust registry lists at most {MAX_ENTRIES} issuers")
        names: dict[str, str] = {}
        urls: dict[str, str] = {}
        for path, entry in entries:
            if isinstance(entry, dict) and id_key == "did" and "did" not in entry and isinstance(entry.get("id"), str):
                entry = dict(entry, did=entry["id"])
            if not isinstance(entry, dict) or not isinstance(entry.get(id_key), str) or not isinstance(entry.get("name"), str):
                raise RegistryError(f"trust registry {path} needs a string {id_key} and name", path=path)
            did, name = entry[id_key], entry["name"]
            if not did or len(did) > MAX_ID_LENGTH or not name.strip() or len(name) > MAX_NAME_LENGTH:
                raise RegistryError(f"trust registry {path} has an empty or overlong {id_key} or name", path=path)
            if names.get(did, name) != name:
                raise RegistryError(f"trust registry {path} lists {did[:80]} again under another name", path=path)
            names[did] = name
            url = entry.get("url")
            if url is not None:
                if not isinstance(url, str) or len(url) > MAX_URL_LENGTH or not url.startswith(("https://", "http://")):
                    raise RegistryError(f"trust registry {path} has a url that is not an http(s) URL", path=path)
                urls[did] = url
        return cls(names, urls)

    @classmethod
    def merged(cls, registries: Iterable[TrustRegistry]) -> TrustRegistry:
        """One registry from several, most authoritative first: the first that lists a DID names it."""
        names: dict[str, str] = {}
        urls: dict[str, str] = {}
        for registry in registries:
            for did, name in registry.names.items():
                if did not in names:
                    names[did] = name
                    if did in registry.urls:
                        urls[did] = registry.urls[did]
        return cls(names, urls)

    def name_of(self, issuer_id: str) -> str | None:
        return self.names.get(issuer_id)

    def url_of(self, issuer_id: str) -> str | None:
        return self.urls.get(issuer_id)

    def dids_named(self, name: str) -> list[str]:
        """The registered DIDs whose organization bears ``name`` (compared without case or extra spaces)."""
        wanted = name_key(name)
        return [did for did, registered in self.names.items() if name_key(registered) == wanted]
