"""The report in plain words for the page: the headline, each badge, then each check.

Nothing here is a check: every verdict comes from ``verifier`` (the ``Report``);
this only chooses words and picks display values out of the credential. What
the credential says about itself (its issuer's name and logo, the badge image) is
labelled "claimed by the credential" unless the trust registry confirmed the
issuer. Images are shown only when the credential embeds them as ``data:`` URIs
of an image type; a remote image is never loaded (the page's CSP allows only
``'self'`` and ``data:`` images, and fetching it would tell its host who looks).
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field
from typing import Any

from verifier.report import FAILED, NOT_CHECKED, PASSED, Check, Report
from verifier.summary import BadgeSummary

from .config import ServiceConfig

MAX_IMAGE_CHARS = 3 * 1024 * 1024
_DATA_IMAGE = re.compile(r"data:(image/(?:png|jpeg|gif|webp|svg\+xml));base64,([A-Za-z0-9+/=\s]+)", re.IGNORECASE)
_MAGIC = {"image/png": (b"\x89PNG\r\n\x1a\n",), "image/jpeg": (b"\xff\xd8\xff",), "image/gif": (b"GIF87a", b"GIF89a"),
          "image/webp": (b"RIFF",)}

CHECK_LABELS = {
    "syntax": "Well-formed",
    "contexts": "Every term defined (nothing unsigned slipped in)",
    "proof": "Digital signature",
    "issuer-key": "Signed with the issuer's own key",
    "schema": "Open Badges 3.0 format",
    "validity": "Validity dates",
    "status": "Revocation status",
    "holder": "Presented by the person it was issued to",
    "challenge": "Challenge (protection against replay)",
    "domain": "Domain (protection against replay)",
    "registry": "Issuer known to the trust registry",
    "nested": "Credentials inside",
}
STATUS_WORDS = {PASSED: "passed", FAILED: "failed", NOT_CHECKED: "not checked"}


@dataclass(frozen=True)
class CheckLine:
    name: str
    label: str
    status: str
    word: str
    detail: str


@dataclass(frozen=True)
class Link:
    text: str
    href: str | None = None


@dataclass(frozen=True)
class BadgeView:
    """One badge as the page shows it."""

    label: str
    verified: bool
    name: str
    description: str | None
    criteria: str | None
    image: str | None
    image_note: str | None
    issuer_name: str
    issuer_source: str
    issuer_claimed: str | None
    issuer_id: str | None
    issuer_url: str | None
    issuer_logo: str | None
    trust: str
    trust_detail: str
    signature: str
    signature_detail: str
    status: str
    status_state: str
    recipient: tuple[str, ...]
    issued: str | None
    expires: str | None
    evidence: tuple[Link, ...]
    checks: tuple[CheckLine, ...]
    headline: str


@dataclass(frozen=True)
class ReportView:
    state: str  # "verified", "caveats" or "not_verified"
    headline: str
    caveats: tuple[str, ...]
    kind: str
    badges: tuple[BadgeView, ...]
    failures: tuple[str, ...] = ()
    checks: tuple[CheckLine, ...] = ()
    notes: tuple[str, ...] = ()
    source: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def check_lines(checks: tuple[Check, ...]) -> tuple[CheckLine, ...]:
    return tuple(CheckLine(c.name, CHECK_LABELS.get(c.name, c.name), c.status.replace(" ", "-"),
                           STATUS_WORDS.get(c.status, c.status), c.detail) for c in checks)


def data_image(value: Any) -> str | None:
    """``value`` (an image URI or an OB 3.0 Image object) when it is an embedded image of an image type."""
    uri = value.get("id") if isinstance(value, dict) else value
    if not isinstance(uri, str) or len(uri) > MAX_IMAGE_CHARS:
        return None
    match = _DATA_IMAGE.fullmatch(uri.strip())
    if match is None:
        return None
    media_type = match.group(1).lower()
    try:
        data = base64.b64decode("".join(match.group(2).split()), validate=True)
    except (binascii.Error, ValueError):
        return None
    if media_type == "image/svg+xml":
        if not data.lstrip().startswith(b"<"):
            return None
    elif not any(data.startswith(magic) for magic in _MAGIC[media_type]):
        return None
    return f"data:{media_type};base64,{base64.b64encode(data).decode('ascii')}"


def _remote_note(value: Any, what: str) -> str | None:
    uri = value.get("id") if isinstance(value, dict) else value
    if isinstance(uri, str) and uri.startswith(("http://", "https://")):
        return f"The {what} is at a remote address ({uri[:200]}); this verifier does not load remote images."
    return None


def _achievement(credential: dict[str, Any] | None) -> dict[str, Any]:
    if not credential:
        return {}
    subjects = credential.get("credentialSubject")
    for subject in subjects if isinstance(subjects, list) else [subjects]:
        achievement = subject.get("achievement") if isinstance(subject, dict) else None
        if isinstance(achievement, dict):
            return achievement
    return {}


def _trust(checks: tuple[Check, ...]) -> tuple[str, str]:
    found = [c for c in checks if c.name == "registry"]
    if not found:
        return "not checked", "The issuer could not be looked up: the credential could not be read."
    check = found[0]
    if check.status == PASSED:
        return "trusted", check.detail
    if check.code == "impersonation_suspected":
        return "impersonation suspected", check.detail
    if check.code == "issuer_unknown":
        return "unknown", check.detail
    return "not checked", check.detail


def _signature(checks: tuple[Check, ...]) -> tuple[str, str]:
    proofs = [c for c in checks if c.name == "proof"]
    keys = [c for c in checks if c.name == "issuer-key"]
    if any(c.status == FAILED for c in proofs):
        return "invalid", "; ".join(c.detail for c in proofs if c.status == FAILED)
    if any(c.status == FAILED for c in keys):
        return "not the issuer's", "; ".join(c.detail for c in keys if c.status == FAILED)
    if any(c.status == PASSED for c in proofs) and keys and all(c.status == PASSED for c in keys):
        return "valid", "; ".join(c.detail for c in proofs if c.status == PASSED)
    return "not checked", "; ".join(c.detail for c in proofs) or "no signature could be checked"


def _list_dates(status_lists: tuple[dict[str, Any], ...]) -> dict[str, str]:
    dates: dict[str, str] = {}
    for item in status_lists:
        when = item.get("validFrom", item.get("issuanceDate"))
        if isinstance(item.get("id"), str) and isinstance(when, str):
            dates.setdefault(item["id"], when)
    return dates


def _status(checks: tuple[Check, ...], credential: dict[str, Any] | None,
            status_lists: tuple[dict[str, Any], ...]) -> tuple[str, str]:
    """Revoked / suspended / not revoked as of the list's validFrom; otherwise "not checked" with the reason."""
    found = [c for c in checks if c.name == "status"]
    if not found:
        return "Not checked: the credential could not be read.", "not-checked"
    entries = credential.get("credentialStatus") if credential else None
    entries = [e for e in (entries if isinstance(entries, list) else [entries]) if isinstance(e, dict)]
    dates = _list_dates(status_lists)
    words: list[str] = []
    state = "passed"
    for index, check in enumerate(found):
        entry = entries[index] if len(entries) == len(found) else (entries[0] if entries else {})
        url = entry.get("statusListCredential")
        as_of = dates.get(url) if isinstance(url, str) else None
        if check.code in ("revoked", "suspended"):
            words.append(f"{check.code.capitalize()} by the issuer" + (f" (status list of {as_of})" if as_of else "") + ".")
            state = "failed"
        elif check.status == PASSED and check.code in ("not_revoked", "not_suspended"):
            what = "Not revoked" if check.code == "not_revoked" else "Not suspended"
            words.append(f"{what} as of {as_of}, the date of the issuer's status list." if as_of
                         else f"{what}, according to the issuer's status list.")
        elif check.status == PASSED:
            words.append(check.detail)
        elif check.status == NOT_CHECKED:
            words.append(f"Not checked: {check.detail}.")
            state = "failed" if state == "failed" else "not-checked"
        else:
            words.append(f"Could not be confirmed: {check.detail}.")
            state = "failed"
    return " ".join(words), state


