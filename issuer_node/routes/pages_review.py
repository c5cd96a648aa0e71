"""Admin pages for reviewers: the review queue with a rubric per criterion, and the issuance register.

- ``/admin/applications?status=…``: the queue (pending, oldest first) and the
  other states; ``/admin/applications/{id}``: the whole history, the evidence
  files (served to the signed-in reviewer), and the decision form: a level and
  a note per criterion, approve / request resubmission / reject, and the
  feedback that the last two require. It posts to the same feature call as
  ``POST /api/applications/{id}/decision``.
- ``/admin/credentials?q=…&achievement=…``: the register, searched by person
  (email, DID, part of the name) or by badge, with revoke / suspend /
  unsuspend and the reason each needs (admin).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from webbase.cpu import run_cpu
from webbase.sessions import check_csrf
from webbase.templates import page
from webbase.uploads import read_form

from ..achievements import get_achievement
from ..applications import application_json, criteria_list, find_application
from ..errors import InvalidRequest, IssuerError
from ..review import RUBRIC_LEVELS
from ..state import NODE
from ..statuslists import ACTIONS, change_status
from ..storage.applications import APPLICATION_STATUSES
from .api_applications import record_decision
from .operators import page_user
from .pages_admin import admin_page

STATUS_LABELS = {"pending": "Waiting for review", "resubmit": "Resubmission requested", "approved": "Approved",
                 "rejected": "Rejected"}


@page
async def queue_page(request: web.Request) -> web.Response:
    """The review queue (pending applications, oldest first) and the other states."""
    user = page_user(request)
    status = request.query.get("status", "pending")
    if status not in APPLICATION_STATUSES:
        status = "pending"
    node = request.app[NODE]
    applications = node.store.list_applications(status=status, limit=200)  # type: ignore[arg-type]
    names = {a.key: a.name for a in node.store.list_achievements()}
    counts = {s: node.store.count_applications(status=s) for s in APPLICATION_STATUSES}
    return admin_page(request, "admin_queue.html", user, "Review queue", applications=applications,
                      achievement_names=names, status=status, counts=counts, labels=STATUS_LABELS)


def _review_page(request: web.Request, user: Any, application_id: str, *, error: str | None = None,
                 values: Mapping[str, str] | None = None, status: int = 200) -> web.Response:
    node = request.app[NODE]
    application = find_application(node, application_id)
    achievement = get_achievement(node, application.achievement_key)
    return admin_page(request, "admin_application.html", user, f"Application from {application.name}",
                      http_status=status, application=application_json(node, application, reviewer=True),
                      achievement=achievement, criteria=criteria_list(achievement), levels=RUBRIC_LEVELS,
                      labels=STATUS_LABELS, error=error, values=values or {})


@page
async def application_page(request: web.Request) -> web.Response:
    """One application: its history, its files and the decision form."""
    return _review_page(request, page_user(request), request.match_info["id"])


def rubric_from_form(form: Mapping[str, str], criteria_count: int) -> list[dict[str, Any]]:
    """``score_N`` (0–3 or empty) and ``note_N`` per criterion → the rubric the feature call takes."""
    rubric: list[dict[str, Any]] = []
    for index in range(criteria_count):
        score_text = form.get(f"score_{index}", "").strip()
        note = form.get(f"note_{index}", "").strip()
        if not score_text and not note:
            continue
        if score_text and not score_text.isdigit():
            raise InvalidRequest(f"criterion {index + 1}: choose a level", field="rubric")
        rubric.append({"criterion": index, "score": int(score_text) if score_text else None, "note": note or None})
    return rubric


@page
async def decision_submit(request: web.Request) -> web.Response:
    """Record the reviewer's decision from the form (CSRF-checked); back to the application."""
    user = page_user(request)
    form = await read_form(request)
    check_csrf(request, form)
    application_id = request.match_info["id"]
    node = request.app[NODE]
    application = find_application(node, application_id)
    criteria = criteria_list(get_achievement(node, application.achievement_key))
    try:
        await record_decision(request, application_id, decision=form.get("decision"),
                              feedback=form.get("feedback", ""), rubric=rubric_from_form(form, len(criteria)),
                              reviewer=user)
    except IssuerError as exc:
        if exc.status == 404:
            raise
        return _review_page(request, user, application_id, error=str(exc), values=form, status=exc.status)
    raise web.HTTPSeeOther(f"/admin/applications/{application_id}")


# --- register -------------------------------------------------------------------------------------


@page
async def register_page(request: web.Request) -> web.Response:
    """The issuance register, searched by person (email, DID, name) or badge."""
    user = page_user(request)
    node = request.app[NODE]
    query = request.query.get("q", "").strip()[:300]
    achievement_key = request.query.get("achievement", "").strip() or None
    records = node.store.list_credentials(achievement_key=achievement_key, recipient=query or None, limit=200)
    achievements = node.store.list_achievements()
    return admin_page(request, "admin_register.html", user, "Issued credentials", records=records, query=query,
                      achievement_key=achievement_key, achievements=achievements,
                      names={a.key: a.name for a in achievements}, actions=ACTIONS,
                      changed=request.query.get("changed"), error=None)


@page
async def status_submit(request: web.Request) -> web.Response:
    """Revoke, suspend or unsuspend a credential with a reason (admin); its status list is re-signed at once."""
    user = page_user(request, "admin")
    form = await read_form(request)
    check_csrf(request, form)
    action = form.get("action", "")
    if action not in ACTIONS:
        raise InvalidRequest(f"the action is one of {', '.join(ACTIONS)}", field="action")
    node = request.app[NODE]
    try:
        change = await run_cpu(change_status, node, request.match_info["key"], action,
                               reason=form.get("reason", ""))
    except IssuerError as exc:
        if exc.status == 404:
            raise
        achievements = node.store.list_achievements()
        return admin_page(request, "admin_register.html", user, "Issued credentials", http_status=exc.status,
                          records=node.store.list_credentials(limit=200), query="", achievement_key=None,
                          achievements=achievements, names={a.key: a.name for a in achievements}, actions=ACTIONS,
                          changed=None, error=str(exc))
    record = change.credential
    who = record.recipient_email or record.recipient_did or ""
    raise web.HTTPSeeOther(f"/admin/credentials?{urlencode({'q': who, 'changed': action})}")


def setup(app: web.Application) -> None:
    app.router.add_get("/admin/applications", queue_page)
    app.router.add_get("/admin/applications/{id}", application_page)
    app.router.add_post("/admin/applications/{id}/decision", decision_submit)
    app.router.add_get("/admin/credentials", register_page)
    app.router.add_post("/admin/credentials/{key}/status", status_submit)
