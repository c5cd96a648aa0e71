"""The verifier page on a real server: forms with CSRF, pasted JSON, a baked PNG, escaping, share links, registries.

A browser's requests are made by hand: the page is read, its CSRF token taken
from the form, and the form posted back with the pre-session cookie, as a
browser without JavaScript would.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import AsyncIterator
from html.parser import HTMLParser
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from verifier_service_support import (
    PNG_1X1,
    csrf_token,
    issue,
    present,
    signed_registry,
    status_list,
)

from credentials.baking import bake_png
from credentials.keys import Ed25519KeyPair, generate_key_pair
from verifier.registry import TrustRegistry
from verifier_web.app import create_app
from verifier_web.config import ServiceConfig
from verifier_web.registries import read_registry
from webbase.testing import serving


@pytest.fixture
def district() -> Ed25519KeyPair:
    return generate_key_pair()


@pytest.fixture
def teacher() -> Ed25519KeyPair:
    return generate_key_pair()


class Browser:
    """A cookie-keeping client that reads a form's CSRF token before posting it."""

    def __init__(self, base_url: str, client: aiohttp.ClientSession) -> None:
        self.base_url, self.client = base_url, client

    async def get(self, path: str = "/") -> tuple[int, str]:
        async with self.client.get(self.base_url + path, headers={"Accept": "text/html"}) as response:
            return response.status, await response.text()

    async def post(self, path: str, fields: dict[str, Any], *, file: tuple[str, bytes, str] | None = None,
                   token: bool = True) -> tuple[int, str]:
        form = aiohttp.FormData()
        if token:
            _, page = await self.get("/")
            form.add_field("csrf_token", csrf_token(page))
        for name, value in fields.items():
            form.add_field(name, value)
        if file is not None:
            form.add_field("file", file[1], filename=file[0], content_type=file[2])
        async with self.client.post(self.base_url + path, data=form, headers={"Accept": "text/html"}) as response:
            return response.status, await response.text()


async def _browser(config: ServiceConfig) -> AsyncIterator[Browser]:
    async with serving(create_app(config)) as url, aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as client:
        yield Browser(url, client)


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async for item in _browser(ServiceConfig()):
        yield item


def _text(page: str) -> str:
    """The page's words, tags removed and spaces collapsed, for phrase assertions."""
    words = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())
    return re.sub(r" ([:.,;)])", r"\1", words)


async def test_the_page_has_three_labelled_forms_with_csrf(browser: Browser) -> None:
    status, page = await browser.get("/")
    assert status == 200
    for action, field in (("/verify/link", "link"), ("/verify/paste", "document"), ("/verify/upload", "file")):
        assert f'action="{action}"' in page and f'<label for="{field}">' in page and f'id="{field}"' in page
    assert page.count('name="csrf_token"') == 3
    assert 'enctype="multipart/form-data"' in page
    assert "works offline" in _text(page)


async def test_pasted_json_is_verified_and_described(browser: Browser, district: Ed25519KeyPair,
                                                     teacher: Ed25519KeyPair) -> None:
    evidence = [{"id": "https://lakeside.example/evidence/12", "name": "Discussion board", "type": ["Evidence"]}]
    credential = issue(district, recipient=teacher.did, evidence=evidence)
    status, page = await browser.post("/verify/paste", {"document": json.dumps(credential)})
    assert status == 200
    words = _text(page)
    assert "Verified, but some things could not be checked" in words
    assert "Padlet for Class Discussion" in words and "Lakeside District (claimed by the credential)" in words
    assert teacher.did in words and "Discussion board" in words
    assert 'href="https://lakeside.example/evidence/12"' in page
    assert "Digital signature: passed." in words
    # No status list: revocation is "not checked" with the reason, never a tick.
    assert "Revocation status: not checked." in words and "Not checked:" in words
    # The embedded data: image is shown inline, re-encoded; nothing remote is referenced.
    assert re.search(r'<img class="badge-image" src="data:image/png;base64,[A-Za-z0-9+/=]+" alt="[^"]+"', page)