def badge_view(label: str, report: Report, credential: dict[str, Any] | None, config: ServiceConfig,
               status_lists: tuple[dict[str, Any], ...]) -> BadgeView:
    badge: BadgeSummary | None = report.badge
    achievement = _achievement(credential)
    issuer = credential.get("issuer") if credential else None
    issuer_object = issuer if isinstance(issuer, dict) else {}
    trust, trust_detail = _trust(report.checks)
    signature, signature_detail = _signature(report.checks)
    status, status_state = _status(report.checks, credential, config.status_lists + status_lists)
    confirmed = badge.confirmed_by_registry if badge else None
    issuer_id = badge.issuer_id if badge else None
    registry_url = config.registry.url_of(issuer_id) if confirmed and config.registry and issuer_id else None
    evidence = tuple(Link(item.to_text() or "(evidence)", item.id if item.id and item.id.startswith(("https://", "http://"))
                          else None) for item in (badge.evidence if badge else ()))
    return BadgeView(
        label=label, verified=report.verified, headline=report.headline,
        name=(badge.name if badge and badge.name else "(the credential gives no badge name)"),
        description=badge.description if badge else None, criteria=badge.criteria if badge else None,
        image=data_image(achievement.get("image")), image_note=_remote_note(achievement.get("image"), "badge image"),
        issuer_name=confirmed or (badge.issuer_name if badge and badge.issuer_name else "(no name given)"),
        issuer_source=badge.issuer_source if badge else "claimed by the credential",
        issuer_claimed=badge.issuer_name if badge and confirmed and badge.issuer_name != confirmed else None,
        issuer_id=issuer_id, issuer_url=registry_url, issuer_logo=data_image(issuer_object.get("image")),
        trust=trust, trust_detail=trust_detail, signature=signature, signature_detail=signature_detail,
        status=status, status_state=status_state,
        recipient=tuple(badge.recipient.to_lines()) if badge else ("(unknown)",),
        issued=badge.issued if badge else None, expires=badge.expires if badge else None,
        evidence=evidence, checks=check_lines(report.checks),
    )


