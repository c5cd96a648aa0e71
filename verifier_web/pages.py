"""The verifier page: a share link, pasted JSON or a JWT, or an uploaded file, then the report in plain words.

Every form works without JavaScript and carries the CSRF token (webbase
sessions); handlers only read the form, find the document
(``verifier.inputs.read_input``), call the verifier off the loop and render.
Input that cannot be read is shown on the page with the form again (400), never
a bare error.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from yarl import URL

from credentials.dataintegrity import proofs_of
from credentials.errors import CredentialError
from verifier.inputs import InputError, read_input
from webbase.fetch import FetchError
from webbase.sessions import check_csrf
from webbase.templates import page, render
from webbase.uploads import read_form, read_multipart

from .checking import check_document
from .config import CLIENT, CONFIG, ServiceConfig
from .sharelink import LinkDecision, decide, fetch_share
from .view import report_view


def _about(config: ServiceConfig) -> dict[str, Any]:
    return {
        "registry_sources": [source.to_text() for source in config.registry_sources],
        "status_list_count": len(config.status_lists),
        "online": config.online,
        "allow_hosts": sorted(config.allow_hosts),
    }


def _render(request: web.Request, *, status: int = 200, **values: Any) -> web.Response:
    config = request.app[CONFIG]
    context: dict[str, Any] = {"title": "Check a badge", "site_name": "Satchel verifier", **_about(config)}
    context.update(values)
    if "report" in values:
        context["title"] = "Verification report"
    return render(request, "index.html", context, status=status)


@page
async def index(request: web.Request) -> web.Response:
    """The verifier page: paste a share link, paste JSON or a JWT, or upload a badge file."""
    return _render(request)


def _link_domain(link: str, document: dict[str, Any] | None) -> str:
    """The domain to ask for: the wallet site the link was fetched from (the proof's own when the link is under it)."""
    for proof in proofs_of(document) if isinstance(document, dict) else []:
        domain = proof.get("domain")
        if isinstance(domain, str) and domain and (link == domain or link.startswith(domain.rstrip("/") + "/")):
            return domain
    url = URL(link)
    return str(url.origin())


async def _verify_and_render(request: web.Request, data: bytes, *, source: str, domain_from: str | None = None,
                             form: str) -> web.Response:
    config = request.app[CONFIG]
    try:
        found = read_input(data)
    except InputError as exc:
        return _render(request, status=400, error=f"That could not be read as a credential: {exc}", form=form)
    target = found.document if found.document is not None else found.jwt
    assert target is not None
    domain = _link_domain(domain_from, found.document) if domain_from else None
    report = await check_document(target, config, session=request.app.get(CLIENT), domain=domain)
    view = report_view(report, target, config, source=f"{source} ({found.source_note})")
    return _render(request, report=view, form=form)


@page
async def verify_link(request: web.Request) -> web.Response:
    """Verify the presentation behind a share link (fetched only when this verifier may)."""
    form = await read_form(request)
    check_csrf(request, form)
    config = request.app[CONFIG]
    decision: LinkDecision = decide(form.get("link", ""), config)
    if not decision.allowed:
        return _render(request, status=200, link=decision.url, link_refused=decision.reason, form="link")
    try:
        data = await fetch_share(decision, config, session=request.app.get(CLIENT))
    except FetchError as exc:
        return _render(request, status=502, link=decision.url, form="link",
                       error=f"The link could not be fetched: {exc}.")
    return await _verify_and_render(request, data, source=f"the share link {decision.url}", domain_from=decision.url,
                                    form="link")


@page
async def verify_paste(request: web.Request) -> web.Response:
    """Verify pasted JSON (a credential or presentation) or a compact VC-JWT."""
    form = await read_form(request)
    check_csrf(request, form)
    text = form.get("document", "")
    if not text.strip():
        return _render(request, status=400, error="Paste a credential, a presentation or a JWT first.", form="paste")
    return await _verify_and_render(request, text.encode("utf-8"), source="pasted text", form="paste")


@page
async def verify_upload(request: web.Request) -> web.Response:
    """Verify an uploaded file: JSON, a VC-JWT, or a baked PNG or SVG badge."""
    config = request.app[CONFIG]
    form = await read_multipart(request, max_file_bytes=config.max_upload_bytes)
    check_csrf(request, form.fields)
    upload = form.files.get("file")
    if upload is None or not upload.data:
        return _render(request, status=400, error="Choose a file to upload first.", form="upload")
    try:
        return await _verify_and_render(request, upload.data, source="the uploaded file", form="upload")
    except CredentialError as exc:  # A document refused deep inside (an unbundled context while reading, say).
        return _render(request, status=400, error=f"That file could not be verified: {exc}", form="upload")


def add_routes(app: web.Application) -> None:
    app.router.add_get("/", index)
    app.router.add_post("/verify/link", verify_link)
    app.router.add_post("/verify/paste", verify_paste)
    app.router.add_post("/verify/upload", verify_upload)
