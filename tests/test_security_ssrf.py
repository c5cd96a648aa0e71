"""SSRF: the three places a server fetches a URL someone else chose, attacked from real servers on 127.0.0.1.

The wallet redeeming an offer (``wallet/oid4vci_client.py`` through ``POST /api/credentials``),
the wallet refreshing a status list (``wallet/statusrefresh.py``) and the verifier fetching a
share link (``verifier_web/sharelink.py``) must each refuse a non-http(s) scheme, a body past
the limit, an answer slower than the timeout and a redirect to another host; and with the
defaults they refuse link-local and private addresses (``webbase/netpolicy.py``) while
loopback, where the demo's peers live, stays allowed. No test needs the network: addresses
are checked as literals, and the one name used (``localhost``) resolves without DNS.
"""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aiohttp
import pytest
from aiohttp import web

from credentials.keys import generate_key_pair
from verifier_web.config import ServiceConfig
from verifier_web.sharelink import decide, fetch_share
from wallet.oid4vci_client import IssuerUnreachable, redeem_offer
from wallet.statusrefresh import refresh_status
from wallet.testing import bearer, issue_badge, running_wallet, sign_up
from webbase.fetch import FetchError, fetch_limited
from webbase.netpolicy import DEFAULT_POLICY, OPEN_POLICY, AddressPolicy, AddressRefused, GuardedResolver, check_address, guarded_session, refusal
from webbase.testing import serving

REFUSED_ADDRESSES = [
    "169.254.169.254",          # cloud metadata service (link-local)
    "169.254.0.1",
    "10.0.0.5", "10.255.255.255",
    "172.16.0.1", "172.31.255.254",
    "192.168.1.1",
    "100.64.0.1",               # shared address space (carrier-grade NAT)
    "0.0.0.0", "::",            # unspecified: connects to this host on many systems
    "224.0.0.1", "ff02::1",     # multicast
    "fc00::1", "fd12:3456::1",  # unique local (fc00::/7)
    "fe80::1",                  # IPv6 link-local
    "::ffff:10.0.0.1", "::ffff:169.254.169.254", "::ffff:192.168.0.1",  # IPv4-mapped
    "240.0.0.1",                # reserved
]
ALLOWED_ADDRESSES = ["127.0.0.1", "127.5.6.7", "::1", "::ffff:127.0.0.1", "93.184.216.34", "2606:4700::1111"]


class Hostile:
    """An 'issuer' or 'wallet' that answers too much, too slowly, or redirects elsewhere; counts hits."""

    def __init__(self) -> None:
        self.hits: list[str] = []
        self.other_host = ""
        self.app = web.Application()
        for path, handler in (("/big", self.big), ("/slow", self.slow), ("/away", self.away),
                              ("/ok", self.ok)):
            self.app.router.add_get(path, handler)

    async def big(self, request: web.Request) -> web.StreamResponse:
        self.hits.append("big")
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        await response.prepare(request)   # no Content-Length: the limit must hold while reading
        try:
            for _ in range(64):
                await response.write(b" " * 65536)
        except ConnectionError:
            pass   # the client hung up at its limit, as it should
        return response

    async def slow(self, request: web.Request) -> web.Response:
        self.hits.append("slow")
        await asyncio.sleep(5)
        return web.json_response({})

    async def away(self, request: web.Request) -> web.Response:
        self.hits.append("away")
        raise web.HTTPFound(self.other_host + "/ok")

    async def ok(self, request: web.Request) -> web.Response:
        self.hits.append("ok")
        return web.json_response({"ok": True})


@pytest.fixture
async def hostile() -> AsyncIterator[tuple[Hostile, str]]:
    server = Hostile()
    async with serving(server.app) as base:
        # The same server under another host name: a redirect there is a redirect to another host.
        server.other_host = base.replace("127.0.0.1", "localhost")
        yield server, base


# --- the address check ---------------------------------------------------------------------------


@pytest.mark.parametrize("address", REFUSED_ADDRESSES)
def test_default_policy_refuses_private_link_local_and_special_addresses(address: str) -> None:
    assert refusal(address) is not None
    with pytest.raises(AddressRefused) as caught:
        check_address(address, host="attacker.example")
    assert caught.value.code == "fetch_address_refused" and "attacker.example" in str(caught.value)


@pytest.mark.parametrize("address", ALLOWED_ADDRESSES)
def test_default_policy_allows_public_and_loopback_addresses(address: str) -> None:
    assert refusal(address) is None


