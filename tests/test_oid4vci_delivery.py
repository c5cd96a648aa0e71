"""Delivery: an offer's QR code carries exactly the offer URL; credentials download as JSON, PNG and SVG.

No QR decoder is installed here, so the test reads the PNG's pixels itself and
compares them, module for module, with the QR matrix of the offer URL.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path
from typing import Any

from oid4vci_harness import Stack, running_stack, save

from credentials.baking import PNG_SIGNATURE, extract_png, extract_svg
from issuer_node.awards import create_award
from issuer_node.downloads import download_links
from wallet.testing import bearer
from webbase.qr import QUIET_ZONE, qr_matrix


def _png_pixels(data: bytes) -> list[list[int]]:
    """Greyscale pixels (0 = black) of a PNG of bit depth 1, 8-bit greyscale, or palette (PNG spec §9 filters)."""
    assert data.startswith(PNG_SIGNATURE)
    offset, idat, header = 8, b"", b""
    palette: bytes | None = None
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset:offset + 4])
        kind, body = data[offset + 4:offset + 8], data[offset + 8:offset + 8 + length]
        if kind == b"IHDR":
            header = body
        elif kind == b"PLTE":
            palette = body
        elif kind == b"IDAT":
            idat += body
        offset += 12 + length
    width, height, depth, colour = struct.unpack(">IIBB", header[:10])
    assert colour in (0, 3) and depth in (1, 8), (colour, depth)
    stride = (width * depth + 7) // 8
    raw = zlib.decompress(idat)
    rows, previous = [], bytearray(stride)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            left = line[i - 1] if i else 0
            up, corner = previous[i], previous[i - 1] if i else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 0xFF
        previous = line
        if depth == 1:
            values = [(line[x // 8] >> (7 - x % 8)) & 1 for x in range(width)]
        else:
            values = list(line[:width])
        if colour == 3:
            assert palette is not None
            values = [palette[3 * v] for v in values]
        elif depth == 1:
            values = [255 * v for v in values]
        rows.append(values)
    return rows


def _modules(png: bytes, size: int) -> tuple[tuple[bool, ...], ...]:
    pixels = _png_pixels(png)
    scale = len(pixels) // (size + 2 * QUIET_ZONE)
    assert len(pixels) == scale * (size + 2 * QUIET_ZONE)
    return tuple(tuple(pixels[(QUIET_ZONE + r) * scale + scale // 2][(QUIET_ZONE + c) * scale + scale // 2] < 128
                       for c in range(size)) for r in range(size))


async def test_offer_qr_png_carries_exactly_the_offer_url(tmp_path: Path) -> None:
    async with running_stack(tmp_path) as stack:
        created = create_award(stack.node.store, achievement_id=stack.achievement_id, email="ana@school.example",
                               name=None)
        async with stack.http.get(created.qr_url) as response:
            assert response.status == 200 and response.content_type == "image/png"
            assert response.headers["Cache-Control"] == "no-store"
            png = await response.read()
        expected = qr_matrix(created.offer_url)
        assert _modules(png, len(expected)) == expected
        assert _modules(png, len(expected)) != qr_matrix(created.offer_url + "x")
        # Once redeemed the offer is gone, and so is its QR code.
        status, _ = await stack.redeem(created.offer_url)
        assert status == 201
        async with stack.http.get(created.qr_url) as response:
            assert response.status == 410


async def _download(stack: Stack, url: str, headers: dict[str, str] | None = None) -> tuple[int, bytes, Any]:
    async with stack.http.get(url, headers=headers or {}) as response:
        return response.status, await response.read(), response.headers


async def test_downloads_json_png_svg_each_verify(tmp_path: Path, satchel) -> None:  # type: ignore[no-untyped-def]
    async with running_stack(tmp_path) as stack:
        created = create_award(stack.node.store, achievement_id=stack.achievement_id, email="ana@school.example",
                               name=None)
        status, _ = await stack.redeem(created.offer_url)
        assert status == 201
        [held] = await stack.held()
        award = stack.node.store.get_award(created.award_id)
        assert award is not None and award.credential_key is not None
        links = download_links(stack.node, award.credential_key)
        for fmt, media in (("json", "application/json"), ("png", "image/png"), ("svg", "image/svg+xml")):
            status, data, headers = await _download(stack, links[fmt])
            assert status == 200 and headers["Content-Type"].startswith(media), (fmt, status, data[:200])
            assert headers["Content-Disposition"].startswith("attachment;")
            assert headers["Cache-Control"] == "no-store"
            path = save(tmp_path / f"download.{fmt}", data)
            verified = satchel("verify", path)
            assert verified.code == 0, (fmt, verified.out, verified.err)
            if fmt == "png":
                assert extract_png(data) == held
            if fmt == "svg":
                assert extract_svg(data) == held


async def test_downloads_need_the_link_token_or_an_operator(tmp_path: Path) -> None:
    async with running_stack(tmp_path) as stack:
        async with stack.http.post(f"{stack.node_url}/credentials/issue", headers=bearer(stack.admin_token), json={
                "credential": {"achievement": stack.achievement_id, "recipient": {"email": "bo@school.example"}}}) as r:
            assert r.status == 201
            key = (await r.json())["verifiableCredential"]["id"].rsplit("/", 1)[-1]
        base = f"{stack.node_url}/credentials/{key}/download.json"
        status, body, _ = await _download(stack, base)
        assert status == 401 and b"download_link_required" in body
        status, body, _ = await _download(stack, base + "?token=" + "A" * 43)
        assert status == 404
        other = download_links(stack.node, "00000000-0000-4000-8000-000000000000")["json"].split("?")[1]
        status, _, _ = await _download(stack, f"{base}?{other}")
        assert status == 404  # A token of another credential opens nothing.
        status, _, _ = await _download(stack, base, headers={"Authorization": "Bearer not-a-token"})
        assert status == 401
        status, data, _ = await _download(stack, base, headers=bearer(stack.admin_token))
        assert status == 200 and key.encode() in data
        status, data, _ = await _download(stack, download_links(stack.node, key)["json"])
        assert status == 200 and key.encode() in data
