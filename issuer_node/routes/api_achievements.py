"""``/api/achievements``: define and list achievements (bearer token, admin)."""

from __future__ import annotations

import base64
import binascii
import dataclasses
import re

from aiohttp import web

from webbase.bodies import read_json_object

from ..achievements import achievement_admin_json, define_achievement, input_from_json, retire_achievement
from ..errors import InvalidRequest
from ..state import NODE
from .auth import api_user

_DATA_URI = re.compile(r"data:(image/png|image/jpeg|image/svg\+xml);base64,([A-Za-z0-9+/=\s]+)")


def _image_from_data_uri(value: object) -> bytes | None:
    if value is None:
        return None
    match = _DATA_URI.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise InvalidRequest("image must be a data: URI (PNG, JPEG or SVG, base64)", field="image")
    try:
        return base64.b64decode(match.group(2), validate=False)
    except (binascii.Error, ValueError):
        raise InvalidRequest("image is not valid base64", field="image") from None


async def create_achievement(request: web.Request) -> web.Response:
    """Define an achievement; body {name, description, criteria, tags, alignment, evidence, achievementType, image}."""
    api_user(request, "admin")
    body = await read_json_object(request, max_bytes=2 * 1024 * 1024)
    spec = dataclasses.replace(input_from_json(body), image=_image_from_data_uri(body.get("image")))
    achievement = define_achievement(request.app[NODE], spec)
    response = web.json_response(achievement_admin_json(achievement), status=201)
    response.headers["Location"] = achievement.id
    return response


async def list_achievements(request: web.Request) -> web.Response:
    """List every achievement, retired ones included (the operator's view)."""
    api_user(request, "admin", "reviewer")
    achievements = request.app[NODE].store.list_achievements()
    return web.json_response({"achievements": [achievement_admin_json(a) for a in achievements]})


async def retire(request: web.Request) -> web.Response:
    """Retire an achievement: it stays published but issues nothing new."""
    api_user(request, "admin")
    achievement = retire_achievement(request.app[NODE], request.match_info["key"])
    return web.json_response(achievement_admin_json(achievement))


def setup(app: web.Application) -> None:
    app.router.add_post("/api/achievements", create_achievement)
    app.router.add_get("/api/achievements", list_achievements)
    app.router.add_post("/api/achievements/{key}/retire", retire)
