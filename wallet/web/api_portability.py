"""Routes: the account export (an encrypted file) and its import on this server."""

from __future__ import annotations

from aiohttp import BodyPartReader, web

from webbase.bodies import read_json_object, require_str
from webbase.problems import Problem
from webbase.ratelimit import client_key
from webbase.uploads import MULTIPART_ERRORS, malformed_multipart

from .. import portability
from .auth import require_account
from .keys import SIGNUP_LIMIT, WALLET

MAX_PASSPHRASE = 1024


async def export_account(request: web.Request) -> web.Response:
    """Download the whole account as one file encrypted with a passphrase."""
    account = require_account(request)
    body = await read_json_object(request)
    blob = await portability.export_account(request.app[WALLET], account,
                                            require_str(body, "passphrase", max_len=MAX_PASSPHRASE))
    return web.Response(body=blob, content_type="application/octet-stream", headers={
        "Content-Disposition": 'attachment; filename="satchel-wallet-export.satchel"', "Cache-Control": "no-store"})


async def import_account(request: web.Request) -> web.Response:
    """Restore an account from an export file (multipart: file, passphrase)."""
    request.app[SIGNUP_LIMIT].hit(client_key(request, scope="signup"))
    wallet = request.app[WALLET]
    if request.content_type != "multipart/form-data":
        raise Problem(415, "send multipart/form-data with the fields 'file' and 'passphrase'",
                      code="unsupported_media_type")
    limit = wallet.config.max_upload_bytes
    if request.content_length is not None and request.content_length > limit:
        raise Problem(413, f"the upload is larger than {limit:,} bytes", code="body_too_large")
    try:
        fields = await _export_fields(request, limit)
    except MULTIPART_ERRORS:  # no boundary, a body that does not follow it, a bad part header
        raise malformed_multipart() from None
    if "file" not in fields or "passphrase" not in fields:
        raise Problem(400, "the upload needs the fields 'file' and 'passphrase'", code="missing_field")
    try:
        passphrase = fields["passphrase"].decode("utf-8")
    except UnicodeDecodeError:
        raise Problem(400, "the passphrase must be UTF-8 text", code="invalid_field") from None
    account = await portability.import_account(wallet, fields["file"], passphrase)
    return web.json_response({"id": account.id, "did": account.did, "email": account.login_email}, status=201)


async def _export_fields(request: web.Request, limit: int) -> dict[str, bytes]:
    fields: dict[str, bytes] = {}
    reader = await request.multipart()
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader) or part.name not in ("file", "passphrase"):
            continue
        data = bytearray()
        while chunk := await part.read_chunk(64 * 1024):
            data += chunk
            if len(data) > limit:
                raise Problem(413, f"the upload is larger than {limit:,} bytes", code="body_too_large")
        fields[part.name] = bytes(data)
    return fields


def add_routes(app: web.Application) -> None:
    app.router.add_post("/api/export", export_account)
    app.router.add_post("/api/import", import_account)
