"""did:web documents for the service: fetched only when allowed, bounded, and only for the DID asked for.

DESIGN.md §3: keys of did:web issuers come only from documents the user gives,
or, with ``--online``, from the network. The service fetches a did:web
document when started with ``--online`` or when the DID's host is on its allow
list, through ``webbase.fetch.fetch_limited`` (https only, timeout, size limit,
same-host redirects). A document is used only if its ``id`` is the DID it was
fetched for, so it speaks for that DID alone (``credentials.resolver``). A
failed fetch is skipped: the proof then reports the key as not resolvable.
At most ``MAX_DIDS`` documents are fetched per request, so one pasted document
cannot make the service call a hundred hosts.
"""

from __future__ import annotations

from typing import Any

import aiohttp

from credentials.errors import CredentialError, JsonInputError
from credentials.resolver import KeyResolver
from credentials.strictjson import parse_json
from credentials.vcjwt import decode_jwt
from verifier.didweb import DidWebError, did_web_url
from webbase.fetch import FetchError, fetch_limited

from .config import ServiceConfig
from .sharelink import decide

MAX_DIDS = 4
MAX_DOCUMENT_BYTES = 256 * 1024
ACCEPT = "application/did+json, application/did+ld+json;q=0.9, application/json;q=0.8"


def did_web_controllers(document: dict[str, Any] | str) -> list[str]:
    """The did:web DIDs whose keys the document's proofs (or a JWT's ``kid``) name, sorted."""
    found: set[str] = set()
    stack: list[Any] = []
    if isinstance(document, str):
        try:
            header, payload, _, _ = decode_jwt(document)
        except (CredentialError, ValueError, RecursionError):
            return []
        stack += [header, payload]
    else:
        stack.append(document)
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("verificationMethod", "kid") and isinstance(value, str) and value.startswith("did:web:"):
                    found.add(value.split("#", 1)[0])
                elif isinstance(value, (dict, list)):
                    stack.append(value)
        elif isinstance(node, list):
            stack.extend(node)
    return sorted(found)


def may_fetch(did: str, config: ServiceConfig) -> bool:
    try:
        return decide(did_web_url(did), config).allowed
    except DidWebError:
        return False


async def resolver_for(document: dict[str, Any] | str, config: ServiceConfig,
                       session: aiohttp.ClientSession | None = None) -> KeyResolver | None:
    """A resolver holding the did:web documents this service may fetch for ``document`` (None: nothing to fetch)."""
    wanted = [did for did in did_web_controllers(document) if may_fetch(did, config)][:MAX_DIDS]
    documents: list[dict[str, Any]] = []
    for did in wanted:
        try:
            data = await fetch_limited(did_web_url(did), timeout=config.fetch_timeout, max_bytes=MAX_DOCUMENT_BYTES,
                                       allowed_schemes=("https",), accept=ACCEPT, session=session,
                                       policy=config.address_policy)
            fetched = parse_json(data)
        except (FetchError, JsonInputError, DidWebError):
            continue
        if isinstance(fetched, dict) and fetched.get("id") == did:
            documents.append(fetched)
    if not documents:
        return None
    try:
        return KeyResolver(documents)
    except CredentialError:
        return None
