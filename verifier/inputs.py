"""What the user handed the verifier: a credential as JSON, a compact JWT, or a baked image.

The format is told from the content, never from a file name: the PNG signature,
an XML/SVG start, the three-segment shape of a compact JWS, or a JSON object.
Nothing is verified here; this only finds the credential to verify.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from credentials.baking import PNG_SIGNATURE, BakingError, NoBakedCredentialError, extract_png, extract_svg
from credentials.vcjwt import JwtError, decode_jwt, loads_json, looks_like_compact_jws

MAX_INPUT_BYTES = 8 * 1024 * 1024

InputKind = Literal["json", "jwt", "png", "svg"]


class InputError(Exception):
    """The input cannot be read as a credential; ``code`` is stable, the message is for people."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Input:
    """A credential found in the input: a JSON document or a compact JWT (exactly one is set)."""

    kind: InputKind
    document: dict[str, Any] | None
    jwt: str | None
    source_note: str


def read_input(data: bytes) -> Input:
    """Detect the input's format and return the credential it carries; raise ``InputError`` otherwise."""
    if len(data) > MAX_INPUT_BYTES:
        raise InputError(f"input too large ({len(data)} bytes, limit {MAX_INPUT_BYTES})", "too_large")
    if data.startswith(PNG_SIGNATURE):
        return _from_image("png", data)
    try:
        text = data.decode("utf-8-sig").strip()
    except UnicodeDecodeError:
        raise InputError("unreadable input: not a PNG, and not UTF-8 text", "unreadable_input") from None
    if not text:
        raise InputError("unreadable input: it is empty", "unreadable_input")
    if text.startswith("<"):
        return _from_image("svg", text)
    if looks_like_compact_jws(text):
        try:
            decode_jwt(text)
        except JwtError as exc:
            raise InputError(f"unreadable input: shaped like a JWT but {exc}", "unreadable_input") from None
        return Input(kind="jwt", document=None, jwt=text, source_note="compact JWT")
    return _from_json(text)


def _from_image(kind: Literal["png", "svg"], data: bytes | str) -> Input:
    try:
        baked = extract_png(data) if kind == "png" and isinstance(data, bytes) else extract_svg(data)
    except NoBakedCredentialError as exc:
        raise InputError(str(exc), "image_without_credential") from None
    except BakingError as exc:
        if exc.code == "image_too_large":
            raise InputError(str(exc), "too_large") from None
        raise InputError(f"unreadable {kind.upper()} image: {exc}", "unreadable_input") from None
    where = "iTXt chunk openbadgecredential" if kind == "png" else "<openbadges:credential> element"
    if isinstance(baked, str):
        return Input(kind=kind, document=None, jwt=baked, source_note=f"{kind.upper()} image, JWT from its {where}")
    return Input(kind=kind, document=baked, jwt=None, source_note=f"{kind.upper()} image, JSON from its {where}")


def _from_json(text: str) -> Input:
    try:
        document = loads_json(text, what="the input")
    except JwtError as exc:
        raise InputError(f"unreadable input: not a PNG, SVG, JWT or JSON ({exc})", "unreadable_input") from None
    if not isinstance(document, dict):
        raise InputError(f"the input is JSON but a {type(document).__name__}, not an object: "
                         "a credential is a JSON object", "not_json_object")
    return Input(kind="json", document=document, jwt=None, source_note="JSON document")
