"""Building a Verifiable Presentation of credentials (VC Data Model 2.0 §4.13, 1.1 §4.10).

The caller passes the ``holder`` (the did:key that will sign it) and the ``id``
(a ``urn:uuid:…`` it chose), so that this stays pure: no randomness, no clock.
Signing is ``dataintegrity.add_proof(…, purpose="authentication", challenge=…,
domain=…)``.

The data model version follows the credentials: VC 1.1 credentials cannot be
embedded under the VC 2.0 context (both contexts protect the same terms with
different definitions), so a presentation of only 1.1 credentials is a 1.1
presentation; anything else is VC 2.0. A VC-JWT (a compact JWS string) is carried
as an ``EnvelopedVerifiableCredential`` whose id is a ``data:application/vc+jwt,``
URL (VC 2.0 §4.13.1, VC-JOSE-COSE §3.1), which exists only in VC 2.0.
"""

from __future__ import annotations

import re
from typing import Any

from .errors import CredentialError
from .vcdm import VC_V1_CONTEXT, VC_V2_CONTEXT, first_context

ENVELOPED_VC = "EnvelopedVerifiableCredential"
VC_JWT_DATA_URL_PREFIX = "data:application/vc+jwt,"
_COMPACT_JWS = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")
_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:\S+")


class PresentationError(CredentialError):
    """Input that cannot become a presentation (not a credential, not a URI holder or id)."""

    code = "bad_presentation_input"


def build_presentation(credentials: list[dict[str, Any] | str], *, holder: str, id: str) -> dict[str, Any]:
    """An unsigned ``VerifiablePresentation`` of ``credentials`` held by ``holder``.

    Each credential is a JSON object (secured with an embedded proof) or a compact
    VC-JWT string. The credentials are not verified here; the objects are copied
    by reference, not changed.
    """
    if not isinstance(holder, str) or not _URI.fullmatch(holder):
        raise PresentationError("the holder must be a URI (the did:key that signs the presentation)", path="holder")
    if not isinstance(id, str) or not _URI.fullmatch(id):
        raise PresentationError("the presentation id must be a URI (such as urn:uuid:…)", path="id")
    if not isinstance(credentials, list):
        raise PresentationError("the credentials to present must be a list", path="verifiableCredential")
    for index, credential in enumerate(credentials):
        where = f"verifiableCredential[{index}]"
        if isinstance(credential, str):
            if not _COMPACT_JWS.fullmatch(credential):
                raise PresentationError(f"{where} is a string but not a compact VC-JWT", path=where)
        elif not isinstance(credential, dict):
            raise PresentationError(f"{where} is neither a credential object nor a VC-JWT", path=where)
    all_v1 = bool(credentials) and all(isinstance(c, dict) and first_context(c) == VC_V1_CONTEXT
                                       for c in credentials)
    return {
        "@context": [VC_V1_CONTEXT if all_v1 else VC_V2_CONTEXT],
        "id": id,
        "type": ["VerifiablePresentation"],
        "holder": holder,
        "verifiableCredential": [_envelope(c) if isinstance(c, str) else c for c in credentials],
    }


def _envelope(token: str) -> dict[str, Any]:
    return {"@context": VC_V2_CONTEXT, "id": VC_JWT_DATA_URL_PREFIX + token, "type": ENVELOPED_VC}
