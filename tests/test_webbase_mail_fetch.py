"""Mail through a real SMTP server on loopback; bounded fetches from a real aiohttp server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from email import message_from_bytes
from email.policy import default as default_policy

import pytest
from aiohttp import web
from smtp_sink import Sink, free_port, smtp  # noqa: F401  (the fixture)

from webbase.fetch import FetchError, fetch_limited
from webbase.mail import Mailer, parse_smtp
from webbase.testing import serving


async def test_mail_is_delivered_over_smtp(smtp: tuple[Sink, int]) -> None:
    sink, port = smtp
    mailer = Mailer(("127.0.0.1", port), sender="Satchel <noreply@issuer.example>")
    assert await mailer.send("ada@example.org", "Your badge offer – Zoë", "Open this link:\nhttps://x/offer/1\n")
    assert len(sink.envelopes) == 1
    mail_from, rcpt_tos, content = sink.envelopes[0]
    assert mail_from == "noreply@issuer.example" and rcpt_tos == ["ada@example.org"]
    message = message_from_bytes(content, policy=default_policy)
    assert message["Subject"] == "Your badge offer – Zoë"
    assert message["To"] == "ada@example.org"
    assert message["Message-ID"].endswith("@issuer.example>")
    body = message.get_body()
    assert body is not None and "https://x/offer/1" in body.get_content()


async def test_header_injection_is_refused(smtp: tuple[Sink, int]) -> None:
    sink, port = smtp
    mailer = Mailer(("127.0.0.1", port), sender="noreply@issuer.example")
    assert not await mailer.send("ada@example.org", "Hi\r\nBcc: eve@example.org", "body")
    assert not await mailer.send("ada@example.org\nBcc: eve@example.org", "Hi", "body")
    assert sink.messages == []


async def test_unconfigured_mailer_returns_false() -> None:
    mailer = Mailer(None, sender="noreply@issuer.example")
    assert not mailer.configured
    assert not await mailer.send("ada@example.org", "Hi", "secret link")


async def test_unreachable_smtp_returns_false_and_never_logs_the_body(caplog: pytest.LogCaptureFixture) -> None:
    mailer = Mailer(("127.0.0.1", free_port()), sender="noreply@issuer.example", timeout=5)
    with caplog.at_level(logging.INFO, logger="webbase.mail"):
        assert not await mailer.send("ada@example.org", "Hi", "one-time code 918273")
    assert caplog.records and "918273" not in caplog.text


def test_parse_smtp() -> None:
    assert parse_smtp("localhost:1025") == ("localhost", 1025)
    assert parse_smtp("[::1]:25") == ("::1", 25)
    for bad in ["localhost", ":25", "host:0", "host:x"]:
        with pytest.raises(ValueError):
            parse_smtp(bad)


def build_origin(release: asyncio.Event) -> web.Application:
    app = web.Application()

    async def ok(request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    async def big(request: web.Request) -> web.Response:
        return web.Response(body=b"x" * 5000)

    async def streamed(request: web.Request) -> web.StreamResponse:
        # Chunked, no Content-Length: the limit must hold while reading.
        response = web.StreamResponse()
        await response.prepare(request)
        for _ in range(10):
            await response.write(b"y" * 1000)
        await response.write_eof()
        return response

    async def slow(request: web.Request) -> web.Response:
        await release.wait()
        return web.json_response({})

    async def hop(request: web.Request) -> web.Response:
        left = int(request.match_info["n"])
        raise web.HTTPFound("/ok" if left <= 1 else f"/hop/{left - 1}")

    async def elsewhere(request: web.Request) -> web.Response:
        raise web.HTTPFound(str(request.url.with_host("localhost")))

    async def to_file(request: web.Request) -> web.Response:
        raise web.HTTPFound("file:///etc/passwd")

    async def missing(request: web.Request) -> web.Response:
        raise web.HTTPNotFound()

    for path, handler in [("/ok", ok), ("/big", big), ("/streamed", streamed), ("/slow", slow),
                          ("/hop/{n}", hop), ("/elsewhere", elsewhere), ("/to-file", to_file), ("/missing", missing)]:
        app.router.add_get(path, handler)
    return app


@pytest.fixture
async def origin() -> AsyncIterator[str]:
    release = asyncio.Event()
    async with serving(build_origin(release)) as url:
        try:
            yield url
        finally:
            release.set()


async def test_fetch_returns_the_body(origin: str) -> None:
    assert await fetch_limited(origin + "/ok") == b'{"ok": true}'


@pytest.mark.parametrize("path", ["/big", "/streamed"])
async def test_fetch_refuses_bodies_over_the_limit(origin: str, path: str) -> None:
    with pytest.raises(FetchError) as refused:
        await fetch_limited(origin + path, max_bytes=4096)
    assert refused.value.code == "fetch_too_large"
    assert await fetch_limited(origin + path, max_bytes=10_000)


async def test_fetch_times_out(origin: str) -> None:
    with pytest.raises(FetchError) as refused:
        await fetch_limited(origin + "/slow", timeout=0.3)
    assert refused.value.code == "fetch_timeout"


async def test_fetch_follows_same_host_redirects_a_few_times(origin: str) -> None:
    assert await fetch_limited(origin + "/hop/3") == b'{"ok": true}'
    with pytest.raises(FetchError) as refused:
        await fetch_limited(origin + "/hop/5")
    assert refused.value.code == "fetch_too_many_redirects"


async def test_fetch_refuses_a_redirect_to_another_host(origin: str) -> None:
    with pytest.raises(FetchError) as refused:
        await fetch_limited(origin + "/elsewhere")
    assert refused.value.code == "fetch_redirect_refused"


async def test_fetch_refuses_a_redirect_to_a_file_url(origin: str) -> None:
    with pytest.raises(FetchError) as refused:
        await fetch_limited(origin + "/to-file")
    assert refused.value.code == "fetch_scheme_refused"


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://127.0.0.1/x", "data:,hello", "http:///nohost"])
async def test_fetch_refuses_non_http_schemes(url: str) -> None:
    with pytest.raises(FetchError) as refused:
        await fetch_limited(url)
    assert refused.value.code == "fetch_scheme_refused"


async def test_fetch_error_status_and_refused_connection(origin: str) -> None:
    with pytest.raises(FetchError) as refused:
        await fetch_limited(origin + "/missing")
    assert refused.value.code == "fetch_http_status"
    with pytest.raises(FetchError) as refused:
        await fetch_limited(f"http://127.0.0.1:{free_port()}/")
    assert refused.value.code == "fetch_failed"
