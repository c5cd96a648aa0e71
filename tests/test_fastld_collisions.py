"""Keys that collide on one keyword: the fast path declines them, and pyld's answer stands.

A node object with both ``id`` and ``@id``, or an ``@id`` that is not a string (``null``), is
refused by JSON-LD expansion ("colliding keywords", "invalid @id value"). The one-pass
conversion once took the last of the colliding values, and a null ``id`` as a blank node,
writing N-Quads where the reference writes none. ``type`` beside ``@type`` pyld merges; the
fast path leaves that rare case to it too.
"""

from __future__ import annotations

from typing import Any

import pytest

from credentials import fastld
from credentials.canonical import canonicalize, canonicalize_reference
from credentials.errors import CanonicalizationError
from credentials.loader import bundled_loader

VC2 = "https://www.w3.org/ns/credentials/v2"


def _credential(**extra: Any) -> dict[str, Any]:
    return {"@context": [VC2], "type": ["VerifiableCredential"], "id": "urn:uuid:1", "issuer": "did:example:issuer",
            "credentialSubject": {"id": "did:example:subject"}, **extra}


@pytest.mark.parametrize("document", [
    _credential(**{"@id": "urn:uuid:1"}),
    _credential(**{"@id": "urn:uuid:2"}),
    dict(_credential(), id=None),
], ids=["id-and-@id", "two-ids", "null-id"])
def test_colliding_or_null_ids_are_left_to_pyld(document: dict[str, Any]) -> None:
    loader = bundled_loader()
    with pytest.raises(fastld.Unsupported):
        fastld.canonicalize_fast(document, loader=loader)
    with pytest.raises(CanonicalizationError):
        canonicalize_reference(document, loader=loader)
    with pytest.raises(CanonicalizationError):
        canonicalize(document, loader=loader)


def test_type_and_at_type_together_are_pyld_s_to_read() -> None:
    # pyld merges them; the fast path leaves that to it, and the answer is pyld's.
    loader = bundled_loader()
    document = _credential(**{"@type": "VerifiableCredential"})
    with pytest.raises(fastld.Unsupported):
        fastld.canonicalize_fast(document, loader=loader)
    assert canonicalize(document, loader=loader) == canonicalize_reference(document, loader=loader)


def test_one_id_key_is_still_read_by_the_fast_path() -> None:
    loader = bundled_loader()
    document = _credential()
    assert fastld.canonicalize_fast(document, loader=loader) == canonicalize_reference(document, loader=loader)
