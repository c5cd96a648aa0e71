"""Which addresses an outgoing fetch may connect to: the server-side request forgery guard.

A status list URL, a share link or a credential offer is a URL someone else chose. Fetched
naively, it turns our server into a proxy into the network it sits in: the cloud metadata
service at 169.254.169.254, an admin page on 10.0.0.5, a database on fc00::1. So every fetch
resolves the host once, checks every address the name resolves to, and connects only to the
addresses it checked (the resolver below hands aiohttp exactly those), so a name that answers
"public" to the check and "private" to the connect (DNS rebinding) gains nothing.

The default policy allows public addresses and loopback (the demo and the tests run every
server on 127.0.0.1, and a wallet and an issuer on one machine are each other's configured
peers); it refuses link-local, private (RFC 1918 and fc00::/7), shared, multicast, reserved and
unspecified addresses, and judges an IPv4-mapped IPv6 address by the IPv4 address inside it.
``allowed_networks`` lets an operator name the private networks it does trust.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

from credentials.errors import LoaderError

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class AddressRefused(LoaderError):
    """A fetch's host is, or resolves to, an address the policy refuses (code ``fetch_address_refused``)."""

    code = "fetch_address_refused"


@dataclass(frozen=True)
class AddressPolicy:
    """Where fetches may connect: public addresses always; loopback, private ranges and named networks by choice."""

    allow_loopback: bool = True
    allow_private: bool = False
    allowed_networks: tuple[IPNetwork, ...] = ()


def parse_networks(values: Iterable[str]) -> tuple[IPNetwork, ...]:
    """The networks an operator trusts (``--allow-network 10.0.5.0/24``, repeated); ValueError names a bad one."""
    networks = []
    for value in values:
        try:
            networks.append(ipaddress.ip_network(value.strip(), strict=False))
        except ValueError:
            raise ValueError(f"not a network (CIDR, e.g. 10.0.5.0/24 or fd00:5::/64): {value[:80]!r}") from None
    return tuple(networks)


DEFAULT_POLICY = AddressPolicy()
"""Public addresses and loopback: the demo's and the servers' default."""

OPEN_POLICY = AddressPolicy(allow_private=True)
"""Any unicast address (an operator's explicit choice for a closed network)."""


def _unmapped(address: IPAddress) -> IPAddress:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def refusal(address: str, policy: AddressPolicy = DEFAULT_POLICY) -> str | None:
    """None when ``policy`` lets a fetch connect to ``address`` (an IP literal); otherwise why not."""
    try:
        parsed = _unmapped(ipaddress.ip_address(address.strip("[]").split("%", 1)[0]))
    except ValueError:
        return f"{address[:80]!r} is not an IP address"
    if any(parsed in network for network in policy.allowed_networks):
        return None
    if parsed.is_unspecified or parsed.is_multicast:
        return f"{parsed} is not a unicast address"
    if parsed.is_loopback:
        return None if policy.allow_loopback else f"{parsed} is a loopback address"
    if parsed.is_link_local:
        return None if policy.allow_private else f"{parsed} is a link-local address"
    if not parsed.is_global:
        return None if policy.allow_private else f"{parsed} is a private or reserved address"
    return None


def check_address(address: str, policy: AddressPolicy = DEFAULT_POLICY, *, host: str | None = None) -> None:
    """Raise ``AddressRefused`` unless ``policy`` allows connecting to ``address``."""
    reason = refusal(address, policy)
    if reason is not None:
        shown = f"{host[:120]} ({address})" if host and host != address else address
        raise AddressRefused(f"refusing to fetch from {shown}: {reason}")


def check_literal_host(host: str, policy: AddressPolicy = DEFAULT_POLICY) -> None:
    """Refuse a URL host that is itself a refused IP literal, before any connection (aiohttp never
    passes a literal through the resolver, so this is where literals are checked)."""
    bare = host.strip("[]")
    try:
        ipaddress.ip_address(bare.split("%", 1)[0])
    except ValueError:
        return
    check_address(bare, policy, host=host)


class GuardedResolver(AbstractResolver):
    """Resolve with aiohttp's default resolver, then refuse the name if any address it gives is refused."""

    def __init__(self, policy: AddressPolicy = DEFAULT_POLICY) -> None:
        self.policy = policy
        self._inner = DefaultResolver()

    async def resolve(self, host: str, port: int = 0,
                      family: socket.AddressFamily = socket.AF_INET) -> list[ResolveResult]:
        results = await self._inner.resolve(host, port, family)
        for result in results:
            # Every address is checked, not only the first: aiohttp tries them in turn.
            check_address(result["host"], self.policy, host=host)
        return results

    async def close(self) -> None:
        await self._inner.close()


def guarded_connector(policy: AddressPolicy = DEFAULT_POLICY, **options: Any) -> aiohttp.TCPConnector:
    """A ``TCPConnector`` that connects only to addresses ``policy`` allows (the resolver checks each one)."""
    return aiohttp.TCPConnector(resolver=GuardedResolver(policy), **options)


def guarded_session(policy: AddressPolicy = DEFAULT_POLICY, **connector_options: Any) -> aiohttp.ClientSession:
    """An ``aiohttp.ClientSession`` over ``guarded_connector(policy)``."""
    return aiohttp.ClientSession(connector=guarded_connector(policy, **connector_options))
