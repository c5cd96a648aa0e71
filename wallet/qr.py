"""Reading the QR code in a photo or screenshot a learner uploads (a camera upload of an offer).

Decoding is done on the server with zxing-cpp and Pillow, both self-contained
wheels (no system library), so the page needs no JavaScript and no camera API:
``<input type="file" accept="image/*" capture>`` lets a phone take the picture.
The image is untrusted: only PNG, JPEG, GIF and WebP are opened, its size is
checked before its pixels are decoded (a small file can claim a huge image), and
a large photo is scaled down before the search. Decoding is CPU work: callers run
``read_qr_text`` through ``webbase.cpu.run_cpu``.
"""

from __future__ import annotations

import io
import warnings

import zxingcpp
from PIL import Image, UnidentifiedImageError

from .errors import Refused

MAX_IMAGE_BYTES = 12 * 1024 * 1024
MAX_PIXELS = 50_000_000          # a 50-megapixel photo is the most a camera upload needs
SEARCH_EDGE = 2_000              # larger images are scaled down to this edge before the search
FORMATS = ("PNG", "JPEG", "GIF", "WEBP")


def read_qr_text(data: bytes) -> str:
    """The text of the (first) QR code in the image ``data``; ``Refused`` when there is none or it is no image."""
    if len(data) > MAX_IMAGE_BYTES:
        raise Refused(f"the image is larger than {MAX_IMAGE_BYTES:,} bytes", code="qr_image_too_large")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            opened = Image.open(io.BytesIO(data), formats=FORMATS)
            width, height = opened.size
            if width * height > MAX_PIXELS:
                raise Refused(f"the image has more pixels than this wallet reads ({width}x{height})",
                              code="qr_image_too_large")
            opened.draft("L", (SEARCH_EDGE, SEARCH_EDGE))  # JPEG: decode at a reduced size directly
            image = opened.convert("L")
            if max(image.size) > SEARCH_EDGE:
                image.thumbnail((SEARCH_EDGE, SEARCH_EDGE))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise Refused("the image has more pixels than this wallet reads", code="qr_image_too_large") from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        # Pillow reports a damaged file as OSError, ValueError or SyntaxError, depending on the format.
        raise Refused("the file is not an image this wallet reads (PNG, JPEG, GIF or WebP)",
                      code="qr_not_an_image") from None
    found = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode))
    texts = [barcode.text for barcode in found if barcode.text]
    if not texts:
        raise Refused("no QR code could be read in the image; try a sharper, closer picture, or paste the link",
                      code="qr_not_found")
    return texts[0]
