"""Which uploaded bytes are accepted as evidence: decided by content, never by the name or claimed type."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from issuer_node.datadir import DataDir
from issuer_node.errors import NotFound
from issuer_node.evidence_files import UnsupportedFileType, clean_filename, evidence_path, sniff_media_type, store_evidence_file


def _zip(**members: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in members.items():
            archive.writestr(name.replace("__", "/"), text)
    return buffer.getvalue()


ACCEPTED = [
    ("pdf", b"%PDF-1.7\n...", "application/pdf"),
    ("png", b"\x89PNG\r\n\x1a\n\x00", "image/png"),
    ("jpeg", b"\xff\xd8\xff\xe0\x00\x10JFIF", "image/jpeg"),
    ("gif", b"GIF89a\x01\x00", "image/gif"),
    ("webp", b"RIFF\x10\x00\x00\x00WEBPVP8 ", "image/webp"),
    ("text", "Reflexión sobre la clase\n\tcon datos.\n".encode(), "text/plain"),
    ("legacy office", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00", "application/msword"),
    ("docx", _zip(**{"[Content_Types].xml": "<Types/>", "word__document.xml": "<w/>"}),
     "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ("pptx", _zip(**{"[Content_Types].xml": "<Types/>", "ppt__presentation.xml": "<p/>"}),
     "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
    ("odt", _zip(mimetype="application/vnd.oasis.opendocument.text", **{"content.xml": "<x/>"}),
     "application/vnd.oasis.opendocument.text"),
]

REFUSED = [
    ("html", b"<!DOCTYPE html><p>hi</p>"),
    ("html without doctype", b"  <html><script>alert(1)</script></html>"),
    ("svg", b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>"),
    ("xml", b"<?xml version='1.0'?><a/>"),
    ("script", b"<script>alert(1)</script>"),
    ("windows executable", b"MZ\x90\x00\x03\x00\x00\x00"),
    ("elf executable", b"\x7fELF\x02\x01\x01\x00"),
    ("binary with control bytes", b"abc\x00\x01\x02def"),
    ("latin-1 bytes that are not UTF-8", b"caf\xe9 cr\xe8me"),
    ("plain zip", _zip(**{"readme.txt": "hello"})),
    ("zip claiming an unknown opendocument type", _zip(mimetype="application/x-evil", **{"a": "b"})),
    ("broken zip", b"PK\x03\x04garbage"),
]


@pytest.mark.parametrize("label, data, expected", ACCEPTED, ids=[a[0] for a in ACCEPTED])
def test_accepts_evidence_types_by_content(label: str, data: bytes, expected: str) -> None:
    assert sniff_media_type(data) == expected


@pytest.mark.parametrize("label, data", REFUSED, ids=[r[0] for r in REFUSED])
def test_refuses_other_content(label: str, data: bytes) -> None:
    with pytest.raises(UnsupportedFileType) as caught:
        sniff_media_type(data)
    assert caught.value.status == 415 and caught.value.code == "unsupported_file_type"


def test_files_are_stored_once_by_content_hash_with_owner_only_mode(tmp_path: Path) -> None:
    layout = DataDir(tmp_path)
    digest = store_evidence_file(layout, b"%PDF-1.4 lesson")
    assert store_evidence_file(layout, b"%PDF-1.4 lesson") == digest
    path = evidence_path(layout, digest)
    assert path.read_bytes() == b"%PDF-1.4 lesson" and path.stat().st_mode & 0o077 == 0
    assert [p.name for p in layout.evidence_dir.iterdir()] == [digest]


@pytest.mark.parametrize("digest", ["../issuer.key", "A" * 64, "a" * 63, "b" * 64])
def test_evidence_path_refuses_anything_but_a_stored_digest(tmp_path: Path, digest: str) -> None:
    with pytest.raises(NotFound):
        evidence_path(DataDir(tmp_path), digest)


def test_browser_file_names_are_reduced_to_a_display_name() -> None:
    assert clean_filename("C:\\Users\\ana\\plan.pdf") == "plan.pdf"
    assert clean_filename("../../etc/passwd") == "passwd"
    assert clean_filename("a\x00b\nc.txt") == "abc.txt"
    assert clean_filename("") == "file"
