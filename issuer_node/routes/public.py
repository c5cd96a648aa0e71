"""Public routes: the start page, achievement documents, images."""

from __future__ import annotations

import re

from aiohttp import web

from webbase.templates import page, render

from ..achievements import achievement_json, get_achievement
from ..errors import NotFound
from ..state import NODE

_DIGEST = re.compile(r"[0-9a-f]{64}")


@page
async def home(request: web.Request) -> web.Response:
    """The node's start page: the organization and its achievements."""
    node = request.app[NODE]
    organization = node.organization
    return render(request, "home.html", {"organization": organization, "site_name": organization.name,
                                         "title": organization.name,
                                         "achievements": node.store.list_achievements(include_retired=False)})


async def achievement_document(request: web.Request) -> web.Response:
    """An achievement as an Open Badges 3.0 Achievement document (its id URL)."""
    node = request.app[NODE]
    achievement = get_achievement(node, request.match_info["key"])
    return web.json_response(achievement_json(achievement, node.organization))


async def image(request: web.Request) -> web.Response:
    """An achievement image, by content hash."""
    digest = request.match_info["digest"]
    found = request.app[NODE].store.get_image(digest) if _DIGEST.fullmatch(digest) else None
    if found is None:
        raise NotFound("no such image", code="image_not_found")
    data, media_type = found
    response = web.Response(body=data, content_type=media_type)
    response.headers["Cache-Control"] = "public, max-age=86400, immutable"
    return response


def setup(app: web.Application) -> None:
    app.router.add_get("/", home)
    app.router.add_get("/achievements/{key}", achievement_document)
    app.router.add_get("/images/{digest}", image)
