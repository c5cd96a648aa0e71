"""Every error a webbase app can produce is RFC 9457 problem+json (or an HTML page for pages), served for real."""

from __future__ import annotations

import logging
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from credentials.errors import CredentialError
from webbase.app import make_app
from webbase.bodies import read_json_body, read_json_object, require_list, require_str
from webbase.problems import Problem, page
from webbase.testing import serving

SECRET_MARKER = "s3cr3t-internal-state-xyz"


async def echo(request: web.Request) -> web.Response:
    """Echo a JSON object back."""
    body = await read_json_object(request)
    return web.json_response({"name": require_str(body, "name", max_len=20), "tags": require_list(body, "tags")})


async def small(request: web.Request) -> web.Response:
    return web.json_response(await read_json_body(request, max_bytes=100))


async def boom(request: web.Request) -> web.Response:
    raise RuntimeError(f"database password is {SECRET_MARKER}")


async def credential_error(request: web.Request) -> web.Response:
    raise CredentialError("the proof is missing", path="$.proof", code="proof_missing")


async def teapot(request: web.Request) -> web.Response:
    raise Problem(409, "That name is taken.", code="name_taken", extra={"name": "<b>x</b>"})


@page
async def html_page(request: web.Request) -> web.Response:
    raise Problem(403, "You may not see <script>alert(1)</script> here.", code="forbidden_page")


async def redirect(request: web.Request) -> web.Response:
    raise web.HTTPFound("/echo")


async def streamed(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse()
    await response.prepare(request)
    await response.write(b"chunk")
    return response


async def custom_text(request: web.Request) -> web.Response:
    raise web.HTTPBadRequest(text="The page number must be a number.")


def build_app() -> web.Application:
    app = make_app(client_max_size=4096)
    app.router.add_post("/echo", echo)
    app.router.add_post("/small", small)
    app.router.add_get("/boom", boom)
    app.router.add_get("/credential-error", credential_error)
    app.router.add_get("/conflict", teapot)
    app.router.add_get("/page", html_page)
    app.router.add_get("/redirect", redirect)
    app.router.add_get("/streamed", streamed)
    app.router.add_get("/custom-text", custom_text)
    return app


async def problem_of(response: aiohttp.ClientResponse, status: int, code: str) -> dict[str, Any]:
    """The one check of the error shape, used for every route."""
    assert response.status == status
    assert response.content_type == "application/problem+json"
    body: dict[str, Any] = await response.json(content_type=None)
    assert body["type"] == f"urn:satchel:problem:{code}"
    assert body["status"] == status
    assert isinstance(body["title"], str) and body["title"]
    assert isinstance(body["detail"], str) and body["detail"]
    return body


@pytest.fixture
async def base_url() -> Any:
    async with serving(build_app()) as url:
        yield url


async def test_unknown_route_is_404_problem(base_url: str) -> None:
    async with aiohttp.ClientSession() as client, client.get(base_url + "/nowhere") as response:
        await problem_of(response, 404, "not_found")


async def test_wrong_method_is_405_problem_with_allow(base_url: str) -> None:
    async with aiohttp.ClientSession() as client, client.get(base_url + "/echo") as response:
        await problem_of(response, 405, "method_not_allowed")
        assert "POST" in response.headers["Allow"]


async def test_body_over_the_app_limit_is_413(base_url: str) -> None:
    data = b'{"name": "' + b"x" * 5000 + b'"}'
    async with aiohttp.ClientSession() as client, client.post(
        base_url + "/echo", data=data, headers={"Content-Type": "application/json"}
    ) as response:
        await problem_of(response, 413, "body_too_large")


async def test_body_over_the_route_limit_is_413(base_url: str) -> None:
    async with aiohttp.ClientSession() as client, client.post(base_url + "/small", json={"x": "y" * 200}) as response:
        body = await problem_of(response, 413, "body_too_large")
        assert body["maxBytes"] == 100


async def test_not_json_is_415(base_url: str) -> None:
    async with aiohttp.ClientSession() as client, client.post(
        base_url + "/echo", data=b"name=x", headers={"Content-Type": "application/x-www-form-urlencoded"}
    ) as response:
        await problem_of(response, 415, "unsupported_media_type")


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b'{"name": ', "json_syntax"),
        (b"[" * 100 + b"]" * 100, "json_too_deep"),
        (b'{"name": "a", "name": "b", "tags": []}', "json_duplicate_key"),
        (b'{"name": NaN, "tags": []}', "json_bad_number"),
        (b'{"name": "\xff", "tags": []}', "json_invalid_utf8"),
    ],
)
async def test_bad_json_is_400_with_the_readers_code(base_url: str, data: bytes, code: str) -> None:
    async with aiohttp.ClientSession() as client, client.post(
        base_url + "/echo", data=data, headers={"Content-Type": "application/json"}
    ) as response:
        await problem_of(response, 400, code)


