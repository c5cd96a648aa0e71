"""Reading an application (or a resubmission) from JSON, a urlencoded form, or a multipart upload.

The fields are the same in every form: ``name``, ``email``, ``achievement``,
``narrative``, ``evidence_url`` (repeatable; JSON also takes ``evidence_urls``
as a list) and ``file`` (repeatable, multipart only). Unlike
``webbase.uploads.read_multipart`` a repeated ``file`` or ``evidence_url`` is
expected here (``<input type="file" multiple>``); every other field may come
once. Each file is refused with 413 as soon as it passes the limit, while it
is being read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aiohttp import BodyPartReader, web

from webbase.bodies import is_json_content_type, read_json_object
from webbase.problems import Problem
from webbase.uploads import MULTIPART_ERRORS, malformed_multipart

from ..applications import EvidenceInput, UploadedFile
from ..evidence_files import MAX_FILE_BYTES, MAX_FILES, FileTooLarge

MAX_FIELD_BYTES = 64 * 1024
MAX_PARTS = 40
REPEATABLE = {"evidence_url", "file"}


@dataclass
class PostedForm:
    fields: dict[str, str] = field(default_factory=dict)
    urls: list[str] = field(default_factory=list)
    files: list[UploadedFile] = field(default_factory=list)

    def get(self, name: str, default: str = "") -> str:
        return self.fields.get(name, default)

    def evidence(self) -> EvidenceInput:
        return EvidenceInput(narrative=self.fields.get("narrative") or None, evidence_urls=tuple(self.urls),
                             files=tuple(self.files))


async def _read_part(part: BodyPartReader, limit: int, problem: Exception) -> bytes:
    data = bytearray()
    while chunk := await part.read_chunk(64 * 1024):
        data += chunk
        if len(data) > limit:
            raise problem
    return bytes(data)


async def _read_multipart(request: web.Request) -> PostedForm:
    reader = await request.multipart()
    form = PostedForm()
    count = 0
    while (part := await reader.next()) is not None:
        count += 1
        if count > MAX_PARTS or not isinstance(part, BodyPartReader):
            raise Problem(400, f"The form has more than {MAX_PARTS} parts.", code="too_many_parts")
        name = part.name or ""
        if not name or (name in form.fields and name not in REPEATABLE):
            raise Problem(400, f"The field {name!r} is unnamed or sent twice.", code="duplicate_field",
                          extra={"field": name})
        if part.filename is not None:
            if name != "file":
                raise Problem(400, f"Files go in the 'file' field, not {name!r}.", code="invalid_field",
                              extra={"field": name})
            too_large = FileTooLarge(f"a file may be at most {MAX_FILE_BYTES // (1024 * 1024)} MiB", field="file")
            data = await _read_part(part, MAX_FILE_BYTES, too_large)
            if not data and not part.filename:
                continue  # A file input with nothing chosen sends an empty, unnamed part.
            if len(form.files) >= MAX_FILES:
                raise Problem(400, f"At most {MAX_FILES} files.", code="too_many_files", extra={"field": "file"})
            form.files.append(UploadedFile(filename=part.filename, data=data))
            continue
        raw = await _read_part(part, MAX_FIELD_BYTES,
                               Problem(413, f"The field {name!r} is too long.", code="body_too_large",
                                       extra={"field": name}))
        try:
            text = raw.decode(part.get_charset("utf-8"))
        except (UnicodeDecodeError, LookupError):
            raise Problem(400, f"The field {name!r} is not valid text.", code="invalid_field",
                          extra={"field": name}) from None
        if name == "evidence_url":
            form.urls.append(text)
        elif name == "file":
            continue  # A file input with nothing chosen, sent as a plain field by some clients.
        else:
            form.fields[name] = text
    return form


def _json_form(body: dict[str, Any]) -> PostedForm:
    form = PostedForm()
    for name in ("name", "email", "achievement", "narrative", "key", "csrf_token"):
        value = body.get(name)
        if value is None:
            continue
        if not isinstance(value, str):
            raise Problem(400, f"The field {name!r} must be a string.", code="invalid_field", extra={"field": name})
        form.fields[name] = value
    urls: list[Any] = []
    for name in ("evidence_url", "evidence_urls"):
        value = body.get(name)
        if value is None:
            continue
        urls.extend(value if isinstance(value, list) else [value])
    if not all(isinstance(url, str) for url in urls):
        raise Problem(400, "evidence_urls must be a list of URLs.", code="invalid_field",
                      extra={"field": "evidence_urls"})
    form.urls = list(urls)
    return form


async def read_application_form(request: web.Request) -> PostedForm:
    """The posted fields and files, whichever of the three encodings the client used."""
    if is_json_content_type(request.content_type):
        return _json_form(await read_json_object(request, max_bytes=256 * 1024))
    if request.content_type == "multipart/form-data":
        try:
            return await _read_multipart(request)
        except MULTIPART_ERRORS:  # no boundary, a body that does not follow it, a bad part header
            raise malformed_multipart() from None
    if request.content_type == "application/x-www-form-urlencoded":
        posted = await request.post()
        form = PostedForm()
        for name, value in posted.items():
            if not isinstance(value, str):
                raise Problem(400, f"The field {name!r} must be text.", code="invalid_field", extra={"field": name})
            if name == "evidence_url":
                form.urls.append(value)
            elif name in form.fields:
                raise Problem(400, f"The field {name!r} was sent twice.", code="duplicate_field", extra={"field": name})
            else:
                form.fields[name] = value
        return form
    raise Problem(415, "Send the application as JSON, a form, or multipart/form-data.",
                  code="unsupported_media_type")

