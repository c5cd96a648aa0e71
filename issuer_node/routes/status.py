"""``GET /status/{key}``: the signed Bitstring Status List credential, re-signed only when it changed."""

from __future__ import annotations

from aiohttp import web

from webbase.cpu import run_cpu

from ..state import NODE
from ..statuslists import cached_status_list, published_status_list


async def status_list(request: web.Request) -> web.Response:
    """A status list credential (BitstringStatusListCredential, signed eddsa-rdfc-2022)."""
    node = request.app[NODE]
    key = request.match_info["key"]
    document = cached_status_list(node, key)
    if document is None:
        document = await run_cpu(published_status_list, node, key)
    response = web.json_response(document)
    # Short, so that verifiers see a revocation soon; the document itself says how long it is valid.
    response.headers["Cache-Control"] = "public, max-age=60"
    return response


def setup(app: web.Application) -> None:
    app.router.add_get("/status/{key}", status_list)
