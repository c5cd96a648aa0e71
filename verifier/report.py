"""The verification report: every check that ran or could not run, and why, and what the badge is.

A check is ``passed``, ``failed`` or ``not checked``; "not checked" is never
counted as a pass. Check names are fixed so that tools can read them.

The headline has three states: ``VERIFIED``; ``VERIFIED, but …`` naming each
check that could not run (a status list not given, no trust registry, no
challenge asked for, a recipient no key can prove) and what to do about it;
``NOT VERIFIED``. A check that could not run does not fail the document
(``verified`` and the exit status stay as they are); ``not_checked`` lists them.
Checks that are "not checked" because they do not apply (no JSON Schema
declared, an unknown extra proof beside a verified one, an endorsement that does
not verify on its own) are in the checks but not in the headline.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from .summary import BadgeSummary

Status = Literal["passed", "failed", "not checked"]
PASSED: Status = "passed"
FAILED: Status = "failed"
NOT_CHECKED: Status = "not checked"

CHECK_NAMES = ("syntax", "contexts", "proof", "issuer-key", "schema", "validity", "status",
               "holder", "challenge", "domain", "registry", "nested")

# A proof that could not run for one of these reasons does not stop a document
# from verifying, provided another proof passed (README policy 5).
_HARMLESS_NOT_CHECKED = {"unknown_proof_type"}

# "Not checked" checks that do not apply, rather than could not run: not caveats.
_NOT_APPLICABLE = {("schema", None), ("proof", "unknown_proof_type"), ("nested", None)}

# (check, code) → (what was not checked, why, what to do). None as code: any code of that check.
_CAVEATS: dict[tuple[str, str | None], tuple[str, str | None, str | None]] = {
    ("status", "status_list_missing"): (
        "revocation was not checked", "no status list was given",
        "give the issuer's status list with --status-list FILE, or verify the shared link, whose presentation carries it"),
    ("status", "no_status"): ("revocation was not checked",
                              ("the credential has no credentialStatus, so its issuer gave no way to check it"), None),
    ("status", "status_list_expired"): ("revocation was not checked", None, "get a current status list from the issuer"),
    ("status", "status_list_key_unresolved"): ("revocation was not checked", None,
                                               "give the DID document of the status list's issuer with --did-document"),
    ("status", None): ("revocation was not checked", None, None),
    ("registry", "no_registry"): ("the issuer was not checked against a trust registry",
                                  "its name is the credential's own claim", "give a trust registry with --registry FILE"),
    ("challenge", "no_challenge_asked"): ("no challenge was checked", "the presentation could be a replay",
                                          "give --challenge with the challenge you asked the holder to sign"),
    ("domain", "no_domain_asked"): ("no domain was checked", "the presentation could be a replay",
                                    "give --domain with the domain you asked for"),
    ("holder", "holder_not_bound"): ("the presenter was not checked", None,
                                     ("confirm the person's identity another way, for example that the email "
                                      "address the badge was issued to is theirs")),
}


@dataclass(frozen=True)
class Caveat:
    """A check that could not run: what, why, what to do, and where.

    ``where`` holds the labels of the presented credentials it concerns; it is empty for the document itself.
    """

    check: str
    code: str
    what: str
    why: str
    advice: str | None
    where: tuple[str, ...] = ()

    def to_text(self) -> str:
        where = f" for {', '.join(self.where)}" if self.where else ""
        advice = f" ({self.advice})" if self.advice else ""
        return f"{self.what}{where}: {self.why}{advice}"

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"check": self.check, "code": self.code, "detail": self.to_text()}
        if self.where:
            out["where"] = list(self.where)
        if self.advice:
            out["advice"] = self.advice
        return out


def caveat_for(check: Check) -> Caveat | None:
    """The caveat a "not checked" check stands for, or None when it does not apply (or did run)."""
    if check.status != NOT_CHECKED:
        return None
    if (check.name, check.code) in _NOT_APPLICABLE or (check.name, None) in _NOT_APPLICABLE:
        return None
    what, why, advice = _CAVEATS.get((check.name, check.code)) or _CAVEATS.get(
        (check.name, None), (f"{check.name} was not checked", None, None))
    return Caveat(check.name, check.code, what, why or check.detail, advice)


@dataclass(frozen=True)
class Check:
    """One check's outcome. ``code`` is stable; ``detail`` is for people."""

    name: str
    status: Status
    code: str
    detail: str
    path: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "status": self.status, "code": self.code, "detail": self.detail}
        if self.path is not None:
            out["path"] = self.path
        return out