def test_policy_is_a_parameter() -> None:
    no_loopback = AddressPolicy(allow_loopback=False)
    assert refusal("127.0.0.1", no_loopback) and refusal("::ffff:127.0.0.1", no_loopback)
    lab = AddressPolicy(allowed_networks=(ipaddress.ip_network("10.1.0.0/16"),))
    assert refusal("10.1.2.3", lab) is None and refusal("10.2.0.1", lab)
    assert refusal("192.168.1.1", OPEN_POLICY) is None and refusal("169.254.169.254", OPEN_POLICY) is None
    # Multicast and unspecified are never a peer, whatever the policy.
    assert refusal("0.0.0.0", OPEN_POLICY) and refusal("224.0.0.1", OPEN_POLICY)
    assert refusal("not-an-ip") is not None


async def test_resolver_checks_every_resolved_address() -> None:
    # localhost resolves (from the hosts file, no DNS) to loopback: allowed by default, refused when
    # loopback is not allowed; the resolver refuses the name itself, so nothing is connected.
    assert all(r["host"] in ("127.0.0.1", "::1") for r in await GuardedResolver().resolve("localhost", 80))
    resolver = GuardedResolver(AddressPolicy(allow_loopback=False))
    with pytest.raises(AddressRefused, match="localhost"):
        await resolver.resolve("localhost", 80)
    await resolver.close()


async def test_a_name_resolving_to_a_refused_address_is_refused_before_any_request(
        hostile: tuple[Hostile, str]) -> None:
    server, base = hostile
    by_name = base.replace("127.0.0.1", "localhost") + "/ok"
    with pytest.raises(FetchError) as caught:
        await fetch_limited(by_name, policy=AddressPolicy(allow_loopback=False))
    assert caught.value.code == "fetch_address_refused"
    assert server.hits == []
    assert await fetch_limited(by_name) == b'{"ok": true}'   # the default policy allows loopback
    assert server.hits == ["ok"]


@pytest.mark.parametrize("url", ["http://10.0.0.5/status/1", "http://169.254.169.254/latest/meta-data/",
                                 "https://[fc00::1]/x", "http://[::ffff:192.168.0.1]:8080/x",
                                 "http://0.0.0.0:1/"])
async def test_literal_private_address_is_refused_before_connecting(url: str) -> None:
    # The network guard of the test suite would refuse a non-loopback connect too; the code asserted
    # here is ours, raised before any socket is opened.
    with pytest.raises(FetchError) as caught:
        await fetch_limited(url)
    assert caught.value.code == "fetch_address_refused"


async def test_a_redirect_to_a_private_address_is_refused() -> None:
    app = web.Application()

    async def to_metadata(request: web.Request) -> web.Response:
        raise web.HTTPFound("http://169.254.169.254/latest/meta-data/")

    app.router.add_get("/r", to_metadata)
    async with serving(app) as base:
        with pytest.raises(FetchError) as caught:
            await fetch_limited(base + "/r")
    # The redirect target's address is judged before its host: the metadata service is never asked.
    assert caught.value.code == "fetch_address_refused" and "169.254.169.254" in str(caught.value)


# --- the verifier fetching a share link ----------------------------------------------------------


def _verifier(**options: Any) -> ServiceConfig:
    return ServiceConfig(online=True, fetch_timeout=1.0, fetch_max_bytes=256 * 1024, **options)


async def test_verifier_share_fetch_refuses_schemes_size_time_redirects_and_private_addresses(
        hostile: tuple[Hostile, str]) -> None:
    server, base = hostile
    config = _verifier()
    for link in ("file:///etc/passwd", "ftp://127.0.0.1/x", "gopher://127.0.0.1:70/", "javascript:alert(1)"):
        assert not decide(link, config).allowed
    async with guarded_session() as session:
        codes = {}
        for path in ("/big", "/slow", "/away"):
            decision = decide(base + path, config)
            assert decision.allowed
            with pytest.raises(FetchError) as caught:
                await fetch_share(decision, config, session=session)
            codes[path] = caught.value.code
        assert codes == {"/big": "fetch_too_large", "/slow": "fetch_timeout", "/away": "fetch_redirect_refused"}
        assert "ok" not in server.hits   # the other host was never asked
        for link in ("http://10.0.0.5/s/abc", "http://169.254.169.254/s/abc", "http://[fd00::1]/s/abc"):
            decision = decide(link, config)
            with pytest.raises(FetchError) as caught:
                await fetch_share(decision, config, session=session)
            assert caught.value.code == "fetch_address_refused"


async def test_verifier_service_page_reports_a_refused_private_share_link(tmp_path: Path) -> None:
    from verifier_web.app import create_app

    app = create_app(ServiceConfig(online=True, fetch_timeout=1.0))
    async with serving(app) as base, aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        async with http.get(base + "/") as page:
            html = await page.text()
        token = _csrf_from(html)
        form = {"link": "http://169.254.169.254/latest/meta-data/"}
        if token:
            form["csrf_token"] = token
        async with http.post(base + "/verify/link", data=form) as response:
            status, text = response.status, await response.text()
    assert status == 502 and "could not be fetched" in text and "link-local" in text


def _csrf_from(html: str) -> str | None:
    import re

    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    return match.group(1) if match else None


