"""Admin pages: sign in, achievements (create, edit, retire), the outbox.

Operators are the users of ``satchel issuer user add`` (Argon2id passwords).
A session cookie of the node's own name carries the sign-in; every form has a
CSRF token (bound to the session, or before sign-in to the pre-session
cookie) and every change is a POST answered with a 303 redirect. Logins are
rate-limited. The review queue and the register are in ``pages_review``.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from aiohttp import web

from webbase.problems import Problem
from webbase.sessions import check_csrf
from webbase.templates import page, render
from webbase.uploads import read_form, read_multipart

from ..achievement_edits import edit_achievement, parse_tags
from ..achievements import AchievementInput, define_achievement, get_achievement, retire_achievement
from ..errors import IssuerError
from ..images import MAX_IMAGE_BYTES
from ..state import NODE
from ..storage import User
from .operators import end_session, ensure_sessions, login, page_user, session_user, start_session


def admin_page(request: web.Request, template: str, user: User, title: str, *, http_status: int = 200,
               **context: Any) -> web.Response:
    """Render an admin page with the common context (the operator, the organization, the nav)."""
    organization = request.app[NODE].organization
    return render(request, template, {"title": f"{title} · {organization.name}", "heading": title,
                                      "site_name": organization.name, "user": user, **context}, status=http_status)


def _safe_next(value: str | None) -> str:
    """Only a path on this site (never ``//host`` or a scheme) may follow a login."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/admin/applications"


@page
async def login_page(request: web.Request) -> web.Response:
    """The admin sign-in form."""
    if session_user(request) is not None:
        raise web.HTTPSeeOther(_safe_next(request.query.get("next")))
    organization = request.app[NODE].organization
    return render(request, "admin_login.html", {"title": f"Sign in · {organization.name}",
                                                "site_name": organization.name,
                                                "next": _safe_next(request.query.get("next")), "error": None})


@page
async def login_submit(request: web.Request) -> web.Response:
    """Sign in with email and password (rate-limited, CSRF-checked)."""
    form = await read_form(request)
    check_csrf(request, form)
    email, password = form.get("email", ""), form.get("password", "")
    user = await login(request, email, password) if email and password else None
    if user is None:
        organization = request.app[NODE].organization
        return render(request, "admin_login.html", {
            "title": f"Sign in · {organization.name}", "site_name": organization.name,
            "next": _safe_next(form.get("next")), "email": email,
            "error": "That email and password do not match an operator of this node."}, status=401)
    response = web.HTTPSeeOther(_safe_next(form.get("next")))
    start_session(request, response, user)
    raise response


@page
async def logout_submit(request: web.Request) -> web.Response:
    """Sign out (CSRF-checked)."""
    form = await read_form(request)
    check_csrf(request, form)
    response = web.HTTPSeeOther("/admin/login")
    end_session(request, response)
    raise response


@page
async def admin_home(request: web.Request) -> web.Response:
    """The admin start page: the review queue."""
    page_user(request)
    raise web.HTTPSeeOther("/admin/applications")


# --- achievements ---------------------------------------------------------------------------------


def _achievements_page(request: web.Request, user: User, *, values: dict[str, str] | None = None,
                       error: str | None = None, status: int = 200) -> web.Response:
    achievements = request.app[NODE].store.list_achievements()
    return admin_page(request, "admin_achievements.html", user, "Achievements", http_status=status,
                      achievements=achievements, values=values or {"evidence": "optional"}, error=error)


@page
async def achievements_page(request: web.Request) -> web.Response:
    """Every achievement, and the form to define a new one (admin)."""
    return _achievements_page(request, page_user(request, "admin"))


@page
async def achievement_create(request: web.Request) -> web.Response:
    """Define an achievement from the form (admin); the image is optional."""
    user = page_user(request, "admin")
    if request.content_type == "multipart/form-data":
        form = await read_multipart(request, max_file_bytes=MAX_IMAGE_BYTES)
        fields, image = form.fields, form.files.get("image")
    else:
        fields, image = dict(await read_form(request)), None
    check_csrf(request, fields)
    values = {name: fields.get(name, "") for name in ("name", "description", "criteria", "tags", "evidence")}
    try:
        spec = AchievementInput(name=values["name"], description=values["description"], criteria=values["criteria"],
                                tags=parse_tags(values["tags"]), evidence_policy=values["evidence"] or "optional",
                                achievement_type="Badge")
        if image is not None and image.data:
            spec = dataclasses.replace(spec, image=image.data)
        achievement = define_achievement(request.app[NODE], spec)
    except (IssuerError, Problem) as exc:
        return _achievements_page(request, user, values=values, error=str(exc), status=400)
    raise web.HTTPSeeOther(f"/admin/achievements/{achievement.key}?created=1")


def _edit_page(request: web.Request, user: User, key: str, *, values: dict[str, str] | None = None,
               error: str | None = None, status: int = 200) -> web.Response:
    achievement = get_achievement(request.app[NODE], key)
    if values is None:
        values = {"name": achievement.name, "description": achievement.description, "criteria": achievement.criteria,
                  "tags": ", ".join(achievement.tags), "evidence": achievement.evidence_policy}
    return admin_page(request, "admin_achievement_edit.html", user, f"Edit {achievement.name}", http_status=status,
                      achievement=achievement, values=values, error=error,
                      created=request.query.get("created") == "1", saved=request.query.get("saved") == "1")


@page
async def achievement_edit_page(request: web.Request) -> web.Response:
    """Edit an achievement's words, or retire it (admin)."""
    return _edit_page(request, page_user(request, "admin"), request.match_info["key"])


@page
async def achievement_edit_submit(request: web.Request) -> web.Response:
    """Save an achievement's edited name, description, criteria, tags and evidence policy (admin)."""
    user = page_user(request, "admin")
    form = await read_form(request)
    check_csrf(request, form)
    key = request.match_info["key"]
    values = {name: form.get(name, "") for name in ("name", "description", "criteria", "tags", "evidence")}
    try:
        achievement = edit_achievement(request.app[NODE], key, name=values["name"], description=values["description"],
                                       criteria=values["criteria"], tags=values["tags"],
                                       evidence_policy=values["evidence"])
    except IssuerError as exc:
        if exc.status == 404:
            raise
        return _edit_page(request, user, key, values=values, error=str(exc), status=400)
    raise web.HTTPSeeOther(f"/admin/achievements/{achievement.key}?saved=1")


@page
async def achievement_retire_submit(request: web.Request) -> web.Response:
    """Retire an achievement (it issues nothing new) or bring it back (admin)."""
    page_user(request, "admin")
    form = await read_form(request)
    check_csrf(request, form)
    achievement = retire_achievement(request.app[NODE], request.match_info["key"],
                                     retired=form.get("retired", "1") == "1")
    raise web.HTTPSeeOther(f"/admin/achievements/{achievement.key}")


# --- outbox ---------------------------------------------------------------------------------------


@page
async def outbox_page(request: web.Request) -> web.Response:
    """Every message the node has queued, sent or not (admin)."""
    user = page_user(request, "admin")
    messages = request.app[NODE].store.list_outbox(limit=200)
    return admin_page(request, "admin_outbox.html", user, "Outbox", messages=messages)


def setup(app: web.Application) -> None:
    ensure_sessions(app)
    app.router.add_get("/admin", admin_home)
    app.router.add_get("/admin/login", login_page)
    app.router.add_post("/admin/login", login_submit)
    app.router.add_post("/admin/logout", logout_submit)
    app.router.add_get("/admin/achievements", achievements_page)
    app.router.add_post("/admin/achievements", achievement_create)
    app.router.add_get("/admin/achievements/{key}", achievement_edit_page)
    app.router.add_post("/admin/achievements/{key}", achievement_edit_submit)
    app.router.add_post("/admin/achievements/{key}/retire", achievement_retire_submit)
    app.router.add_get("/admin/outbox", outbox_page)