@dataclass(frozen=True)
class Report:
    """What was verified about one document (a credential or a presentation)."""

    kind: str
    checks: tuple[Check, ...]
    document_id: str | None = None
    nested: tuple[tuple[str, Report], ...] = field(default_factory=tuple)
    notes: tuple[str, ...] = field(default_factory=tuple)
    badge: BadgeSummary | None = None

    @property
    def verified(self) -> bool:
        """True only when no check failed, a proof passed, and no known proof went unchecked."""
        if any(check.status == FAILED for check in self.checks):
            return False
        proofs = [check for check in self.checks if check.name == "proof"]
        if not any(check.status == PASSED for check in proofs):
            return False
        if any(c.status == NOT_CHECKED and c.code not in _HARMLESS_NOT_CHECKED for c in proofs):
            return False
        if any(c.name == "issuer-key" and c.status != PASSED for c in self.checks) and self.kind == "credential":
            return False
        # A presentation holds only if every credential in it does; a
        # credential's embedded endorsements are reported, not required.
        return self.kind != "presentation" or all(report.verified for _, report in self.nested)

    def find(self, name: str) -> list[Check]:
        return [check for check in self.checks if check.name == name]

    @property
    def presented(self) -> tuple[tuple[str, Report], ...]:
        """The credentials whose verdicts this one depends on: a presentation's, not a credential's endorsements."""
        return self.nested if self.kind == "presentation" else ()

    @property
    def caveats(self) -> tuple[Caveat, ...]:
        """Every check that could not run, here and in the presented credentials, grouped by reason."""
        found: list[Caveat] = [c for c in (caveat_for(check) for check in self.checks) if c is not None]
        for label, report in self.presented:
            found += [Caveat(c.check, c.code, c.what, c.why, c.advice, (label,) + c.where) for c in report.caveats]
        grouped: dict[tuple[str, str, str, str | None], Caveat] = {}
        for caveat in found:
            key = (caveat.check, caveat.what, caveat.why, caveat.advice)
            if key in grouped:
                old = grouped[key]
                # A caveat about the document itself covers the same one in its credentials.
                where = () if not old.where or not caveat.where else old.where + caveat.where
                grouped[key] = Caveat(old.check, old.code, old.what, old.why, old.advice, where)
            else:
                grouped[key] = caveat
        return tuple(grouped.values())

    @property
    def not_checked(self) -> list[str]:
        """The names of the checks that could not run (here and in presented credentials), sorted."""
        return sorted({caveat.check for caveat in self.caveats})

    @property
    def headline(self) -> str:
        """``VERIFIED``, ``VERIFIED, but …`` (each check that could not run, with what to do), or ``NOT VERIFIED``."""
        if not self.verified:
            return "NOT VERIFIED"
        caveats = self.caveats
        if not caveats:
            return "VERIFIED"
        return "VERIFIED, but " + "; and ".join(caveat.to_text() for caveat in caveats)

    @property
    def badges(self) -> tuple[tuple[str, BadgeSummary], ...]:
        """A presentation's badges by label (those that could be read)."""
        return tuple((label, report.badge) for label, report in self.presented if report.badge is not None)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "verified": self.verified,
            "headline": self.headline,
            "kind": self.kind,
            "id": self.document_id,
            "not_checked": self.not_checked,
            "checks": [check.to_json() for check in self.checks],
        }
        if self.verified and self.caveats:
            out["caveats"] = [caveat.to_json() for caveat in self.caveats]
        if self.badge is not None:
            out["badge"] = self.badge.to_json()
        if self.kind == "presentation":
            out["badges"] = [dict(badge.to_json(), label=label) for label, badge in self.badges]
        if self.notes:
            out["notes"] = list(self.notes)
        if self.nested:
            out["nested"] = [dict(report.to_json(), label=label) for label, report in self.nested]
        return out

    def to_text(self, indent: str = "", *, with_badge: bool = True) -> str:
        """A plain-words rendering for a terminal: the headline, what the badge is, then every check."""
        caveats = self.caveats if self.verified else ()
        if caveats:
            lines = [f"{indent}VERIFIED, but {caveats[0].to_text()}"]
            lines += [f"{indent}  and {caveat.to_text()}" for caveat in caveats[1:]]
        else:
            lines = [f"{indent}{self.headline}"]
        lines.append(f"{indent}  {self.kind}{' ' + self.document_id if self.document_id else ''}")
        if self.badge is not None and with_badge:
            lines += [f"{indent}  {line}" for line in self.badge.to_lines()]
        if self.kind == "presentation":
            lines.append(f"{indent}  Badges:     {len(self.badges) or 'none'}")
            for label, badge in self.badges:
                verdict = "verified" if dict(self.presented)[label].verified else "NOT VERIFIED"
                lines.append(f"{indent}    {label} ({verdict}):")
                lines += [f"{indent}      {line}" for line in badge.to_lines()]
        marks = {PASSED: "ok  ", FAILED: "FAIL", NOT_CHECKED: "--  "}
        lines.append(f"{indent}  Checks:")
        for check in self.checks:
            lines.append(f"{indent}  [{marks[check.status]}] {check.name:<11} {check.detail}")
        for note in self.notes:
            lines.append(f"{indent}  note: {note}")
        for label, report in self.nested:
            lines.append(f"{indent}  {label}:")
            # A presentation's badges are listed above; its credentials' sections show their checks.
            lines.append(report.to_text(indent + "    ", with_badge=self.kind != "presentation"))
        return "\n".join(lines)
