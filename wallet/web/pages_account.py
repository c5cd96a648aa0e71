"""Pages: the account (holder did, email addresses and their confirmation), export and import.

Adding an email sends its confirmation link (SMTP, or the operator's outbox)
through ``accounts.add_email``; the link itself is ``GET /confirm/{token}``.
Leaving: the export is ``portability.export_account`` (one file sealed with the
passphrase), downloaded as an attachment; the import page restores such a file
on this server with ``portability.import_account`` and signs its owner in.
"""

from __future__ import annotations

from urllib.parse import quote

from aiohttp import web

from webbase.problems import Problem, page
from webbase.ratelimit import client_key
from webbase.sessions import check_csrf
from webbase.uploads import read_form, read_multipart

from .. import accounts, portability
from ..errors import WalletError
from ..storage import AccountRecord
from .keys import SIGNUP_LIMIT, WALLET
from .pages_common import learner_page, page_account, redirect, sentence, session_account, start_session

MAX_PASSPHRASE = 1024
EXPORT_FILENAME = "satchel-wallet-export.satchel"


def _account_page(request: web.Request, account: AccountRecord, *, error: str | None = None,
                  email_value: str = "", status: int = 200) -> web.Response:
    wallet = request.app[WALLET]
    emails = wallet.store.list_emails(account.id)
    # Only an address of this account is named as "just added" (the query string is anyone's to write).
    added = next((e.email for e in emails if e.email == request.query.get("added")), None)
    return learner_page(request, "wallet_account.html", "Your account", account=account, active="account",
                        status=status, emails=emails,
                        credential_count=wallet.store.count_credentials(account.id), error=error,
                        email_value=email_value, welcome=request.query.get("welcome") == "1",
                        added=added, min_passphrase=portability.MIN_PASSPHRASE)


@page
async def account_page(request: web.Request) -> web.Response:
    """Your account: holder did, email addresses (confirmed or not), export and import."""
    return _account_page(request, page_account(request))


@page
async def add_email_submit(request: web.Request) -> web.Response:
    """Add an email address; its confirmation link is sent (CSRF-checked)."""
    account = page_account(request)
    form = await read_form(request)
    check_csrf(request, form)
    email = form.get("email", "")[:accounts.MAX_EMAIL + 1]
    try:
        record, _ = await accounts.add_email(request.app[WALLET], account, email)
    except WalletError as exc:
        return _account_page(request, account, error=sentence(exc.detail), email_value=email, status=exc.status)
    raise redirect(f"/account?added={quote(record.email)}")


@page
async def export_submit(request: web.Request) -> web.Response:
    """Download your whole account as one file encrypted with your passphrase (CSRF-checked)."""
    account = page_account(request)
    form = await read_form(request)
    check_csrf(request, form)
    passphrase = form.get("passphrase", "")
    if len(passphrase) > MAX_PASSPHRASE:
        return _account_page(request, account, error=f"The passphrase must have at most {MAX_PASSPHRASE} characters.",
                             status=400)
    if passphrase != form.get("passphrase_again", ""):
        return _account_page(request, account, error="The two passphrases are not the same.", status=400)
    try:
        blob = await portability.export_account(request.app[WALLET], account, passphrase)
    except WalletError as exc:
        return _account_page(request, account, error=sentence(exc.detail), status=exc.status)
    return web.Response(body=blob, content_type="application/octet-stream", headers={
        "Content-Disposition": f'attachment; filename="{EXPORT_FILENAME}"', "Cache-Control": "no-store"})


def _import_page(request: web.Request, *, error: str | None = None, status: int = 200) -> web.Response:
    return learner_page(request, "wallet_import.html", "Bring your wallet here", account=session_account(request),
                        active="import", status=status, error=error)


@page
async def import_page(request: web.Request) -> web.Response:
    """Restore an account from a Satchel wallet export file."""
    return _import_page(request)


@page
async def import_submit(request: web.Request) -> web.Response:
    """Restore the account an export holds and sign in as it (CSRF-checked, rate-limited like sign-up)."""
    wallet = request.app[WALLET]
    if request.content_type != "multipart/form-data":
        return _import_page(request, error="Choose the export file to upload.", status=415)
    form = await read_multipart(request, max_file_bytes=wallet.config.max_upload_bytes)
    check_csrf(request, form.fields)
    try:
        request.app[SIGNUP_LIMIT].hit(client_key(request, scope="signup"))
        upload = form.file("file")
        passphrase = form.fields.get("passphrase", "")[:MAX_PASSPHRASE]
        account = await portability.import_account(wallet, upload.data, passphrase)
    except Problem as exc:  # 429 (with its Retry-After), or an upload that is not an export
        refused = _import_page(request, error=sentence(exc.detail), status=exc.status)
        refused.headers.update(exc.headers)
        return refused
    except WalletError as exc:
        return _import_page(request, error=sentence(exc.detail), status=exc.status)
    response = redirect("/credentials?imported=1")
    start_session(request, response, account)
    raise response


def add_routes(app: web.Application) -> None:
    app.router.add_get("/account", account_page)
    app.router.add_post("/account/emails", add_email_submit)
    app.router.add_post("/account/export", export_submit)
    app.router.add_get("/import", import_page)
    app.router.add_post("/import", import_submit)