async def test_ld_json_content_type_is_accepted(base_url: str) -> None:
    async with aiohttp.ClientSession() as client, client.post(
        base_url + "/echo", data=b'{"name": "ok", "tags": [1]}', headers={"Content-Type": "application/ld+json"}
    ) as response:
        assert response.status == 200
        assert await response.json() == {"name": "ok", "tags": [1]}


@pytest.mark.parametrize(
    ("payload", "code", "field"),
    [
        ([1, 2], "not_an_object", None),
        ({"tags": []}, "missing_field", "name"),
        ({"name": 5, "tags": []}, "invalid_field", "name"),
        ({"name": "x" * 21, "tags": []}, "invalid_field", "name"),
        ({"name": "ok", "tags": "no"}, "invalid_field", "tags"),
    ],
)
async def test_bad_fields_are_400_naming_the_field(base_url: str, payload: Any, code: str, field: str | None) -> None:
    async with aiohttp.ClientSession() as client, client.post(base_url + "/echo", json=payload) as response:
        body = await problem_of(response, 400, code)
        assert body.get("field") == field


async def test_unexpected_exception_is_a_generic_500(base_url: str, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, logger="webbase"):
        async with aiohttp.ClientSession() as client, client.get(base_url + "/boom") as response:
            text = await response.text()
            await problem_of(response, 500, "internal_error")
    assert SECRET_MARKER not in text
    assert "Traceback" not in text and "RuntimeError" not in text
    # The traceback goes to the server log instead.
    assert any(record.exc_info and SECRET_MARKER in str(record.exc_info[1]) for record in caplog.records)


async def test_credential_error_is_400_with_its_code_and_path(base_url: str) -> None:
    async with aiohttp.ClientSession() as client, client.get(base_url + "/credential-error") as response:
        body = await problem_of(response, 400, "proof_missing")
        assert body["path"] == "$.proof"
        assert body["detail"] == "the proof is missing"


async def test_http_exception_keeps_a_handlers_own_text(base_url: str) -> None:
    async with aiohttp.ClientSession() as client, client.get(base_url + "/custom-text") as response:
        body = await problem_of(response, 400, "bad_request")
        assert body["detail"] == "The page number must be a number."


async def test_problem_keeps_its_extra_members(base_url: str) -> None:
    async with aiohttp.ClientSession() as client, client.get(base_url + "/conflict") as response:
        body = await problem_of(response, 409, "name_taken")
        assert body["name"] == "<b>x</b>"


async def test_page_errors_are_escaped_html(base_url: str) -> None:
    async with aiohttp.ClientSession() as client, client.get(base_url + "/page") as response:
        assert response.status == 403
        assert response.content_type == "text/html"
        text = await response.text()
    assert "<script>" not in text
    assert "&lt;script&gt;" in text


async def test_browser_gets_html_404_and_api_client_gets_json(base_url: str) -> None:
    browser_accept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    async with aiohttp.ClientSession() as client:
        async with client.get(base_url + "/nowhere", headers={"Accept": browser_accept}) as response:
            assert response.status == 404
            assert response.content_type == "text/html"
        async with client.get(base_url + "/nowhere", headers={"Accept": "application/json"}) as response:
            await problem_of(response, 404, "not_found")
        # An API route's errors stay JSON even for a browser.
        async with client.get(base_url + "/boom", headers={"Accept": browser_accept}) as response:
            await problem_of(response, 500, "internal_error")


async def test_redirects_pass_through(base_url: str) -> None:
    async with aiohttp.ClientSession() as client, client.get(base_url + "/redirect", allow_redirects=False) as response:
        assert response.status == 302
        assert response.headers["Location"] == "/echo"
        assert response.headers["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize(("method", "path"), [("GET", "/nowhere"), ("GET", "/boom"), ("GET", "/page"),
                                              ("GET", "/echo"), ("POST", "/small"),
                                              ("GET", "/streamed")])
async def test_security_headers_on_every_response(base_url: str, method: str, path: str) -> None:
    async with aiohttp.ClientSession() as client, client.request(method, base_url + path, json={}) as response:
        headers = response.headers
    assert headers["Content-Security-Policy"] == (
        "default-src 'none'; style-src 'self'; img-src 'self' data:; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    )
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["X-Frame-Options"] == "DENY"


async def test_authenticated_responses_are_not_stored(base_url: str) -> None:
    async with aiohttp.ClientSession() as client:
        async with client.post(base_url + "/small", json={}, headers={"Authorization": "Bearer abc"}) as response:
            assert response.status == 200
            assert response.headers["Cache-Control"] == "no-store"
        async with client.post(base_url + "/small", json={}) as response:
            assert "no-store" not in response.headers.get("Cache-Control", "")
