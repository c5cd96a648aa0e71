"""The verification report: every check that ran or could not run, and why.

A check is ``passed``, ``failed`` or ``not checked``; "not checked" is never
counted as a pass. Check names are fixed so that tools can read them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Status = Literal["passed", "failed", "not checked"]
PASSED: Status = "passed"
FAILED: Status = "failed"
NOT_CHECKED: Status = "not checked"

CHECK_NAMES = ("syntax", "contexts", "proof", "issuer-key", "schema", "validity", "status",
               "holder", "challenge", "domain", "registry", "nested")

# A proof that could not run for one of these reasons does not stop a document
# from verifying, provided another proof passed (README policy 5).
_HARMLESS_NOT_CHECKED = {"unknown_proof_type"}


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

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "verified": self.verified,
            "kind": self.kind,
            "id": self.document_id,
            "checks": [check.to_json() for check in self.checks],
        }
        if self.notes:
            out["notes"] = list(self.notes)
        if self.nested:
            out["nested"] = [dict(report.to_json(), label=label) for label, report in self.nested]
        return out

    def to_text(self, indent: str = "") -> str:
        """A plain-words rendering for a terminal."""
        verdict = "VERIFIED" if self.verified else "NOT VERIFIED"
        lines = [f"{indent}{verdict}: {self.kind}{' ' + self.document_id if self.document_id else ''}"]
        marks = {PASSED: "ok  ", FAILED: "FAIL", NOT_CHECKED: "--  "}
        for check in self.checks:
            lines.append(f"{indent}  [{marks[check.status]}] {check.name:<11} {check.detail}")
        for note in self.notes:
            lines.append(f"{indent}  note: {note}")
        for label, report in self.nested:
            lines.append(f"{indent}  {label}:")
            lines.append(report.to_text(indent + "    "))
        return "\n".join(lines)
