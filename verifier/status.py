"""The status check: is a credential revoked or suspended, according to a status list it was given?

Specs: W3C Bitstring Status List v1.0 §3.2 (validate algorithm) for
``BitstringStatusListEntry``; the W3C CCG StatusList2021 draft for
``StatusList2021Entry``. DESIGN.md §3: the verifier never fetches a list. It
uses the ones the caller gives (attached by the wallet, or from a cache),
verifies each list's own proof, and with no list reports "not checked", never a
pass. A list is trusted only when its proof verifies, the proof's key is
controlled by the list's issuer, and that issuer is the credential's issuer: a
list signed by anybody else says nothing about this credential.

One ``StatusOutcome`` per ``credentialStatus`` entry; every problem becomes an
outcome with a stable ``code``, nothing is raised for a bad document.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Literal

from credentials.dataintegrity import proofs_of, verify_proof
from credentials.errors import CredentialError, KeyResolutionError, LoaderError, ProofError
from credentials.loader import DocumentLoader
from credentials.resolver import KeyResolver
from credentials.statuslist import (
    BITSTRING_STATUS_LIST,
    BITSTRING_STATUS_LIST_CREDENTIAL,
    BITSTRING_STATUS_LIST_ENTRY,
    MIN_BITSTRING_BITS,
    STATUS_LIST_2021,
    STATUS_LIST_2021_CREDENTIAL,
    STATUS_LIST_2021_ENTRY,
    StatusListError,
    decode_encoded_list,
    get_status,
)
from credentials.vcdm import as_list, issuer_id
from credentials.xsd import format_datetime, parse_datetime

StatusValue = Literal["passed", "failed", "not checked"]

# Entry type → (list credential type, list subject type).
_LIST_TYPES = {
    BITSTRING_STATUS_LIST_ENTRY: (BITSTRING_STATUS_LIST_CREDENTIAL, BITSTRING_STATUS_LIST),
    STATUS_LIST_2021_ENTRY: (STATUS_LIST_2021_CREDENTIAL, STATUS_LIST_2021),
}
# statusSize is at least 1 (§2.1); beyond 32 bits a status value would mean nothing a person could read.
_MAX_STATUS_SIZE = 32
_INDEX = re.compile(r"[0-9]+")


@dataclass(frozen=True)
class StatusOutcome:
    """The outcome of one ``credentialStatus`` entry. ``code`` is stable; ``detail`` is for people."""

    status: StatusValue
    code: str
    detail: str


def _passed(code: str, detail: str) -> StatusOutcome:
    return StatusOutcome("passed", code, detail)


def _failed(code: str, detail: str) -> StatusOutcome:
    return StatusOutcome("failed", code, detail)


def _not_checked(code: str, detail: str) -> StatusOutcome:
    return StatusOutcome("not checked", code, detail)


def check_status(credential: dict[str, Any], *, status_lists: list[dict[str, Any]], loader: DocumentLoader,
                 resolver: KeyResolver, now: datetime) -> list[StatusOutcome]:
    """Check every ``credentialStatus`` entry of ``credential`` against the given status list credentials.

    Returns one outcome per entry, in order (an empty list when the credential
    has no ``credentialStatus``). ``now`` is the moment the lists must be valid
    at; a naive ``now`` is taken as UTC.
    """
    if now.tzinfo is None:
        now = now.replace(tzinfo=timezone.utc)
    raw = credential.get("credentialStatus")
    entries = [] if raw is None else raw if isinstance(raw, list) else [raw]
    lists = [item for item in status_lists if isinstance(item, dict)]
    outcomes = []
    for entry in entries:
        try:
            outcomes.append(_check_entry(entry, credential, lists, loader=loader, resolver=resolver, now=now))
        except CredentialError as exc:
            # The checks below map the errors they expect; this is the layer boundary for the rest.
            outcomes.append(_failed(exc.code, f"status could not be established: {exc}"))
    return outcomes


def _check_entry(entry: Any, credential: dict[str, Any], lists: list[dict[str, Any]], *,
                 loader: DocumentLoader, resolver: KeyResolver, now: datetime) -> StatusOutcome:
    if not isinstance(entry, dict):
        return _failed("status_entry_malformed", "a credentialStatus entry must be a JSON object")
    entry_types = as_list(entry.get("type"))
    kind = next((t for t in entry_types if isinstance(t, str) and t in _LIST_TYPES), None)  # {} is unhashable
    if kind is None:
        shown = ", ".join(str(t) for t in entry_types) or "(no type)"
        return _not_checked("status_type_unsupported",
                            f"status type {shown} needs the issuer's service; it cannot be checked offline")

    # §3.2 inputs: the entry's purpose, list URL, index and status size.
    purpose = entry.get("statusPurpose")
    if not isinstance(purpose, str) or not purpose:
        return _failed("status_entry_malformed", "the credentialStatus entry has no statusPurpose")
    if purpose not in ("revocation", "suspension", "message"):
        return _not_checked("status_purpose_unsupported",
                            f"status purpose {purpose!r} is not one Satchel checks (revocation, suspension, message)")
    if purpose == "message" and kind != BITSTRING_STATUS_LIST_ENTRY:
        return _not_checked("status_purpose_unsupported", f"status purpose 'message' is not defined for {kind}")
    list_url = entry.get("statusListCredential")
    if not isinstance(list_url, str) or not list_url:
        return _failed("status_entry_malformed", "the credentialStatus entry has no statusListCredential URL")
    index = _parse_index(entry.get("statusListIndex"))
    if index is None:
        return _failed("status_entry_malformed",
                       f"statusListIndex must be a non-negative integer written in base 10, "
                       f"not {entry.get('statusListIndex')!r}")
    status_size = 1
    if kind == BITSTRING_STATUS_LIST_ENTRY and "statusSize" in entry:
        size = entry["statusSize"]
        if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= _MAX_STATUS_SIZE:
            return _failed("status_entry_malformed",
                           f"statusSize must be an integer from 1 to {_MAX_STATUS_SIZE}, not {size!r}")
        status_size = size

    # The list: only one the caller gave, never fetched (DESIGN §3).
    status_list = next((item for item in lists if item.get("id") == list_url), None)
    if status_list is None:
        return _not_checked("status_list_missing", f"could not check {_noun(purpose)}: no status list was given")

    list_type, subject_type = _LIST_TYPES[kind]
    if list_type not in as_list(status_list.get("type")):
        return _failed("status_list_malformed", f"the status list {list_url} is not a {list_type}")
    subject = status_list.get("credentialSubject")
    if isinstance(subject, list) and len(subject) == 1:
        subject = subject[0]
    if not isinstance(subject, dict) or subject_type not in as_list(subject.get("type")):
        return _failed("status_list_malformed", f"the status list {list_url}'s credentialSubject is not a {subject_type}")

    # The list's own proof, its key's controller, and its issuer.
    trust = _check_list_proofs(status_list, list_url, loader=loader, resolver=resolver)
    if trust is not None:
        return trust
    list_issuer = issuer_id(status_list)
    credential_issuer = issuer_id(credential)
    if list_issuer is None or list_issuer != credential_issuer:
        return _failed("status_list_wrong_issuer",
                       f"the status list {list_url} was issued by {list_issuer or '(no issuer)'}, "
                       f"not by the credential's issuer {credential_issuer or '(no issuer)'}")

    # Validity period, VC 2.0 (validFrom/validUntil) or VC 1.1 (issuanceDate/expirationDate).
    period = _check_validity(status_list, list_url, now)
    if period is not None:
        return period

    # §3.2: the entry's purpose must be one of the list's.
    list_purposes = as_list(subject.get("statusPurpose"))
    if purpose not in list_purposes:
        shown = ", ".join(repr(p) for p in list_purposes) or "none"
        return _failed("status_purpose_mismatch",
                       f"the entry's statusPurpose is {purpose!r}, but the status list {list_url} is for {shown}")

    # §3.3: expand the bitstring, then read the entry's bits.
    encoded = subject.get("encodedList")
    if not isinstance(encoded, str):
        return _failed("status_list_malformed", f"the status list {list_url} has no encodedList")
    try:
        bits = decode_encoded_list(encoded)
    except StatusListError as exc:
        return _failed(exc.code, f"the status list {list_url}'s encodedList is unreadable: {exc}")
    if kind == BITSTRING_STATUS_LIST_ENTRY and len(bits) * 8 < MIN_BITSTRING_BITS:
        return _failed("status_list_too_short",
                       f"the status list {list_url} has {len(bits) * 8} bits, fewer than the "
                       f"{MIN_BITSTRING_BITS} the spec requires for herd privacy")
    try:
        value = get_status(bits, index, status_size=status_size)
    except StatusListError:
        return _failed("status_index_out_of_range",
                       f"index {index} is outside the status list {list_url} ({len(bits) * 8 // status_size} entries)")
    return _outcome(purpose, value, entry, list_url=list_url, index=index, status_size=status_size, now=now)


def _outcome(purpose: str, value: int, entry: dict[str, Any], *, list_url: str, index: int, status_size: int,
             now: datetime) -> StatusOutcome:
    message = _status_message(entry, value)
    extra = ""
    if status_size > 1 or message is not None:
        extra = f"; status 0x{value:x}" + (f" ({message})" if message else "")
    basis = f"the issuer's status list {list_url} (verified, valid at {format_datetime(now)})"
    if purpose == "message":
        return _passed("status_message", f"status 0x{value:x}" + (f" ({message})" if message else "")
                       + f" at index {index}, according to {basis}")
    if value:
        word = "revoked" if purpose == "revocation" else "suspended"
        return _failed(word, f"{word} by the issuer (list {list_url}, index {index}){extra}")
    word = "not_revoked" if purpose == "revocation" else "not_suspended"
    return _passed(word, f"{word.replace('_', ' ')} according to {basis}{extra}")


def _check_list_proofs(status_list: dict[str, Any], list_url: str, *, loader: DocumentLoader,
                       resolver: KeyResolver) -> StatusOutcome | None:
    """None when every proof of the list verifies with a key its issuer controls; otherwise the outcome."""
    proofs = proofs_of(status_list)
    if not proofs:
        return _failed("status_list_signature_invalid", f"the status list {list_url} has no proof")
    issuer = issuer_id(status_list)
    for proof in proofs:
        try:
            result = verify_proof(status_list, proof, loader=loader, resolver=resolver, purpose="assertionMethod")
        except LoaderError as exc:
            return _not_checked("status_list_not_verifiable",
                                f"the status list {list_url}'s proof could not be checked offline: {exc}")
        except KeyResolutionError as exc:
            return _not_checked("status_list_key_unresolved",
                                f"the status list {list_url}'s key could not be resolved: {exc}")
        except ProofError as exc:
            if exc.code == "unknown_proof_type":
                return _not_checked("status_list_not_verifiable",
                                    f"the status list {list_url}'s proof could not be checked: {exc}")
            return _failed("status_list_signature_invalid", f"the status list {list_url}'s proof does not verify: {exc}")
        except CredentialError as exc:
            # Canonicalization errors (an undefined term, say) mean the signature covers less than it shows.
            return _failed("status_list_signature_invalid", f"the status list {list_url}'s proof does not verify: {exc}")
        if result.method.controller != issuer:
            return _failed("status_list_wrong_issuer",
                           f"the status list {list_url} is signed by {result.method.controller}, "
                           f"not by its issuer {issuer or '(no issuer)'}")
    return None


def _check_validity(status_list: dict[str, Any], list_url: str, now: datetime) -> StatusOutcome | None:
    start_key = "validFrom" if "validFrom" in status_list else "issuanceDate"
    end_key = "validUntil" if "validUntil" in status_list else "expirationDate"
    bounds: dict[str, datetime | None] = {}
    for key in (start_key, end_key):
        if key not in status_list:
            bounds[key] = None
            continue
        moment = parse_datetime(status_list[key])
        if moment is None:
            return _failed("status_list_malformed", f"the status list {list_url}'s {key} is not a dateTime: "
                                                    f"{str(status_list[key])[:40]!r}")
        bounds[key] = moment
    start, end = bounds[start_key], bounds[end_key]
    if start is not None and now < start:
        return _not_checked("status_list_expired", f"the status list {list_url} is not valid until "
                                                   f"{format_datetime(start)} (checked at {format_datetime(now)})")
    if end is not None and now >= end:
        return _not_checked("status_list_expired", f"the status list {list_url} expired at "
                                                   f"{format_datetime(end)} (checked at {format_datetime(now)})")
    return None


def _status_message(entry: dict[str, Any], value: int) -> str | None:
    """§2.1: the ``statusMessage`` whose ``status`` (a hexadecimal string such as "0x1") is ``value``."""
    messages = entry.get("statusMessage")
    if not isinstance(messages, list):
        return None
    for item in messages:
        if not isinstance(item, dict) or not isinstance(item.get("status"), str):
            continue
        try:
            status = int(item["status"], 16)
        except ValueError:
            continue
        if status == value and isinstance(item.get("message"), str):
            return str(item["message"])
    return None


def _parse_index(value: Any) -> int | None:
    # The spec writes the index as a base-10 string; StatusList2021 lists in the wild also use numbers.
    if isinstance(value, int) and not isinstance(value, bool):
        return value if value >= 0 else None
    if isinstance(value, str) and _INDEX.fullmatch(value) and len(value) <= 18:
        return int(value)
    return None





def _noun(purpose: str) -> str:
    return {"revocation": "revocation", "suspension": "suspension"}.get(purpose, "the status message")
