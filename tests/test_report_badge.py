"""The report says what the badge is, and its headline says what could not be checked.

Credentials come from the real builder (``credentials.ob3.build_credential``)
and are signed with real keys; status lists are real signed
``BitstringStatusListCredential``s.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from credentials.dataintegrity import add_proof
from credentials.keys import Ed25519KeyPair, generate_key_pair
from credentials.loader import bundled_loader
from credentials.ob3 import build_credential, hash_email
from credentials.statuslist import (
    build_status_list_credential,
    new_status_list,
    set_status,
    status_entry,
)
from verifier.registry import TrustRegistry
from verifier.verify import VerifyOptions, verify

NOW = datetime(2026, 10, 1, tzinfo=UTC)
AT = "2026-10-01T00:00:00Z"
START = datetime(2026, 9, 1, tzinfo=UTC)
LIST_ID = "https://lakeside.example/status/1"
ACHIEVEMENT = {
    "id": "https://lakeside.example/achievements/circles", "name": "Restorative Circles",
    "description": "Leads restorative circles with students.", "criteria": {"narrative": "Lead three circles."},
}
EVIDENCE = [{"id": "https://lakeside.example/evidence/7", "name": "Circle log", "narrative": "Three circles, term 1."}]


def _issued(issuer: Ed25519KeyPair, *, did: str | None = None, email: str | None = None, status_index: int | None = None,
            valid_until: datetime | None = None) -> dict[str, Any]:
    credential = build_credential(
        issuer={"id": issuer.did, "name": "Lakeside District"}, achievement=ACHIEVEMENT, recipient_did=did,
        recipient_email=email, salt="5a1t" if email else None, evidence=EVIDENCE,
        credential_id="urn:uuid:0d8c6f2e-7a1b-4c3d-9e8f-1a2b3c4d5e6f", valid_from=START, valid_until=valid_until)
    if status_index is not None:
        credential["credentialStatus"] = status_entry(list_credential_id=LIST_ID, index=status_index, purpose="revocation")
    return add_proof(credential, signer=issuer, loader=bundled_loader(), created=START)


def _status_list(issuer: Ed25519KeyPair, *, revoked: int | None = None) -> dict[str, Any]:
    bits = new_status_list()
    if revoked is not None:
        set_status(bits, revoked, 1)
    unsigned = build_status_list_credential(list_id=LIST_ID, issuer=issuer.did, purpose="revocation", bits=bits,
                                            valid_from=START)
    return add_proof(unsigned, signer=issuer, loader=bundled_loader(), created=START)


def _present(holder: Ed25519KeyPair, credentials: list[Any], **kwargs: Any) -> dict[str, Any]:
    vp = {"@context": ["https://www.w3.org/ns/credentials/v2"], "id": "urn:uuid:6e5d4c3b-2a19-4f8e-8d7c-6b5a49382716",
          "type": ["VerifiablePresentation"], "holder": holder.did, "verifiableCredential": credentials}
    return add_proof(vp, signer=holder, loader=bundled_loader(), created=START, purpose="authentication", **kwargs)


def _write(tmp_path: Path, name: str, value: Any) -> str:
    path = tmp_path / name
    path.write_text(json.dumps(value))
    return str(path)


@pytest.fixture
def district() -> Ed25519KeyPair:
    return generate_key_pair()


@pytest.fixture
def learner() -> Ed25519KeyPair:
    return generate_key_pair()


# -- the badge summary --------------------------------------------------------------------------


def test_json_report_names_the_badge_issuer_recipient_dates_and_evidence(satchel, tmp_path, district, learner) -> None:
    credential = _issued(district, did=learner.did, valid_until=START + timedelta(days=365))
    result = satchel("verify", "--json", "--at", AT, _write(tmp_path, "vc.json", credential))
    badge = result.json()["badge"]
    assert badge["name"] == "Restorative Circles"
    assert badge["description"] == "Leads restorative circles with students."
    assert badge["criteria"] == "Lead three circles."
    assert badge["issuer"] == {"id": district.did, "name": "Lakeside District", "source": "claimed by the credential"}
    assert badge["recipient"] == {"id": learner.did}
    assert (badge["issued"], badge["expires"]) == ("2026-09-01T00:00:00Z", "2027-09-01T00:00:00Z")
    assert badge["evidence"] == [{"id": "https://lakeside.example/evidence/7", "name": "Circle log",
                                  "narrative": "Three circles, term 1."}]


def test_text_report_says_what_the_badge_is(satchel, tmp_path, district, learner) -> None:
    result = satchel("verify", "--at", AT, _write(tmp_path, "vc.json", _issued(district, did=learner.did)))
    out = result.out
    assert "Badge:      Restorative Circles" in out
    assert f"Issuer:     Lakeside District ({district.did}), claimed by the credential" in out
    assert f"Recipient:  {learner.did}" in out
    assert "Expires:    no expiry date" in out
    assert "Circle log | https://lakeside.example/evidence/7 | Three circles, term 1." in out


def test_email_recipient_is_shown_as_a_hashed_email_never_as_a_name(satchel, tmp_path, district) -> None:
    credential = _issued(district, email="teacher@lakeside.example")
    result = satchel("verify", "--json", "--at", AT, _write(tmp_path, "vc.json", credential))
    [identity] = result.json()["badge"]["recipient"]["identities"]
    assert identity == {"identity_type": "emailAddress", "hashed": True, "salted": True,
                        "identity_hash": hash_email("teacher@lakeside.example", "5a1t")}
    text = satchel("verify", "--at", AT, _write(tmp_path, "vc.json", credential)).out
    assert "Recipient:  a hashed email address (sha256, salted): sha256$" in text
    assert "teacher@lakeside.example" not in text


def test_registry_confirms_the_issuer_name_only_when_listed(satchel, tmp_path, district, learner) -> None:
    path = _write(tmp_path, "vc.json", _issued(district, did=learner.did))
    registry = _write(tmp_path, "reg.json", {"issuers": [{"id": district.did, "name": "Lakeside School District"}]})
    issuer = satchel("verify", "--json", "--at", AT, "--registry", registry, path).json()["badge"]["issuer"]
    assert issuer["source"] == "confirmed by the trust registry" and issuer["registry_name"] == "Lakeside School District"
    text = satchel("verify", "--at", AT, "--registry", registry, path).out
    assert "Lakeside School District" in text and "confirmed by the trust registry" in text


def test_unlisted_issuer_fails_the_registry_and_stays_claimed(satchel, tmp_path, district, learner) -> None:
    path = _write(tmp_path, "vc.json", _issued(district, did=learner.did))
    registry = _write(tmp_path, "reg.json", {"issuers": [{"id": generate_key_pair().did, "name": "Other"}]})
    result = satchel("verify", "--json", "--at", AT, "--registry", registry, path)
    assert result.code == 1
    report = result.json()
    assert [c["code"] for c in report["checks"] if c["name"] == "registry"] == ["issuer_unknown"]
    assert report["badge"]["issuer"]["source"] == "claimed by the credential"


def test_refused_vc_jwt_still_says_what_it_claims(district, learner) -> None:
    from credentials.vcjwt import sign_vc_jwt

    credential = _issued(district, did=learner.did)
    del credential["proof"]
    token = sign_vc_jwt(credential, signer=district)
    header, payload, _ = token.split(".")
    report = verify(f"{header}.{payload}.{'A' * 86}", VerifyOptions(now=NOW))
    assert report.verified is False
    assert report.badge is not None and report.badge.name == "Restorative Circles"
    assert report.badge.recipient.ids == (learner.did,)


# -- the headline: three states -------------------------------------------------------------------


def test_headline_is_verified_when_every_check_ran(district, learner) -> None:
    credential = _issued(district, did=learner.did, status_index=42)
    report = verify(credential, VerifyOptions(now=NOW, status_lists=(_status_list(district),),
                                              registry=TrustRegistry({district.did: "Lakeside District"})))
    assert report.headline == "VERIFIED"
    assert report.not_checked == []


def test_headline_names_revocation_not_checked_and_what_to_do(satchel, tmp_path, district, learner) -> None:
    credential = _issued(district, did=learner.did, status_index=42)
    registry = _write(tmp_path, "reg.json", {"issuers": [{"id": district.did, "name": "Lakeside District"}]})
    result = satchel("verify", "--at", AT, "--registry", registry, _write(tmp_path, "vc.json", credential))
    assert result.code == 0
    first = result.out.splitlines()[0]
    assert first.startswith("VERIFIED, but revocation was not checked: no status list was given")
    assert "--status-list" in first and "shared link" in first
    report = satchel("verify", "--json", "--at", AT, "--registry", registry, _write(tmp_path, "vc.json", credential)).json()
    assert report["verified"] is True and report["not_checked"] == ["status"]
    assert report["headline"].startswith("VERIFIED, but revocation was not checked")


def test_headline_names_every_check_that_could_not_run(district, learner) -> None:
    report = verify(_issued(district, did=learner.did, status_index=42), VerifyOptions(now=NOW))
    assert report.verified is True
    assert report.not_checked == ["registry", "status"]
    assert "revocation was not checked" in report.headline and "--registry" in report.headline


def test_headline_is_not_verified_when_a_check_failed(satchel, tmp_path, district, learner) -> None:
    credential = _issued(district, did=learner.did, status_index=42)
    result = satchel("verify", "--json", "--at", AT, "--status-list", _write(tmp_path, "l.json", _status_list(district, revoked=42)),
                     _write(tmp_path, "vc.json", credential))
    assert result.code == 1
    assert result.json()["headline"] == "NOT VERIFIED"
    assert "caveats" not in result.json()


def test_schema_not_declared_is_not_a_caveat(district) -> None:
    credential = {"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiableCredential"],
                  "issuer": district.did, "validFrom": "2026-09-01T00:00:00Z", "credentialSubject": {"id": "did:example:t"}}
    report = verify(add_proof(credential, signer=district, loader=bundled_loader(), created=START), VerifyOptions(now=NOW))
    assert [c.status for c in report.find("schema")] == ["not checked"]
    assert "schema" not in report.not_checked


# -- --require-status -----------------------------------------------------------------------------


@pytest.mark.parametrize("status_index", [42, None])
def test_require_status_fails_an_unchecked_status(satchel, tmp_path, district, learner, status_index) -> None:
    path = _write(tmp_path, "vc.json", _issued(district, did=learner.did, status_index=status_index))
    assert satchel("verify", "--at", AT, path).code == 0
    result = satchel("verify", "--json", "--at", AT, "--require-status", path)
    assert result.code == 1
    report = result.json()
    assert report["verified"] is False
    assert [c["status"] for c in report["checks"] if c["name"] == "status"] == ["failed"]


def test_require_status_passes_when_the_status_was_checked(satchel, tmp_path, district, learner) -> None:
    path = _write(tmp_path, "vc.json", _issued(district, did=learner.did, status_index=42))
    result = satchel("verify", "--at", AT, "--require-status", "--status-list",
                     _write(tmp_path, "l.json", _status_list(district)), path)
    assert result.code == 0, result.out


# -- presentations: each badge, email recipients, carried status lists -----------------------------


def test_presentation_report_lists_each_badge(satchel, tmp_path, district, learner) -> None:
    vp = _present(learner, [_issued(district, did=learner.did), _issued(district, email="t@lakeside.example")])
    result = satchel("verify", "--json", "--at", AT, _write(tmp_path, "vp.json", vp))
    badges = result.json()["badges"]
    assert [b["label"] for b in badges] == ["verifiableCredential[0]", "verifiableCredential[1]"]
    assert all(b["name"] == "Restorative Circles" for b in badges)
    assert badges[0]["recipient"] == {"id": learner.did}
    assert badges[1]["recipient"]["identities"][0]["hashed"] is True
    text = satchel("verify", "--at", AT, _write(tmp_path, "vp.json", vp)).out
    assert "Badges:     2" in text and text.count("Badge:      Restorative Circles") == 2


def test_email_badge_presented_by_holder_is_holder_not_bound_not_failed(district, learner) -> None:
    vp = _present(learner, [_issued(district, email="t@lakeside.example")], challenge="c-1", domain="employer.example")
    report = verify(vp, VerifyOptions(now=NOW, challenge="c-1", domain="employer.example"))
    [holder] = report.find("holder")
    assert (holder.status, holder.code) == ("not checked", "holder_not_bound")
    assert "holder not bound (identified by email)" in holder.detail
    assert "proves nothing about who presents it" in holder.detail
    assert report.verified is True
    assert "holder" in report.not_checked
    assert report.headline.startswith("VERIFIED, but the presenter was not checked: holder not bound (identified by "
                                      "email): verifiableCredential[0] is issued to an email address")


def test_email_badge_presented_by_a_stranger_is_also_holder_not_bound(district) -> None:
    """Nothing binds an email badge to a key: whoever presents it, the report says the same plain thing."""
    stranger = generate_key_pair()
    report = verify(_present(stranger, [_issued(district, email="t@lakeside.example")]), VerifyOptions(now=NOW))
    assert [c.code for c in report.find("holder")] == ["holder_not_bound"]


def test_mixed_presentation_fails_when_one_did_badge_is_someone_elses(district, learner) -> None:
    other = generate_key_pair()
    vp = _present(learner, [_issued(district, email="t@lakeside.example"), _issued(district, did=other.did)])
    report = verify(vp, VerifyOptions(now=NOW))
    assert [c.code for c in report.find("holder")] == ["subject_not_holder"]
    assert report.verified is False


def test_status_list_carried_in_the_presentation_checks_revocation(district, learner) -> None:
    vp = _present(learner, [_issued(district, did=learner.did, status_index=42), _status_list(district)])
    report = verify(vp, VerifyOptions(now=NOW))
    [(_, inner)] = report.nested
    assert [c.code for c in inner.find("status")] == ["not_revoked"]
    assert [c.status for c in report.find("holder")] == ["passed"]
    assert "status" not in report.not_checked


def test_revocation_in_a_carried_status_list_fails_the_presentation(district, learner) -> None:
    vp = _present(learner, [_issued(district, did=learner.did, status_index=42), _status_list(district, revoked=42)])
    report = verify(vp, VerifyOptions(now=NOW))
    assert report.verified is False
    assert [c.code for c in report.nested[0][1].find("status")] == ["revoked"]


def test_presentation_headline_names_the_credential_whose_status_was_not_checked(district, learner) -> None:
    vp = _present(learner, [_issued(district, did=learner.did, status_index=42)], challenge="c", domain="d")
    report = verify(vp, VerifyOptions(now=NOW, challenge="c", domain="d",
                                      registry=TrustRegistry({district.did: "Lakeside District"})))
    assert report.verified is True
    assert report.headline.startswith("VERIFIED, but revocation was not checked for verifiableCredential[0]: "
                                      "no status list was given")
    assert report.not_checked == ["status"]


REGISTRY_SHAPES = {
    '[{"did": DID, "name": NAME, "url": URL}, ...]': [{"did": "did:key:z6MkA", "name": "N", "url": "https://n.example"}],
    '{"issuers": [{"id": DID, "name": NAME}, ...]}': {"issuers": [{"id": "did:key:z6MkA", "name": "N"}]},
    '{"registry": {DID: {"name": NAME, "url": URL}}}': {"registry": {"did:key:z6MkA": {"name": "N", "url": "https://n.example"}}},
}


def test_verify_help_documents_require_status_and_every_registry_shape_the_code_reads(satchel) -> None:
    help_text = " ".join(satchel("verify", "--help").out.split())
    assert "--require-status" in help_text
    for shape, example in REGISTRY_SHAPES.items():
        assert shape in help_text
        assert TrustRegistry.from_json(example).name_of("did:key:z6MkA") == "N"


@pytest.mark.parametrize(("subject", "words"), [
    ({"id": "urn:uuid:4c3b2a19-0000-4000-8000-000000000001"},
     "holder not bound (identified by urn:uuid:4c3b2a19-0000-4000-8000-000000000001)"),
    ({}, "holder not bound: verifiableCredential[0] names no recipient"),
])
def test_recipient_no_key_can_prove_is_holder_not_bound(district, learner, subject, words) -> None:
    credential = {"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiableCredential"],
                  "issuer": district.did, "validFrom": "2026-09-01T00:00:00Z",
                  "credentialSubject": subject or {"name": "A. Teacher"}}
    signed = add_proof(credential, signer=district, loader=bundled_loader(), created=START)
    report = verify(_present(learner, [signed]), VerifyOptions(now=NOW))
    [holder] = report.find("holder")
    assert (holder.status, holder.code) == ("not checked", "holder_not_bound")
    assert words in holder.detail and "proves nothing about who presents it" in holder.detail