def _presented_documents(presentation: dict[str, Any]) -> dict[str, dict[str, Any]]:
    items = presentation.get("verifiableCredential")
    items = items if isinstance(items, list) else [items]
    return {f"verifiableCredential[{index}]": item for index, item in enumerate(items) if isinstance(item, dict)}


def carried_status_lists(document: dict[str, Any] | str | None) -> tuple[dict[str, Any], ...]:
    """The status list credentials a presentation carries (for the "as of" dates only; the verifier uses them itself)."""
    if not isinstance(document, dict):
        return ()
    return tuple(item for item in _presented_documents(document).values()
                 if {"BitstringStatusListCredential", "StatusList2021Credential"} & set(_types(item)))


def _types(document: dict[str, Any]) -> list[str]:
    value = document.get("type")
    return [str(t) for t in (value if isinstance(value, list) else [value])]


def report_view(report: Report, document: dict[str, Any] | str | None, config: ServiceConfig, *,
                source: str | None = None) -> ReportView:
    """The page's view of ``report`` about ``document`` (a JSON credential or presentation, or a compact JWT)."""
    state = "not_verified" if not report.verified else ("caveats" if report.caveats else "verified")
    caveats = tuple(caveat.to_text() for caveat in report.caveats) if report.verified else ()
    carried = carried_status_lists(document)
    if report.kind == "presentation" and isinstance(document, dict):
        documents = _presented_documents(document)
        badges = tuple(badge_view(label, nested, documents.get(label), config, carried)
                       for label, nested in report.presented)
        own = check_lines(report.checks)
    else:
        credential = document if isinstance(document, dict) else None
        badges = (badge_view("credential", report, credential, config, carried),)
        own = ()
    return ReportView(state=state, headline=report.headline, caveats=caveats, kind=report.kind, badges=badges,
                      failures=_failures(report, badges), checks=own, notes=report.notes, source=source)


def _failures(report: Report, badges: tuple[BadgeView, ...]) -> tuple[str, ...]:
    """Each failed check in a line, named by the badge it is about (a presentation's own checks first)."""
    names = {badge.label: badge.name for badge in badges}
    lines = [f"{CHECK_LABELS.get(c.name, c.name)}: {c.detail}" for c in report.checks
             if c.status == FAILED and not (c.name == "nested" and report.kind == "presentation")]
    for label, nested in report.presented:
        lines += [f"{names.get(label, label)}: {CHECK_LABELS.get(c.name, c.name)}: {c.detail}"
                  for c in nested.checks if c.status == FAILED]
    return tuple(lines)
