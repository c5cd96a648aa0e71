"""Share links: whether this service may fetch one, and fetching it within bounds.

DESIGN.md §8: the verifier calls nobody unless started with ``--online`` (any
http(s) host) or with the link's host on its allow list (``--allow-host``). The
fetch itself is ``webbase.fetch.fetch_limited``: http(s) only, an overall
timeout, a byte limit, ``Accept: application/json`` (a Satchel wallet then
answers with the signed presentation), redirects only on the same host.
"""

from __future__ import annotations

from dataclasses import dataclass

import aiohttp
from yarl import URL

from webbase.fetch import fetch_limited

from .config import ServiceConfig

MAX_LINK_LENGTH = 2048


@dataclass(frozen=True)
class LinkDecision:
    """``allowed`` or not, and in plain words why not (``reason``), for the page."""

    url: str
    allowed: bool
    reason: str | None = None


def _host_entries(url: URL) -> set[str]:
    host = (url.host or "").lower()
    port = url.explicit_port
    return {host, f"{host}:{port}"} if port else {host}


def decide(link: str, config: ServiceConfig) -> LinkDecision:
    """May the service fetch ``link``? Only http(s) URLs, and only when online or the host is allowed."""
    text = link.strip()
    if not text or len(text) > MAX_LINK_LENGTH:
        return LinkDecision(text[:80], False, "That is not a link this verifier can read.")
    try:
        url = URL(text)
    except ValueError:
        return LinkDecision(text[:200], False, "That is not a valid web address.")
    if url.scheme.lower() not in ("http", "https") or not url.host:
        return LinkDecision(text, False, "Only http:// and https:// links can be fetched.")
    if url.user or url.password:
        return LinkDecision(text, False, "Links with a user name or password are not fetched.")
    if config.online or _host_entries(url) & {entry.lower() for entry in config.allow_hosts}:
        return LinkDecision(text, True)
    return LinkDecision(text, False, f"This verifier works offline and does not fetch links from {url.host}.")


async def fetch_share(decision: LinkDecision, config: ServiceConfig, *,
                      session: aiohttp.ClientSession | None = None) -> bytes:
    """The body behind an allowed link (raises ``webbase.fetch.FetchError``, a ``LoaderError``)."""
    if not decision.allowed:
        raise ValueError("fetch_share needs an allowed link")
    return await fetch_limited(decision.url, timeout=config.fetch_timeout, max_bytes=config.fetch_max_bytes,
                               accept="application/json", session=session, policy=config.address_policy)
