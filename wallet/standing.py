"""A held credential's standing (valid, expired, revoked, ...) read from a verification report.

The wallet stores the standing so that list pages and share pages never
re-verify. "Revocation established" is recorded only when every status entry
was checked against a verified list: a list that could not be fetched or did
not verify leaves "status not checked since …", never "not revoked".
"""

from __future__ import annotations

from dataclasses import dataclass

from verifier.report import FAILED, NOT_CHECKED, PASSED, Report

from .storage.records import EXPIRED, INVALID, NOT_YET_VALID, REVOKED, SUSPENDED, VALID


@dataclass(frozen=True)
class Standing:
    state: str
    detail: str
    status_established: bool   # every credentialStatus entry was checked against a verified list


def standing_of(report: Report) -> Standing:
    status_checks = report.find("status")
    established = bool(status_checks) and all(c.status == PASSED for c in status_checks) and not any(
        c.code == "no_status" for c in status_checks)
    for check in status_checks:
        if check.status == FAILED and check.code in ("revoked", "suspended"):
            return Standing(REVOKED if check.code == "revoked" else SUSPENDED, check.detail, True)
    for check in report.find("validity"):
        if check.status == FAILED and check.code == "expired":
            return Standing(EXPIRED, check.detail, established)
        if check.status == FAILED and check.code == "not_yet_valid":
            return Standing(NOT_YET_VALID, check.detail, established)
    failed = [c for c in report.checks if c.status == FAILED]
    if failed:
        return Standing(INVALID, "; ".join(f"{c.name}: {c.detail}" for c in failed), False)
    if not report.verified:
        unchecked = [c for c in report.checks if c.status == NOT_CHECKED and c.name == "proof"]
        return Standing(INVALID, "; ".join(c.detail for c in unchecked) or "the credential does not verify", False)
    if any(c.code == "no_status" for c in status_checks):
        return Standing(VALID, "the credential has no status list: its issuer cannot revoke it", False)
    if established:
        return Standing(VALID, "; ".join(c.detail for c in status_checks), True)
    return Standing(VALID, "; ".join(c.detail for c in status_checks if c.status == NOT_CHECKED), False)
