"""Receiving a credential offer: the OpenID4VCI 1.0 pre-authorized code flow, the wallet's side.

Given ``openid-credential-offer://?credential_offer_uri=…`` (or ``?credential_offer=<json>``)
and, when the offer asks for one, the transaction code, ``redeem_offer``:

1. reads the offer (§4.1; fetched by reference, or inline), keeping only what it
   understands (unknown parameters are ignored, as the spec says);
2. fetches the Credential Issuer Metadata (§12.2.2, the well-known URI inserted
   after the host) and checks its ``credential_issuer`` is the offer's, character
   for character, then the Authorization Server Metadata (RFC 8414 §3) for the token endpoint;
3. exchanges the pre-authorized code (and tx_code) for an access token (§6);
4. gets a ``c_nonce`` from the nonce endpoint (§7), when the issuer has one;
5. signs the key proof JWT (Appendix F.1: ``typ`` ``openid4vci-proof+jwt``,
   EdDSA, ``kid`` = the account's holder did:key verification method; ``aud`` =
   the credential issuer, ``iat``, ``nonce``) with the account's holder key and
   requests the credential (§8), retrying once with a new nonce on ``invalid_nonce``;
6. returns the credentials, which the caller imports through the wallet's normal
   path (``importing.import_candidates``: verified, addressed to the account, stored once).

The URLs come from whoever wrote the offer, so every request is bounded
(``IssuerHttp``): http(s) only, with plain http allowed only to loopback hosts
(tests and a demo on one machine run on ``http://127.0.0.1``) or to hosts the
operator lists in ``allow_http_hosts``; a timeout per request; a size limit
while reading; no redirect to another host (none at all for POSTs). The spec
asks for https everywhere; loopback http is the one deliberate exception.
Errors are ``OfferRefused`` (the issuer said no, or the offer is malformed:
400 with code ``oid4vci_<error>``) and ``IssuerUnreachable`` (502).
"""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit, urlunsplit

import aiohttp
from yarl import URL

from credentials.errors import JsonInputError
from credentials.jws import OPENID4VCI_PROOF_TYPE, sign_compact_jws
from credentials.keys import Signer
from credentials.strictjson import parse_json
from webbase.netpolicy import DEFAULT_POLICY, AddressPolicy, AddressRefused, check_literal_host

from .errors import WalletError

PRE_AUTHORIZED_GRANT = "urn:ietf:params:oauth:grant-type:pre-authorized_code"
OFFER_SCHEMES = ("openid-credential-offer", "haip", "https", "http")
SUPPORTED_FORMATS = ("ldp_vc", "jwt_vc_json", "jwt_vc_json-ld")
OUR_PROOF_ALGORITHMS = ("EdDSA", "Ed25519")
DEFAULT_TIMEOUT = 10.0
MAX_METADATA_BYTES = 256 * 1024
MAX_CREDENTIAL_BYTES = 4 * 1024 * 1024
MAX_OFFER_LENGTH = 16 * 1024
MAX_REDIRECTS = 3
LOOPBACK_NAMES = frozenset({"localhost"})


class OfferRefused(WalletError):
    """The offer is malformed or the issuer refused a step; ``code`` is ``oid4vci_<reason>``."""

    code = "oid4vci_refused"
    status = 400


class IssuerUnreachable(WalletError):
    """An issuer endpoint could not be reached, answered too slowly or too much, or not in JSON."""

    code = "oid4vci_issuer_unreachable"
    status = 502


@dataclass(frozen=True)
class Offer:
    """The parts of a Credential Offer the pre-authorized flow needs."""

    credential_issuer: str
    configuration_ids: tuple[str, ...]
    pre_authorized_code: str
    tx_code: Mapping[str, Any] | None  # None: no transaction code is asked for
    authorization_server: str | None = None


@dataclass(frozen=True)
class Received:
    """What a redemption gives: the credentials (objects or compact JWTs) and where they came from."""

    credential_issuer: str
    configuration_id: str
    credentials: tuple[dict[str, Any] | str, ...]


