"""What the user handed the verifier: a credential as JSON, a compact JWT, or a baked image.

The format is told from the content, never from a file name: the PNG signature,
an XML/SVG start, the three-segment shape of a compact JWS, or a JSON object.
Nothing is verified here; this only finds the credential to verify.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from credentials.baking import PNG_SIGNATURE, BakingError, NoBakedCredentialError, extract_png, extract_svg
from credentials.errors import CredentialError, JsonInputError
from credentials.strictjson import parse_json
from credentials.vcjwt import JwtError, decode_jwt, looks_like_compact_jws

MAX_INPUT_BYTES = 8 * 1024 * 1024

InputKind = Literal["json", "jwt", "png", "svg"]


class InputError(CredentialError):
    """The input cannot be read as a credential; ``code`` is stable, the message is for people.

    Codes: ``too_large``, ``unreadable_input``, ``not_json_object``, ``image_without_credential``,
    and the strict reader's own ``json_*`` codes (kept, with their path) for input that is JSON-shaped.
    """

    code = "unreadable_input"

    def __init__(self, message: str, code: str, *, path: str | None = None) -> None:
        super().__init__(message, code=code, path=path)


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
            code = exc.code if exc.code.startswith("json_") and exc.code != "json_syntax" else "unreadable_input"
            raise InputError(f"unreadable input: shaped like a JWT but {exc}", code, path=exc.path) from None
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
        if exc.code.startswith("json_"):  # JSON baked in the image, refused by the strict reader.
            raise InputError(f"unreadable {kind.upper()} image: {exc}", exc.code, path=exc.path) from None
        raise InputError(f"unreadable {kind.upper()} image: {exc}", "unreadable_input") from None
    where = "iTXt chunk openbadgecredential" if kind == "png" else "<openbadges:credential> element"
    if isinstance(baked, str):
        return Input(kind=kind, document=None, jwt=baked, source_note=f"{kind.upper()} image, JWT from its {where}")
    return Input(kind=kind, document=baked, jwt=None, source_note=f"{kind.upper()} image, JSON from its {where}")


def _from_json(text: str) -> Input:
    try:
        document = parse_json(text)
    except JsonInputError as exc:
        if text.startswith(("{", "[")):  # Meant as JSON: the strict reader's precise code stands.
            raise InputError(f"the input is not acceptable JSON: {exc}", exc.code, path=exc.path) from None
        raise InputError(f"unreadable input: not a PNG, SVG, JWT or JSON ({exc})", "unreadable_input") from None
    if not isinstance(document, dict):
        raise InputError(f"the input is JSON but a {type(document).__name__}, not an object: "
                         "a credential is a JSON object", "not_json_object")
    return Input(kind="json", document=document, jwt=None, source_note="JSON document")
