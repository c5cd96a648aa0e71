"""Baked badges: an Open Badges 3.0 credential carried inside its PNG or SVG image.

Spec: Open Badges 3.0 §5.3 (Baked Badges).

* PNG (§5.3.1): an ``iTXt`` chunk with keyword ``openbadgecredential`` whose text is
  the credential's JSON or its compact JWS. We bake uncompressed, just before
  ``IEND``, replacing an earlier credential chunk; we read compressed ones too.
* SVG (§5.3.2): an ``<openbadges:credential>`` element, namespace
  ``https://purl.imsglobal.org/ob/v3p0``, first child of ``<svg>``; a JWS goes in
  its ``verify`` attribute, JSON in a CDATA section as its text.

Pure Python: PNG chunks are read with ``struct`` and every CRC is checked. SVG is
first read by a guarded expat parser that refuses entity declarations and never
loads external entities, so the standard-library DOM that then parses it has no
entity to expand (what ``defusedxml`` guards against, without the dependency). A baked
credential is only extracted here: whether it verifies is the verifier's job.

Errors (all ``BakingError``, a ``CredentialError``): ``image_too_large``,
``unreadable_image``, ``png_bad_crc``, ``image_without_credential``,
``conflicting_credentials``, ``unreadable_credential``.
"""

from __future__ import annotations

import json
import struct
import zlib
from typing import Any
from xml.dom import XMLNS_NAMESPACE, minidom
from xml.dom.minidom import Document, Element
from xml.etree import ElementTree
from xml.parsers import expat

from .errors import CredentialError, JsonInputError
from .strictjson import parse_json
from .vcjwt import looks_like_compact_jws

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
ITXT_KEYWORD = b"openbadgecredential"
OB2_ITXT_KEYWORD = b"openbadges"
OB3_NAMESPACE = "https://purl.imsglobal.org/ob/v3p0"
SVG_NAMESPACE = "http://www.w3.org/2000/svg"
SVG_PREFIX = "openbadges"
MAX_IMAGE_BYTES = 8 * 1024 * 1024
# A compressed chunk may not inflate past this: extraction runs before any signature check.
MAX_CREDENTIAL_BYTES = 4 * 1024 * 1024

Baked = dict[str, Any] | str


class BakingError(CredentialError):
    code = "unreadable_image"


class NoBakedCredentialError(BakingError):
    code = "image_without_credential"


# ----------------------------------------------------------------------- PNG

def bake_png(png_bytes: bytes, credential: Baked) -> bytes:
    """Return the PNG with ``credential`` in an ``openbadgecredential`` iTXt chunk before IEND.

    Existing chunks are copied byte for byte; an earlier credential chunk is
    replaced, since §5.3.1 allows only one.
    """
    text = _serialize(credential)
    chunk_data = ITXT_KEYWORD + b"\x00" + b"\x00\x00" + b"\x00" + b"\x00" + text.encode("utf-8")
    out = [PNG_SIGNATURE]
    for kind, data in _png_chunks(png_bytes):
        if kind == b"iTXt" and data.startswith(ITXT_KEYWORD + b"\x00"):
            continue
        if kind == b"IEND":
            out.append(_png_chunk(b"iTXt", chunk_data))
        out.append(_png_chunk(kind, data))
    return b"".join(out)


def extract_png(data: bytes) -> Baked:
    """Return the credential baked into a PNG: a dict (JSON) or a str (compact JWS)."""
    found: list[Baked] = []
    has_ob2 = False
    for kind, chunk in _png_chunks(data):
        if kind != b"iTXt":
            continue
        keyword, _, rest = chunk.partition(b"\x00")
        if keyword == OB2_ITXT_KEYWORD:
            has_ob2 = True
        if keyword == ITXT_KEYWORD:
            found.append(_parse_credential(_itxt_text(rest)))
    return _one(found, "PNG", has_ob2)


