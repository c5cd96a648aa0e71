"""``GET /openapi.json``: an OpenAPI 3.1 document built from the app's route table.

Built on each request from ``app.router.routes()``, so it can never drift from the routes that are
really served: every method and path, the summary from the handler docstring's first line, the path
parameters from ``{name}`` segments, and the problem+json error response every route shares.
"""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web

from webbase.problems import PAGE_ATTRIBUTE, PROBLEM_CONTENT_TYPE

OPENAPI_VERSION = "3.1.0"
_PARAMETER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)(?::[^{}]*(?:\{[^{}]*\}[^{}]*)*)?\}")
_SKIPPED_METHODS = {"HEAD", "*"}

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "format": "uri"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
    },
}


def openapi_path(template: str) -> tuple[str, list[str]]:
    """``/items/{id:\\d+}`` → (``/items/{id}``, [``id``]): OpenAPI has no regex in a path template."""
    names = [match.group(1) for match in _PARAMETER.finditer(template)]
    return _PARAMETER.sub(lambda match: "{" + match.group(1) + "}", template), names


def _summary(handler: Any) -> str | None:
    doc: object = getattr(handler, "__doc__", None)
    if not isinstance(doc, str) or not doc.strip():
        return None
    return doc.strip().splitlines()[0].strip()


def _operation_id(method: str, path: str, handler: Any, used: set[str]) -> str:
    base = getattr(handler, "__name__", None) or re.sub(r"[^A-Za-z0-9]+", "_", path).strip("_") or "root"
    candidate = f"{method.lower()}_{base}"
    number = 2
    while candidate in used:
        candidate = f"{method.lower()}_{base}_{number}"
        number += 1
    used.add(candidate)
    return candidate


def build_openapi(app: web.Application, *, title: str, version: str) -> dict[str, Any]:
    """The OpenAPI 3.1 document for ``app``'s plain and dynamic routes (static file routes are left out)."""
    paths: dict[str, dict[str, Any]] = {}
    used: set[str] = set()
    for route in app.router.routes():
        if route.method in _SKIPPED_METHODS or isinstance(route.resource, web.StaticResource):
            continue
        resource = route.resource
        if resource is None:
            continue
        path, names = openapi_path(resource.canonical)
        operation: dict[str, Any] = {
            "operationId": _operation_id(route.method, path, route.handler, used),
            "responses": {
                "default": {
                    "description": "An error, as RFC 9457 problem details",
                    "content": {PROBLEM_CONTENT_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
                },
            },
        }
        summary = _summary(route.handler)
        if summary:
            operation["summary"] = summary
        if getattr(route.handler, PAGE_ATTRIBUTE, False):
            operation["tags"] = ["pages"]
        if names:
            operation["parameters"] = [{"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
                                       for name in names]
        paths.setdefault(path, {})[route.method.lower()] = operation
    return {
        "openapi": OPENAPI_VERSION,
        "info": {"title": title, "version": version},
        "paths": dict(sorted(paths.items())),
        "components": {"schemas": {"Problem": PROBLEM_SCHEMA}},
    }


def add_openapi_route(app: web.Application, *, title: str, version: str) -> None:
    """Serve the document at ``GET /openapi.json``."""

    async def openapi_document(request: web.Request) -> web.Response:
        """The OpenAPI 3.1 description of this server."""
        return web.json_response(build_openapi(request.app, title=title, version=version))

    app.router.add_get("/openapi.json", openapi_document)
