"""``/api/applications``: apply with evidence (public), review (reviewers), the applicant's private view.

- ``POST /api/applications`` (public, rate-limited; JSON, or multipart with files):
  ``{name, email, achievement, narrative?, evidence_url(s)?}`` + ``file``… →
  ``201 {id, status, status_url}``; ``status_url`` is the applicant's private link.
- ``GET /api/applications?status=…`` (reviewer: bearer token or session).
- ``GET /api/applications/{id}?key=…`` (the applicant; a reviewer needs no key).
- ``POST /api/applications/{id}/resubmit?key=…`` (the applicant, when asked to).
- ``POST /api/applications/{id}/decision`` ``{"decision", "feedback", "rubric"}`` (reviewer).
- ``GET /api/applications/{id}/files/{digest}`` (reviewers, or the applicant with ``?key=``).

The JSON API takes no CSRF token: it grants nothing from cookies, except a
reviewer's session, which must then send ``X-CSRF-Token`` for a decision.
"""

from __future__ import annotations

from typing import Any

from aiohttp import hdrs, web

from webbase.bodies import read_json_object
from webbase.cpu import run_cpu
from webbase.problems import Problem
from webbase.ratelimit import client_key

from ..applications import (
    ApplicationInput,
    Submitted,
    applicant_application,
    application_json,
    find_application,
    resubmit_application,
    submit_application,
)
from ..errors import InvalidRequest
from ..evidence_files import INLINE_TYPES, evidence_path
from ..outbox import wake_outbox
from ..review import ReviewOutcome, decide
from ..state import NODE
from ..storage.applications import APPLICATION_STATUSES, Application
from .application_forms import PostedForm, read_application_form
from .operators import APPLY_LIMITER, ensure_sessions, reviewer_user, session_user


def application_input(form: PostedForm, achievement: str | None = None) -> ApplicationInput:
    return ApplicationInput(achievement=achievement or form.get("achievement"), name=form.get("name"),
                            email=form.get("email"), evidence=form.evidence())


async def apply_for(request: web.Request, spec: ApplicationInput) -> Submitted:
    """Rate-limit, then store the application off the loop (file hashing and writing)."""
    if not spec.achievement:
        raise InvalidRequest("achievement is required (its id or key)", field="achievement", code="missing_field")
    request.app[APPLY_LIMITER].hit(client_key(request, scope="apply"))
    return await run_cpu(submit_application, request.app[NODE], spec)


async def create_application(request: web.Request) -> web.Response:
    """Apply for an achievement with evidence (public; JSON or multipart with files)."""
    form = await read_application_form(request)
    submitted = await apply_for(request, application_input(form))
    response = web.json_response({"id": submitted.application.id, "status": submitted.application.status,
                                  "status_url": submitted.status_url}, status=201)
    response.headers[hdrs.CACHE_CONTROL] = "no-store"
    return response


async def list_applications(request: web.Request) -> web.Response:
    """The review queue: applications by status (reviewer)."""
    reviewer_user(request)
    status = request.query.get("status")
    if status is not None and status not in APPLICATION_STATUSES:
        raise InvalidRequest(f"status is one of {', '.join(APPLICATION_STATUSES)}", field="status")
    try:
        limit = min(max(int(request.query.get("limit", "100")), 1), 500)
        offset = max(int(request.query.get("offset", "0")), 0)
    except ValueError:
        raise InvalidRequest("limit and offset are integers", field="limit") from None
    node = request.app[NODE]
    found = node.store.list_applications(status=status, achievement_key=request.query.get("achievement"),
                                         limit=limit, offset=offset)
    return web.json_response({"applications": [application_json(node, a, reviewer=True) for a in found]})


def _is_reviewer_request(request: web.Request) -> bool:
    return hdrs.AUTHORIZATION in request.headers or session_user(request) is not None


