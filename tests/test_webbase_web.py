"""Passwords, bearer tokens, rate limits, the OpenAPI document and templates, on real served apps."""

from __future__ import annotations

from typing import Any

import aiohttp
import jinja2
import pytest
from aiohttp import web

from webbase.app import make_app
from webbase.openapi import add_openapi_route, openapi_path
from webbase.passwords import hash_password, needs_rehash, verify_password
from webbase.ratelimit import RateLimiter, client_key
from webbase.templates import page, render, setup_templates
from webbase.testing import serving
from webbase.tokens import bearer_token, hash_token, new_token


def test_password_hash_verifies_only_the_right_password() -> None:
    stored = hash_password("correct horse battery staple")
    assert stored.startswith("$argon2id$")
    assert "correct horse" not in stored
    assert verify_password(stored, "correct horse battery staple")
    assert not verify_password(stored, "Correct horse battery staple")
    assert not needs_rehash(stored)


def test_damaged_hash_is_false_not_an_error() -> None:
    assert not verify_password("not-a-hash", "pw")
    assert not verify_password("$argon2id$v=19$m=65536,t=3,p=4$broken", "pw")
    assert needs_rehash("not-a-hash")


def test_same_password_hashes_differently() -> None:
    assert hash_password("pw") != hash_password("pw")


