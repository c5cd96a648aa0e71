"""VC-API ``POST /credentials/issue``, the register (``GET /credentials/{key}``), and status changes.

``POST /credentials/issue`` (bearer, admin) takes the VC-API envelope
``{"credential": …, "options": {}}``. The node builds every credential itself
from its own achievement and profile, so ``credential`` names what to issue:

- the short form: ``{"achievement": ID, "recipient": {"did": DID} | {"email": E}, "name"?,
  "narrative"?, "evidence": [URL…]?, "validUntil"?}`` (``recipient.name`` also accepted);
- an unsigned ``OpenBadgeCredential``: ``credentialSubject.achievement.id`` must be one of
  the node's achievements and ``credentialSubject.id`` the holder's DID; ``evidence``
  (ids and narratives) and ``validUntil`` are taken over. Other content is the
  node's own and is not copied. A credential that already carries a ``proof`` is
  refused (400 ``credential_signed``): the node signs only what it builds, so a
  document signed elsewhere is never silently re-issued under its key.

The answer is VC-API's ``201 {"verifiableCredential": …}``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiohttp import web

from webbase.bodies import read_json_object
from webbase.cpu import run_cpu

from ..errors import InvalidRequest
from ..issuing import IssueRequest, Recipient, issue_credential
from ..state import NODE
from ..statuslists import ACTIONS, change_status, find_credential
from ..storage import CredentialRecord
from .auth import api_user


def _str(obj: dict[str, Any], name: str, field: str) -> str | None:
    value = obj.get(name)
    if value is not None and not isinstance(value, str):
        raise InvalidRequest(f"{field} must be a string", field=field)
    return value


def _moment(value: Any, field: str) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidRequest(f"{field} must be an ISO 8601 date-time", field=field)
    try:
        moment = datetime.fromisoformat(value[:-1] + "+00:00" if value.endswith("Z") else value)
    except ValueError:
        raise InvalidRequest(f"{field} must be an ISO 8601 date-time with a time zone", field=field) from None
    if moment.tzinfo is None:
        raise InvalidRequest(f"{field} needs a time zone (e.g. Z)", field=field)
    return moment


def _short_form(credential: dict[str, Any]) -> IssueRequest:
    achievement = _str(credential, "achievement", "credential.achievement")
    if not achievement:
        raise InvalidRequest("credential.achievement is required (an achievement id)", field="credential.achievement")
    recipient = credential.get("recipient")
    if not isinstance(recipient, dict):
        raise InvalidRequest('credential.recipient is required: {"did": …} or {"email": …}', field="credential.recipient")
    evidence = credential.get("evidence", [])
    if not isinstance(evidence, list) or not all(isinstance(url, str) for url in evidence):
        raise InvalidRequest("credential.evidence must be a list of URLs", field="credential.evidence")
    name = _str(recipient, "name", "credential.recipient.name") or _str(credential, "name", "credential.name")
    return IssueRequest(
        achievement=achievement,
        recipient=Recipient(did=_str(recipient, "did", "credential.recipient.did"),
                            email=_str(recipient, "email", "credential.recipient.email"), name=name),
        narrative=_str(credential, "narrative", "credential.narrative"), evidence_urls=tuple(evidence),
        valid_until=_moment(credential.get("validUntil"), "credential.validUntil"))


def _full_form(credential: dict[str, Any]) -> IssueRequest:
    kinds = credential.get("type")
    if not isinstance(kinds, list) or ("OpenBadgeCredential" not in kinds and "AchievementCredential" not in kinds):
        raise InvalidRequest("credential.type must include OpenBadgeCredential", field="credential.type")
    subject = credential.get("credentialSubject")
    achievement = subject.get("achievement") if isinstance(subject, dict) else None
    achievement_id = achievement.get("id") if isinstance(achievement, dict) else None
    if not isinstance(achievement_id, str):
        raise InvalidRequest("credential.credentialSubject.achievement.id must name one of this node's achievements",
                             field="credential.credentialSubject.achievement.id")
    did = subject.get("id") if isinstance(subject, dict) else None
    if not isinstance(did, str):
        raise InvalidRequest("credential.credentialSubject.id must be the holder's DID (use the short form for an "
                             "email recipient)", field="credential.credentialSubject.id")
    urls: list[str] = []
    narratives: list[str] = []
    raw_evidence = credential.get("evidence", [])
    for item in raw_evidence if isinstance(raw_evidence, list) else [raw_evidence]:
        if isinstance(item, dict) and isinstance(item.get("id"), str):
            urls.append(item["id"])
        if isinstance(item, dict) and isinstance(item.get("narrative"), str):
            narratives.append(item["narrative"])
    return IssueRequest(achievement=achievement_id, recipient=Recipient(did=did), evidence_urls=tuple(urls),
                        narrative="\n\n".join(narratives) or None,
                        valid_until=_moment(credential.get("validUntil"), "credential.validUntil"))


def register_json(record: CredentialRecord) -> dict[str, Any]:
    """The issuer's register entry: who, what, when, its status, and the signed credential."""
    return {
        "key": record.key, "id": record.id, "achievement": record.achievement_key,
        "recipient": {"did": record.recipient_did, "email": record.recipient_email, "name": record.recipient_name},
        "issuedAt": record.issued_at.isoformat(),
        "revoked": record.revoked_at is not None,
        "revokedAt": record.revoked_at.isoformat() if record.revoked_at else None,
        "revokedReason": record.revoked_reason,
        "suspended": record.suspended, "suspendedReason": record.suspended_reason,
        "status": [{"purpose": s.purpose, "statusListCredential": s.list_url, "statusListIndex": s.index}
                   for s in record.slots],
        "verifiableCredential": record.document,
    }


