"""OpenID4VCI 1.0 (final), pre-authorized code flow: the issuer's side, with no HTTP in it.

The node is its own authorization server (no ``authorization_servers`` in the
metadata), accepts token requests without a ``client_id``
(``pre-authorized_grant_anonymous_access_supported``), offers one credential
configuration (an ``ldp_vc`` ``OpenBadgeCredential`` signed ``eddsa-rdfc-2022``)
and binds every credential to the holder's did:key proven by a ``jwt`` key
proof (§8.2, Appendix F.1). The flow, and what each step keeps in the database
(so any number of node processes can serve it):

1. ``credential_offer`` (§4.1): ``GET /offers/{token}`` → the offer with its
   pre-authorized code (and ``tx_code`` description when one is needed);
2. ``exchange_code`` (§6, RFC 6749 §5): ``POST /token`` → a bearer access
   token, valid ``ACCESS_TOKEN_LIFETIME``; the code is spent (single use);
3. ``new_nonce`` (§7): ``POST /nonce`` → a ``c_nonce``, usable once, for ``NONCE_LIFETIME``;
4. ``issue_for_token`` (§8): ``POST /credential`` with the proof JWT → the signed credential.

Errors are ``OAuthError`` with the spec's codes (RFC 6749 §5.2 for the token
endpoint, RFC 6750 §3 and §8.3.1.2 for the credential endpoint); the routes
render them in the OAuth shape.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

from credentials.b64 import b64url_encode
from credentials.errors import CredentialError
from credentials.jws import OPENID4VCI_PROOF_TYPE, JwsError, decode_compact_jws, verify_compact_jws
from credentials.ob3 import OB3_CONTEXT, OB3_EXTENSIONS_CONTEXT
from credentials.vcdm import VC_V2_CONTEXT
from webbase.tokens import new_token

from .awards import MAX_TX_FAILURES, TX_CODE_LENGTH, pre_authorized_code, secret_hash, tx_code_hash
from .errors import IssuerError
from .issuing import IssueRequest, Recipient, issue_credential
from .node import IssuerNode
from .storage.awards import Award

PRE_AUTHORIZED_GRANT = "urn:ietf:params:oauth:grant-type:pre-authorized_code"
CONFIGURATION_ID = "OpenBadgeCredential"
CRYPTOSUITE = "eddsa-rdfc-2022"
PROOF_ALGORITHMS = ("EdDSA", "Ed25519")
ACCESS_TOKEN_LIFETIME = timedelta(minutes=5)  # §13.9: longer bearer tokens count as long lived.
NONCE_LIFETIME = timedelta(minutes=5)
PROOF_MAX_AGE = timedelta(minutes=5)  # How old a key proof's iat may be.
PROOF_MAX_FUTURE = timedelta(minutes=1)  # Clock skew tolerated for an iat ahead of ours (§13.6).
MAX_PROOF_LENGTH = 16 * 1024
NONCE_SECRET_SETTING = "oid4vci_nonce_secret"
TX_CODE_DESCRIPTION = "The six-digit code the issuer gave you separately from this offer."


class OAuthError(Exception):
    """An OAuth-shaped error: ``error`` (the spec's code), a description, the HTTP status."""

    def __init__(self, error: str, description: str, *, status: int = 400) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status


class OfferGone(IssuerError):
    """The offer existed but cannot be redeemed any more (expired, or already redeemed)."""

    code = "offer_gone"
    status = 410


class OfferNotFound(IssuerError):
    code = "offer_not_found"
    status = 404


def _now(now: datetime | None) -> datetime:
    return (now or datetime.now(timezone.utc)).astimezone(timezone.utc)


# --- metadata (§12.2, RFC 8414) ---------------------------------------------------------------------


def issuer_metadata(node: IssuerNode) -> dict[str, Any]:
    """The Credential Issuer Metadata (§12.2.4) served at ``/.well-known/openid-credential-issuer``."""
    base = node.public_url
    organization = node.organization
    issuer_display: dict[str, Any] = {"name": organization.name, "locale": "en-US"}
    credential_display: dict[str, Any] = {
        "name": "Open Badge", "locale": "en-US",
        "description": f"An Open Badges 3.0 credential issued by {organization.name}",
        "background_color": "#1f3a5f", "text_color": "#FFFFFF",
    }
    if organization.image:
        logo = {"uri": organization.image, "alt_text": f"{organization.name} logo"}
        issuer_display["logo"] = logo
        credential_display["logo"] = logo
    return {
        "credential_issuer": base,
        "credential_endpoint": f"{base}/credential",
        "nonce_endpoint": f"{base}/nonce",
        "display": [issuer_display],
        "credential_configurations_supported": {
            CONFIGURATION_ID: {
                "format": "ldp_vc",
                "scope": CONFIGURATION_ID,
                "cryptographic_binding_methods_supported": ["did:key"],
                "credential_signing_alg_values_supported": [CRYPTOSUITE],
                "proof_types_supported": {"jwt": {"proof_signing_alg_values_supported": list(PROOF_ALGORITHMS)}},
                "credential_definition": {
                    "@context": [VC_V2_CONTEXT, OB3_CONTEXT, OB3_EXTENSIONS_CONTEXT],
                    "type": ["VerifiableCredential", "OpenBadgeCredential"],
                },
                "credential_metadata": {"display": [credential_display]},
            },
        },
    }


def authorization_server_metadata(node: IssuerNode) -> dict[str, Any]:
    """OAuth 2.0 Authorization Server Metadata (RFC 8414) at ``/.well-known/oauth-authorization-server``."""
    base = node.public_url
    return {
        "issuer": base,
        "token_endpoint": f"{base}/token",
        "grant_types_supported": [PRE_AUTHORIZED_GRANT],
        "response_types_supported": [],
        "token_endpoint_auth_methods_supported": ["none"],
        "pre-authorized_grant_anonymous_access_supported": True,
    }


# --- the offer (§4.1) -------------------------------------------------------------------------------


def live_award_for_offer(node: IssuerNode, offer_token: str, *, now: datetime | None = None) -> Award:
    """The award behind an offer token, while it can still be redeemed (``OfferNotFound`` / ``OfferGone``)."""
    award = node.store.award_by_offer(secret_hash(offer_token)) if 20 <= len(offer_token) <= 100 else None
    if award is None:
        raise OfferNotFound("no such credential offer")
    if award.redeemed_at is not None:
        raise OfferGone("this credential offer was already redeemed; each offer can be claimed once",
                        code="offer_redeemed")
    if award.expires <= _now(now):
        raise OfferGone("this credential offer has expired; ask the issuer for a new one", code="offer_expired")
    achievement = node.store.get_achievement(award.achievement_key)
    if achievement is None or achievement.retired:
        raise OfferGone("the achievement of this offer is retired; it issues nothing new", code="offer_withdrawn")
    return award


def credential_offer(node: IssuerNode, offer_token: str, *, now: datetime | None = None) -> dict[str, Any]:
    """The Credential Offer object (§4.1.1) of a live offer."""
    award = live_award_for_offer(node, offer_token, now=now)
    grant: dict[str, Any] = {"pre-authorized_code": pre_authorized_code(offer_token)}
    if award.tx_code_hash is not None:
        grant["tx_code"] = {"input_mode": "numeric", "length": TX_CODE_LENGTH, "description": TX_CODE_DESCRIPTION}
    return {"credential_issuer": node.public_url, "credential_configuration_ids": [CONFIGURATION_ID],
            "grants": {PRE_AUTHORIZED_GRANT: grant}}


# --- the token endpoint (§6) ------------------------------------------------------------------------


def _authorization_details(raw: str | None, award: Award) -> list[dict[str, Any]] | None:
    """RFC 9396 ``authorization_details`` of the token request, answered with the award as identifier."""
    if raw is None:
        return None
    try:
        details = json.loads(raw)
    except ValueError:
        raise OAuthError("invalid_request", "authorization_details is not JSON") from None
    if not isinstance(details, list) or not details:
        raise OAuthError("invalid_request", "authorization_details must be a non-empty JSON array")
    answered = []
    for item in details:
        if not isinstance(item, dict) or item.get("type") != "openid_credential":
            raise OAuthError("invalid_authorization_details", "only authorization details of type "
                             "openid_credential are understood")
        if item.get("credential_configuration_id") != CONFIGURATION_ID:
            raise OAuthError("invalid_authorization_details",
                             f"the only credential configuration offered is {CONFIGURATION_ID}")
        answered.append({"type": "openid_credential", "credential_configuration_id": CONFIGURATION_ID,
                         "credential_identifiers": [award.id]})
    return answered


def exchange_code(node: IssuerNode, form: Mapping[str, str], *, now: datetime | None = None) -> dict[str, Any]:
    """Token Request (§6.1) → Token Response (§6.2); unknown parameters are ignored."""
    moment = _now(now)
    grant_type = form.get("grant_type")
    if not grant_type:
        raise OAuthError("invalid_request", "grant_type is required")
    if grant_type != PRE_AUTHORIZED_GRANT:
        raise OAuthError("unsupported_grant_type", f"this token endpoint takes only {PRE_AUTHORIZED_GRANT}")
    code = form.get("pre-authorized_code")
    if not code:
        raise OAuthError("invalid_request", "pre-authorized_code is required")
    award = node.store.award_by_code(secret_hash(code)) if len(code) <= 200 else None
    if award is None:
        raise OAuthError("invalid_grant", "the pre-authorized code is not valid")
    if award.redeemed_at is not None:
        raise OAuthError("invalid_grant", "the pre-authorized code was already used (offers are single use)")
    if award.expires <= moment:
        raise OAuthError("invalid_grant", "the pre-authorized code has expired")
    achievement = node.store.get_achievement(award.achievement_key)
    if achievement is None or achievement.retired:
        raise OAuthError("invalid_grant", "the achievement of this offer is retired; it issues nothing new")
    tx_code = form.get("tx_code")
    if award.tx_code_hash is None:
        if tx_code is not None:
            raise OAuthError("invalid_request", "this offer needs no tx_code, but one was sent")
    else:
        if award.tx_failures >= MAX_TX_FAILURES:
            raise OAuthError("invalid_grant", "too many wrong transaction codes; ask the issuer for a new offer")
        if not tx_code:
            raise OAuthError("invalid_request", "this offer needs the tx_code the issuer sent you separately")
        if len(tx_code) > 64 or tx_code_hash(award.id, tx_code) != award.tx_code_hash:
            failures = node.store.count_tx_failure(award.id)
            left = max(MAX_TX_FAILURES - failures, 0)
            raise OAuthError("invalid_grant", f"the transaction code is wrong ({left} tries left)")
    details = _authorization_details(form.get("authorization_details"), award)
    token = new_token()
    with node.store.atomic():
        if not node.store.mark_award_redeemed(award.id, at=moment):
            raise OAuthError("invalid_grant", "the pre-authorized code was already used (offers are single use)")
        node.store.add_access_token(secret_hash(token), award.id, expires=moment + ACCESS_TOKEN_LIFETIME)
    response: dict[str, Any] = {"access_token": token, "token_type": "Bearer",
                                "expires_in": int(ACCESS_TOKEN_LIFETIME.total_seconds()),
                                # Not in 1.0 (it has the nonce endpoint), but wallets built on the drafts
                                # read the nonce here; 1.0 wallets ignore it (§6.2: unknown parameters).
                                "c_nonce": new_nonce(node, now=moment),
                                "c_nonce_expires_in": int(NONCE_LIFETIME.total_seconds())}
    if details is not None:
        response["authorization_details"] = details
    return response


# --- the nonce endpoint (§7) ------------------------------------------------------------------------


def _nonce_key(node: IssuerNode) -> bytes:
    value = node.store.get_setting(NONCE_SECRET_SETTING)
    if value is None:
        # Stored only if absent, in one statement: every process on the database agrees on one secret.
        value = node.store.ensure_setting(NONCE_SECRET_SETTING, secrets.token_hex(32))
    return bytes.fromhex(value)


def _nonce_mac(key: bytes, body: str) -> str:
    return b64url_encode(hmac.new(key, f"c_nonce:{body}".encode(), hashlib.sha256).digest()[:16])


def new_nonce(node: IssuerNode, *, now: datetime | None = None) -> str:
    """A fresh, unpredictable ``c_nonce`` (§7.2), accepted once within ``NONCE_LIFETIME``.

    It is ``{expiry}.{128 random bits}.{HMAC}`` under a node secret: the nonce
    endpoint writes nothing, and any node process can check a nonce it did not
    hand out. Only spending one writes a row (``spend_nonce``), so a nonce is
    single use across processes too.
    """
    expires = int((_now(now) + NONCE_LIFETIME).timestamp())
    body = f"{expires}.{b64url_encode(secrets.token_bytes(16))}"
    return f"{body}.{_nonce_mac(_nonce_key(node), body)}"


def spend_nonce(node: IssuerNode, nonce: str, *, now: datetime | None = None) -> bool:
    """True once for a nonce this node made that has not expired; False for any other."""
    moment = _now(now)
    body, _, mac = nonce.rpartition(".")
    expiry_text = body.partition(".")[0]
    if len(nonce) > 120 or not body or not expiry_text.isdigit():
        return False
    if not hmac.compare_digest(mac, _nonce_mac(_nonce_key(node), body)):
        return False
    expires = datetime.fromtimestamp(int(expiry_text), timezone.utc)
    if expires <= moment:
        return False
    return node.store.spend_nonce(nonce, expires=expires, now=moment)


# --- the credential endpoint (§8) -------------------------------------------------------------------


def award_for_access_token(node: IssuerNode, token: str | None, *, now: datetime | None = None) -> Award:
    """The award a bearer access token was issued for (RFC 6750 §3: ``invalid_token``, 401)."""
    if not token:
        raise OAuthError("invalid_token", "the credential endpoint needs 'Authorization: Bearer <access token>'",
                         status=401)
    award = node.store.award_for_access_token(secret_hash(token), now=_now(now))
    if award is None:
        raise OAuthError("invalid_token", "the access token is not valid (unknown or expired)", status=401)
    return award


def _proof_jwts(body: Mapping[str, Any]) -> list[str]:
    proofs = body.get("proofs")
    if proofs is None and isinstance(body.get("proof"), dict):
        # Drafts before 1.0 sent one "proof": {"proof_type": "jwt", "jwt": …}; accepting it costs nothing.
        single = body["proof"]
        if single.get("proof_type") != "jwt" or not isinstance(single.get("jwt"), str):
            raise OAuthError("invalid_proof", "the only proof type accepted is jwt")
        return [single["jwt"]]
    if proofs is None:
        raise OAuthError("invalid_proof", "proofs is required: {\"jwt\": [\"<key proof JWT>\"]}")
    if not isinstance(proofs, dict) or len(proofs) != 1:
        raise OAuthError("invalid_proof", "proofs must hold exactly one proof type")
    if "jwt" not in proofs:
        raise OAuthError("invalid_proof", f"proof type {next(iter(proofs))[:40]!r} is not supported; use jwt")
    jwts = proofs["jwt"]
    if not isinstance(jwts, list) or not jwts or not all(isinstance(j, str) for j in jwts):
        raise OAuthError("invalid_proof", "proofs.jwt must be a non-empty array of JWT strings")
    if len(jwts) > 1:
        raise OAuthError("invalid_proof", "this issuer issues one credential per request: send one key proof")
    return jwts


def check_key_proof(node: IssuerNode, jwt: str, *, now: datetime | None = None) -> tuple[str, str]:
    """Check a ``jwt`` key proof (Appendix F.1, F.4) except its nonce; return (holder DID, nonce).

    Header: ``typ`` ``openid4vci-proof+jwt``, ``alg`` EdDSA, ``kid`` a did:key
    verification method (no ``jwk`` or ``x5c`` beside it), a valid signature.
    Payload: ``aud`` the credential issuer identifier, ``iat`` within
    ``PROOF_MAX_AGE`` (and at most ``PROOF_MAX_FUTURE`` ahead), a ``nonce``.
    """
    moment = _now(now)
    try:
        header = decode_compact_jws(jwt, max_length=MAX_PROOF_LENGTH).header
    except CredentialError as exc:
        raise OAuthError("invalid_proof", f"the key proof is not a compact JWT: {exc}") from None
    if header.get("typ") != OPENID4VCI_PROOF_TYPE:
        raise OAuthError("invalid_proof", f"the key proof's typ must be {OPENID4VCI_PROOF_TYPE}")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid.startswith("did:key:") or "#" not in kid:
        raise OAuthError("invalid_proof", "the key proof's kid must be a did:key verification method "
                                          "(did:key:z6Mk…#z6Mk…)")
    if "jwk" in header or "x5c" in header:
        raise OAuthError("invalid_proof", "the key proof must not carry jwk or x5c beside kid")
    try:
        verified = verify_compact_jws(jwt, max_length=MAX_PROOF_LENGTH)
    except JwsError as exc:
        raise OAuthError("invalid_proof", f"the key proof does not verify: {exc}") from None
    payload = verified.payload
    holder = kid.split("#", 1)[0]
    if verified.method.controller != holder:
        raise OAuthError("invalid_proof", "the key proof's kid is not a key of its own DID")
    audience = payload.get("aud")
    audiences = audience if isinstance(audience, list) else [audience]
    if node.public_url not in audiences:
        raise OAuthError("invalid_proof", f"the key proof's aud must be the credential issuer {node.public_url}")
    iat = payload.get("iat")
    if not isinstance(iat, (int, float)) or isinstance(iat, bool):
        raise OAuthError("invalid_proof", "the key proof needs iat (seconds since the epoch)")
    issued = datetime.fromtimestamp(iat, timezone.utc) if 0 <= iat < 1e11 else None  # No overflow.
    if issued is None or issued < moment - PROOF_MAX_AGE or issued > moment + PROOF_MAX_FUTURE:
        raise OAuthError("invalid_proof", "the key proof's iat is not recent; sign a new proof")
    nonce = payload.get("nonce")
    if not isinstance(nonce, str) or not nonce:
        raise OAuthError("invalid_proof", "the key proof has no nonce; get a c_nonce from the nonce endpoint")
    return holder, nonce


def _check_request(body: Mapping[str, Any], award: Award) -> None:
    configuration = body.get("credential_configuration_id")
    identifier = body.get("credential_identifier")
    if configuration is not None and identifier is not None:
        raise OAuthError("invalid_credential_request",
                         "give credential_configuration_id or credential_identifier, not both")
    if identifier is not None:
        if identifier != award.id:
            raise OAuthError("unknown_credential_identifier", "unknown credential_identifier")
        return
    if configuration is None:
        raise OAuthError("invalid_credential_request", "credential_configuration_id is required")
    if configuration != CONFIGURATION_ID:
        raise OAuthError("unknown_credential_configuration",
                         f"unknown credential configuration; this issuer offers {CONFIGURATION_ID}")


class _AlreadyIssued(Exception):
    """A concurrent request issued this award first (its transaction is rolled back)."""


def issue_for_token(node: IssuerNode, access_token: str | None, body: Mapping[str, Any], *,
                    now: datetime | None = None) -> dict[str, Any]:
    """Credential Request (§8.2) → Credential Response (§8.3): the credential bound to the proven did:key.

    The nonce is spent before issuing, in its own transaction, so a proof can
    never be replayed even when issuing then fails. A repeated request for an
    award already issued to the same holder gets the same credential again
    (§13 "Multiple Accesses to the Credential Endpoint"); for another key it is denied.
    """
    moment = _now(now)
    award = award_for_access_token(node, access_token, now=moment)
    _check_request(body, award)
    [jwt] = _proof_jwts(body)
    holder, nonce = check_key_proof(node, jwt, now=moment)
    if not spend_nonce(node, nonce, now=moment):
        raise OAuthError("invalid_nonce", "the key proof's nonce is unknown, used or expired; get a new c_nonce")
    if award.credential_key is not None:
        return _reissue(node, award, holder)
    request = IssueRequest(achievement=award.achievement_key, recipient=Recipient(did=holder, name=award.name),
                           narrative=award.narrative, evidence=award.evidence)
    try:
        with node.store.atomic():
            issued = issue_credential(node, request, now=moment)
            if not node.store.mark_award_issued(award.id, issued.key, at=moment):
                raise _AlreadyIssued()
    except _AlreadyIssued:
        fresh = node.store.get_award(award.id)
        assert fresh is not None
        return _reissue(node, fresh, holder)
    except IssuerError as exc:
        raise OAuthError("credential_request_denied", str(exc)) from None
    return {"credentials": [{"credential": issued.document}]}


def _reissue(node: IssuerNode, award: Award, holder: str) -> dict[str, Any]:
    record = node.store.get_credential(award.credential_key or "")
    if record is None or record.recipient_did != holder:
        raise OAuthError("credential_request_denied", "this award was already issued to another key")
    return {"credentials": [{"credential": record.document}]}

