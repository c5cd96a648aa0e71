"""The presentation behind a share link: built, signed and verified once, when the link is made.

DESIGN.md §8: signed by the account's holder did:key with ``proofPurpose``
``authentication``, ``domain`` = the wallet's public URL, ``challenge`` = the
share id. It carries the status list credentials its credentials rely on (from
the status cache) as further ``verifiableCredential`` entries: the verifier
(``verifier.verify.verify_presentation``) takes a ``BitstringStatusListCredential``
or ``StatusList2021Credential`` there as a status list for the other
credentials, checks its own proof and issuer, and does not treat it as a
presented badge. So ``satchel verify share.json`` checks revocation offline
from what the share holds.

The verification report and a per-badge summary are computed here, right after
signing, and stored: a page view only renders what is stored.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from credentials.dataintegrity import add_proof
from credentials.errors import CredentialError
from credentials.keys import Ed25519KeyPair
from credentials.loader import bundled_loader
from credentials.presentation import build_presentation
from verifier.report import Report
from verifier.summary import summarize
from verifier.verify import VerifyOptions, verify

from .badge import credential_of
from .reading import Candidate
from .standing import standing_of
from .storage import CredentialRecord


@dataclass(frozen=True)
class SignedShare:
    presentation: dict[str, Any]
    results: dict[str, Any]


def presentation_id(share_id: str) -> str:
    return f"urn:uuid:{share_id}"


def sign_presentation(documents: list[dict[str, Any] | str], *, holder: Ed25519KeyPair, share_id: str,
                      domain: str, status_lists: list[dict[str, Any]], now: datetime) -> dict[str, Any]:
    """Build and sign the share's presentation (CPU-bound)."""
    presentation = build_presentation([*documents, *status_lists], holder=holder.did, id=presentation_id(share_id))
    return add_proof(presentation, signer=holder, loader=bundled_loader(), created=now, purpose="authentication",
                     challenge=share_id, domain=domain)


def check_presentation(presentation: dict[str, Any], *, share_id: str, domain: str, now: datetime) -> Report:
    """Verify the presentation as an employer's offline verifier would: with what it carries, nothing else."""
    return verify(presentation, VerifyOptions(now=now, challenge=share_id, domain=domain, clock=now))


def sign_and_check(records: list[CredentialRecord], *, holder: Ed25519KeyPair, share_id: str, domain: str,
                   status_lists: list[dict[str, Any]], now: datetime, checked_at: str) -> SignedShare:
    """Sign the share's presentation and compute the result its page shows (CPU-bound: run off the loop)."""
    documents: list[dict[str, Any] | str] = [json.loads(r.document) if r.format == "json" else r.document
                                             for r in records]
    carried = status_lists
    try:
        presentation = sign_presentation(documents, holder=holder, share_id=share_id, domain=domain,
                                         status_lists=carried, now=now)
    except CredentialError:
        # A list the presentation cannot carry (a VC 2.0 list beside VC 1.1 badges, say): the
        # link still works, and its badges' revocation shows as not checked.
        carried = []
        presentation = sign_presentation(documents, holder=holder, share_id=share_id, domain=domain,
                                         status_lists=carried, now=now)
    report = check_presentation(presentation, share_id=share_id, domain=domain, now=now)
    results = share_results(report, records, checked_at=checked_at)
    results["carriedStatusLists"] = [str(item.get("id")) for item in carried]
    if len(carried) < len(status_lists):
        results["notes"].append("the status lists could not be carried in this presentation; "
                                "revocation is not checked for its badges")
    return SignedShare(presentation, results)


def share_results(report: Report, records: list[CredentialRecord], *, checked_at: str) -> dict[str, Any]:
    """What the share page shows: each badge as described by its credential, and the verifier's word on it."""
    nested = [sub for _, sub in report.nested]
    badges = []
    for index, record in enumerate(records):
        sub = nested[index] if index < len(nested) else None
        candidate = (Candidate("share", "jwt", jwt=record.document) if record.format == "jwt"
                     else Candidate("share", "json", document=json.loads(record.document)))
        credential, jwt_subject = credential_of(candidate)
        summary = summarize(credential, jwt_subject=jwt_subject)
        standing = standing_of(sub) if sub is not None else None
        badges.append({
            "credentialId": record.id,
            "name": record.achievement_name,
            "description": record.description,
            "image": record.image,
            "issuer": {"id": record.issuer_id, "name": record.issuer_name, "source": "claimed by the credential"},
            "recipient": summary.recipient.to_lines() if summary else [],
            "validFrom": record.valid_from,
            "validUntil": record.valid_until,
            "verified": bool(sub and sub.verified),
            "state": standing.state if standing else "invalid",
            "stateDetail": standing.detail if standing else "not verified",
            "statusChecked": bool(standing and standing.status_established),
            "checks": [c.to_json() for c in sub.checks] if sub else [],
        })
    return {"checkedAt": checked_at, "verified": report.verified,
            "presentationChecks": [c.to_json() for c in report.checks], "notes": list(report.notes),
            "badges": badges}
