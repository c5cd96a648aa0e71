"""Delivery: the QR code of an offer, and downloads of an issued credential (JSON, baked PNG, baked SVG).

Access (see ``downloads.py``): an offer's QR code is as open as the offer
itself (whoever has the offer token); a download needs the credential's
download link token or an operator's bearer token. Both are private:
``Cache-Control: no-store``.
"""

from __future__ import annotations

from aiohttp import hdrs, web

from webbase.cpu import run_cpu
from webbase.qr import qr_png

from ..awards import offer_urls
from ..downloads import Format, find_for_download, render_download
from ..oid4vci import live_award_for_offer
from ..state import NODE
from .auth import api_user

PRIVATE = {"Cache-Control": "no-store"}


async def offer_qr(request: web.Request) -> web.Response:
    """The offer's QR code (PNG); it carries the openid-credential-offer:// URL and nothing else."""
    node = request.app[NODE]
    token = request.match_info["token"]
    live_award_for_offer(node, token)
    _, url = offer_urls(node.public_url, token)
    image = await run_cpu(qr_png, url)
    return web.Response(body=image, content_type="image/png", headers=PRIVATE)


def _download_handler(fmt: Format) -> object:
    async def handler(request: web.Request) -> web.Response:
        node = request.app[NODE]
        operator = hdrs.AUTHORIZATION in request.headers
        if operator:
            api_user(request, "admin", "reviewer")
        record = await run_cpu(find_for_download, node, request.match_info["key"], token=request.query.get("token"),
                               operator=operator)
        download = await run_cpu(render_download, node, record, fmt)
        headers = {**PRIVATE, "Content-Disposition": f'attachment; filename="{download.filename}"'}
        return web.Response(body=download.body, content_type=download.media_type, headers=headers)

    handler.__name__ = f"download_{fmt}"
    handler.__doc__ = {"json": "Download the credential as JSON (download link token or operator).",
                       "png": "Download the credential baked into a PNG badge image (OB 3.0 baking).",
                       "svg": "Download the credential baked into an SVG badge image (OB 3.0 baking)."}[fmt]
    return handler


def setup(app: web.Application) -> None:
    app.router.add_get("/offers/{token}/qr.png", offer_qr)
    for fmt in ("json", "png", "svg"):
        app.router.add_get(f"/credentials/{{key}}/download.{fmt}", _download_handler(fmt))  # type: ignore[arg-type]