def _png_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    """Read every chunk up to IEND (PNG §5.3), checking lengths and CRCs."""
    _check_size(data)
    if not data.startswith(PNG_SIGNATURE):
        raise BakingError("not a PNG image (no PNG signature)")
    chunks: list[tuple[bytes, bytes]] = []
    offset = len(PNG_SIGNATURE)
    while True:
        if offset + 12 > len(data):
            raise BakingError("truncated PNG: it ends before its IEND chunk")
        length, kind = struct.unpack(">I4s", data[offset:offset + 8])
        end = offset + 8 + length
        if length > 0x7FFFFFFF or end + 4 > len(data):
            raise BakingError(f"truncated PNG: chunk {kind!r} runs past the end of the file")
        if not kind.isalpha():
            raise BakingError(f"malformed PNG: chunk type {kind!r} is not four letters")
        chunk = data[offset + 8:end]
        (crc,) = struct.unpack(">I", data[end:end + 4])
        if zlib.crc32(kind + chunk) != crc:
            raise BakingError(f"PNG chunk {kind.decode('ascii')} has a bad CRC: the file is damaged or was edited",
                              code="png_bad_crc")
        if not chunks and kind != b"IHDR":
            raise BakingError("malformed PNG: the first chunk is not IHDR")
        chunks.append((kind, chunk))
        offset = end + 4
        if kind == b"IEND":
            return chunks


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _itxt_text(rest: bytes) -> str:
    # PNG §11.3.4.5: compression flag, compression method, language tag NUL,
    # translated keyword NUL, then the (possibly zlib-compressed) UTF-8 text.
    if len(rest) < 2:
        raise BakingError("malformed openbadgecredential iTXt chunk", code="unreadable_credential")
    flag, method = rest[0], rest[1]
    _, sep1, rest = rest[2:].partition(b"\x00")
    _, sep2, text = rest.partition(b"\x00")
    if not (sep1 and sep2) or flag not in (0, 1):
        raise BakingError("malformed openbadgecredential iTXt chunk", code="unreadable_credential")
    if flag == 1:
        if method != 0:
            raise BakingError(f"unknown iTXt compression method {method}", code="unreadable_credential")
        inflater = zlib.decompressobj()
        try:
            text = inflater.decompress(text, MAX_CREDENTIAL_BYTES)
        except zlib.error as exc:
            raise BakingError(f"the compressed credential does not inflate: {exc}",
                              code="unreadable_credential") from None
        if inflater.unconsumed_tail:
            raise BakingError(f"the compressed credential inflates past {MAX_CREDENTIAL_BYTES} bytes",
                              code="image_too_large")
    try:
        return text.decode("utf-8")
    except UnicodeDecodeError:
        raise BakingError("the baked credential is not UTF-8 text", code="unreadable_credential") from None


# ----------------------------------------------------------------------- SVG

def bake_svg(svg_text: str, credential: Baked) -> str:
    """Return the SVG with ``<openbadges:credential>`` as the first child of ``<svg>``.

    A compact JWS goes in the ``verify`` attribute, JSON in a CDATA section. An
    earlier credential element is replaced (§5.3.2 allows only one).
    """
    text = _serialize(credential)
    _guard_xml(svg_text)
    try:
        document = minidom.parseString(svg_text)
    except expat.ExpatError as exc:
        raise BakingError(f"not a readable SVG image: {exc}") from None
    try:
        root = document.documentElement
        if root is None or root.localName != "svg":
            raise BakingError("not an SVG image: the root element is not <svg>")
        for old in root.getElementsByTagNameNS(OB3_NAMESPACE, "credential"):
            if old.parentNode is not None:
                old.parentNode.removeChild(old)
        element = _credential_element(document, root, text, isinstance(credential, str))
        root.insertBefore(element, root.firstChild)
        return str(document.toxml())
    finally:
        document.unlink()


def _credential_element(document: Document, root: Element, text: str, is_jws: bool) -> Element:
    element = document.createElementNS(OB3_NAMESPACE, f"{SVG_PREFIX}:credential")
    bound = root.getAttribute(f"xmlns:{SVG_PREFIX}")
    if not bound:
        root.setAttributeNS(XMLNS_NAMESPACE, f"xmlns:{SVG_PREFIX}", OB3_NAMESPACE)
    elif bound != OB3_NAMESPACE:
        # The prefix already means something else (an Open Badges 2.0 bake uses
        # it for http://openbadges.org): declare ours on the element alone.
        element.setAttributeNS(XMLNS_NAMESPACE, f"xmlns:{SVG_PREFIX}", OB3_NAMESPACE)
    if is_jws:
        element.setAttribute("verify", text)
    else:
        # ">" only occurs inside JSON strings, where \u003e spells the same
        # character, so this keeps "]]>" from ending the CDATA section early.
        element.appendChild(document.createCDATASection(text.replace("]]>", "]]\\u003e")))
    return element


