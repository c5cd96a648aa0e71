"""Pages: receive badges: paste an OpenID4VCI offer, upload a picture of its QR code, or upload files.

An offer goes through ``receiving.receive_offer`` (the OpenID4VCI 1.0
pre-authorized flow, key proof signed by the account's holder key); a QR picture
is read on the server (``wallet.qr``) and then treated as a pasted offer; files
(credential JSON, presentation JSON, VC-JWT, baked PNG/SVG, any number at once)
go through ``reading.from_bytes``. Every path ends in ``importing.import_candidates``
and the page shows its per-item report in plain words, exactly what the API answers.
"""

from __future__ import annotations

from typing import Any

from aiohttp import BodyPartReader, web

from verifier.inputs import MAX_INPUT_BYTES
from webbase.cpu import run_cpu
from webbase.problems import Problem, page
from webbase.sessions import check_csrf
from webbase.uploads import MAX_FIELD_BYTES, MULTIPART_ERRORS, malformed_multipart, read_form, read_multipart

from .. import reading
from ..config import MAX_FILES_PER_UPLOAD
from ..errors import WalletError
from ..importing import ImportReport, import_candidates
from ..qr import MAX_IMAGE_BYTES, read_qr_text
from ..receiving import receive_offer
from ..storage import AccountRecord
from .keys import REFRESH_WAKE, WALLET
from .pages_common import learner_page, page_account, sentence
from .pages_view import plain_check

MAX_OFFER = 8 * 1024
MAX_TX_CODE = 64
OFFER_SCHEME = "openid-credential-offer://"
MAX_TEXT_FIELDS = 8


def _receive_page(request: web.Request, account: AccountRecord, *, error: str | None = None,
                  offer: str = "", status: int = 200) -> web.Response:
    return learner_page(request, "wallet_receive.html", "Receive badges", account=account, active="receive",
                        status=status, error=error, offer=offer, max_files=MAX_FILES_PER_UPLOAD)


def _report_page(request: web.Request, account: AccountRecord, report: ImportReport, *, how: str) -> web.Response:
    if report.added:
        request.app[REFRESH_WAKE].set()  # fetch the new credentials' status lists soon
    refused = [{"item": entry["item"], "checks": [plain_check(c) for c in entry.get("checks", [])]}
               for entry in report.refused]
    title = "Added to your wallet" if report.added and not report.refused else "What happened to each badge"
    return learner_page(request, "wallet_report.html", title, account=account, active="receive",
                        status=201 if report.added else 200, how=how, added=report.added,
                        duplicates=report.duplicates, refused=refused)


@page
async def receive_page(request: web.Request) -> web.Response:
    """Receive badges: paste or scan an offer from an issuer, or upload badge files."""
    return _receive_page(request, page_account(request))


async def _redeem(request: web.Request, account: AccountRecord, offer: str, tx_code: str, *,
                  how: str) -> web.Response:
    body: dict[str, Any] = {"offer": offer.strip()}
    if tx_code.strip():
        body["tx_code"] = tx_code.strip()
    try:
        report = await receive_offer(request.app[WALLET], account, body)
    except WalletError as exc:
        return _receive_page(request, account, error="The offer could not be redeemed: " + sentence(exc.detail),
                             offer=offer, status=exc.status)
    return _report_page(request, account, report, how=how)


@page
async def offer_submit(request: web.Request) -> web.Response:
    """Redeem a pasted OpenID4VCI credential offer (with its transaction code, when it has one)."""
    account = page_account(request)
    form = await read_form(request)
    check_csrf(request, form)
    offer = form.get("offer", "")[:MAX_OFFER]
    if not offer.strip():
        return _receive_page(request, account, error="Paste the offer link the issuer gave you.", status=400)
    return await _redeem(request, account, offer, form.get("tx_code", "")[:MAX_TX_CODE], how="offer")