def test_tokens_are_random_and_stored_as_sha256() -> None:
    first, second = new_token(), new_token()
    assert first != second and len(first) >= 43
    assert hash_token("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_rate_limiter_window_slides() -> None:
    clock = Clock()
    limiter = RateLimiter(2, 60, clock=clock)
    limiter.hit("ip")
    clock.now += 30
    limiter.hit("ip")
    from webbase.problems import Problem

    with pytest.raises(Problem) as refused:
        limiter.hit("ip")
    assert refused.value.status == 429 and refused.value.headers["Retry-After"] == "30"
    limiter.hit("other-ip")  # Keys are independent.
    clock.now += 30  # The first hit has left the window.
    limiter.hit("ip")


def test_rate_limiter_memory_is_bounded() -> None:
    limiter = RateLimiter(1, 60, max_keys=3, clock=Clock())
    for key in ["a", "b", "c", "d"]:
        limiter.hit(key)
    limiter.hit("a")  # "a" was the least recently used key and has been forgotten.


async def item(request: web.Request) -> web.Response:
    """Read one item.

    More text that is not the summary.
    """
    return web.json_response({"id": request.match_info["item_id"]})


async def item_file(request: web.Request) -> web.Response:
    """Read an item's file."""
    return web.json_response({})


async def protected(request: web.Request) -> web.Response:
    """Report the bearer token, rate-limited."""
    request.app[LIMITER].hit(client_key(request, scope="protected"))
    return web.json_response({"token": bearer_token(request)})


@page
async def hello(request: web.Request) -> web.Response:
    """A page that shows a name."""
    return render(request, "hello.html", {"name": request.query.get("name", ""), "title": "Hello"})


LIMITER = web.AppKey("limiter", RateLimiter)
HELLO = """{% extends "base.html" %}{% block content %}<h1>Hello {{ name }}</h1>{% endblock %}"""


def build_app() -> web.Application:
    app = make_app()
    app[LIMITER] = RateLimiter(2, 3600)
    environment = setup_templates(app, "webbase")
    assert environment.loader is not None
    environment.loader = jinja2.ChoiceLoader([jinja2.DictLoader({"hello.html": HELLO}), environment.loader])
    app.router.add_get("/items/{item_id}", item)
    app.router.add_delete("/items/{item_id}", item)
    app.router.add_get(r"/items/{item_id}/files/{name:[a-z]+\.json}", item_file)
    app.router.add_post("/protected", protected)
    app.router.add_get("/hello", hello)
    add_openapi_route(app, title="Test server", version="1.2.3")
    return app


@pytest.fixture
async def base_url() -> Any:
    async with serving(build_app()) as url:
        yield url


async def test_openapi_lists_every_route_with_path_parameters(base_url: str) -> None:
    async with aiohttp.ClientSession() as client, client.get(base_url + "/openapi.json") as response:
        assert response.status == 200
        document = await response.json()
    assert document["openapi"] == "3.1.0"
    assert document["info"] == {"title": "Test server", "version": "1.2.3"}
    paths = document["paths"]
    assert set(paths) == {"/items/{item_id}", "/items/{item_id}/files/{name}", "/protected", "/hello",
                          "/openapi.json", "/static/webbase.css"}
    assert set(paths["/items/{item_id}"]) == {"get", "delete"}
    get_item = paths["/items/{item_id}"]["get"]
    assert get_item["summary"] == "Read one item."
    assert get_item["parameters"] == [{"name": "item_id", "in": "path", "required": True, "schema": {"type": "string"}}]
    files = paths["/items/{item_id}/files/{name}"]["get"]
    assert [p["name"] for p in files["parameters"]] == ["item_id", "name"]
    assert paths["/hello"]["get"]["tags"] == ["pages"]
    operation_ids = [op["operationId"] for methods in paths.values() for op in methods.values()]
    assert len(operation_ids) == len(set(operation_ids))


def test_openapi_path_strips_regexes() -> None:
    assert openapi_path(r"/a/{x:\d{2,3}}/b/{y}") == ("/a/{x}/b/{y}", ["x", "y"])


async def test_templates_escape_script_in_context_values(base_url: str) -> None:
    async with aiohttp.ClientSession() as client, client.get(
        base_url + "/hello", params={"name": "<script>alert('x')</script>"}
    ) as response:
        assert response.status == 200
        assert response.content_type == "text/html"
        text = await response.text()
    assert "<script>" not in text
    assert "Hello &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in text


async def test_base_layout_is_accessible(base_url: str) -> None:
    async with aiohttp.ClientSession() as client, client.get(base_url + "/hello", params={"name": "Ada"}) as response:
        text = await response.text()
    assert '<html lang="en">' in text
    assert '<a class="skip-link" href="#content">' in text
    assert '<main id="content"' in text
    assert "<title>Hello</title>" in text
    assert '<link rel="stylesheet" href="/static/webbase.css">' in text
    assert "<script" not in text


async def test_stylesheet_is_served_as_css(base_url: str) -> None:
    async with aiohttp.ClientSession() as client, client.get(base_url + "/static/webbase.css") as response:
        assert response.status == 200
        assert response.content_type == "text/css"
        css = await response.text()
    assert ".skip-link:focus" in css and ":focus-visible" in css


async def test_rate_limit_is_429_with_retry_after(base_url: str) -> None:
    async with aiohttp.ClientSession() as client:
        for _ in range(2):
            async with client.post(base_url + "/protected") as response:
                assert response.status == 200
        async with client.post(base_url + "/protected") as response:
            assert response.status == 429
            assert response.content_type == "application/problem+json"
            body = await response.json(content_type=None)
            retry_after = int(response.headers["Retry-After"])
    assert body["type"] == "urn:satchel:problem:rate_limited"
    assert 0 < retry_after <= 3600 and body["retryAfter"] == retry_after


@pytest.mark.parametrize(("header", "token"), [
    ("Bearer abc.def", "abc.def"),
    ("bearer abc", "abc"),
    ("Basic abc", None),
    ("Bearer", None),
    ("Bearer a b", None),
])
async def test_bearer_token_parsing(header: str, token: str | None) -> None:
    app = make_app()

    async def echo(request: web.Request) -> web.Response:
        return web.json_response({"token": bearer_token(request)})

    app.router.add_get("/", echo)
    async with serving(app) as url, aiohttp.ClientSession() as client, client.get(
        url + "/", headers={"Authorization": header}
    ) as response:
        assert await response.json() == {"token": token}