async def get_application(request: web.Request) -> web.Response:
    """One application with its history: the applicant's view with ``?key=``, the reviewer's without."""
    node = request.app[NODE]
    key = request.query.get("key")
    if key is not None:
        application = applicant_application(node, request.match_info["id"], key)
        return web.json_response(application_json(node, application, key=key))
    reviewer_user(request)
    return web.json_response(application_json(node, find_application(node, request.match_info["id"]), reviewer=True))


async def resubmit(request: web.Request) -> web.Response:
    """New evidence after a reviewer asked for it (the applicant, with ``?key=``)."""
    form = await read_application_form(request)
    key = request.query.get("key") or form.get("key")
    application = await run_cpu(resubmit_application, request.app[NODE], request.match_info["id"], key,
                                form.evidence())
    return web.json_response(application_json(request.app[NODE], application, key=key))


async def record_decision(request: web.Request, application_id: str, *, decision: Any, feedback: Any,
                          rubric: Any, reviewer: Any) -> ReviewOutcome:
    """Decide off the loop, then wake the outbox sender for the applicant's email."""
    if feedback is not None and not isinstance(feedback, str):
        raise InvalidRequest("feedback must be a string", field="feedback")
    outcome = await run_cpu(decide, request.app[NODE], application_id, decision=decision, feedback=feedback,
                            rubric=rubric, reviewer=reviewer)
    if outcome.outbox_id is not None:
        wake_outbox(request.app)
    return outcome


async def post_decision(request: web.Request) -> web.Response:
    """Approve, ask for a resubmission, or reject (reviewer); feedback is required for the last two."""
    if session_user(request) is None:
        # Anonymous or bearer: authorize before reading the body, so a refused caller learns nothing from it.
        reviewer_user(request)
    body = await read_json_object(request)
    reviewer = reviewer_user(request, body)
    outcome = await record_decision(request, request.match_info["id"], decision=body.get("decision"),
                                    feedback=body.get("feedback"), rubric=body.get("rubric"), reviewer=reviewer)
    return web.json_response(application_json(request.app[NODE], outcome.application, reviewer=True))


def _allowed_application(request: web.Request) -> Application:
    node = request.app[NODE]
    key = request.query.get("key")
    if key is not None:
        return applicant_application(node, request.match_info["id"], key)
    if _is_reviewer_request(request):
        reviewer_user(request)
        return find_application(node, request.match_info["id"])
    # Anonymous: the same answer as for an application that does not exist.
    raise Problem(404, "There is nothing at this URL.", code="not_found")


async def evidence_file(request: web.Request) -> web.StreamResponse:
    """An uploaded evidence file, for reviewers and for the applicant (``?key=``) only."""
    application = _allowed_application(request)
    node = request.app[NODE]
    item = node.store.application_file(application.id, request.match_info["digest"])
    if item is None:
        raise Problem(404, "There is nothing at this URL.", code="file_not_found")
    path = evidence_path(node.data_dir, item.digest)
    response = web.FileResponse(path, headers={
        hdrs.CONTENT_TYPE: item.media_type,
        # A file is shown in a sandbox at most: no script, no same-origin access, whatever it holds.
        "Content-Security-Policy": "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox; "
                                   "frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
        hdrs.CACHE_CONTROL: "private, no-store",
    })
    disposition = "inline" if item.media_type in INLINE_TYPES else "attachment"
    safe_name = "".join(ch if ch.isalnum() or ch in "._-" else "_" for ch in item.filename)[:100] or "evidence"
    response.headers[hdrs.CONTENT_DISPOSITION] = f'{disposition}; filename="{safe_name}"'
    return response


def setup(app: web.Application) -> None:
    ensure_sessions(app)
    app.router.add_post("/api/applications", create_application)
    app.router.add_get("/api/applications", list_applications)
    app.router.add_get("/api/applications/{id}", get_application)
    app.router.add_post("/api/applications/{id}/resubmit", resubmit)
    app.router.add_post("/api/applications/{id}/decision", post_decision)
    app.router.add_get("/api/applications/{id}/files/{digest}", evidence_file)
