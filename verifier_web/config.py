"""What the verifier service is started with: registries, status lists, and what it may fetch.

DESIGN.md §8: the verifier service calls nobody unless started with ``--online``
(any http(s) host) or an allow list of hosts; the default is fully offline.
"""

from __future__ import annotations

import secrets
import ssl
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

from verifier.registry import TrustRegistry
from webbase.netpolicy import AddressPolicy, IPNetwork

ONE_MIB = 1024 * 1024


@dataclass(frozen=True)
class RegistrySource:
    """Where part of the trust registry came from, shown on the page: a file, its format, its signer."""

    label: str
    kind: str
    entries: int
    operator: str | None = None

    def to_text(self) -> str:
        signed = f", signed by {self.operator}" if self.operator else ""
        return f"{self.label} ({self.kind}, {self.entries} issuer{'s' if self.entries != 1 else ''}{signed})"


@dataclass(frozen=True)
class ServiceConfig:
    """The service's settings; ``session_secret`` signs the anonymous CSRF tokens (random per process by default)."""

    public_url: str | None = None
    registry: TrustRegistry | None = None
    registry_sources: tuple[RegistrySource, ...] = ()
    status_lists: tuple[dict[str, Any], ...] = ()
    online: bool = False
    allow_hosts: frozenset[str] = frozenset()
    fetch_timeout: float = 10.0
    fetch_max_bytes: int = 2 * ONE_MIB
    max_json_bytes: int = 2 * ONE_MIB
    max_upload_bytes: int = 4 * ONE_MIB
    session_secret: bytes = field(default_factory=lambda: secrets.token_bytes(32), repr=False)
    # Verifications (API calls and form posts) per client address per minute; None: no limit.
    verify_limit: int | None = None
    # Private networks the operator trusts for fetches (``--allow-network``); by default only public
    # addresses and loopback are reached (webbase.netpolicy).
    allowed_networks: tuple[IPNetwork, ...] = ()
    # The certificate policy for outgoing https fetches (share links, did:web); None: the system's.
    tls: ssl.SSLContext | None = field(default=None, compare=False)

    @property
    def may_fetch(self) -> bool:
        """Whether this service may fetch anything at all."""
        return self.online or bool(self.allow_hosts)

    @property
    def address_policy(self) -> AddressPolicy:
        return AddressPolicy(allowed_networks=self.allowed_networks)

    @property
    def secure_cookies(self) -> bool:
        return bool(self.public_url and self.public_url.startswith("https://"))

    @property
    def client_max_size(self) -> int:
        """The app's body limit: an upload plus the form around it."""
        return max(self.max_upload_bytes, self.max_json_bytes) + 64 * 1024


CONFIG = web.AppKey("verifier_web.config", ServiceConfig)
# The one HTTP client of the app (opened in cleanup_ctx), for share links and did:web documents.
CLIENT = web.AppKey("verifier_web.client", aiohttp.ClientSession)