async def test_a_form_without_its_csrf_token_is_refused(browser: Browser) -> None:
    status, page = await browser.post("/verify/paste", {"document": "{}"}, token=False)
    assert status == 403 and "did not come from this site" in page


async def test_unreadable_paste_is_shown_with_the_form_again(browser: Browser) -> None:
    status, page = await browser.post("/verify/paste", {"document": "{\"a\": 1, \"a\": 2}"})
    assert status == 400 and 'role="alert"' in page and "could not be read" in page
    assert 'action="/verify/paste"' in page


async def test_an_uploaded_baked_png_is_read(browser: Browser, district: Ed25519KeyPair,
                                             teacher: Ed25519KeyPair) -> None:
    baked = bake_png(PNG_1X1, issue(district, recipient=teacher.did, badge_name="Flip Video Reflections"))
    status, page = await browser.post("/verify/upload", {}, file=("badge.png", baked, "image/png"))
    assert status == 200
    words = _text(page)
    assert "Flip Video Reflections" in words and "PNG image" in words and "Digital signature: passed." in words


async def test_an_upload_without_a_credential_says_so(browser: Browser) -> None:
    status, page = await browser.post("/verify/upload", {}, file=("plain.png", PNG_1X1, "image/png"))
    assert status == 400 and "could not be read" in page


