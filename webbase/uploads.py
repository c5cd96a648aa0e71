"""HTML form bodies and file uploads, with limits checked while reading.

``read_form`` takes ``application/x-www-form-urlencoded`` or ``multipart/form-data`` text fields;
``read_multipart`` also takes files (a credential JSON, a baked PNG, evidence), each refused past
``max_file_bytes`` with 413 ``upload_too_large`` as soon as the limit is crossed, never after the
whole file has been buffered. Field names may appear once (a repeated field is ambiguous: 400).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from aiohttp import BodyPartReader, web
from aiohttp.http_exceptions import BadHttpMessage
from aiohttp.multipart import BadContentDispositionHeader

from webbase.problems import Problem

ONE_MIB = 1024 * 1024
MAX_FIELD_BYTES = 64 * 1024
MAX_PARTS = 32
_FORM_TYPES = {"application/x-www-form-urlencoded", "multipart/form-data"}


@dataclass(frozen=True)
class Upload:
    """One uploaded file: the browser-given name (untrusted, for display only), its type and bytes."""

    field: str
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class MultipartForm:
    fields: dict[str, str] = field(default_factory=dict)
    files: dict[str, Upload] = field(default_factory=dict)

    def file(self, name: str) -> Upload:
        """The uploaded file ``name``; a 400 ``missing_field`` when none (or an empty one) was sent."""
        upload = self.files.get(name)
        if upload is None or not upload.data:
            raise Problem(400, f"Choose a file for {name!r}.", code="missing_field", extra={"field": name})
        return upload


# What aiohttp's multipart reader raises for a body it cannot split: a bare ``ValueError`` (no ``boundary`` in
# the Content-Type, a body that never reaches its first boundary) or ``BadHttpMessage`` (a part header with a
# NUL or no colon). A Content-Disposition it cannot parse is only a warning (the part then has no name), unless
# warnings are errors, as in the tests. The client's fault: a 400, never a 500.
MULTIPART_ERRORS = (ValueError, BadHttpMessage, BadContentDispositionHeader)


def malformed_multipart() -> Problem:
    """The 400 for a multipart body that ``MULTIPART_ERRORS`` says cannot be read."""
    return Problem(400, "The multipart/form-data body cannot be read: it needs a boundary parameter and parts "
                        "that follow it.", code="malformed_multipart")


async def read_form(request: web.Request) -> Mapping[str, str]:
    """The text fields of a form post (files are refused here: use ``read_multipart``)."""
    if request.content_type not in _FORM_TYPES:
        raise Problem(415, "Expected a form submission.", code="unsupported_media_type")
    if request.content_type == "multipart/form-data":
        form = await read_multipart(request, max_file_bytes=0)
        return form.fields
    posted = await request.post()
    values: dict[str, str] = {}
    for name, value in posted.items():
        if not isinstance(value, str):
            raise Problem(400, f"The field {name!r} must be text.", code="invalid_field", extra={"field": name})
        if name in values:
            raise Problem(400, f"The field {name!r} was sent twice.", code="duplicate_field", extra={"field": name})
        values[name] = value
    return values


async def _read_part(part: BodyPartReader, limit: int, problem: Problem) -> bytes:
    data = bytearray()
    while chunk := await part.read_chunk(64 * 1024):
        data += chunk
        if len(data) > limit:
            raise problem
    return bytes(data)


async def read_multipart(request: web.Request, *, max_file_bytes: int = ONE_MIB, max_parts: int = MAX_PARTS) -> MultipartForm:
    """Text fields and files of a ``multipart/form-data`` post, each file at most ``max_file_bytes``."""
    if request.content_type != "multipart/form-data":
        raise Problem(415, "Expected a multipart/form-data upload.", code="unsupported_media_type")
    try:
        return await _read_multipart(request, max_file_bytes=max_file_bytes, max_parts=max_parts)
    except MULTIPART_ERRORS:
        raise malformed_multipart() from None


async def _read_multipart(request: web.Request, *, max_file_bytes: int, max_parts: int) -> MultipartForm:
    reader = await request.multipart()
    form = MultipartForm()
    count = 0
    while (part := await reader.next()) is not None:
        count += 1
        if count > max_parts or not isinstance(part, BodyPartReader):
            raise Problem(400, f"The form has more than {max_parts} parts.", code="too_many_parts")
        name = part.name or ""
        if not name or name in form.fields or name in form.files:
            raise Problem(400, f"The field {name!r} is unnamed or sent twice.", code="duplicate_field",
                          extra={"field": name})
        if part.filename is not None:
            too_large = Problem(413, f"The file for {name!r} is larger than {max_file_bytes:,} bytes.",
                                code="upload_too_large", extra={"field": name, "maxBytes": max_file_bytes})
            data = await _read_part(part, max_file_bytes, too_large)
            content_type = part.headers.get("Content-Type", "application/octet-stream")
            form.files[name] = Upload(field=name, filename=part.filename, content_type=content_type, data=data)
        else:
            too_long = Problem(413, f"The field {name!r} is too long.", code="body_too_large", extra={"field": name})
            raw = await _read_part(part, MAX_FIELD_BYTES, too_long)
            try:
                form.fields[name] = raw.decode(part.get_charset("utf-8"))
            except (UnicodeDecodeError, LookupError):
                raise Problem(400, f"The field {name!r} is not valid text.", code="invalid_field",
                              extra={"field": name}) from None
    return form
