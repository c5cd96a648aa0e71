"""Form posts and file uploads through a real server, with their limits."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web

from webbase.app import make_app
from webbase.testing import serving
from webbase.uploads import read_form, read_multipart


async def upload(request: web.Request) -> web.Response:
    form = await read_multipart(request, max_file_bytes=1000)
    credential = form.file("credential")
    return web.json_response({"fields": form.fields, "filename": credential.filename,
                              "type": credential.content_type, "size": len(credential.data)})


async def plain_form(request: web.Request) -> web.Response:
    return web.json_response(dict(await read_form(request)))


@pytest.fixture
async def base_url() -> AsyncIterator[str]:
    app = make_app(client_max_size=100_000)
    app.router.add_post("/upload", upload)
    app.router.add_post("/form", plain_form)
    async with serving(app) as url:
        yield url


def multipart(fields: dict[str, str], files: dict[str, tuple[str, bytes]]) -> aiohttp.FormData:
    data = aiohttp.FormData(default_to_multipart=True)  # As a browser sends a form with enctype=multipart.
    for name, value in fields.items():
        data.add_field(name, value)
    for name, (filename, content) in files.items():
        data.add_field(name, content, filename=filename, content_type="application/json")
    return data


async def code_of(response: aiohttp.ClientResponse) -> str:
    assert response.content_type == "application/problem+json"
    return str((await response.json(content_type=None))["type"]).rsplit(":", 1)[1]


async def test_upload_with_fields(base_url: str) -> None:
    data = multipart({"note": "für Ada"}, {"credential": ("badge.json", b'{"a": 1}')})
    async with aiohttp.ClientSession() as client, client.post(base_url + "/upload", data=data) as response:
        assert response.status == 200
        assert await response.json() == {"fields": {"note": "für Ada"}, "filename": "badge.json",
                                          "type": "application/json", "size": 8}


async def test_upload_over_the_file_limit_is_413(base_url: str) -> None:
    data = multipart({}, {"credential": ("badge.json", b"x" * 1001)})
    async with aiohttp.ClientSession() as client, client.post(base_url + "/upload", data=data) as response:
        assert response.status == 413
        assert await code_of(response) == "upload_too_large"


@pytest.mark.parametrize(("fields", "files", "status", "code"), [
    ({"note": "x"}, {}, 400, "missing_field"),
    ({}, {"credential": ("empty.json", b"")}, 400, "missing_field"),
])
async def test_upload_without_the_file_is_400(base_url: str, fields: dict[str, str],
                                              files: dict[str, tuple[str, bytes]], status: int, code: str) -> None:
    async with aiohttp.ClientSession() as client, client.post(
        base_url + "/upload", data=multipart(fields, files)
    ) as response:
        assert response.status == status
        assert await code_of(response) == code


async def test_repeated_field_is_400(base_url: str) -> None:
    data = aiohttp.FormData()
    data.add_field("credential", b"1", filename="a.json")
    data.add_field("credential", b"2", filename="b.json")
    async with aiohttp.ClientSession() as client, client.post(base_url + "/upload", data=data) as response:
        assert response.status == 400
        assert await code_of(response) == "duplicate_field"


async def test_json_body_to_an_upload_route_is_415(base_url: str) -> None:
    async with aiohttp.ClientSession() as client, client.post(base_url + "/upload", json={}) as response:
        assert response.status == 415
        assert await code_of(response) == "unsupported_media_type"


async def test_plain_form_fields(base_url: str) -> None:
    async with aiohttp.ClientSession() as client:
        async with client.post(base_url + "/form", data={"email": "a@b.c", "csrf_token": "t"}) as response:
            assert await response.json() == {"email": "a@b.c", "csrf_token": "t"}
        async with client.post(base_url + "/form", data=multipart({"email": "a@b.c"}, {})) as response:
            assert await response.json() == {"email": "a@b.c"}
        async with client.post(base_url + "/form", data=multipart({}, {"f": ("x.json", b"12")})) as response:
            assert response.status == 413
        async with client.post(base_url + "/form", data="email=a&email=b",
                               headers={"Content-Type": "application/x-www-form-urlencoded"}) as response:
            assert response.status == 400
            assert await code_of(response) == "duplicate_field"