async def test_credential_values_are_escaped(browser: Browser, district: Ed25519KeyPair, teacher: Ed25519KeyPair) -> None:
    credential = issue(district, recipient=teacher.did, badge_name="<script>alert('badge')</script>",
                       name="<img src=x onerror=alert(1)>")
    status, page = await browser.post("/verify/paste", {"document": json.dumps(credential)})
    assert status == 200
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(" in page and "&lt;img src=x onerror=alert(1)&gt;" in page


async def test_remote_and_non_image_data_uris_are_not_shown(browser: Browser, district: Ed25519KeyPair,
                                                            teacher: Ed25519KeyPair) -> None:
    remote = issue(district, recipient=teacher.did, image="https://tracker.example/badge.png")
    _, page = await browser.post("/verify/paste", {"document": json.dumps(remote)})
    assert "tracker.example/badge.png" in _text(page) and "does not load remote images" in _text(page)
    assert "<img" not in page
    html_uri = issue(district, recipient=teacher.did, image="data:text/html;base64,PHNjcmlwdD4=")
    _, page = await browser.post("/verify/paste", {"document": json.dumps(html_uri)})
    assert "<img" not in page


# -- share links ---------------------------------------------------------------------------------


@pytest.fixture
async def wallet_site(district: Ed25519KeyPair, teacher: Ed25519KeyPair) -> AsyncIterator[str]:
    """A second app on loopback standing in for a wallet: /s/good answers its presentation as JSON."""
    holder: dict[str, str] = {}

    async def share(request: web.Request) -> web.Response:
        if "json" not in request.headers.get("Accept", ""):
            return web.Response(text="<html>a share page</html>", content_type="text/html")
        credential = issue(district, recipient=teacher.did, status_index=3, badge_name="Nearpod Lessons")
        vp = present(teacher, [credential, status_list(district)], challenge="share-1", domain=holder["url"])
        return web.json_response(vp)

    async def elsewhere(request: web.Request) -> web.Response:
        port = request.url.port
        raise web.HTTPFound(f"http://localhost:{port}/s/good")

    app = web.Application()
    app.router.add_get("/s/good", share)
    app.router.add_get("/s/moved", elsewhere)
    async with serving(app) as url:
        holder["url"] = url
        yield url


async def test_a_share_link_is_not_fetched_unless_allowed(browser: Browser, wallet_site: str) -> None:
    status, page = await browser.post("/verify/link", {"link": wallet_site + "/s/good"})
    assert status == 200
    words = _text(page)
    assert "does not fetch links from 127.0.0.1" in words and "upload that file" in words
    assert "Nearpod Lessons" not in words


async def test_a_share_link_on_an_allowed_host_is_fetched_and_verified(wallet_site: str) -> None:
    async for browser in _browser(ServiceConfig(allow_hosts=frozenset({"127.0.0.1"}))):
        status, page = await browser.post("/verify/link", {"link": wallet_site + "/s/good"})
        assert status == 200
        words = _text(page)
        assert "Nearpod Lessons" in words and "Digital signature: passed." in words
        assert "Not revoked as of" in words and "the date of the issuer's status list" in words
        assert "Domain (protection against replay): passed." in words

        # A redirect to another host is not followed.
        status, page = await browser.post("/verify/link", {"link": wallet_site + "/s/moved"})
        assert status == 502 and "another host" in _text(page)


async def test_only_http_links_are_fetched_even_online() -> None:
    async for browser in _browser(ServiceConfig(online=True)):
        _, page = await browser.post("/verify/link", {"link": "file:///etc/passwd"})
        assert "Only http:// and https:// links can be fetched." in _text(page)


# -- trust registries ----------------------------------------------------------------------------


def _registry_files(district: Ed25519KeyPair, operator: Ed25519KeyPair) -> dict[str, Any]:
    entry = {"name": "Lakeside School District", "url": "https://lakeside.example"}
    return {
        "own": [{"did": district.did, **entry}],
        "issuers": {"issuers": [{"id": district.did, "name": entry["name"]}]},
        "dcc": {"meta": {"created": "2026-01-01T00:00:00+00:00"},
                "registry": {district.did: {**entry, "location": "Lakeside, MN, USA"}}},
        "signed": signed_registry(operator, [{"did": district.did, **entry}]),
    }


@pytest.mark.parametrize("form", ["own", "issuers", "dcc", "signed"])
async def test_each_registry_format_gives_trusted_unknown_and_impersonation(form: str, district: Ed25519KeyPair,
                                                                            teacher: Ed25519KeyPair) -> None:
    from datetime import UTC, datetime

    operator = generate_key_pair()
    registry, source = read_registry(_registry_files(district, operator)[form], label=f"{form}.json",
                                     now=datetime.now(UTC))
    assert registry.name_of(district.did) == "Lakeside School District"
    assert source.operator == (operator.did if form == "signed" else None)
    stranger = generate_key_pair()
    cases = [
        (issue(district, recipient=teacher.did, name="Lakeside"), "Trusted", "Lakeside School District (confirmed by the trust registry)"),
        (issue(stranger, recipient=teacher.did, name="Hillcrest Academy"), "Unknown", "Hillcrest Academy (claimed by the credential)"),
        (issue(stranger, recipient=teacher.did, name="Lakeside School District"), "Impersonation suspected",
         "Lakeside School District (claimed by the credential)"),
    ]
    async for browser in _browser(ServiceConfig(registry=registry, registry_sources=(source,))):
        _, page = await browser.get("/")
        assert f"{form}.json" in _text(page)
        for credential, trust, issuer in cases:
            _, page = await browser.post("/verify/paste", {"document": json.dumps(credential)})
            words = _text(page)
            assert f"Issuer known? {trust}:" in words, trust
            assert issuer in words
            assert "Signature Valid:" in words  # The signature is judged apart from who holds the key.


def test_a_signed_registry_that_does_not_verify_is_refused(district: Ed25519KeyPair) -> None:
    from datetime import UTC, datetime

    from verifier.registry import RegistryError

    tampered = signed_registry(generate_key_pair(), [{"did": district.did, "name": "Lakeside School District"}])
    tampered["credentialSubject"]["issuers"].append({"did": generate_key_pair().did, "name": "Lakeside School District 2"})
    with pytest.raises(RegistryError) as refused:
        read_registry(tampered, label="signed.json", now=datetime.now(UTC))
    assert refused.value.code == "registry_not_verified"


def test_registries_merge_most_authoritative_first(district: Ed25519KeyPair) -> None:
    first = TrustRegistry.from_json([{"did": district.did, "name": "Lakeside School District"}])
    second = TrustRegistry.from_json({"registry": {district.did: {"name": "Lakeside (old name)"}}})
    assert TrustRegistry.merged([first, second]).name_of(district.did) == "Lakeside School District"


async def test_a_pasted_jwt_is_verified(browser: Browser, district: Ed25519KeyPair, teacher: Ed25519KeyPair) -> None:
    from verifier_service_support import START, achievement

    from credentials.ob3 import build_credential
    from credentials.vcjwt import sign_vc_jwt

    unsigned = build_credential(issuer={"id": district.did, "name": "Lakeside District"},
                                achievement=achievement("Nearpod Lessons"), recipient_did=teacher.did,
                                credential_id="urn:uuid:2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e", valid_from=START)
    status, page = await browser.post("/verify/paste", {"document": sign_vc_jwt(unsigned, signer=district)})
    words = _text(page)
    assert status == 200 and "Nearpod Lessons" in words and "compact JWT" in words
    assert "Digital signature: passed." in words


async def test_a_not_verified_headline_lists_what_failed(browser: Browser, district: Ed25519KeyPair,
                                                         teacher: Ed25519KeyPair) -> None:
    credential = issue(district, recipient=teacher.did, status_index=5)
    vp = present(teacher, [credential, status_list(district, revoked=5)])
    _, page = await browser.post("/verify/paste", {"document": json.dumps(vp)})
    words = _text(page)
    assert "Not verified" in words
    assert "Padlet for Class Discussion: Revocation status: revoked by the issuer" in words
    assert "Revoked by the issuer (status list of" in words


class _Audit(HTMLParser):
    """A basic accessibility audit: labelled inputs, images with alt text, heading levels that do not skip."""

    def __init__(self) -> None:
        super().__init__()
        self.labels: set[str] = set()
        self.inputs: list[str] = []
        self.images_without_alt = 0
        self.levels: list[int] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "label" and values.get("for"):
            self.labels.add(str(values["for"]))
        if tag in ("input", "textarea", "select") and values.get("type") != "hidden":
            self.inputs.append(str(values.get("id")))
        if tag == "img" and not (values.get("alt") or "").strip():
            self.images_without_alt += 1
        if re.fullmatch(r"h[1-6]", tag):
            self.levels.append(int(tag[1]))

    def problems(self) -> list[str]:
        found = [f"input {name} has no label" for name in self.inputs if name not in self.labels]
        if self.images_without_alt:
            found.append(f"{self.images_without_alt} images without alt text")
        if not self.levels or self.levels[0] != 1:
            found.append("the page does not start with an h1")
        found += [f"heading h{b} after h{a}" for a, b in zip(self.levels, self.levels[1:]) if b > a + 1]
        return found


def _audit(page: str) -> list[str]:
    audit = _Audit()
    audit.feed(page)
    return audit.problems()


async def test_the_pages_pass_a_basic_accessibility_audit(browser: Browser, district: Ed25519KeyPair,
                                                          teacher: Ed25519KeyPair) -> None:
    _, index = await browser.get("/")
    assert _audit(index) == []
    vp = present(teacher, [issue(district, recipient=teacher.did), status_list(district)])
    _, report = await browser.post("/verify/paste", {"document": json.dumps(vp)})
    assert "<img" in report and _audit(report) == []


async def test_an_uploaded_baked_svg_is_read(browser: Browser, district: Ed25519KeyPair, teacher: Ed25519KeyPair) -> None:
    from credentials.baking import bake_svg

    svg = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>'
    baked = bake_svg(svg, issue(district, recipient=teacher.did, badge_name="Flip Grid Host"))
    status, page = await browser.post("/verify/upload", {}, file=("badge.svg", baked.encode(), "image/svg+xml"))
    words = _text(page)
    assert status == 200 and "Flip Grid Host" in words and "SVG image" in words
    assert "Digital signature: passed." in words


async def test_an_oversized_upload_is_refused(district: Ed25519KeyPair) -> None:
    async for browser in _browser(ServiceConfig(max_upload_bytes=1024)):
        status, page = await browser.post("/verify/upload", {}, file=("big.json", b" " * 4096, "application/json"))
        assert status == 413 and "larger than" in page
