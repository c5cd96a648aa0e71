"""Uploaded evidence files: what types are accepted, and where the bytes live.

A file is accepted by what its bytes are, never by the type or name the
browser claims: PDF, PNG, JPEG, GIF, WebP, plain text (UTF-8, no control
bytes), and office documents (OOXML and OpenDocument zips, legacy OLE files).
SVG and HTML are refused: both can carry script, and a reviewer opens these
files in a browser. Video is a link (an evidence URL), not an upload.

Accepted bytes are written to ``DIR/evidence/<sha256>`` (mode 0600, written to
a temporary file and renamed, so a crash never leaves half a file under a
digest), and served only to reviewers and to the applicant holding the key
(``routes.api_applications``).
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import zipfile
from io import BytesIO
from pathlib import Path

from .datadir import DataDir
from .errors import IssuerError, NotFound

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_FILES = 5
MAX_FILENAME = 200
_DIGEST = re.compile(r"[0-9a-f]{64}")

OOXML_TYPES = {
    "word/": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xl/": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ppt/": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}
ODF_TYPES = {
    "application/vnd.oasis.opendocument.text",
    "application/vnd.oasis.opendocument.spreadsheet",
    "application/vnd.oasis.opendocument.presentation",
}
# Types a browser may show inline; everything else is served as a download.
INLINE_TYPES = {"application/pdf", "image/png", "image/jpeg", "image/gif", "image/webp", "text/plain"}
ACCEPTED_DESCRIPTION = "PDF, PNG, JPEG, GIF, WebP, plain text, Word/Excel/PowerPoint or OpenDocument files"


class UnsupportedFileType(IssuerError):
    code = "unsupported_file_type"
    status = 415


class FileTooLarge(IssuerError):
    code = "upload_too_large"
    status = 413


def _zip_type(data: bytes) -> str | None:
    try:
        with zipfile.ZipFile(BytesIO(data)) as archive:
            names = archive.namelist()
            if "mimetype" in names:
                declared = archive.read("mimetype").decode("ascii", "replace").strip()
                return declared if declared in ODF_TYPES else None
            if "[Content_Types].xml" in names:
                for prefix, media_type in OOXML_TYPES.items():
                    if any(name.startswith(prefix) for name in names):
                        return media_type
    except (zipfile.BadZipFile, OSError, ValueError, KeyError, NotImplementedError):
        return None
    return None


def _is_text(data: bytes) -> bool:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    head = text[:4096].lstrip().lower()
    if head.startswith(("<!doctype html", "<html", "<svg", "<?xml", "<script")):
        return False  # Markup a browser would interpret, not plain text.
    return not any(ord(ch) < 32 and ch not in "\t\n\r\f" for ch in text)


def sniff_media_type(data: bytes) -> str:
    """The media type of accepted evidence bytes; ``UnsupportedFileType`` (415) for anything else."""
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "application/msword"  # Legacy OLE compound file (doc, xls, ppt).
    if data.startswith(b"PK\x03\x04"):
        zip_type = _zip_type(data)
        if zip_type is not None:
            return zip_type
    elif _is_text(data):
        return "text/plain"
    raise UnsupportedFileType(f"this file type is not accepted; upload {ACCEPTED_DESCRIPTION} "
                              "(link a video with an evidence URL)", field="file")


def clean_filename(name: str) -> str:
    """The browser-given name, reduced to its last path part and printable characters (display only)."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(ch for ch in base if ch.isprintable()).strip()
    return (cleaned or "file")[:MAX_FILENAME]


def check_size(data: bytes) -> None:
    if len(data) > MAX_FILE_BYTES:
        raise FileTooLarge(f"a file may be at most {MAX_FILE_BYTES // (1024 * 1024)} MiB", field="file")
    if not data:
        raise UnsupportedFileType("the file is empty", field="file")


def store_evidence_file(layout: DataDir, data: bytes) -> str:
    """Write the bytes under their sha256 (returned); the same bytes twice are stored once."""
    digest = hashlib.sha256(data).hexdigest()
    folder = layout.evidence_dir
    folder.mkdir(mode=0o700, exist_ok=True)
    target = folder / digest
    if target.exists():
        return digest
    temporary = folder / f".{digest}.{secrets.token_hex(6)}.tmp"
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return digest


def evidence_path(layout: DataDir, digest: str) -> Path:
    """The file of ``digest``; ``NotFound`` for a malformed digest or missing bytes."""
    if not _DIGEST.fullmatch(digest):
        raise NotFound("no such evidence file", code="file_not_found")
    path = layout.evidence_dir / digest
    if not path.is_file():
        raise NotFound("no such evidence file", code="file_not_found")
    return path