# --- the wallet refreshing a status list ---------------------------------------------------------


async def test_wallet_status_refresh_refuses_schemes_size_time_redirects_and_private_addresses(
        tmp_path: Path, hostile: tuple[Hostile, str], monkeypatch: pytest.MonkeyPatch) -> None:
    import wallet.statusrefresh as statusrefresh

    # The wallet's own limits, made small enough for a test (2 MiB and 10 s by default).
    monkeypatch.setattr(statusrefresh, "MAX_LIST_BYTES", 256 * 1024)
    monkeypatch.setattr(statusrefresh, "FETCH_TIMEOUT", 1.0)
    server, base = hostile
    issuer = generate_key_pair()
    urls = {"big": base + "/big", "slow": base + "/slow", "away": base + "/away",
            "scheme": "file:///etc/passwd", "metadata": "http://169.254.169.254/latest/meta-data/",
            "private": "http://10.0.0.5/status/1", "mapped": "http://[::ffff:192.168.0.1]/status/1"}
    async with running_wallet(tmp_path / "w") as w, aiohttp.ClientSession() as http:
        account, token = await sign_up(http, w.url, "ann@example.org")
        for name, url in urls.items():
            badge = issue_badge(issuer, did=account["did"], name=f"Badge {name}", status=(url, 3))
            async with http.post(f"{w.url}/api/credentials", json={"credential": badge},
                                 headers=bearer(token)) as r:
                assert r.status in (200, 201), await r.text()
        report = await refresh_status(w.wallet)
    assert report.lists_verified == []
    failed = report.lists_failed
    assert set(failed) == set(urls.values())
    assert "larger than" in failed[urls["big"]]
    assert "did not answer within" in failed[urls["slow"]]
    assert "another host" in failed[urls["away"]]
    assert "scheme must be one of" in failed[urls["scheme"]]
    assert "link-local" in failed[urls["metadata"]]
    assert "private" in failed[urls["private"]] and "private" in failed[urls["mapped"]]
    assert "ok" not in server.hits


# --- the wallet redeeming an offer ---------------------------------------------------------------


def _offer_by_reference(uri: str) -> str:
    return "openid-credential-offer://?credential_offer_uri=" + quote(uri, safe="")


async def test_wallet_offer_redemption_refuses_schemes_size_time_redirects_and_private_addresses(
        tmp_path: Path, hostile: tuple[Hostile, str]) -> None:
    server, base = hostile
    cases = {
        "scheme": ("ftp://127.0.0.1/offer", "oid4vci_bad_url"),
        "file": ("file:///etc/passwd", "oid4vci_bad_url"),
        "big": (base + "/big", "oid4vci_issuer_unreachable"),
        "away": (base + "/away", "oid4vci_issuer_unreachable"),
        "metadata": ("https://169.254.169.254/latest/meta-data/", "oid4vci_address_refused"),
        "private": ("https://10.0.0.5/offer", "oid4vci_address_refused"),
        "unique-local": ("https://[fd00::5]/offer", "oid4vci_address_refused"),
        "mapped": ("https://[::ffff:172.16.0.1]/offer", "oid4vci_address_refused"),
    }
    answers: dict[str, tuple[int, str, str]] = {}
    async with running_wallet(tmp_path / "w") as w, aiohttp.ClientSession() as http:
        _, token = await sign_up(http, w.url, "ann@example.org")
        for name, (uri, _) in cases.items():
            async with http.post(f"{w.url}/api/credentials", json={"offer": _offer_by_reference(uri)},
                                 headers=bearer(token)) as r:
                body = await r.json(content_type=None)
                answers[name] = (r.status, r.headers.get("Content-Type", ""), str(body))
        async with http.get(f"{w.url}/api/credentials", headers=bearer(token)) as r:
            held = await r.json()
    for name, (_, code) in cases.items():
        status, content_type, body = answers[name]
        assert status in (400, 502) and content_type.startswith("application/problem+json"), (name, answers[name])
        assert code in body, (name, body)
    assert "ok" not in server.hits
    assert not (held.get("credentials") if isinstance(held, dict) else held)


async def test_offer_redemption_gives_up_on_a_slow_issuer(hostile: tuple[Hostile, str]) -> None:
    # The wallet's 10-second default, shortened through the same parameter; the session is the
    # guarded one the wallet's receive path uses.
    server, base = hostile
    async with guarded_session() as session:
        with pytest.raises(IssuerUnreachable, match="did not answer within 1 seconds"):
            await redeem_offer(_offer_by_reference(base + "/slow"), tx_code=None, signer=generate_key_pair(),
                               issued_at=0, session=session, timeout=1.0)
    assert server.hits == ["slow"]


def test_default_policy_is_the_demo_default() -> None:
    assert DEFAULT_POLICY == AddressPolicy(allow_loopback=True, allow_private=False, allowed_networks=())