def _is_loopback(host: str) -> bool:
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass
class IssuerHttp:
    """Bounded JSON requests to an issuer (see the module docstring for the policy)."""

    session: aiohttp.ClientSession
    timeout: float = DEFAULT_TIMEOUT
    allow_http_hosts: frozenset[str] = field(default_factory=frozenset)
    policy: AddressPolicy = DEFAULT_POLICY  # the same policy as the session's resolver

    def check_url(self, url: str, what: str) -> URL:
        try:
            parsed = URL(url)
        except (ValueError, TypeError):
            raise OfferRefused(f"the {what} is not a URL", code="oid4vci_bad_url") from None
        host = parsed.host or ""
        if parsed.scheme in ("http", "https") and host:
            try:
                # An IP literal never reaches the session's resolver, so its address is judged here.
                check_literal_host(host, self.policy)
            except AddressRefused as exc:
                raise OfferRefused(f"the {what}: {exc}", code="oid4vci_address_refused") from None
        if parsed.scheme == "https" and host:
            return parsed
        if parsed.scheme == "http" and host and (_is_loopback(host) or host.lower() in self.allow_http_hosts):
            return parsed
        raise OfferRefused(f"the {what} must be an https URL (plain http only on this machine's loopback "
                           f"or an allowed host), not {url[:120]!r}", code="oid4vci_bad_url")

    async def _read(self, response: aiohttp.ClientResponse, url: URL, max_bytes: int) -> bytes:
        if response.content_length is not None and response.content_length > max_bytes:
            raise IssuerUnreachable(f"{url} answered more than {max_bytes:,} bytes")
        data = bytearray()
        async for chunk in response.content.iter_chunked(64 * 1024):
            data += chunk
            if len(data) > max_bytes:
                raise IssuerUnreachable(f"{url} answered more than {max_bytes:,} bytes")
        return bytes(data)

    async def request(self, method: str, url: str, *, what: str, max_bytes: int = MAX_METADATA_BYTES,
                      form: Mapping[str, str] | None = None, body: Any = None,
                      headers: Mapping[str, str] | None = None) -> tuple[int, Any]:
        """(status, parsed JSON body or None). GETs follow same-host redirects; POSTs none."""
        current = self.check_url(url, what)
        sent_headers = {"Accept": "application/json", **(headers or {})}
        try:
            async with asyncio.timeout(self.timeout):
                for _ in range(MAX_REDIRECTS + 1):
                    async with self.session.request(method, current, data=form, json=body, headers=sent_headers,
                                                    allow_redirects=False) as response:
                        if method == "GET" and response.status in (301, 302, 303, 307, 308):
                            target = current.join(URL(response.headers.get("Location", "")))
                            if (target.host or "").lower() != (current.host or "").lower():
                                raise IssuerUnreachable(f"{current} redirected to another host; refused")
                            current = self.check_url(str(target), what)
                            continue
                        raw = await self._read(response, current, max_bytes)
                        return response.status, _json_or_none(raw)
                raise IssuerUnreachable(f"{url} redirected more than {MAX_REDIRECTS} times")
        except AddressRefused as exc:
            raise OfferRefused(f"the {what}: {exc}", code="oid4vci_address_refused") from None
        except TimeoutError:
            raise IssuerUnreachable(f"the {what} {current} did not answer within {self.timeout:g} seconds") from None
        except aiohttp.ClientError as exc:
            raise IssuerUnreachable(f"could not reach the {what} {current}: {type(exc).__name__}") from None

    async def get_json(self, url: str, *, what: str) -> dict[str, Any]:
        status, data = await self.request("GET", url, what=what)
        if status != 200 or not isinstance(data, dict):
            reason = _oauth_error(data)
            if reason is not None:
                raise OfferRefused(f"the {what} answered HTTP {status}: {reason[1]}", code=f"oid4vci_{reason[0]}")
            if what == "credential offer":
                code = {404: "oid4vci_offer_not_found", 410: "oid4vci_offer_gone"}.get(status,
                                                                                      "oid4vci_offer_unavailable")
            else:
                code = "oid4vci_metadata_unavailable"
            raise OfferRefused(f"the {what} answered HTTP {status}{_problem_detail(data)}", code=code)
        return data


def _json_or_none(raw: bytes) -> Any:
    if not raw:
        return None
    try:
        return parse_json(raw)
    except JsonInputError:
        return None


def _short(text: Any, limit: int = 300) -> str:
    return "".join(ch for ch in str(text) if ch.isprintable())[:limit]


def _oauth_error(data: Any) -> tuple[str, str] | None:
    """(error, description) of an OAuth-shaped error body; the code is kept only if it is a plain token."""
    if not isinstance(data, dict) or not isinstance(data.get("error"), str):
        return None
    error = data["error"]
    if not error.replace("_", "").isalnum() or len(error) > 60:
        error = "error"
    return error, _short(data.get("error_description") or error)