def extract_svg(text: str | bytes) -> Baked:
    """Return the credential baked into an SVG: a dict (JSON) or a str (compact JWS)."""
    _guard_xml(text)
    try:
        root = ElementTree.fromstring(text)
    except ElementTree.ParseError as exc:
        raise BakingError(f"not a readable SVG image: {exc}") from None
    if root.tag not in (f"{{{SVG_NAMESPACE}}}svg", "svg"):
        raise BakingError("not an SVG image: the root element is not <svg>")
    found: list[Baked] = []
    for element in root.iter(f"{{{OB3_NAMESPACE}}}credential"):
        verify = element.get("verify")
        found.append(_parse_credential(verify if verify is not None else (element.text or "")))
    has_ob2 = any(True for _ in root.iter("{http://openbadges.org}assertion"))
    return _one(found, "SVG", has_ob2)


def _guard_xml(text: str | bytes) -> None:
    """Parse once with expat, refusing entity declarations and external entities.

    A document that passes declares no entity, so the later DOM parse expands
    none (no "billion laughs") and reads no file or URL (no XXE). A DOCTYPE that
    only names the SVG DTD, as many editors write, is fine: it is never fetched.
    """
    _check_size(text)

    def refuse_entity(name: str, *_: Any) -> None:
        raise BakingError(f"SVG declares the entity {name!r}: entity declarations are refused")

    def refuse_external(*_: Any) -> int:
        raise BakingError("SVG refers to an external entity: refused")

    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.EntityDeclHandler = refuse_entity
    parser.UnparsedEntityDeclHandler = refuse_entity
    parser.ExternalEntityRefHandler = refuse_external
    try:
        parser.Parse(text, True)
    except expat.ExpatError as exc:
        raise BakingError(f"not a readable SVG image: {exc}") from None


# -------------------------------------------------------------------- shared

def _check_size(data: bytes | str) -> None:
    if len(data) > MAX_IMAGE_BYTES:
        raise BakingError(f"image too large ({len(data)} bytes, limit {MAX_IMAGE_BYTES})", code="image_too_large")


def _serialize(credential: Baked) -> str:
    if isinstance(credential, dict):
        try:
            return json.dumps(credential, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        except (ValueError, TypeError, RecursionError) as exc:
            raise BakingError(f"the credential cannot be written as JSON: {exc}", code="unreadable_credential") from None
    if isinstance(credential, str) and looks_like_compact_jws(credential):
        return credential
    raise BakingError("a baked credential is a JSON object or a compact JWS", code="unreadable_credential")


def _parse_credential(text: str) -> Baked:
    value = text.strip()
    if looks_like_compact_jws(value):
        return value
    if not value.startswith("{"):
        raise BakingError("the baked credential is neither JSON nor a compact JWS", code="unreadable_credential")
    try:
        document = parse_json(value)
    except JsonInputError as exc:  # Keeps the strict reader's json_* code and path.
        raise BakingError(f"the baked credential: {exc}", code=exc.code, path=exc.path) from None
    if not isinstance(document, dict):
        raise BakingError("the baked credential is not a JSON object", code="unreadable_credential")
    return document


def _one(found: list[Baked], kind: str, has_ob2: bool) -> Baked:
    if not found:
        hint = " (it carries an Open Badges 2.0 assertion, not a 3.0 credential)" if has_ob2 else ""
        raise NoBakedCredentialError(f"this image has no baked credential{hint}")
    if any(other != found[0] for other in found[1:]):
        raise BakingError(f"this {kind} carries {len(found)} different credentials; Open Badges 3.0 §5.3 allows one",
                          code="conflicting_credentials")
    return found[0]