@page
async def qr_submit(request: web.Request) -> web.Response:
    """Redeem the offer in an uploaded picture of its QR code (read on the server)."""
    account = page_account(request)
    if request.content_type != "multipart/form-data":
        return _receive_page(request, account, error="Choose a picture of the QR code.", status=415)
    try:
        form = await read_multipart(request, max_file_bytes=MAX_IMAGE_BYTES, max_parts=4)
    except Problem as exc:
        return _receive_page(request, account, error=sentence(exc.detail), status=exc.status)
    check_csrf(request, form.fields)
    upload = form.files.get("image")
    if upload is None or not upload.data:
        return _receive_page(request, account, error="Choose a picture of the QR code.", status=400)
    try:
        text = (await run_cpu(read_qr_text, upload.data)).strip()
    except WalletError as exc:
        return _receive_page(request, account, error=sentence(exc.detail), status=exc.status)
    if not text.startswith(OFFER_SCHEME):
        return _receive_page(request, account, status=400, error=(
            "The QR code does not hold a credential offer (an openid-credential-offer:// link); it holds: "
            + text[:200]))
    return await _redeem(request, account, text, form.fields.get("tx_code", "")[:MAX_TX_CODE], how="qr")


async def _read_files(request: web.Request, *, max_total: int) -> tuple[dict[str, str], list[tuple[str, bytes]]]:
    """The form's text fields and its files (any number under one name), with the API's limits."""
    if request.content_length is not None and request.content_length > max_total:
        raise Problem(413, f"the upload is larger than {max_total:,} bytes", code="body_too_large")
    reader = await request.multipart()
    fields: dict[str, str] = {}
    files: list[tuple[str, bytes]] = []
    total = 0
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader):
            raise Problem(415, "nested multipart bodies are not accepted", code="unsupported_media_type")
        if part.filename is None:
            if len(fields) >= MAX_TEXT_FIELDS:
                raise Problem(400, f"the form has more than {MAX_TEXT_FIELDS} text fields", code="too_many_parts")
            raw = bytearray()
            while chunk := await part.read_chunk(4096):
                raw += chunk
                if len(raw) > MAX_FIELD_BYTES:
                    raise Problem(413, f"the field {part.name!r} is too long", code="body_too_large")
            fields[part.name or ""] = raw.decode("utf-8", "replace")
            continue
        data = bytearray()
        while chunk := await part.read_chunk(64 * 1024):
            data += chunk
            total += len(chunk)
            if total > max_total:
                raise Problem(413, f"the upload is larger than {max_total:,} bytes", code="body_too_large")
            if len(data) > MAX_INPUT_BYTES:
                raise Problem(413, f"{part.filename} is larger than {MAX_INPUT_BYTES:,} bytes", code="file_too_large")
        if not part.filename and not data:
            continue  # the browser's empty file input
        files.append((part.filename or f"file {len(files) + 1}", bytes(data)))
        if len(files) > MAX_FILES_PER_UPLOAD:
            raise Problem(413, f"at most {MAX_FILES_PER_UPLOAD} files per upload", code="too_many_files")
    return fields, files


@page
async def files_submit(request: web.Request) -> web.Response:
    """Import uploaded files: credential or presentation JSON, VC-JWT, baked PNG or SVG (several at once)."""
    account = page_account(request)
    wallet = request.app[WALLET]
    if request.content_type != "multipart/form-data":
        return _receive_page(request, account, error="Choose one or more badge files to upload.", status=415)
    try:
        fields, files = await _read_files(request, max_total=wallet.config.max_upload_bytes)
    except Problem as exc:
        return _receive_page(request, account, error=sentence(exc.detail), status=exc.status)
    except MULTIPART_ERRORS:  # no boundary, a body that does not follow it, a bad part header
        problem = malformed_multipart()
        return _receive_page(request, account, error=sentence(problem.detail), status=problem.status)
    check_csrf(request, fields)
    if not files:
        return _receive_page(request, account, error="Choose one or more badge files to upload.", status=400)
    items: list[reading.Item] = []
    for label, data in files:
        items += reading.from_bytes(label, data)
    report = await import_candidates(wallet, account, items)
    return _report_page(request, account, report, how="files")


def add_routes(app: web.Application) -> None:
    app.router.add_get("/receive", receive_page)
    app.router.add_post("/receive/offer", offer_submit)
    app.router.add_post("/receive/qr", qr_submit)
    app.router.add_post("/receive/files", files_submit)
