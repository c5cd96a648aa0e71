"""OpenID4VCI 1.0 endpoints: metadata, credential offers, token, nonce, credential (protocol in ``oid4vci.py``).

These speak OAuth, not RFC 9457: errors are ``{"error", "error_description"}``
with status 400 (401 and ``WWW-Authenticate`` for a bad access token), as RFC
6749 §5.2, RFC 6750 §3 and OpenID4VCI §8.3.1 require, with the problem members
(``type``, ``title``, ``status``, ``detail``) beside them so our own tools read
one shape. Responses carrying codes, tokens or nonces are ``Cache-Control:
no-store``. No CORS: wallets call these server to server.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import wraps
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

from credentials.errors import JsonInputError
from credentials.strictjson import parse_json
from webbase.bodies import read_limited_body
from webbase.cpu import run_cpu
from webbase.problems import PROBLEM_TYPE_PREFIX
from webbase.tokens import bearer_token

from ..oid4vci import OAuthError, authorization_server_metadata, credential_offer, exchange_code, issue_for_token, issuer_metadata, new_nonce
from ..state import NODE

MAX_BODY = 64 * 1024
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
_FORM = "application/x-www-form-urlencoded"

Handler = Callable[[web.Request], Awaitable[web.Response]]


def oauth_error_response(error: OAuthError) -> web.Response:
    phrase = HTTPStatus(error.status).phrase
    body = {"error": error.error, "error_description": error.description,
            "type": PROBLEM_TYPE_PREFIX + error.error, "title": phrase, "status": error.status,
            "detail": error.description}
    response = web.json_response(body, status=error.status, headers=NO_STORE)
    if error.status == 401:
        # RFC 6750 §3: the description is ASCII without quotes or backslashes.
        described = error.description.encode("ascii", "replace").decode().replace('"', "'").replace("\\", "/")
        response.headers["WWW-Authenticate"] = f'Bearer error="{error.error}", error_description="{described}"'
    return response


def oauth_endpoint(handler: Handler) -> Handler:
    """Render ``OAuthError`` in the OAuth shape; anything else goes on to the problem middleware."""
    @wraps(handler)
    async def wrapper(request: web.Request) -> web.Response:
        try:
            return await handler(request)
        except OAuthError as error:
            return oauth_error_response(error)
    return wrapper


async def credential_issuer_metadata(request: web.Request) -> web.Response:
    """Credential Issuer Metadata (OpenID4VCI §12.2)."""
    return web.json_response(issuer_metadata(request.app[NODE]), headers={"Cache-Control": "public, max-age=300"})


async def oauth_server_metadata(request: web.Request) -> web.Response:
    """OAuth 2.0 Authorization Server Metadata (RFC 8414) for the pre-authorized code grant."""
    return web.json_response(authorization_server_metadata(request.app[NODE]),
                             headers={"Cache-Control": "public, max-age=300"})


async def offer(request: web.Request) -> web.Response:
    """A Credential Offer by reference (OpenID4VCI §4.1.3); 404 unknown, 410 expired or redeemed."""
    body = credential_offer(request.app[NODE], request.match_info["token"])
    return web.json_response(body, headers=NO_STORE)


async def _form(request: web.Request) -> dict[str, str]:
    if request.content_type != _FORM:
        raise OAuthError("invalid_request", f"the token request is a form ({_FORM})")
    raw = await read_limited_body(request, max_bytes=MAX_BODY)
    try:
        pairs = parse_qsl(raw.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
    except UnicodeDecodeError:
        raise OAuthError("invalid_request", "the token request is not UTF-8") from None
    form: dict[str, str] = {}
    for name, value in pairs:
        if name in form:
            # RFC 6749 §3.2: request parameters must not be included more than once.
            raise OAuthError("invalid_request", f"the parameter {name[:40]} was sent twice")
        form[name] = value
    return form


@oauth_endpoint
async def token(request: web.Request) -> web.Response:
    """Token endpoint (OpenID4VCI §6): the pre-authorized code (and tx_code) for an access token."""
    form = await _form(request)
    response = await run_cpu(exchange_code, request.app[NODE], form)
    return web.json_response(response, headers=NO_STORE)


@oauth_endpoint
async def nonce(request: web.Request) -> web.Response:
    """Nonce endpoint (OpenID4VCI §7): a fresh c_nonce for the key proof."""
    value = await run_cpu(new_nonce, request.app[NODE])
    return web.json_response({"c_nonce": value}, headers=NO_STORE)


async def _json_object(request: web.Request) -> dict[str, Any]:
    if request.content_type != "application/json":
        raise OAuthError("invalid_credential_request", "the credential request is JSON (application/json)")
    raw = await read_limited_body(request, max_bytes=MAX_BODY)
    try:
        body = parse_json(raw, max_bytes=MAX_BODY)
    except JsonInputError as exc:
        raise OAuthError("invalid_credential_request", f"the credential request is not valid JSON: {exc}") from None
    if not isinstance(body, dict):
        raise OAuthError("invalid_credential_request", "the credential request is a JSON object")
    return body


@oauth_endpoint
async def credential(request: web.Request) -> web.Response:
    """Credential endpoint (OpenID4VCI §8): the credential, bound to the did:key the proof JWT shows."""
    node = request.app[NODE]
    access_token = bearer_token(request)
    body = await _json_object(request)
    response = await run_cpu(issue_for_token, node, access_token, body)
    return web.json_response(response, headers=NO_STORE)


def setup(app: web.Application) -> None:
    app.router.add_get("/.well-known/openid-credential-issuer", credential_issuer_metadata)
    app.router.add_get("/.well-known/oauth-authorization-server", oauth_server_metadata)
    app.router.add_get("/offers/{token}", offer)
    app.router.add_post("/token", token)
    app.router.add_post("/nonce", nonce)
    app.router.add_post("/credential", credential)
