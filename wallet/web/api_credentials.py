"""Routes: import credentials (JSON or multipart files), list, read and delete them.

``POST /api/credentials`` takes ``{"credential": <object or compact JWT>}`` or a
multipart upload of any number of files. The OpenID4VCI client adds the
``{"offer": "openid-credential-offer://…", "tx_code"?}`` form in
``_items_from_json`` (it turns the offer into candidates and hands them to the
same ``import_candidates``).
"""

from __future__ import annotations

from typing import Any

from aiohttp import BodyPartReader, web

from verifier.inputs import MAX_INPUT_BYTES
from webbase.bodies import is_json_content_type, read_json_object
from webbase.problems import Problem
from webbase.uploads import MULTIPART_ERRORS, malformed_multipart

from .. import holdings, reading
from ..config import MAX_FILES_PER_UPLOAD
from ..importing import import_candidates
from ..receiving import offer_items
from .auth import require_account
from .keys import REFRESH_WAKE, WALLET


async def import_credentials(request: web.Request) -> web.Response:
    """Import credentials: each is verified and must be addressed to this account."""
    account = require_account(request)
    wallet = request.app[WALLET]
    if is_json_content_type(request.content_type):
        body = await read_json_object(request, max_bytes=MAX_INPUT_BYTES)
        items = await offer_items(wallet, account, body) if "offer" in body else _items_from_json(body)
    elif request.content_type == "multipart/form-data":
        items = await _items_from_multipart(request, max_total=wallet.config.max_upload_bytes)
    else:
        raise Problem(415, "send JSON ({\"credential\": …}) or a multipart/form-data upload of files",
                      code="unsupported_media_type")
    report = await import_candidates(wallet, account, items)
    if report.added and REFRESH_WAKE in request.app:
        request.app[REFRESH_WAKE].set()  # fetch the new credentials' status lists soon
    return web.json_response(report.to_json(), status=201 if report.added else 200)


def _items_from_json(body: dict[str, Any]) -> list[reading.Item]:
    if "credential" not in body:
        raise Problem(400, "the JSON body needs a 'credential' (a credential object or a compact VC-JWT)",
                      code="missing_field", extra={"field": "credential"})
    return reading.from_value("credential", body["credential"])


async def _items_from_multipart(request: web.Request, *, max_total: int) -> list[reading.Item]:
    if request.content_length is not None and request.content_length > max_total:
        raise Problem(413, f"the upload is larger than {max_total:,} bytes", code="body_too_large",
                      extra={"maxBytes": max_total})
    try:
        files = await _files_from_multipart(request, max_total=max_total)
    except MULTIPART_ERRORS:  # aiohttp's reader: no boundary, a body that does not follow it, a bad part header
        raise malformed_multipart() from None
    items: list[reading.Item] = []
    for label, data in files:
        items += reading.from_bytes(label, data)
    if not items:
        raise Problem(400, "the upload holds no file", code="no_files")
    return items


async def _files_from_multipart(request: web.Request, *, max_total: int) -> list[tuple[str, bytes]]:
    reader = await request.multipart()
    files: list[tuple[str, bytes]] = []
    total = 0
    count = 0
    while True:
        part = await reader.next()
        if part is None:
            break
        if not isinstance(part, BodyPartReader):
            raise Problem(415, "nested multipart bodies are not accepted", code="unsupported_media_type")
        count += 1
        if count > MAX_FILES_PER_UPLOAD:
            raise Problem(413, f"at most {MAX_FILES_PER_UPLOAD} files per upload", code="too_many_files")
        label = part.filename or part.name or f"file {count}"
        data = bytearray()
        while chunk := await part.read_chunk(64 * 1024):
            data += chunk
            total += len(chunk)
            if total > max_total:
                raise Problem(413, f"the upload is larger than {max_total:,} bytes", code="body_too_large",
                              extra={"maxBytes": max_total})
            if len(data) > MAX_INPUT_BYTES:
                raise Problem(413, f"{label} is larger than {MAX_INPUT_BYTES:,} bytes", code="file_too_large",
                              extra={"maxBytes": MAX_INPUT_BYTES, "item": label})
        files.append((label, bytes(data)))
    return files


async def list_credentials(request: web.Request) -> web.Response:
    """The account's credentials, newest first (filter: issuer, tag, q; paginate: limit, cursor)."""
    account = require_account(request)
    query = holdings.parse_query(dict(request.query))
    return web.json_response(holdings.list_credentials(request.app[WALLET], account, query))


async def get_credential(request: web.Request) -> web.Response:
    """One credential: its summary and the document as received."""
    account = require_account(request)
    record = holdings.get_credential(request.app[WALLET], account, request.match_info["id"])
    return web.json_response({**holdings.credential_summary(record),
                              "credential": holdings.credential_document(record)})


async def delete_credential(request: web.Request) -> web.Response:
    """Delete a credential (share links holding it are signed again without it)."""
    account = require_account(request)
    await holdings.delete_credential(request.app[WALLET], account, request.match_info["id"])
    return web.Response(status=204)


async def refresh_status_now(request: web.Request) -> web.Response:
    """Ask for a status refresh pass now (a learner who heard of a revocation need not wait for the next one).

    The pass is the background task's own (one at a time, shares re-signed when a
    standing changes); 202 says it is scheduled, the credentials' states tell when it ran.
    """
    require_account(request)
    request.app[REFRESH_WAKE].set()
    return web.json_response({"scheduled": True}, status=202)


def add_routes(app: web.Application) -> None:
    app.router.add_post("/api/status/refresh", refresh_status_now)
    app.router.add_post("/api/credentials", import_credentials)
    app.router.add_get("/api/credentials", list_credentials)
    app.router.add_get("/api/credentials/{id}", get_credential)
    app.router.add_delete("/api/credentials/{id}", delete_credential)
