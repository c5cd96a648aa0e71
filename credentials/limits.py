"""Length bounds on the values a signer, presenter or canonicalizer is handed.

A verifier refuses an over-long DID or proofValue when it decodes it; a signer
or canonicalizer decodes neither, so without these bounds it would sign or
canonicalize a 400,000-character DID as data. No real identifier is that long:
did:key values are under 100 characters and a did:web with a path a few hundred,
while derived ``ecdsa-sd-2023`` proof values (base64url CBOR) reach a few
kilobytes. The bounds leave ample room above both.
"""

from __future__ import annotations

from typing import Any

from .errors import CredentialError

MAX_DID_LENGTH = 2048
MAX_PROOF_VALUE_LENGTH = 65536
_IDENTIFIER_KEYS = frozenset({"id", "issuer", "holder", "verificationMethod", "controller"})


class ValueTooLongError(CredentialError):
    code = "value_too_long"


def check_value_lengths(document: Any) -> None:
    """Raise ``ValueTooLongError`` (with the JSON path) for an over-long DID or ``proofValue``.

    Walks iteratively, so a document of any depth is bounded by its size only.
    """
    stack: list[tuple[Any, str]] = [(document, "$")]
    while stack:
        node, path = stack.pop()
        if isinstance(node, dict):
            for key, value in node.items():
                child = f"{path}.{key}"
                if isinstance(value, str):
                    _check_string(key, value, child)
                elif isinstance(value, (dict, list)):
                    stack.append((value, child))
        elif isinstance(node, list):
            for index, value in enumerate(node):
                stack.append((value, f"{path}[{index}]"))


def _check_string(key: str, value: str, path: str) -> None:
    if key == "proofValue" and len(value) > MAX_PROOF_VALUE_LENGTH:
        raise ValueTooLongError(f"proofValue is {len(value):,} characters; at most {MAX_PROOF_VALUE_LENGTH:,} are accepted",
                                path=path)
    if key in _IDENTIFIER_KEYS and value.startswith("did:") and len(value) > MAX_DID_LENGTH:
        raise ValueTooLongError(f"the DID is {len(value):,} characters; at most {MAX_DID_LENGTH:,} are accepted", path=path)