def _problem_detail(data: Any) -> str:
    if isinstance(data, dict) and isinstance(data.get("detail"), str):
        return f": {_short(data['detail'])}"
    return ""


# --- the offer -----------------------------------------------------------------------------------


def parse_offer_url(text: str) -> tuple[str | None, dict[str, Any] | None]:
    """(credential_offer_uri, None) or (None, the inline offer object) from an offer URL."""
    if not isinstance(text, str) or not text.strip() or len(text) > MAX_OFFER_LENGTH:
        raise OfferRefused("the offer must be an openid-credential-offer:// URL", code="oid4vci_bad_offer")
    parts = urlsplit(text.strip())
    if parts.scheme.lower() not in OFFER_SCHEMES:
        raise OfferRefused("the offer must be an openid-credential-offer:// URL", code="oid4vci_bad_offer")
    query = parse_qs(parts.query, keep_blank_values=True)
    by_reference = query.get("credential_offer_uri")
    by_value = query.get("credential_offer")
    if bool(by_reference) == bool(by_value) or len(by_reference or by_value or []) != 1:
        raise OfferRefused("the offer URL must carry exactly one credential_offer_uri or credential_offer",
                           code="oid4vci_bad_offer")
    if by_reference:
        return by_reference[0], None
    try:
        value = parse_json(by_value[0].encode("utf-8"), max_bytes=MAX_OFFER_LENGTH)  # type: ignore[index]
    except JsonInputError as exc:
        raise OfferRefused(f"the inline credential_offer is not JSON: {exc}", code="oid4vci_bad_offer") from None
    if not isinstance(value, dict):
        raise OfferRefused("the inline credential_offer is not a JSON object", code="oid4vci_bad_offer")
    return None, value


def read_offer(value: Mapping[str, Any]) -> Offer:
    """The pre-authorized grant of a Credential Offer object (§4.1.1); other grants and parameters are ignored."""
    issuer = value.get("credential_issuer")
    ids = value.get("credential_configuration_ids")
    if not isinstance(issuer, str) or not issuer:
        raise OfferRefused("the offer names no credential_issuer", code="oid4vci_bad_offer")
    if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
        raise OfferRefused("the offer's credential_configuration_ids must be a non-empty list of strings",
                           code="oid4vci_bad_offer")
    grants = value.get("grants")
    grant = grants.get(PRE_AUTHORIZED_GRANT) if isinstance(grants, dict) else None
    if not isinstance(grant, dict) or not isinstance(grant.get("pre-authorized_code"), str):
        raise OfferRefused("the offer has no pre-authorized code grant; only that flow is supported here",
                           code="oid4vci_unsupported_grant")
    tx_code = grant.get("tx_code")
    if tx_code is not None and not isinstance(tx_code, dict):
        raise OfferRefused("the offer's tx_code must be an object", code="oid4vci_bad_offer")
    server = grant.get("authorization_server")
    return Offer(credential_issuer=issuer, configuration_ids=tuple(ids),
                 pre_authorized_code=grant["pre-authorized_code"], tx_code=tx_code,
                 authorization_server=server if isinstance(server, str) else None)


def well_known_url(identifier: str, suffix: str) -> str:
    """``https://h/p`` + ``openid-credential-issuer`` → ``https://h/.well-known/openid-credential-issuer/p``."""
    parts = urlsplit(identifier)
    path = parts.path.rstrip("/")
    return urlunsplit((parts.scheme, parts.netloc, f"/.well-known/{suffix}{path}", "", ""))


def _choose_configuration(offer: Offer, metadata: Mapping[str, Any]) -> tuple[str, Mapping[str, Any]]:
    supported = metadata.get("credential_configurations_supported")
    if not isinstance(supported, dict):
        raise OfferRefused("the issuer metadata has no credential_configurations_supported",
                           code="oid4vci_bad_metadata")
    for configuration_id in offer.configuration_ids:
        configuration = supported.get(configuration_id)
        if isinstance(configuration, dict) and configuration.get("format") in SUPPORTED_FORMATS:
            return configuration_id, configuration
    raise OfferRefused("the issuer offers no credential in a format this wallet reads "
                       f"({', '.join(SUPPORTED_FORMATS)})", code="oid4vci_unsupported_format")


