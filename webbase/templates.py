"""Jinja2 pages: autoescaped, with a shared accessible base layout and stylesheet.

``setup_templates(app, "wallet")`` loads the server's own ``wallet/templates/`` first and webbase's
second, so a server page starts with ``{% extends "base.html" %}``. ``render`` adds ``csrf_token``
(and ``csrf_field()`` for forms) and the current ``session`` to every page's context. The stylesheet
is served at ``/static/webbase.css``; pages need no JavaScript (the CSP allows none).
"""

from __future__ import annotations

from importlib.resources import files
from typing import Any

import jinja2
from aiohttp import web
from markupsafe import Markup, escape

from webbase.problems import page
from webbase.sessions import SESSIONS, current_session, request_csrf_token

__all__ = ["STYLESHEET_PATH", "TEMPLATES", "page", "render", "setup_templates"]

TEMPLATES = web.AppKey("webbase.templates", jinja2.Environment)
STYLESHEET_PATH = "/static/webbase.css"


@jinja2.pass_context
def _csrf_field(context: jinja2.runtime.Context) -> Markup:
    """``{{ csrf_field() }}`` inside a <form>: the hidden CSRF input."""
    token = context.get("csrf_token") or ""
    return Markup('<input type="hidden" name="csrf_token" value="{}">').format(escape(token))


def make_environment(package: str, *, folder: str = "templates") -> jinja2.Environment:
    """The server's templates first, then webbase's (the base layout); HTML is always autoescaped."""
    loaders: list[jinja2.BaseLoader] = []
    if package != "webbase":
        loaders.append(jinja2.PackageLoader(package, folder))
    loaders.append(jinja2.PackageLoader("webbase", "templates"))
    environment = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=jinja2.select_autoescape(["html", "htm", "xml"], default_for_string=True, default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.globals["csrf_field"] = _csrf_field
    environment.globals["stylesheet"] = STYLESHEET_PATH
    return environment


async def stylesheet(request: web.Request) -> web.Response:
    """The shared stylesheet."""
    css = files("webbase").joinpath("static/webbase.css").read_bytes()
    response = web.Response(body=css, content_type="text/css", charset="utf-8")
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


def setup_templates(app: web.Application, package: str, *, folder: str = "templates") -> jinja2.Environment:
    """Attach the Jinja2 environment to ``app`` and serve the stylesheet."""
    environment = make_environment(package, folder=folder)
    app[TEMPLATES] = environment
    app.router.add_get(STYLESHEET_PATH, stylesheet)
    return environment


def render(request: web.Request, name: str, context: dict[str, Any] | None = None, *, status: int = 200) -> web.Response:
    """Render template ``name`` as an HTML response, adding ``csrf_token`` and ``session`` to the context."""
    environment = request.app[TEMPLATES]
    values = dict(context or {})
    if request.app.get(SESSIONS) is not None:
        values.setdefault("csrf_token", request_csrf_token(request))
        values.setdefault("session", current_session(request))
    else:
        values.setdefault("csrf_token", "")
        values.setdefault("session", None)
    text = environment.get_template(name).render(values)
    return web.Response(text=text, status=status, content_type="text/html", charset="utf-8")
