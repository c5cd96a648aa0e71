"""The VC-API verify routes: parse the body, call the verifier off the loop, answer in the VC-API shape.

A body that is not a JSON object, is too deep or too large, lacks the document or
holds it in the wrong type is a 400 ``application/problem+json`` naming the
field; a document that was read but does not verify is a 200 whose
``verified`` is false and whose ``errors`` name each failed check.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from credentials.vcjwt import looks_like_compact_jws
from webbase.bodies import optional_str, read_json_object
from webbase.problems import Problem

from .checking import check_document, vcapi_result
from .config import CLIENT, CONFIG

MAX_NONCE = 1024
_JWT_MEDIA_TYPES = ("application/vc+jwt", "application/jwt", "application/vc+ld+json+jwt")


def _invalid(field: str, why: str) -> Problem:
    return Problem(400, f"The field {field!r} {why}.", code="invalid_field", extra={"field": field})


def _options(body: dict[str, Any]) -> tuple[str | None, str | None]:
    options = body.get("options")
    if options is None:
        return None, None
    if not isinstance(options, dict):
        raise _invalid("options", "must be an object")
    return optional_str(options, "challenge", max_len=MAX_NONCE), optional_str(options, "domain", max_len=MAX_NONCE)


def _types(document: dict[str, Any]) -> list[Any]:
    value = document.get("type")
    return value if isinstance(value, list) else [value]


def _credential_value(body: dict[str, Any]) -> dict[str, Any] | str:
    """The credential: a JSON object, a compact VC-JWT, or a VC 2.0 EnvelopedVerifiableCredential holding one."""
    value = body.get("verifiableCredential")
    if value is None:
        raise Problem(400, "The field 'verifiableCredential' is required.", code="missing_field",
                      extra={"field": "verifiableCredential"})
    if isinstance(value, str):
        if not looks_like_compact_jws(value.strip()):
            raise _invalid("verifiableCredential", "must be a credential object or a compact VC-JWT")
        return value.strip()
    if not isinstance(value, dict):
        raise _invalid("verifiableCredential", "must be a credential object or a compact VC-JWT")
    if "VerifiablePresentation" in _types(value):
        raise _invalid("verifiableCredential", "is a presentation: POST it to /presentations/verify")
    envelope = value.get("id")
    if "EnvelopedVerifiableCredential" in _types(value) and isinstance(envelope, str) and envelope.startswith("data:"):
        media, _, token = envelope.removeprefix("data:").partition(",")
        if media.split(";")[0].strip().lower() in _JWT_MEDIA_TYPES:
            return token
    return value


async def verify_credential(request: web.Request) -> web.Response:
    """Verify a credential (VC-API): {"verifiableCredential": object or compact VC-JWT, "options": {...}}."""
    config = request.app[CONFIG]
    body = await read_json_object(request, max_bytes=config.max_json_bytes)
    credential = _credential_value(body)
    challenge, domain = _options(body)
    report = await check_document(credential, config, session=request.app.get(CLIENT), challenge=challenge,
                                  domain=domain)
    return web.json_response(vcapi_result(report))


async def verify_presentation(request: web.Request) -> web.Response:
    """Verify a presentation (VC-API): {"verifiablePresentation": object, "options": {"challenge", "domain"}}."""
    config = request.app[CONFIG]
    body = await read_json_object(request, max_bytes=config.max_json_bytes)
    value = body.get("verifiablePresentation")
    if value is None:
        raise Problem(400, "The field 'verifiablePresentation' is required.", code="missing_field",
                      extra={"field": "verifiablePresentation"})
    if not isinstance(value, dict):
        raise _invalid("verifiablePresentation", "must be a presentation object")
    if "VerifiablePresentation" not in _types(value):
        raise _invalid("verifiablePresentation", "must have the type VerifiablePresentation")
    challenge, domain = _options(body)
    report = await check_document(value, config, session=request.app.get(CLIENT), challenge=challenge, domain=domain)
    return web.json_response(vcapi_result(report))


def add_routes(app: web.Application) -> None:
    app.router.add_post("/credentials/verify", verify_credential)
    app.router.add_post("/presentations/verify", verify_presentation)
