"""Awards waiting to be claimed: "this person has earned this achievement", as a credential offer.

An award is created by an operator (``satchel issuer offer``), by the evidence
review when a reviewer approves, or by a bulk run for a row without a DID. It
carries what the credential will say (achievement, name, narrative, evidence)
and becomes a credential only when the learner's wallet redeems the offer with
the OpenID4VCI 1.0 pre-authorized code flow (``oid4vci.py``): the wallet proves
its holder did:key there, so the credential is bound to that DID.

The secrets of an award, each shown once and stored only as a hash:

- the *offer token*, the last segment of ``credential_offer_uri``
  (``{public_url}/offers/{token}``); whoever has it can read the offer;
- the *pre-authorized code* inside the offer, derived from the offer token
  (HMAC-SHA256), so the offer can be served again from the token alone while the
  database holds neither;
- the optional *transaction code* (``tx_code``, six digits), which OpenID4VCI
  §3.5 says travels by another channel than the offer: the offer email never
  contains it (the CLI prints it; the evidence workflow shows it on the
  applicant's private status page). Its hash is salted with the award id, and
  after ``MAX_TX_FAILURES`` wrong tries the offer is dead.

``create_award`` also queues the offer email in the node's outbox (in the same
transaction); the serving node sends queued mail through SMTP when it has
``--smtp`` (``outbox.py``), and the outbox keeps every message for the admins.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote

from credentials.b64 import b64url_encode

from .achievements import require_issuable
from .errors import Conflict, InvalidRequest, NodeSetupError, NotFound
from .node import PUBLIC_URL_SETTING, SERVED_URL_SETTING
from .storage import IssuerStore
from .storage.awards import Award

OFFER_LIFETIME = timedelta(days=30)
MAX_TX_FAILURES = 5
TX_CODE_LENGTH = 6
OFFER_SCHEME = "openid-credential-offer://"
MAX_EVIDENCE = 20
_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s]{1,63}")


@dataclass(frozen=True)
class AwardCreated:
    """What the creator of an award hands on: the offer URL (mail it, show it as a QR code) and the tx_code.

    ``offer_url`` is ``openid-credential-offer://?credential_offer_uri=…``; ``tx_code``
    is None unless asked for, and must reach the learner by another channel.
    """

    award_id: str
    offer_url: str
    credential_offer_uri: str
    offer_token: str
    tx_code: str | None
    expires: datetime
    outbox_id: int | None = None

    @property
    def qr_url(self) -> str:
        """The PNG QR code of the offer URL (``GET /offers/{token}/qr.png``)."""
        return f"{self.credential_offer_uri}/qr.png"


def pre_authorized_code(offer_token: str) -> str:
    """The pre-authorized code of the offer whose token is ``offer_token`` (derived, never stored)."""
    digest = hmac.new(offer_token.encode("utf-8"), b"satchel/oid4vci/pre-authorized_code", hashlib.sha256).digest()
    return b64url_encode(digest)


def secret_hash(value: str) -> str:
    """The hash under which an offer token, a pre-authorized code or an access token is stored."""
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def tx_code_hash(award_id: str, tx_code: str) -> str:
    """The transaction code's hash, salted with its award (six digits alone would be one table lookup)."""
    return hashlib.sha256(f"{award_id}:{tx_code}".encode()).hexdigest()


def offer_urls(public_url: str, offer_token: str) -> tuple[str, str]:
    """(``credential_offer_uri``, the ``openid-credential-offer://`` URL that carries it by reference)."""
    uri = f"{public_url.rstrip('/')}/offers/{offer_token}"
    return uri, f"{OFFER_SCHEME}?credential_offer_uri={quote(uri, safe='')}"


def _public_url(store: IssuerStore, public_url: str | None) -> str:
    # The same order as ``node.open_node``: the configured public URL, else the one last served under.
    chosen = public_url or store.get_setting(PUBLIC_URL_SETTING) or store.get_setting(SERVED_URL_SETTING)
    if not chosen:
        raise NodeSetupError("the node has no public URL yet (give --public-url to init or serve)",
                             code="no_public_url")
    return chosen.rstrip("/")


def _evidence(evidence: Iterable[dict[str, Any]]) -> tuple[dict[str, Any], ...]:
    items = tuple(evidence)
    if len(items) > MAX_EVIDENCE:
        raise InvalidRequest(f"at most {MAX_EVIDENCE} pieces of evidence", field="evidence")
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise InvalidRequest("each piece of evidence is an Evidence object", field=f"evidence[{index}]")
    return tuple(dict(item) for item in items)


