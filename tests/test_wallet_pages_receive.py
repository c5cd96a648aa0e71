"""Receiving on the learner pages: a pasted OpenID4VCI offer, a picture of its QR code, and the errors.

A real issuer node and a real wallet run on 127.0.0.1; the learner uses only the
receive page's forms. The QR picture is a PNG made with segno and read back on
the server (zxing-cpp), as a phone's camera upload would be.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import aiohttp
from oid4vci_harness import running_stack
from PIL import Image
from wallet_pages_support import Learner

from issuer_node.awards import create_award
from webbase.qr import qr_png


def _picture(data: bytes, filename: str = "photo.png", tx_code: str | None = None) -> aiohttp.FormData:
    form = aiohttp.FormData()
    form.add_field("image", data, filename=filename, content_type="image/png")
    if tx_code is not None:
        form.add_field("tx_code", tx_code)
    return form


def _photo_of(png: bytes) -> bytes:
    """The QR code as a camera might see it: a JPEG, larger, on a grey background."""
    code = Image.open(io.BytesIO(png)).convert("L")
    photo = Image.new("L", (code.width * 3, code.height * 2), 170)
    photo.paste(code, (code.width, code.height // 2))
    out = io.BytesIO()
    photo.save(out, format="JPEG", quality=85)
    return out.getvalue()


async def test_a_pasted_offer_with_its_transaction_code_is_received(tmp_path: Path) -> None:
    async with running_stack(tmp_path) as stack:
        ana = Learner(stack.wallet.url)
        try:
            assert (await ana.log_in("ana@school.example")).status == 303
            created = create_award(stack.node.store, achievement_id=stack.achievement_id, email="ana@school.example",
                                   name=None, tx_code=True)
            assert created.tx_code is not None
            missing = await ana.post("/receive/offer", {"offer": created.offer_url}, form_page="/receive")
            assert missing.status == 400 and "needs a transaction code" in missing.text
            assert created.offer_url.replace("&", "&amp;") in missing.text  # the offer stays in the form
            report = await ana.post("/receive/offer", {"offer": created.offer_url, "tx_code": created.tx_code},
                                    form_page="/receive")
            assert report.status == 201 and "1 added" in report.text, report.text[:800]
            assert "Classroom Data Literacy" in report.text
            listing = (await ana.get("/credentials")).text
            assert "Classroom Data Literacy" in listing and "Riverside USD" in listing
        finally:
            await ana.close()


async def test_a_picture_of_the_offer_qr_code_is_read_and_redeemed(tmp_path: Path) -> None:
    async with running_stack(tmp_path) as stack:
        ana = Learner(stack.wallet.url)
        try:
            await ana.log_in("ana@school.example")
            first = create_award(stack.node.store, achievement_id=stack.achievement_id, email="ana@school.example",
                                 name=None)
            report = await ana.post("/receive/qr", _picture(qr_png(first.offer_url)), form_page="/receive")
            assert report.status == 201 and "1 added" in report.text, report.text[:800]
            second = create_award(stack.node.store, achievement_id=stack.achievement_id, email="ana@school.example",
                                  name=None, tx_code=True)
            photo = _photo_of(qr_png(second.offer_url))
            report = await ana.post("/receive/qr", _picture(photo, "IMG_0001.jpg", second.tx_code),
                                    form_page="/receive")
            assert report.status == 201 and "1 added" in report.text, report.text[:800]
            assert len(re.findall(r'<a href="/credentials/[0-9a-f]{32}">', (await ana.get("/credentials")).text)) == 2
        finally:
            await ana.close()


async def test_pictures_without_an_offer_are_refused_with_the_reason(tmp_path: Path) -> None:
    async with running_stack(tmp_path) as stack:
        ana = Learner(stack.wallet.url)
        try:
            await ana.log_in("ana@school.example")
            other = await ana.post("/receive/qr", _picture(qr_png("https://example.org/not-an-offer")),
                                   form_page="/receive")
            assert other.status == 400 and "does not hold a credential offer" in other.text
            assert "https://example.org/not-an-offer" in other.text
            not_image = await ana.post("/receive/qr", _picture(b"this is not a picture"), form_page="/receive")
            assert not_image.status == 400 and "not an image" in not_image.text
            blank = io.BytesIO()
            Image.new("L", (300, 300), 255).save(blank, format="PNG")
            nothing = await ana.post("/receive/qr", _picture(blank.getvalue()), form_page="/receive")
            assert nothing.status == 400 and "No QR code could be read in the image" in nothing.text
            bad_offer = await ana.post("/receive/offer", {"offer": "https://example.org/offer"}, form_page="/receive")
            assert bad_offer.status == 400 and "openid-credential-offer://" in bad_offer.text
            assert "Your wallet is empty" in (await ana.get("/credentials")).text
        finally:
            await ana.close()


def _png_claiming(width: int, height: int) -> bytes:
    """A PNG whose header claims ``width`` x ``height`` pixels but holds almost no data."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
            + chunk(b"IEND", b""))


def test_a_small_file_claiming_a_huge_image_is_refused_before_its_pixels_are_decoded() -> None:
    import pytest

    from wallet.errors import Refused
    from wallet.qr import read_qr_text

    for width, height in ((20_000, 20_000), (8_000, 7_000)):  # past Pillow's own bomb limit, and past ours
        with pytest.raises(Refused) as caught:
            read_qr_text(_png_claiming(width, height))
        assert caught.value.code == "qr_image_too_large" and "more pixels" in caught.value.detail


def test_a_damaged_image_and_an_svg_are_not_read() -> None:
    import pytest

    from wallet.errors import Refused
    from wallet.qr import read_qr_text

    for data in (qr_png("https://example.org/x")[:200], b'<svg xmlns="http://www.w3.org/2000/svg"></svg>'):
        with pytest.raises(Refused) as caught:
            read_qr_text(data)
        assert caught.value.code in ("qr_not_an_image", "qr_not_found"), caught.value.code


def test_a_qr_code_in_a_large_photo_is_still_found() -> None:
    from wallet.qr import read_qr_text

    url = "openid-credential-offer://?credential_offer_uri=https%3A%2F%2Fbadges.example.org%2Foffers%2Fabc"
    code = Image.open(io.BytesIO(qr_png(url, scale=12))).convert("L")
    photo = Image.new("L", (4000, 3000), 200)  # a 12-megapixel phone photo, scaled down before the search
    photo.paste(code, (1500, 1000))
    out = io.BytesIO()
    photo.save(out, format="JPEG", quality=90)
    assert read_qr_text(out.getvalue()) == url
