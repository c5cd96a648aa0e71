"""What a badge says about itself, for the report: achievement, issuer, recipient, dates, evidence.

Nothing here is checked: it is read from the credential so that a person sees
what the verdict is about. The issuer's name is the credential's own claim
(Open Badges 3.0 ``Profile.name``) unless a trust registry confirmed the issuer,
which ``verify`` records with ``confirmed_by_registry``. A recipient identified
by an OB 3.0 ``IdentityObject`` (spec: IdentityObject, IdentityHash) is shown as
what it is, for example a salted sha256 of an email address, never as a name.
Reading never raises: a field of the wrong shape is simply not shown.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from credentials.vcdm import as_list

MAX_TEXT = 500  # A summary line longer than this is cut: the full text is in the credential.
EMAIL_TYPES = ("emailAddress", "email")


@dataclass(frozen=True)
class Evidence:
    """One OB 3.0 ``Evidence`` entry: a URL, a name, a narrative, a description (any may be absent)."""

    id: str | None = None
    name: str | None = None
    narrative: str | None = None
    description: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in (("id", self.id), ("name", self.name), ("narrative", self.narrative),
                                  ("description", self.description)) if v is not None}

    def to_text(self) -> str:
        return " | ".join(v for v in (self.name, self.id, self.narrative, self.description) if v)


@dataclass(frozen=True)
class Identity:
    """An OB 3.0 IdentityObject: its type, whether it is hashed, and the value (a hash or the plain text)."""

    identity_type: str
    hashed: bool
    value: str
    salted: bool = False

    @property
    def is_email(self) -> bool:
        return self.identity_type in EMAIL_TYPES

    def to_json(self) -> dict[str, Any]:
        return {"identity_type": self.identity_type, "hashed": self.hashed, "identity_hash" if self.hashed else "value":
                self.value, "salted": self.salted}

    def to_text(self) -> str:
        what = "email address" if self.is_email else self.identity_type
        if not self.hashed:
            return f"{what} {self.value}"
        algorithm = self.value.split("$", 1)[0] if "$" in self.value else "hash"
        return f"a hashed {what} ({algorithm}{', salted' if self.salted else ''}): {self.value}"


@dataclass(frozen=True)
class Recipient:
    """Whom the credential is about: subject ids (DIDs or other URLs), a name, identity objects."""

    ids: tuple[str, ...] = ()
    name: str | None = None
    identities: tuple[Identity, ...] = ()

    @property
    def dids(self) -> tuple[str, ...]:
        return tuple(i for i in self.ids if i.startswith("did:"))

    @property
    def emails(self) -> tuple[Identity, ...]:
        return tuple(i for i in self.identities if i.is_email)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.name is not None:
            out["name"] = self.name
        if self.ids:
            out["id"] = self.ids[0] if len(self.ids) == 1 else list(self.ids)
        if self.identities:
            out["identities"] = [i.to_json() for i in self.identities]
        return out

    def to_lines(self) -> list[str]:
        lines = [self.name] if self.name else []
        lines += [_text(i) or repr(i) for i in self.ids]
        lines += [i.to_text() for i in self.identities]
        return lines or ["(the credential names no recipient)"]


@dataclass(frozen=True)
class BadgeSummary:
    """The badge as the credential describes it; ``confirmed_by_registry`` is the registry's name for the issuer."""

    name: str | None
    description: str | None
    criteria: str | None
    achievement_id: str | None
    issuer_id: str | None
    issuer_name: str | None
    recipient: Recipient
    issued: str | None
    expires: str | None
    evidence: tuple[Evidence, ...] = field(default_factory=tuple)
    confirmed_by_registry: str | None = None

    def confirmed(self, registry_name: str) -> BadgeSummary:
        return replace(self, confirmed_by_registry=registry_name)

    @property
    def issuer_source(self) -> str:
        return "confirmed by the trust registry" if self.confirmed_by_registry else "claimed by the credential"

    def to_json(self) -> dict[str, Any]:
        issuer: dict[str, Any] = {"id": self.issuer_id, "name": self.issuer_name, "source": self.issuer_source}
        if self.confirmed_by_registry is not None:
            issuer["registry_name"] = self.confirmed_by_registry
        return {
            "name": self.name, "description": self.description, "criteria": self.criteria,
            "achievement_id": self.achievement_id, "issuer": issuer, "recipient": self.recipient.to_json(),
            "issued": self.issued, "expires": self.expires, "evidence": [e.to_json() for e in self.evidence],
        }

    def to_lines(self) -> list[str]:
        """Label-and-value lines for a terminal."""
        rows: list[tuple[str, str]] = [("Badge", self.name or "(no name)")]
        if self.description:
            rows.append(("", self.description))
        if self.criteria:
            rows.append(("Criteria", self.criteria))
        if self.confirmed_by_registry:
            issuer = f"{self.confirmed_by_registry} ({self.issuer_id}), confirmed by the trust registry"
            if self.issuer_name and self.issuer_name != self.confirmed_by_registry:
                issuer += f"; the credential calls it {self.issuer_name!r}"
        else:
            named = f"{self.issuer_name} ({self.issuer_id})" if self.issuer_name else str(self.issuer_id)
            issuer = f"{named}, claimed by the credential"
        rows.append(("Issuer", issuer))
        for index, line in enumerate(self.recipient.to_lines()):
            rows.append(("Recipient" if index == 0 else "", line))
        rows.append(("Issued", self.issued or "(no date)"))
        rows.append(("Expires", self.expires or "no expiry date"))
        for index, item in enumerate(self.evidence):
            rows.append(("Evidence" if index == 0 else "", item.to_text()))
        return [f"{label + ':' if label else '':<11} {value}" for label, value in rows]


