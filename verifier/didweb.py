"""``--online`` only: fetch did:web documents over https, bounded and without cross-host redirects.

This is the one place the verifier may touch the network, and only when the
user asks. Spec: did:web Method Specification §3.2 (DID to HTTPS URL).

A fetched document is used exactly like a ``--did-document``: it speaks only for
the DID in its ``id`` (which must be the DID it was fetched for), so a key in
``did:web:evil.example``'s document never becomes another DID's key, whatever
its ``controller`` property says (``credentials.resolver``).
"""

from __future__ import annotations

import ssl
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from credentials.errors import CredentialError, JsonInputError
from credentials.strictjson import parse_json

TIMEOUT_SECONDS = 10
MAX_BYTES = 1024 * 1024


class DidWebError(CredentialError):
    """A did:web DID that cannot be mapped to a URL, or whose document cannot be fetched or read."""

    code = "did_web_unresolvable"


def did_web_url(did: str) -> str:
    """Map ``did:web:host[:path…]`` to its https URL (§3.2): ``/.well-known/did.json`` or ``/path/did.json``."""
    if not isinstance(did, str) or not did.startswith("did:web:"):
        raise DidWebError(f"not a did:web: {str(did)[:200]}", code="bad_did_web")
    parts = did[len("did:web:"):].split("#", 1)[0].split(":")
    host = urllib.parse.unquote(parts[0])
    if not host or "/" in host or "@" in host:
        raise DidWebError(f"malformed did:web host in {did[:200]}", code="bad_did_web")
    path = "/".join(urllib.parse.quote(urllib.parse.unquote(p), safe="") for p in parts[1:])
    return f"https://{host}/{path + '/did.json' if path else '.well-known/did.json'}"


class _SameHostRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req: Any, fp: Any, code: int, msg: str, headers: Any, newurl: str) -> Any:
        if urllib.parse.urlsplit(newurl).netloc != urllib.parse.urlsplit(req.full_url).netloc or not newurl.startswith("https://"):
            raise DidWebError(f"refused redirect from {req.full_url} to another host: {newurl[:200]}",
                              code="did_web_redirect_refused")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def fetch_did_document(did: str, *, tls: ssl.SSLContext | None = None) -> dict[str, Any]:
    """Fetch and check the DID document of ``did`` (``tls``: the certificate policy, default the system's)."""
    url = did_web_url(did)
    opener = urllib.request.build_opener(_SameHostRedirects(), urllib.request.HTTPSHandler(context=tls))
    try:
        with opener.open(urllib.request.Request(url, headers={"Accept": "application/did+json, application/json"}),
                         timeout=TIMEOUT_SECONDS) as response:
            data = response.read(MAX_BYTES + 1)
    except (urllib.error.URLError, OSError) as exc:
        raise DidWebError(f"could not fetch {url}: {exc}") from None
    if len(data) > MAX_BYTES:
        raise DidWebError(f"{url} is larger than {MAX_BYTES} bytes")
    try:
        doc = parse_json(data, max_bytes=MAX_BYTES)
    except JsonInputError as exc:
        raise DidWebError(f"{url} is not acceptable JSON: {exc}", code=exc.code, path=exc.path) from None
    if not isinstance(doc, dict) or doc.get("id") != did.split("#", 1)[0]:
        raise DidWebError(f"{url} is not the DID document of {did}")
    return doc


def fetch_did_web_documents(document: Any, *, known: list[dict[str, Any]],
                            tls: ssl.SSLContext | None = None) -> list[dict[str, Any]]:
    """Fetch the did:web controllers named by the document's proofs that the user did not give."""
    have = {doc.get("id") for doc in known}
    wanted: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("verificationMethod", "kid") and isinstance(value, str) and value.startswith("did:web:"):
                    wanted.add(value.split("#", 1)[0])
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    if isinstance(document, str):
        from credentials.vcjwt import decode_jwt

        try:
            header, payload, _, _ = decode_jwt(document)
            walk(header)
            walk(payload)
        except (CredentialError, ValueError, RecursionError):
            return []
    else:
        walk(document)
    fetched = []
    for did in sorted(wanted - have):
        try:
            fetched.append(fetch_did_document(did, tls=tls))
        except DidWebError:
            continue  # The proof then reports the key as not resolvable, naming it.
    return fetched
