"""Public pages of the evidence workflow: an achievement's apply page and the applicant's status page.

Server-rendered, no JavaScript: ``GET /achievements/{key}/apply`` shows what
the achievement is, its criteria and the apply form (name, email, evidence
URLs, files, narrative); ``POST`` checks the CSRF token (bound to the
visitor's pre-session cookie), applies through the same feature call as the
API, and redirects (303) to the private status page
``/applications/{id}?key=…``, where a resubmission is posted when a reviewer
asked for one. A refused form is shown again with the reason and the values
typed, with the status of the refusal (400, 409, 413, 415, 429).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

from aiohttp import web

from webbase.cpu import run_cpu
from webbase.problems import Problem
from webbase.sessions import check_csrf
from webbase.templates import page, render

from ..achievements import get_achievement
from ..applications import applicant_application, application_json, criteria_list, resubmit_application
from ..errors import IssuerError
from ..evidence_files import ACCEPTED_DESCRIPTION, MAX_FILE_BYTES, MAX_FILES
from ..state import NODE
from ..storage import Achievement
from .api_applications import application_input, apply_for
from .application_forms import PostedForm, read_application_form
from .operators import ensure_sessions

ACCEPT = ".pdf,.png,.jpg,.jpeg,.gif,.webp,.txt,.doc,.docx,.xls,.xlsx,.ppt,.pptx,.odt,.ods,.odp"
URL_FIELDS = 3


def _form_limits() -> dict[str, Any]:
    return {"accept": ACCEPT, "accepted": ACCEPTED_DESCRIPTION, "max_files": MAX_FILES,
            "max_mib": MAX_FILE_BYTES // (1024 * 1024), "url_fields": URL_FIELDS}


def _refusal(exc: Exception) -> tuple[int, str, str | None]:
    """(status, message, field) of a refused form, for showing it again."""
    if isinstance(exc, IssuerError):
        return (exc.status if exc.status != 500 else 503), str(exc), exc.field
    assert isinstance(exc, Problem)
    return exc.status, exc.detail, exc.extra.get("field")


def _apply_page(request: web.Request, achievement: Achievement, *, values: dict[str, Any] | None = None,
                error: str | None = None, error_field: str | None = None, status: int = 200) -> web.Response:
    organization = request.app[NODE].organization
    return render(request, "apply.html", {
        "title": f"Apply for {achievement.name}", "site_name": organization.name, "organization": organization,
        "achievement": achievement, "criteria": criteria_list(achievement), "values": values or {},
        "error": error, "error_field": error_field, **_form_limits()}, status=status)


@page
async def apply_page(request: web.Request) -> web.Response:
    """An achievement's public page: what it is, its criteria, and the apply form."""
    achievement = get_achievement(request.app[NODE], request.match_info["key"])
    return _apply_page(request, achievement)


def _values(form: PostedForm) -> dict[str, Any]:
    return {"name": form.get("name"), "email": form.get("email"), "narrative": form.get("narrative"),
            "urls": form.urls}


@page
async def apply_submit(request: web.Request) -> web.Response:
    """Apply from the page (CSRF-checked); redirects to the applicant's private status page."""
    achievement = get_achievement(request.app[NODE], request.match_info["key"])
    form = await read_application_form(request)
    check_csrf(request, form.fields)
    try:
        submitted = await apply_for(request, application_input(form, achievement.key))
    except (IssuerError, Problem) as exc:
        status, message, field = _refusal(exc)
        if status == 429 or status >= 500:
            raise
        return _apply_page(request, achievement, values=_values(form), error=message, error_field=field,
                           status=status)
    parts = urlsplit(submitted.status_url)
    raise web.HTTPSeeOther(f"{parts.path}?{parts.query}")


def _offer_qr(offer_url: str | None) -> str | None:
    """The QR image of the offer (``{credential_offer_uri}/qr.png``), as a path on this node."""
    if not offer_url:
        return None
    uri = parse_qs(urlsplit(offer_url).query).get("credential_offer_uri", [None])[0]
    return f"{urlsplit(uri).path}/qr.png" if uri else None


def _status_page(request: web.Request, application_id: str, key: str, *, error: str | None = None,
                 values: dict[str, Any] | None = None, status: int = 200) -> web.Response:
    node = request.app[NODE]
    application = applicant_application(node, application_id, key)
    view = application_json(node, application, key=key)
    achievement = get_achievement(node, application.achievement_key)
    return render(request, "application_status.html", {
        "title": f"Your application: {achievement.name}", "site_name": node.organization.name,
        "application": view, "achievement": achievement, "key": key,
        "offer_qr": _offer_qr(view["offer"]["offerUrl"]) if view["offer"] else None,
        "error": error, "values": values or {}, **_form_limits()}, status=status)


@page
async def status_page(request: web.Request) -> web.Response:
    """The applicant's private status page (the link holds the key)."""
    return _status_page(request, request.match_info["id"], request.query.get("key", ""))


@page
async def resubmit_submit(request: web.Request) -> web.Response:
    """Resubmit from the status page (CSRF-checked); back to the status page."""
    form = await read_application_form(request)
    check_csrf(request, form.fields)
    key = form.get("key") or request.query.get("key", "")
    application_id = request.match_info["id"]
    applicant_application(request.app[NODE], application_id, key)  # 404 before anything else for a wrong key
    try:
        await run_cpu(resubmit_application, request.app[NODE], application_id, key, form.evidence())
    except (IssuerError, Problem) as exc:
        status, message, _ = _refusal(exc)
        if status >= 500:
            raise
        return _status_page(request, application_id, key, error=message, values=_values(form), status=status)
    raise web.HTTPSeeOther(f"/applications/{application_id}?key={key}")


def setup(app: web.Application) -> None:
    ensure_sessions(app)
    app.router.add_get("/achievements/{key}/apply", apply_page)
    app.router.add_post("/achievements/{key}/apply", apply_submit)
    app.router.add_get("/applications/{id}", status_page)
    app.router.add_post("/applications/{id}/resubmit", resubmit_submit)
