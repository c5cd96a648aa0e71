"""Safe mode: a property or type that no context defines is an error naming its JSON path.

The fast path and pyld must agree on which terms are undefined, on hand-made
cases and on every real-world credential.
"""

from __future__ import annotations

import json

import pytest
from reference import REFERENCE_DIR, reference_dir

from credentials.canonical import find_undefined_terms, find_undefined_terms_reference
from credentials.loader import bundled_loader

VC2 = "https://www.w3.org/ns/credentials/v2"
OB3 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"


def _badge(**subject_extra) -> dict:
    return {"@context": [VC2, OB3], "type": ["VerifiableCredential", "OpenBadgeCredential"],
            "issuer": {"id": "did:example:issuer", "type": ["Profile"], "name": "District"},
            "validFrom": "2026-01-01T00:00:00Z",
            "credentialSubject": {"type": ["AchievementSubject"],
                                  "achievement": {"id": "urn:uuid:a", "type": ["Achievement"], "name": "A",
                                                  "criteria": {"narrative": "n"}}, **subject_extra}}


CASES = {
    "defined_everywhere": (_badge(), []),
    "undefined_top_level_property": ({**_badge(), "colour": "teal"}, [("colour", "$.colour")]),
    "undefined_nested_property": (_badge(shoeSize=44), [("shoeSize", "$.credentialSubject.shoeSize")]),
    "undefined_type": ({**_badge(), "type": ["VerifiableCredential", "OpenBadgeCredential", "GoldStar"]},
                       [("GoldStar", "$.type[2]")]),
    "undefined_in_array_item": ({**_badge(), "evidence": [{"type": ["Evidence"], "grade": "A"}]},
                                [("grade", "$.evidence[0].grade")]),
    "inline_context_defines_it": ({**_badge(), "@context": [VC2, OB3, {"colour": "https://example.org/colour"}],
                                   "colour": "teal"}, []),
    "inline_context_leaves_another_undefined": ({**_badge(), "@context": [VC2, OB3, {"colour": "https://example.org/c"}],
                                                 "colour": "teal", "size": 3}, [("size", "$.size")]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_undefined_terms_are_named_with_their_path(name: str) -> None:
    document, expected = CASES[name]
    assert find_undefined_terms(document, loader=bundled_loader()) == expected
    assert find_undefined_terms_reference(document, loader=bundled_loader()) == expected


def _realworld() -> list[str]:
    folder = REFERENCE_DIR / "realworld"
    if not folder.is_dir():
        return ["(reference folder missing)"]
    return sorted(p.name for p in folder.glob("[0-9][0-9]-*.json") if not p.name.endswith((".did.json", ".controller.json")))


@pytest.mark.parametrize("name", _realworld())
def test_fast_path_and_pyld_agree_on_real_credentials(name: str) -> None:
    folder = reference_dir() / "realworld"
    document = json.loads((folder / name).read_text(encoding="utf-8"))
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    index = json.loads((folder / "contexts" / "index.json").read_text())
    loader = bundled_loader().with_documents({
        "https://www.w3.org/ns/credentials/examples/v2": {"@context": {"@vocab": "https://www.w3.org/ns/credentials/examples#"}},
        **{url: json.loads((folder / "contexts" / entry["file"]).read_text()) for url, entry in index.items()
           if url not in bundled_loader().urls},
    })
    fast = find_undefined_terms(unsecured, loader=loader)
    assert sorted(fast) == sorted(find_undefined_terms_reference(unsecured, loader=loader))