async def issue(request: web.Request) -> web.Response:
    """VC-API issue: sign and register one OpenBadgeCredential."""
    api_user(request, "admin")
    body = await read_json_object(request)
    credential = body.get("credential")
    if not isinstance(credential, dict):
        raise InvalidRequest('the body is {"credential": {...}, "options": {}}', field="credential")
    if "proof" in credential:
        raise InvalidRequest("credential must be unsigned (no 'proof'): the node builds and signs its own credentials",
                             field="credential.proof", code="credential_signed")
    options = body.get("options", {})
    if not isinstance(options, dict):
        raise InvalidRequest("options must be an object", field="options")
    issue_request = _full_form(credential) if "@context" in credential else _short_form(credential)
    issued = await run_cpu(issue_credential, request.app[NODE], issue_request)
    response = web.json_response({"verifiableCredential": issued.document}, status=201)
    response.headers["Location"] = issued.id
    return response


async def register_entry(request: web.Request) -> web.Response:
    """The issuer's register entry for one credential (its status and the signed document)."""
    api_user(request, "admin", "reviewer")
    return web.json_response(register_json(find_credential(request.app[NODE], request.match_info["key"])))


async def list_register(request: web.Request) -> web.Response:
    """Search the register by achievement and/or recipient (email, DID or part of the name)."""
    api_user(request, "admin", "reviewer")
    try:
        limit = min(max(int(request.query.get("limit", "100")), 1), 1000)
        offset = max(int(request.query.get("offset", "0")), 0)
    except ValueError:
        raise InvalidRequest("limit and offset are integers", field="limit") from None
    records = request.app[NODE].store.list_credentials(
        achievement_key=request.query.get("achievement"), recipient=request.query.get("recipient"),
        limit=limit, offset=offset)
    return web.json_response({"credentials": [register_json(r) for r in records]})


def _status_handler(action: str) -> Any:
    async def handler(request: web.Request) -> web.Response:
        api_user(request, "admin")
        body = await read_json_object(request)
        reason = body.get("reason")
        if not isinstance(reason, str):
            raise InvalidRequest("reason is required (a string)", field="reason")
        change = await run_cpu(change_status, request.app[NODE], request.match_info["key"], action,  # type: ignore[arg-type]
                               reason=reason)
        return web.json_response(register_json(change.credential))

    handler.__name__ = f"{action}_credential"
    handler.__doc__ = f"{action.capitalize()} a credential, with a reason; its status list is re-signed at once."
    return handler


def setup(app: web.Application) -> None:
    app.router.add_post("/credentials/issue", issue)
    app.router.add_get("/credentials/{key}", register_entry)
    app.router.add_get("/api/credentials", list_register)
    for action in ACTIONS:
        app.router.add_post(f"/api/credentials/{{key}}/{action}", _status_handler(action))
