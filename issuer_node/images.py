"""Badge and logo images: what the node accepts, and a plain generated image when none is given."""

from __future__ import annotations

import base64
import hashlib
import html

from .errors import InvalidRequest

MAX_IMAGE_BYTES = 1024 * 1024
_TYPES = {b"\x89PNG\r\n\x1a\n": "image/png", b"\xff\xd8\xff": "image/jpeg"}


def sniff_image_type(data: bytes) -> str:
    """The media type of a PNG, JPEG or SVG image, by content; anything else is refused."""
    if len(data) > MAX_IMAGE_BYTES:
        raise InvalidRequest(f"an image must be at most {MAX_IMAGE_BYTES // 1024} KiB", field="image")
    for magic, media_type in _TYPES.items():
        if data.startswith(magic):
            return media_type
    head = data[:512].lstrip().lower()
    if head.startswith(b"<svg") or (head.startswith(b"<?xml") and b"<svg" in data[:2048].lower()):
        return "image/svg+xml"
    raise InvalidRequest("an image must be PNG, JPEG or SVG", field="image")


def generated_svg(name: str) -> bytes:
    """A round badge with the name's initials, in a colour derived from the name (stable for one name)."""
    initials = "".join(word[0] for word in name.split()[:3] if word).upper() or "?"
    hue = int(hashlib.sha256(name.encode()).hexdigest()[:4], 16) % 360
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="256" height="256" viewBox="0 0 256 256">'
        f'<circle cx="128" cy="128" r="120" fill="hsl({hue},55%,35%)"/>'
        f'<text x="128" y="150" font-family="sans-serif" font-size="72" fill="#fff" text-anchor="middle">'
        f'{html.escape(initials)}</text></svg>'
    ).encode()


def data_uri(data: bytes, media_type: str) -> str:
    return f"data:{media_type};base64,{base64.b64encode(data).decode()}"
