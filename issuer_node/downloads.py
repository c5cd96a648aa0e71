"""Downloading an issued credential: as JSON, or baked into the badge image (PNG or SVG, OB 3.0 §5.3).

Who may download: a credential names a person (a did, or a hashed email with
their name beside it), so its download is not public. Two ways in:

- the holder, through an unguessable link: ``/credentials/{uuid}/download.{json,png,svg}?token=…``
  where the token is HMAC-SHA256 of the credential's uuid under a secret the node
  keeps in its settings (``download_secret``, made on first use). Nothing is
  stored per link, every node process computes the same token, and the link
  works as long as the credential exists; ``download_links`` gives the three
  URLs (the offer email, the applicant's status page or a bulk result can carry them);
- an operator (admin or reviewer) with a bearer API token, without a link token.

A revoked credential can still be downloaded: its status list says it is revoked.

PNG baking needs a PNG: the achievement's own image when it is one, otherwise
a plain generated badge; SVG likewise (the generated one is the node's default
achievement image).
"""

from __future__ import annotations

import colorsys
import hashlib
import hmac
import json
import secrets
import struct
import zlib
from dataclasses import dataclass
from typing import Literal

from credentials.b64 import b64url_encode
from credentials.baking import PNG_SIGNATURE, bake_png, bake_svg

from .errors import NotFound, Unauthorized
from .images import generated_svg
from .node import IssuerNode
from .storage import CredentialRecord

Format = Literal["json", "png", "svg"]
FORMATS: tuple[Format, ...] = ("json", "png", "svg")
DOWNLOAD_SECRET_SETTING = "download_secret"
_MEDIA_TYPES = {"json": "application/json", "png": "image/png", "svg": "image/svg+xml"}


@dataclass(frozen=True)
class Download:
    body: bytes
    media_type: str
    filename: str


def _secret(node: IssuerNode) -> bytes:
    value = node.store.get_setting(DOWNLOAD_SECRET_SETTING)
    if value is None:
        # Stored only if absent, in one statement: every process on the database agrees on one secret.
        value = node.store.ensure_setting(DOWNLOAD_SECRET_SETTING, secrets.token_hex(32))
    return bytes.fromhex(value)


def download_token(node: IssuerNode, credential_key: str) -> str:
    """The link token of one credential (HMAC of its uuid; 256 bits, base64url)."""
    return b64url_encode(hmac.new(_secret(node), f"download:{credential_key}".encode(), hashlib.sha256).digest())


def download_links(node: IssuerNode, credential_key: str) -> dict[str, str]:
    """The holder's three download URLs, by format."""
    token = download_token(node, credential_key)
    return {fmt: f"{node.public_url}/credentials/{credential_key}/download.{fmt}?token={token}" for fmt in FORMATS}


def check_link_token(node: IssuerNode, credential_key: str, token: str | None) -> bool:
    """True when ``token`` is the download token of ``credential_key`` (constant-time comparison)."""
    if not token or len(token) > 100:
        return False
    return hmac.compare_digest(token, download_token(node, credential_key))


def find_for_download(node: IssuerNode, ref: str, *, token: str | None, operator: bool) -> CredentialRecord:
    """The credential, when the caller may download it; the same 404 for "no such" and "not yours"."""
    if token is None and not operator:
        raise Unauthorized("downloading a credential needs its download link (?token=…) or an operator's "
                           "bearer token", code="download_link_required")
    record = node.store.get_credential(ref)
    if record is None or not (operator or check_link_token(node, record.key, token)):
        raise NotFound("no such credential, or the download link is not valid", code="credential_not_found")
    return record


def _image(node: IssuerNode, record: CredentialRecord) -> tuple[bytes, str] | None:
    achievement = node.store.get_achievement(record.achievement_key)
    if achievement is None or not achievement.image:
        return None
    digest = achievement.image.rstrip("/").rsplit("/", 1)[-1]
    return node.store.get_image(digest)


def _generated_png(name: str, size: int = 256) -> bytes:
    """A plain round badge as an 8-bit RGBA PNG, coloured from the name like ``images.generated_svg``."""
    hue = int(hashlib.sha256(name.encode()).hexdigest()[:4], 16) % 360
    red, green, blue = _hsl_to_rgb(hue / 360, 0.55, 0.35)
    center, radius = (size - 1) / 2, size * 0.47
    rows = bytearray()
    for y in range(size):
        rows.append(0)  # Filter type None for every scanline.
        for x in range(size):
            inside = (x - center) ** 2 + (y - center) ** 2 <= radius ** 2
            rows += bytes((red, green, blue, 255)) if inside else b"\x00\x00\x00\x00"

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    return PNG_SIGNATURE + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(bytes(rows), 9)) + chunk(b"IEND", b"")


def _hsl_to_rgb(h: float, s: float, lightness: float) -> tuple[int, int, int]:
    r, g, b = colorsys.hls_to_rgb(h, lightness, s)
    return round(r * 255), round(g * 255), round(b * 255)


def render_download(node: IssuerNode, record: CredentialRecord, fmt: Format) -> Download:
    """The credential as ``fmt``: pretty JSON, or baked into a PNG or an SVG badge image."""
    name = str(record.document.get("name") or "badge")
    stem = f"badge-{record.key}"
    if fmt == "json":
        body = json.dumps(record.document, indent=2, ensure_ascii=False).encode("utf-8") + b"\n"
        return Download(body, _MEDIA_TYPES["json"], f"{stem}.json")
    image = _image(node, record)
    if fmt == "png":
        base = image[0] if image is not None and image[1] == "image/png" else _generated_png(name)
        return Download(bake_png(base, record.document), _MEDIA_TYPES["png"], f"{stem}.png")
    svg = image[0] if image is not None and image[1] == "image/svg+xml" else generated_svg(name)
    baked = bake_svg(svg.decode("utf-8"), record.document)
    return Download(baked.encode("utf-8"), _MEDIA_TYPES["svg"], f"{stem}.svg")
