"""From a document to Satchel's report, and from the report to the VC-API's answer.

``verify_document`` is the service's one call into the verifier (CPU-bound: the
routes run it through ``webbase.cpu.run_cpu``). The service adds only what it was
started with, the trust registry and the status lists, and the challenge and
domain the caller asked for; every check and every verdict is the library's.

The VC-API answer (W3C VC-API, "Verify Credential" / "Verify Presentation"):
``verified``; ``checks``, the checks that ran and passed; ``errors`` and
``warnings``, ProblemDetails objects (``type``, ``title``, ``detail``) for each
failed check and each check that could not run; and Satchel's full report under
``report``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import aiohttp

from credentials.resolver import KeyResolver
from verifier.report import FAILED, PASSED, Report
from verifier.verify import VerifyOptions, verify
from webbase.cpu import run_cpu

from .config import ServiceConfig
from .didweb import resolver_for

CHECK_TYPE_PREFIX = "urn:satchel:check:"


def verify_document(document: dict[str, Any] | str, config: ServiceConfig, *, challenge: str | None = None,
                    domain: str | None = None, status_lists: tuple[dict[str, Any], ...] = (),
                    resolver: KeyResolver | None = None, now: datetime | None = None) -> Report:
    """Verify a credential, a presentation or a compact VC-JWT with the service's registry and status lists."""
    moment = now or datetime.now(UTC)
    options = VerifyOptions(now=moment, clock=moment, challenge=challenge, domain=domain, registry=config.registry,
                            status_lists=config.status_lists + status_lists, resolver=resolver or KeyResolver())
    return verify(document, options)


async def check_document(document: dict[str, Any] | str, config: ServiceConfig, *, session: aiohttp.ClientSession | None,
                         challenge: str | None = None, domain: str | None = None) -> Report:
    """What the routes call: fetch the did:web documents this service may fetch, then verify off the loop."""
    resolver = await resolver_for(document, config, session) if config.may_fetch else None
    return await run_cpu(verify_document, document, config, challenge=challenge, domain=domain, resolver=resolver)


def _problem(name: str, code: str, detail: str, where: str | None) -> dict[str, Any]:
    problem: dict[str, Any] = {"type": CHECK_TYPE_PREFIX + code, "title": name, "detail": detail, "check": name,
                               "code": code}
    if where:
        problem["where"] = where
    return problem


def _failures(report: Report, where: str | None = None) -> list[dict[str, Any]]:
    """Every failed check, here and in the credentials a presentation depends on, each named with where it is."""
    found = [_problem(check.name, check.code, check.detail, where) for check in report.checks if check.status == FAILED]
    for label, nested in report.presented:
        found += _failures(nested, f"{where}.{label}" if where else label)
    if not found and not report.verified:
        # Not verified though nothing failed: no proof could be checked (a proof type or cryptosuite Satchel
        # does not know, a key it was not given). Say which, so "verified": false never comes with no errors.
        found = [_problem(check.name, check.code, check.detail, where) for check in report.checks
                 if check.name in ("proof", "issuer-key") and check.status != PASSED]
        found = found or [_problem("proof", "not_verified", "no proof of this document could be verified", where)]
    return found


def vcapi_result(report: Report) -> dict[str, Any]:
    """The VC-API VerificationResult for ``report``, with the report itself under ``report``."""
    passed = list(dict.fromkeys(check.name for check in report.checks if check.status == PASSED))
    warnings = []
    for caveat in report.caveats:
        warning = _problem(caveat.check, caveat.code, caveat.to_text(), ", ".join(caveat.where) or None)
        warnings.append(warning)
    return {
        "verified": report.verified,
        "checks": passed,
        "warnings": warnings,
        "errors": _failures(report),
        "report": report.to_json(),
    }
