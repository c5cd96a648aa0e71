"""Turning what a learner uploads into candidate credentials (nothing is verified here).

One upload can hold several credentials: a presentation's credentials are each
a candidate. The format is told from the content (``verifier.inputs``), never
from the file name. A Satchel export is refused here with a pointer to the
import command (it restores a whole account, not a few credentials).

Where the OpenID4VCI offer goes: ``POST /api/credentials`` with ``{"offer": …}``
is turned into candidates by the OpenID4VCI client (a later module,
``wallet/oid4vci.py``), which redeems the offer and hands the credential it
receives to ``importing.import_candidates`` exactly like an uploaded file.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from credentials.presentation import ENVELOPED_VC, VC_JWT_DATA_URL_PREFIX
from credentials.secretbox import MAGIC as SEALED_MAGIC
from credentials.vcdm import as_list
from credentials.vcjwt import looks_like_compact_jws
from verifier.inputs import InputError, read_input
from verifier.report import FAILED, Check


@dataclass(frozen=True)
class Candidate:
    """One credential found in an upload: a JSON document or a compact JWT (exactly one is set)."""

    label: str
    source: str            # "json", "jwt", "png", "svg", "presentation"
    document: dict[str, Any] | None = None
    jwt: str | None = None


@dataclass(frozen=True)
class Unreadable:
    """An item that holds no credential the wallet can read, with the reason as a failed check."""

    label: str
    check: Check


Item = Candidate | Unreadable


def from_bytes(label: str, data: bytes) -> list[Item]:
    """The candidates in an uploaded file (credential JSON, presentation JSON, VC-JWT, baked PNG/SVG)."""
    if data.startswith(SEALED_MAGIC):
        return [Unreadable(label, Check("syntax", FAILED, "satchel_export",
                                        "this is an encrypted Satchel wallet export: restore it with "
                                        "'satchel wallet import' (or the account page's import), not as a credential"))]
    try:
        found = read_input(data)
    except InputError as exc:
        return [Unreadable(label, Check("syntax", FAILED, exc.code, str(exc)))]
    if found.jwt is not None:
        return [Candidate(label, "jwt" if found.kind == "jwt" else found.kind, jwt=found.jwt)]
    assert found.document is not None
    return from_value(label, found.document, source=found.kind)


def from_value(label: str, value: Any, *, source: str = "json") -> list[Item]:
    """The candidates in a JSON value: a credential object, a presentation, or a compact JWT string."""
    if isinstance(value, str):
        if looks_like_compact_jws(value.strip()):
            return [Candidate(label, "jwt", jwt=value.strip())]
        return [Unreadable(label, Check("syntax", FAILED, "not_a_credential",
                                        "a string that is not a compact VC-JWT"))]
    if not isinstance(value, dict):
        return [Unreadable(label, Check("syntax", FAILED, "not_json_object",
                                        "a credential is a JSON object or a compact VC-JWT"))]
    if "VerifiablePresentation" in [str(t) for t in as_list(value.get("type"))]:
        inner = as_list(value.get("verifiableCredential"))
        if not inner:
            return [Unreadable(label, Check("syntax", FAILED, "empty_presentation", "the presentation holds no credential"))]
        items: list[Item] = []
        for index, credential in enumerate(inner):
            where = f"{label}#verifiableCredential[{index}]"
            credential = _unwrap_enveloped(credential)
            for item in from_value(where, credential, source="presentation"):
                items.append(item)
        return items
    return [Candidate(label, source, document=value)]


def _unwrap_enveloped(item: Any) -> Any:
    if isinstance(item, dict) and ENVELOPED_VC in as_list(item.get("type")):
        data = item.get("id")
        if isinstance(data, str) and data.startswith(VC_JWT_DATA_URL_PREFIX):
            return data[len(VC_JWT_DATA_URL_PREFIX):]
    return item
