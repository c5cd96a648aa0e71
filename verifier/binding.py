"""Holder binding: does the presentation's signer stand for the people its credentials are about?

A presentation's proof shows only that some key signed it. Whoever signs a
presentation can wrap any credential they have a copy of, so the ``holder``
check ties the signer to each credential it presents. The rule:

1. The *presenter* is the DID whose key made a verified presentation proof
   (its own DID document lists the key under ``authentication``; see
   ``credentials.resolver``). No verified proof: the holder is "not checked" (and
   the presentation is not verified anyway, for want of a proof).
2. A ``holder`` the presentation names must be that DID; otherwise the check
   fails (``holder_key_mismatch``). A presentation with no ``holder`` is bound
   to its signer just the same: leaving ``holder`` out changes nothing.
3. Each credential is read in whatever form it came: a JSON credential's
   ``credentialSubject.id``, a VC-JWT's (compact or enveloped) subject and its
   ``sub`` claim. A credential whose subject is a DID is bound when one of its
   subject DIDs is the presenter; when none is, the check fails
   (``subject_not_holder``): the presentation is someone else's credential in
   the signer's hands and does not verify.
4. A credential whose recipient no key can prove (an OB 3.0 ``IdentityObject``
   such as a salted hash of an email address, a subject id that is not a DID,
   or no subject id at all) cannot be bound by the signature. The check is then
   "not checked" (``holder_not_bound``), not failed, and its detail says
   plainly that the presentation proves nothing about who presents that
   credential. This is what lets a wallet present a badge issued to a learner's
   email under the learner's holder did:key: the badge and its issuer still
   verify, and the employer is told that the presenter's identity must be
   confirmed another way (for an email badge: the address it was issued to).
5. A credential that could not be read at all fails the check
   (``subject_unreadable``): its recipient is unknown.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from .report import FAILED, NOT_CHECKED, PASSED, Check, Report


def check_holder(holder: object, signers: Sequence[str], presented: Iterable[tuple[str, Report]]) -> Check:
    """The ``holder`` check for a presentation signed by ``signers`` (DIDs), presenting ``presented`` credentials."""
    if not signers:
        named = f" to {_join([holder])}" if isinstance(holder, str) else ""
        return Check("holder", NOT_CHECKED, "holder_unproven",
                     f"no verified proof binds the presentation{named}: who presents it is not known")
    if holder is not None and not isinstance(holder, str):
        return Check("holder", FAILED, "holder_malformed", "the presentation's holder is not a URL or an object with an id",
                     "$.holder")
    if isinstance(holder, str) and holder not in signers:
        return Check("holder", FAILED, "holder_key_mismatch",
                     f"the presentation names {_join([holder])} as its holder, but it was signed by {_join(signers)}",
                     "$.holder")
    presenter = [holder] if isinstance(holder, str) else list(signers)
    failed: list[tuple[str, str]] = []
    # Credentials no key can bind, by what identifies their recipient: "email", an id that is not a DID, or "".
    unbound: dict[str, list[str]] = {}
    bound: list[str] = []
    for label, report in presented:
        if report.badge is None:
            why = ("is a presentation, not a credential" if report.kind == "presentation"
                   else "could not be read, so whom it is about is not known")
            failed.append(("subject_unreadable", f"{label} {why}"))
            continue
        recipient = report.badge.recipient
        dids = [did.split("#", 1)[0] for did in recipient.dids]
        if dids:
            if any(did in presenter for did in dids):
                bound.append(label)
            else:
                failed.append(("subject_not_holder", (f"{label} was issued to {_join(dids)}, but the presentation "
                                                      f"was signed by {_join(presenter)}: it is someone else's credential")))
        elif recipient.emails:
            unbound.setdefault("email", []).append(label)
        else:
            unbound.setdefault(_join(recipient.ids[:1]), []).append(label)
    if failed:
        codes = [code for code, _ in failed]
        code = "subject_not_holder" if "subject_not_holder" in codes else codes[0]
        return Check("holder", FAILED, code, "; ".join(text for _, text in failed))
    if unbound:
        return Check("holder", NOT_CHECKED, "holder_not_bound", _unbound_detail(unbound, presenter))
    if not bound:
        return Check("holder", PASSED, "holder_signed", f"signed by {_join(presenter)}; it presents no credentials")
    return Check("holder", PASSED, "holder_signed",
                 f"signed by {_join(presenter)}, the recipient of every credential it presents")


def _unbound_detail(unbound: dict[str, list[str]], presenter: Sequence[str]) -> str:
    """Plain words for credentials no key can bind (rule 4), e.g. ``holder not bound (identified by email): …``."""
    parts = []
    count = 0
    for identified_by, labels in unbound.items():
        count += len(labels)
        are = "is" if len(labels) == 1 else "are"
        if identified_by == "email":
            parts.append(f"holder not bound (identified by email): {', '.join(labels)} {are} issued to an email "
                         "address, which no key can prove")
        elif identified_by:
            parts.append(f"holder not bound (identified by {identified_by}): {', '.join(labels)} {are} issued to an "
                         "id that is not a DID, which no key can prove")
        else:
            parts.append(f"holder not bound: {', '.join(labels)} name{'s' if len(labels) == 1 else ''} no recipient")
    them = "it" if count == 1 else "them"
    return (f"{'; '.join(parts)}; so the presentation (signed by {_join(presenter)}) proves nothing about who "
            f"presents {them}")


def _join(items: Sequence[str]) -> str:
    """Distinct ids for a message, each cut to 200 characters (an attacker's id may be enormous)."""
    return ", ".join(item if len(item) <= 200 else item[:200] + "…" for item in dict.fromkeys(items))