def _needs_proof(configuration: Mapping[str, Any]) -> bool:
    proof_types = configuration.get("proof_types_supported")
    if proof_types is None:
        return False
    jwt = proof_types.get("jwt") if isinstance(proof_types, dict) else None
    algorithms = jwt.get("proof_signing_alg_values_supported") if isinstance(jwt, dict) else None
    if not isinstance(algorithms, list) or not any(a in OUR_PROOF_ALGORITHMS for a in algorithms):
        raise OfferRefused("the issuer takes no jwt key proof signed with EdDSA, which this wallet's "
                           "holder keys make", code="oid4vci_unsupported_proof")
    methods = configuration.get("cryptographic_binding_methods_supported")
    if isinstance(methods, list) and methods and "did:key" not in methods and "did" not in methods:
        raise OfferRefused("the issuer does not bind credentials to a did:key", code="oid4vci_unsupported_binding")
    return True


def key_proof(signer: Signer, *, audience: str, nonce: str | None, issued_at: int) -> str:
    """The ``jwt`` key proof (Appendix F.1) signed by the holder key; no ``iss`` (anonymous pre-authorized flow)."""
    payload: dict[str, Any] = {"aud": audience, "iat": issued_at}
    if nonce is not None:
        payload["nonce"] = nonce
    return sign_compact_jws({"typ": OPENID4VCI_PROOF_TYPE}, payload, signer=signer)


# --- the flow ------------------------------------------------------------------------------------


async def redeem_offer(offer_url: str, *, tx_code: str | None, signer: Signer, issued_at: int,
                       session: aiohttp.ClientSession, allow_http_hosts: Sequence[str] = (),
                       timeout: float = DEFAULT_TIMEOUT, policy: AddressPolicy = DEFAULT_POLICY) -> Received:
    """Run the pre-authorized code flow for ``offer_url`` and return the credentials, bound to ``signer``'s DID."""
    http = IssuerHttp(session, timeout=timeout, allow_http_hosts=frozenset(h.lower() for h in allow_http_hosts),
                      policy=policy)
    uri, inline = parse_offer_url(offer_url)
    offer_json = inline if inline is not None else await http.get_json(uri or "", what="credential offer")
    offer = read_offer(offer_json)
    if offer.tx_code is not None and not tx_code:
        length = offer.tx_code.get("length")
        described = _short(offer.tx_code.get("description") or "")
        raise OfferRefused("this offer needs a transaction code" + (f" ({length} characters)" if length else "")
                           + (f": {described}" if described else ""), code="oid4vci_tx_code_required")

    metadata = await http.get_json(well_known_url(offer.credential_issuer, "openid-credential-issuer"),
                                   what="issuer metadata")
    if metadata.get("credential_issuer") != offer.credential_issuer:
        raise OfferRefused("the issuer metadata names another credential_issuer than the offer; refused (§12.2.4)",
                           code="oid4vci_bad_metadata")
    configuration_id, configuration = _choose_configuration(offer, metadata)
    needs_proof = _needs_proof(configuration)
    credential_endpoint = metadata.get("credential_endpoint")
    if not isinstance(credential_endpoint, str):
        raise OfferRefused("the issuer metadata has no credential_endpoint", code="oid4vci_bad_metadata")
    nonce_endpoint = metadata.get("nonce_endpoint")

    servers = metadata.get("authorization_servers")
    server = offer.credential_issuer
    if isinstance(servers, list) and servers and all(isinstance(s, str) for s in servers):
        hinted = offer.authorization_server
        server = hinted if hinted is not None and hinted in servers else str(servers[0])
    as_metadata = await http.get_json(well_known_url(server, "oauth-authorization-server"),
                                      what="authorization server metadata")
    token_endpoint = as_metadata.get("token_endpoint")
    if not isinstance(token_endpoint, str):
        raise OfferRefused("the authorization server metadata has no token_endpoint", code="oid4vci_bad_metadata")

    form = {"grant_type": PRE_AUTHORIZED_GRANT, "pre-authorized_code": offer.pre_authorized_code}
    if offer.tx_code is not None and tx_code:
        form["tx_code"] = tx_code
    status, token = await http.request("POST", token_endpoint, what="token endpoint", form=form)
    if status != 200 or not isinstance(token, dict):
        _raise_refused("token endpoint", status, token)
    assert isinstance(token, dict)
    access_token = token.get("access_token")
    if not isinstance(access_token, str) or str(token.get("token_type", "")).lower() != "bearer":
        raise OfferRefused("the token endpoint gave no bearer access token", code="oid4vci_bad_token_response")
    request_body: dict[str, Any] = {"credential_configuration_id": configuration_id}
    identifier = _credential_identifier(token, configuration_id)
    if identifier is not None:
        request_body = {"credential_identifier": identifier}

    credential_response: Any = None
    for attempt in range(2):
        if needs_proof:
            nonce = await _nonce(http, nonce_endpoint) if isinstance(nonce_endpoint, str) else None
            proof = key_proof(signer, audience=offer.credential_issuer, nonce=nonce, issued_at=issued_at)
            request_body["proofs"] = {"jwt": [proof]}
        status, credential_response = await http.request(
            "POST", credential_endpoint, what="credential endpoint", body=request_body,
            headers={"Authorization": f"Bearer {access_token}"}, max_bytes=MAX_CREDENTIAL_BYTES)
        reason = _oauth_error(credential_response)
        if attempt == 0 and status == 400 and reason is not None and reason[0] == "invalid_nonce" and needs_proof:
            continue  # §8.3.1.2: get a new c_nonce and try again, once.
        break
    if status == 202:
        raise OfferRefused("the issuer deferred issuance, which this wallet does not support yet",
                           code="oid4vci_deferred")
    if status != 200 or not isinstance(credential_response, dict):
        _raise_refused("credential endpoint", status, credential_response)
    return Received(credential_issuer=offer.credential_issuer, configuration_id=configuration_id,
                    credentials=_credentials_of(credential_response))


