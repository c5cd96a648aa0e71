"""credentials.presentation: the presentation a wallet or ``satchel present`` signs, built purely."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest

from credentials.dataintegrity import add_proof, proofs_of, verify_proof
from credentials.keys import generate_key_pair
from credentials.loader import bundled_loader
from credentials.ob3 import build_credential
from credentials.presentation import PresentationError, build_presentation
from credentials.resolver import KeyResolver
from credentials.vcdm import VC_V1_CONTEXT, VC_V2_CONTEXT
from credentials.vcjwt import sign_vc_jwt

CREATED = datetime(2026, 9, 1, 8, tzinfo=timezone.utc)
VP_ID = "urn:uuid:5d2c9a44-9f3b-4b8e-9d59-0f2d3c1a7e10"


def _credential(issuer: str, subject: str) -> dict[str, Any]:
    return build_credential(
        issuer={"id": issuer, "name": "Lakeside School District"},
        achievement={"id": "https://lakeside.example.org/achievements/1", "name": "Formative Assessment",
                     "description": "Uses formative checks.", "criteria": {"narrative": "Submit a plan."}},
        recipient_did=subject, credential_id="urn:uuid:0b5a4c64-2d65-4d55-8f3f-6d1b0f1c9a11",
        valid_from=datetime(2026, 9, 1, tzinfo=timezone.utc))


def test_vc2_credentials_make_a_vc2_presentation_that_the_holder_signs_and_that_verifies() -> None:
    issuer, holder = generate_key_pair(), generate_key_pair()
    loader = bundled_loader()
    vc = add_proof(_credential(issuer.did, holder.did), signer=issuer, loader=loader, created=CREATED)
    vp = build_presentation([vc], holder=holder.did, id=VP_ID)
    assert vp == {"@context": [VC_V2_CONTEXT], "id": VP_ID, "type": ["VerifiablePresentation"],
                  "holder": holder.did, "verifiableCredential": [vc]}
    signed = add_proof(vp, signer=holder, loader=loader, created=CREATED, purpose="authentication",
                       challenge="c-1", domain="wallet.example")
    result = verify_proof(signed, proofs_of(signed)[0], loader=loader, resolver=KeyResolver(), purpose="authentication")
    assert result.method.controller == holder.did


def test_only_vc11_credentials_make_a_vc11_presentation() -> None:
    v1 = {"@context": [VC_V1_CONTEXT], "type": ["VerifiableCredential"], "issuer": "did:example:1"}
    vp = build_presentation([v1, dict(v1)], holder="did:example:holder", id=VP_ID)
    assert vp["@context"] == [VC_V1_CONTEXT]


def test_a_vc11_credential_beside_a_vc2_one_gives_vc2() -> None:
    v1 = {"@context": [VC_V1_CONTEXT], "type": ["VerifiableCredential"]}
    v2 = {"@context": [VC_V2_CONTEXT], "type": ["VerifiableCredential"]}
    assert build_presentation([v1, v2], holder="did:example:h", id=VP_ID)["@context"] == [VC_V2_CONTEXT]


def test_a_vc_jwt_is_enveloped_as_a_data_url_under_vc2() -> None:
    issuer, holder = generate_key_pair(), generate_key_pair()
    token = sign_vc_jwt(_credential(issuer.did, holder.did), signer=issuer)
    vp = build_presentation([token], holder=holder.did, id=VP_ID)
    assert vp["@context"] == [VC_V2_CONTEXT]
    assert vp["verifiableCredential"] == [{"@context": VC_V2_CONTEXT, "id": "data:application/vc+jwt," + token,
                                           "type": "EnvelopedVerifiableCredential"}]
    # The enveloped form is defined by the VC 2.0 context, so the holder can sign it.
    signed = add_proof(vp, signer=holder, loader=bundled_loader(), created=CREATED, purpose="authentication")
    assert signed["proof"]["proofValue"].startswith("z")


def test_the_input_list_is_not_changed() -> None:
    vc = {"@context": [VC_V2_CONTEXT], "type": ["VerifiableCredential"]}
    given = [vc, "a.b.c"]
    build_presentation(given, holder="did:example:h", id=VP_ID)
    assert given == [vc, "a.b.c"]


@pytest.mark.parametrize(("credentials", "holder", "vp_id", "path"), [
    ([{}], "", VP_ID, "holder"),
    ([{}], "not a uri", VP_ID, "holder"),
    ([{}], "did:example:h", "", "id"),
    ([{}], "did:example:h", 42, "id"),
    ({"a": 1}, "did:example:h", VP_ID, "verifiableCredential"),
    ([{}, 7], "did:example:h", VP_ID, "verifiableCredential[1]"),
    (["not a jwt"], "did:example:h", VP_ID, "verifiableCredential[0]"),
    ([None], "did:example:h", VP_ID, "verifiableCredential[0]"),
])
def test_rejects_input_that_is_not_a_presentation(credentials: Any, holder: Any, vp_id: Any, path: str) -> None:
    with pytest.raises(PresentationError) as caught:
        build_presentation(credentials, holder=holder, id=vp_id)
    assert caught.value.code == "bad_presentation_input"
    assert caught.value.path == path