def create_award(store: IssuerStore, *, achievement_id: str, email: str, name: str | None,
                 narrative: str | None = None, evidence: Iterable[dict[str, Any]] = (), tx_code: bool = False,
                 now: datetime | None = None, public_url: str | None = None, lifetime: timedelta = OFFER_LIFETIME,
                 source: str | None = None, notify: bool = True) -> AwardCreated:
    """Create an award and its credential offer; queue the offer email to ``email`` (unless ``notify=False``).

    ``achievement_id`` is the achievement's id URL or uuid; it must exist and not
    be retired, and when it requires evidence, ``narrative`` or ``evidence``
    must give some. ``evidence`` items are OB 3.0 ``Evidence`` objects (the ones
    a reviewer approved); they go into the credential as they are. The offer
    points at ``public_url`` (default: the node's stored public URL) and expires
    after ``lifetime``. ``source`` notes where the award came from (``cli``,
    ``application:<id>``…). Raises ``NotFound``, ``Conflict`` or ``InvalidRequest``.
    """
    moment = (now or datetime.now(timezone.utc)).astimezone(timezone.utc)
    achievement = store.get_achievement(achievement_id)
    if achievement is None:
        raise NotFound(f"no achievement {achievement_id}", code="achievement_not_found")
    require_issuable(achievement)
    address = email.strip().lower()
    if not _EMAIL.fullmatch(address):
        raise InvalidRequest(f"not an email address: {email!r}", field="email")
    clean_name = name.strip() if name else None
    if clean_name is not None and len(clean_name) > 200:
        raise InvalidRequest("the recipient's name must be at most 200 characters", field="name")
    text = narrative.strip() if narrative else None
    if text is not None and len(text) > 10_000:
        raise InvalidRequest("the narrative must be at most 10,000 characters", field="narrative")
    items = _evidence(evidence)
    if achievement.evidence_policy == "required" and not (text or items):
        raise InvalidRequest(f"the achievement {achievement.name!r} requires evidence (a narrative or a URL)",
                             field="evidence", code="evidence_required")
    base = _public_url(store, public_url)

    award_id = str(uuid.uuid4())
    token = secrets.token_urlsafe(32)
    code = pre_authorized_code(token)
    pin = f"{secrets.randbelow(10 ** TX_CODE_LENGTH):0{TX_CODE_LENGTH}d}" if tx_code else None
    uri, url = offer_urls(base, token)
    award = Award(id=award_id, achievement_key=achievement.key, email=address, name=clean_name or None,
                  narrative=text or None, evidence=items, offer_hash=secret_hash(token), code_hash=secret_hash(code),
                  tx_code_hash=tx_code_hash(award_id, pin) if pin else None, tx_failures=0, source=source,
                  created=moment, expires=moment + lifetime)
    created = AwardCreated(award_id=award_id, offer_url=url, credential_offer_uri=uri, offer_token=token,
                           tx_code=pin, expires=award.expires)
    with store.atomic():
        store.add_award(award)
        outbox_id = None
        if notify:
            organization = store.get_organization()
            subject, body = render_offer_email(
                created, achievement_name=achievement.name, recipient_name=award.name,
                organization_name=organization.name if organization else "Your issuer")
            outbox_id = store.add_outbox(address, subject, body, created=moment)
    return AwardCreated(**{**created.__dict__, "outbox_id": outbox_id})


def render_offer_email(created: AwardCreated, *, achievement_name: str, organization_name: str,
                       recipient_name: str | None = None) -> tuple[str, str]:
    """The offer email: (subject, plain-text body). Never contains the transaction code."""
    subject = f"Your badge from {organization_name}: {achievement_name}"[:300]
    greeting = f"Hello {recipient_name}," if recipient_name else "Hello,"
    lines = [
        greeting,
        "",
        f"{organization_name} has awarded you the badge \"{achievement_name}\".",
        "",
        "To claim it, open this offer in your credential wallet (paste it into the wallet's",
        "\"Receive\" page, or scan the QR code linked below):",
        "",
        created.offer_url,
        "",
        f"QR code: {created.qr_url}",
        "",
        f"The offer can be claimed once and expires on {created.expires.strftime('%Y-%m-%d %H:%M UTC')}.",
    ]
    if created.tx_code is not None:
        lines += ["", "Your wallet will ask for a six-digit code; you receive it separately (it is not in",
                  "this email)."]
    lines += ["", f"-- {organization_name}"]
    return subject, "\n".join(lines) + "\n"


def find_award(store: IssuerStore, award_id: str) -> Award:
    award = store.get_award(award_id)
    if award is None:
        raise NotFound(f"no award {award_id}", code="award_not_found")
    return award


def withdraw_award(store: IssuerStore, award_id: str, *, now: datetime | None = None) -> Award:
    """End an award's offer now: its URL and code stop working. ``Conflict`` once the wallet redeemed it."""
    award = find_award(store, award_id)
    moment = (now or datetime.now(timezone.utc)).astimezone(timezone.utc)
    if not store.withdraw_award(award.id, at=moment):
        if award.redeemed_at is not None:
            raise Conflict("this award was already redeemed; revoke its credential instead", code="award_redeemed")
        raise Conflict("this award's offer has already ended", code="award_ended")
    return find_award(store, award.id)


def award_json(award: Award) -> dict[str, Any]:
    """An award as the operator sees it (no secret: the offer URL is in the outbox message)."""
    if award.credential_key:
        state = "issued"
    elif award.redeemed_at:
        state = "redeemed"
    else:
        state = "offered" if award.expires > datetime.now(timezone.utc) else "expired"
    return {
        "id": award.id, "achievement": award.achievement_key, "email": award.email, "name": award.name,
        "state": state, "created": award.created.isoformat(), "expires": award.expires.isoformat(),
        "txCode": award.tx_code_hash is not None, "credential": award.credential_key, "source": award.source,
    }
