"""The node's status lists: the signed ``BitstringStatusListCredential`` it publishes, and the changes to it.

W3C Bitstring Status List v1.0: each credential holds one position in a
revocation list and one in a suspension list (``issuing``). A list is published
at ``GET /status/{key}`` as a signed credential valid for ``VALIDITY``; the
signed document is cached in the database and re-signed only when its bits
changed (its ``version`` moved past the signed one, e.g. after a ``satchel issuer
revoke`` from another process) or when less than ``REFRESH_BEFORE`` of its
validity is left. Revoke, suspend and unsuspend change the bit and the
register in one transaction, then re-sign at once when the key is at hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Literal

from credentials.dataintegrity import add_proof
from credentials.statuslist import build_status_list_credential

from .errors import Conflict, InvalidRequest, NotFound
from .node import IssuerNode
from .storage import CredentialRecord, StatusList

VALIDITY = timedelta(days=1)
REFRESH_BEFORE = timedelta(hours=12)
MAX_REASON = 1000

Action = Literal["revoke", "suspend", "unsuspend"]
ACTIONS: tuple[Action, ...] = ("revoke", "suspend", "unsuspend")


@dataclass(frozen=True)
class StatusChange:
    credential: CredentialRecord
    list_key: str
    resigned: bool  # False when the key was not at hand: the serving node re-signs on the next GET.


def _is_current(status_list: StatusList, now: datetime) -> bool:
    return (status_list.signed_document is not None and status_list.signed_version == status_list.version
            and status_list.signed_valid_until is not None and status_list.signed_valid_until - now > REFRESH_BEFORE)


def sign_status_list(node: IssuerNode, status_list: StatusList, *, now: datetime | None = None) -> dict[str, Any]:
    """Sign the list's current bits and cache the result (a concurrent bit change makes the cache skip it)."""
    moment = (now or datetime.now(timezone.utc)).replace(microsecond=0)
    until = moment + VALIDITY
    unsigned = build_status_list_credential(list_id=status_list.url, issuer=node.did, purpose=status_list.purpose,
                                            bits=status_list.bits, valid_from=moment, valid_until=until)
    signed = add_proof(unsigned, signer=node.signer, loader=node.loader, created=moment)
    node.store.save_signed_status_list(status_list.key, version=status_list.version, document=signed,
                                       valid_until=until)
    return signed


def published_status_list(node: IssuerNode, key: str, *, now: datetime | None = None) -> dict[str, Any]:
    """The signed list to serve: the cached document when current, else a freshly signed one."""
    moment = now or datetime.now(timezone.utc)
    status_list = node.store.get_status_list(key)
    if status_list is None:
        raise NotFound(f"no status list {key}", code="status_list_not_found")
    if _is_current(status_list, moment):
        assert status_list.signed_document is not None
        return status_list.signed_document
    return sign_status_list(node, status_list, now=moment)


def cached_status_list(node: IssuerNode, key: str, *, now: datetime | None = None) -> dict[str, Any] | None:
    """The cached signed list when it is current, else None (the caller re-signs off the event loop)."""
    status_list = node.store.get_status_list(key)
    if status_list is None:
        raise NotFound(f"no status list {key}", code="status_list_not_found")
    if _is_current(status_list, now or datetime.now(timezone.utc)):
        return status_list.signed_document
    return None


def find_credential(node: IssuerNode, ref: str) -> CredentialRecord:
    """By uuid key or full id URL; ``NotFound`` otherwise."""
    record = node.store.get_credential(ref.strip())
    if record is None:
        raise NotFound(f"no credential {ref}", code="credential_not_found")
    return record


def change_status(node: IssuerNode, ref: str, action: Action, *, reason: str, now: datetime | None = None,
                  resign: bool = True) -> StatusChange:
    """Revoke (for good), suspend or unsuspend a credential, with a reason, and publish the change.

    Revocation is final; a revoked credential can be neither suspended nor
    unsuspended. Repeating an action that is already in effect is a ``Conflict``.
    """
    if action not in ACTIONS:
        raise InvalidRequest(f"the action is one of {', '.join(ACTIONS)}", field="action")
    if not isinstance(reason, str) or not reason.strip():
        raise InvalidRequest("a reason is required", field="reason")
    if len(reason) > MAX_REASON:
        raise InvalidRequest(f"the reason must be at most {MAX_REASON} characters", field="reason")
    moment = now or datetime.now(timezone.utc)
    purpose = "revocation" if action == "revoke" else "suspension"
    with node.store.atomic():
        record = find_credential(node, ref)
        if record.revoked_at is not None:
            raise Conflict(f"the credential {record.id} is revoked; revocation is final", code="already_revoked")
        if action == "suspend" and record.suspended:
            raise Conflict(f"the credential {record.id} is already suspended", code="already_suspended")
        if action == "unsuspend" and not record.suspended:
            raise Conflict(f"the credential {record.id} is not suspended", code="not_suspended")
        slot = next((s for s in record.slots if s.purpose == purpose), None)
        if slot is None:
            raise Conflict(f"the credential {record.id} has no {purpose} status entry", code="no_status_entry")
        node.store.set_status_bit(slot.list_key, slot.index, action != "unsuspend")
        if action == "revoke":
            node.store.set_revoked(record.key, at=moment, reason=reason.strip())
        else:
            node.store.set_suspended(record.key, action == "suspend", reason=reason.strip())
    resigned = False
    if resign and node.key is not None:
        status_list = node.store.get_status_list(slot.list_key)
        assert status_list is not None
        sign_status_list(node, status_list, now=moment)
        resigned = True
    return StatusChange(credential=find_credential(node, record.key), list_key=slot.list_key, resigned=resigned)