async def _nonce(http: IssuerHttp, endpoint: str) -> str:
    status, body = await http.request("POST", endpoint, what="nonce endpoint")
    nonce = body.get("c_nonce") if isinstance(body, dict) else None
    if status != 200 or not isinstance(nonce, str) or not nonce:
        _raise_refused("nonce endpoint", status, body)
    assert isinstance(nonce, str)
    return nonce


def _credential_identifier(token: Mapping[str, Any], configuration_id: str) -> str | None:
    details = token.get("authorization_details")
    if not isinstance(details, list):
        return None
    for item in details:
        if isinstance(item, dict) and item.get("credential_configuration_id") == configuration_id:
            identifiers = item.get("credential_identifiers")
            if isinstance(identifiers, list) and identifiers and isinstance(identifiers[0], str):
                return identifiers[0]
    return None


def _credentials_of(response: Mapping[str, Any]) -> tuple[dict[str, Any] | str, ...]:
    items = response.get("credentials")
    if not isinstance(items, list) or not items:
        raise OfferRefused("the credential response holds no credentials", code="oid4vci_bad_credential_response")
    found: list[dict[str, Any] | str] = []
    for item in items:
        credential = item.get("credential") if isinstance(item, dict) else None
        if not isinstance(credential, (dict, str)):
            raise OfferRefused("a credential response entry has no credential", code="oid4vci_bad_credential_response")
        found.append(credential)
    return tuple(found)


def _raise_refused(what: str, status: int, body: Any) -> None:
    reason = _oauth_error(body)
    if reason is not None:
        raise OfferRefused(f"the {what} refused: {reason[1]}", code=f"oid4vci_{reason[0]}")
    raise OfferRefused(f"the {what} answered HTTP {status}{_problem_detail(body)}", code="oid4vci_refused")


def offer_request(body: Mapping[str, Any]) -> tuple[str, str | None]:
    """``{"offer": str, "tx_code"?: str}`` of ``POST /api/credentials`` → (offer URL, tx_code)."""
    offer = body.get("offer")
    tx_code = body.get("tx_code")
    if not isinstance(offer, str) or not offer.strip():
        raise OfferRefused("offer must be an openid-credential-offer:// URL (a string)", code="oid4vci_bad_offer")
    if tx_code is not None and (not isinstance(tx_code, str) or len(tx_code) > 64):
        raise OfferRefused("tx_code must be a string of at most 64 characters", code="oid4vci_bad_tx_code")
    return offer.strip(), tx_code.strip() if isinstance(tx_code, str) else None


def describe(received: Received) -> str:
    """A label for the import report: which issuer the credential came from."""
    return f"offer from {received.credential_issuer}"


__all__ = ["IssuerHttp", "IssuerUnreachable", "Offer", "OfferRefused", "Received", "key_proof", "offer_request",
           "parse_offer_url", "read_offer", "redeem_offer", "well_known_url"]