def summarize(credential: Any, *, jwt_subject: str | None = None) -> BadgeSummary | None:
    """Read the summary of ``credential`` (None when it is not a JSON object); ``jwt_subject`` is a JWT's ``sub``."""
    if not isinstance(credential, dict):
        return None
    subjects = [s for s in as_list(credential.get("credentialSubject")) if isinstance(s, dict)]
    achievement: dict[str, Any] = next((s["achievement"] for s in subjects if isinstance(s.get("achievement"), dict)), {})
    criteria = achievement.get("criteria")
    issuer = credential.get("issuer")
    issuer_id = issuer.get("id") if isinstance(issuer, dict) else issuer
    return BadgeSummary(
        name=_text(achievement.get("name")) or _text(credential.get("name")),
        description=_text(achievement.get("description")) or _text(credential.get("description")),
        criteria=_text(criteria.get("narrative")) or _text(criteria.get("id")) if isinstance(criteria, dict) else None,
        achievement_id=_text(achievement.get("id")),
        issuer_id=_text(issuer_id),
        issuer_name=_text(issuer.get("name")) if isinstance(issuer, dict) else None,
        recipient=_recipient(subjects, jwt_subject),
        issued=_text(credential.get("validFrom")) or _text(credential.get("issuanceDate"))
        or _text(credential.get("awardedDate")),
        expires=_text(credential.get("validUntil")) or _text(credential.get("expirationDate")),
        evidence=tuple(_evidence(item) for item in as_list(credential.get("evidence")) if isinstance(item, dict)),
    )


def _recipient(subjects: list[dict[str, Any]], jwt_subject: str | None) -> Recipient:
    ids: list[str] = []
    names: list[str] = []
    identities: list[Identity] = []
    for subject in subjects:
        # Ids are kept exactly as written: the holder check compares them with the signer's DID.
        subject_id = subject.get("id")
        if isinstance(subject_id, str) and subject_id and subject_id not in ids:
            ids.append(subject_id)
        name = _text(subject.get("name"))
        if name:
            names.append(name)
        for item in as_list(subject.get("identifier")):
            identity = _identity(item)
            if identity is None:
                continue
            if identity.identity_type == "name" and not identity.hashed:
                names.append(identity.value)
            else:
                identities.append(identity)
    if jwt_subject and jwt_subject not in ids:
        ids.append(jwt_subject)
    return Recipient(ids=tuple(ids), name=names[0] if names else None, identities=tuple(identities))


def _identity(item: Any) -> Identity | None:
    if not isinstance(item, dict):
        return None
    value = _text(item.get("identityHash"))
    if value is None:
        return None
    kind = _text(item.get("identityType")) or "identity"
    salt = item.get("salt")
    return Identity(identity_type=kind, hashed=item.get("hashed") is True, value=value,
                    salted=isinstance(salt, str) and bool(salt))


def _evidence(item: dict[str, Any]) -> Evidence:
    return Evidence(id=_text(item.get("id")), name=_text(item.get("name")), narrative=_text(item.get("narrative")),
                    description=_text(item.get("description")))


def _text(value: Any) -> str | None:
    """A string value for display, single-lined, cut to MAX_TEXT; None for anything else or an empty string."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = " ".join(value.split())
    return text[:MAX_TEXT] + "…" if len(text) > MAX_TEXT else text
