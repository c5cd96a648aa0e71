"""QR codes as PNG images (segno, pure Python): offers on the issuer, share links on the wallet.

A QR code carries a URL only, never a payload: the offer or the presentation
stays behind its link, where it can expire and be revoked.
"""

from __future__ import annotations

import io

import segno

MAX_QR_TEXT = 2_000
DEFAULT_SCALE = 8
QUIET_ZONE = 4  # ISO/IEC 18004 asks for a four-module quiet zone.


def qr_matrix(text: str) -> tuple[tuple[bool, ...], ...]:
    """The QR code's modules (True = dark), without the quiet zone; error correction M, at least."""
    code = segno.make(text, error="m", micro=False)
    return tuple(tuple(bool(cell) for cell in row) for row in code.matrix)


def qr_png(text: str, *, scale: int = DEFAULT_SCALE) -> bytes:
    """A PNG of the QR code of ``text`` (a URL), ``scale`` pixels per module, with the quiet zone."""
    if not text or len(text) > MAX_QR_TEXT:
        raise ValueError(f"a QR code here carries 1 to {MAX_QR_TEXT} characters")
    code = segno.make(text, error="m", micro=False)
    buffer = io.BytesIO()
    code.save(buffer, kind="png", scale=scale, border=QUIET_ZONE, dark="#000", light="#fff")
    return buffer.getvalue()
