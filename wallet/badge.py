"""What the wallet reads from a credential to file it: issuer, achievement, image, tags, dates, recipient.

Read once at import and stored beside the document, so listing and filtering
never parse credentials again. Nothing read here is trusted on its own: it is
stored only after ``verifier.verify`` accepted the credential, and the issuer's
name is always shown as "claimed by the credential".
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_to_bytes

from credentials.canonical import canonicalize
from credentials.errors import CredentialError
from credentials.loader import bundled_loader
from credentials.vcdm import as_list, issuer_id
from credentials.vcjwt import decode_jwt
from verifier.summary import summarize

from .reading import Candidate

MAX_TAGS = 50
MAX_IMAGE_CHARS = 512 * 1024
_DATA_IMAGE = re.compile(r"data:(image/(?:png|jpeg|gif|webp|svg\+xml))(?:;[a-z0-9=.+-]+)*?(;base64)?,(.*)",
                         re.IGNORECASE | re.DOTALL)
_MAGIC = {"image/png": (b"\x89PNG\r\n\x1a\n",), "image/jpeg": (b"\xff\xd8\xff",), "image/gif": (b"GIF87a", b"GIF89a"),
          "image/webp": (b"RIFF",)}


@dataclass(frozen=True)
class BadgeFacts:
    credential: dict[str, Any]          # the JSON credential (for a JWT: the credential its payload carries)
    issuer_id: str
    issuer_name: str | None
    name: str | None
    description: str | None
    image: str | None                   # a data: image URI only (pages allow no third-party images)
    tags: tuple[str, ...]
    valid_from: str | None
    valid_until: str | None
    status_urls: tuple[str, ...]
    subject_ids: tuple[str, ...]
    identity_objects: tuple[dict[str, Any], ...]


def credential_of(candidate: Candidate) -> tuple[dict[str, Any], str | None]:
    """The JSON credential of a candidate and, for a JWT, its ``sub`` claim."""
    if candidate.document is not None:
        return candidate.document, None
    assert candidate.jwt is not None
    _, payload, _, _ = decode_jwt(candidate.jwt)
    vc = payload.get("vc")
    credential = dict(vc) if isinstance(vc, dict) else dict(payload)
    if "issuer" not in credential and isinstance(payload.get("iss"), str):
        credential["issuer"] = payload["iss"]
    sub = payload.get("sub")
    return credential, sub if isinstance(sub, str) else None


def read_facts(candidate: Candidate) -> BadgeFacts:
    credential, jwt_subject = credential_of(candidate)
    summary = summarize(credential, jwt_subject=jwt_subject)
    subjects = [s for s in as_list(credential.get("credentialSubject")) if isinstance(s, dict)]
    achievement: dict[str, Any] = next((s["achievement"] for s in subjects if isinstance(s.get("achievement"), dict)), {})
    tags = [t.strip() for t in as_list(achievement.get("tag")) if isinstance(t, str) and t.strip()][:MAX_TAGS]
    identities = tuple(item for s in subjects for item in as_list(s.get("identifier")) if isinstance(item, dict))
    urls = tuple(dict.fromkeys(str(e["statusListCredential"]) for e in as_list(credential.get("credentialStatus"))
                               if isinstance(e, dict) and isinstance(e.get("statusListCredential"), str)))
    return BadgeFacts(
        credential=credential,
        issuer_id=issuer_id(credential) or "",
        issuer_name=summary.issuer_name if summary else None,
        name=summary.name if summary else None,
        description=summary.description if summary else None,
        image=_image(achievement.get("image")) or _image(credential.get("image")),
        tags=tuple(dict.fromkeys(tags)),
        valid_from=summary.issued if summary else None,
        valid_until=summary.expires if summary else None,
        status_urls=urls,
        subject_ids=summary.recipient.ids if summary else (),
        identity_objects=identities,
    )


def content_hash(candidate: Candidate) -> str:
    """The credential's identity: sha256 of its RDFC-1.0 canonical form (proof included).

    The same credential from a JSON file, a baked PNG or inside a presentation
    hashes the same. A document safe mode cannot canonicalize (a proof of a type
    whose terms no bundled context defines) falls back to its sorted JSON; a
    JWT's canonical form is its compact serialization.
    """
    if candidate.jwt is not None:
        return "jwt:" + hashlib.sha256(candidate.jwt.encode()).hexdigest()
    assert candidate.document is not None
    try:
        nquads = canonicalize(candidate.document, loader=bundled_loader())
        return "rdfc:" + hashlib.sha256(nquads.encode()).hexdigest()
    except CredentialError:
        text = json.dumps(candidate.document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return "json:" + hashlib.sha256(text.encode()).hexdigest()


def _image(value: Any) -> str | None:
    """An embedded image (a URI or an OB 3.0 Image object), re-encoded as a well-formed base64 ``data:`` URI.

    Anything else is None: remote images (https too) are never shown (the pages' CSP allows ``'self'`` and
    ``data:`` images only, and loading one would tell its host who looks at whose badges). The bytes must be
    what the media type says, so a malformed URI (an attribute breakout, say) never reaches an ``img``.
    """
    if isinstance(value, dict):
        value = value.get("id")
    if not isinstance(value, str) or len(value) > MAX_IMAGE_CHARS:
        return None
    match = _DATA_IMAGE.fullmatch(value.strip())
    if match is None:
        return None
    media_type, encoded, body = match.group(1).lower(), match.group(2), match.group(3)
    try:
        data = base64.b64decode("".join(body.split()), validate=True) if encoded else unquote_to_bytes(body)
    except (binascii.Error, ValueError):
        return None
    magic = _MAGIC.get(media_type)
    if not data or (data.lstrip()[:1] != b"<" if magic is None else not data.startswith(magic)):
        return None
    return f"data:{media_type};base64,{base64.b64encode(data).decode('ascii')}"
