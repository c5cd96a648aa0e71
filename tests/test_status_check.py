"""The status check (verifier/status.py): signed lists, their issuers, validity, purposes and bits.

Every list and credential here is made and signed in the test with fresh
did:key pairs; nothing is mocked.
"""

from __future__ import annotations

import base64
import gzip
import json
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from reference import reference_dir

from credentials.dataintegrity import add_proof
from credentials.keys import Ed25519KeyPair, generate_key_pair
from credentials.loader import bundled_loader
from credentials.resolver import KeyResolver
from credentials.statuslist import (
    build_status_list_credential,
    encode_bitstring,
    new_status_list,
    set_status,
    status_entry,
)
from verifier.status import StatusOutcome, check_status

VC_V2 = "https://www.w3.org/ns/credentials/v2"
VC_V1 = "https://www.w3.org/2018/credentials/v1"
SL_2021 = "https://w3id.org/vc/status-list/2021/v1"
DI_V2 = "https://w3id.org/security/data-integrity/v2"

LOADER = bundled_loader()
ISSUER = generate_key_pair()
OTHER = generate_key_pair()
LIST_ID = "https://issuer.example/status/7"
INDEX = 94567
VALID_FROM = datetime(2025, 3, 1, 12, 0, tzinfo=timezone.utc)


def _respell(encoded: str, encoding: str) -> str:
    """The same GZIP bytes in another spelling that lists in the wild use."""
    compressed = base64.urlsafe_b64decode(encoded[1:] + "=" * (-len(encoded[1:]) % 4))
    if encoding == "multibase":
        return encoded
    if encoding == "base64url":
        return base64.urlsafe_b64encode(compressed).decode().rstrip("=")
    if encoding == "base64 padded":
        return base64.b64encode(compressed).decode()
    raise AssertionError(encoding)


def _bits(set_indexes: tuple[int, ...] = ()) -> bytearray:
    bits = new_status_list()
    for index in set_indexes:
        set_status(bits, index, 1)
    return bits


def make_list(*, purpose: str = "revocation", revoked: tuple[int, ...] = (), signer: Ed25519KeyPair = ISSUER,
              issuer: str | None = None, encoding: str = "multibase", valid_from: datetime = VALID_FROM,
              valid_until: datetime | None = None, list_id: str = LIST_ID,
              encoded_list: str | None = None) -> dict[str, Any]:
    """A signed BitstringStatusListCredential (VC 2.0)."""
    cred = build_status_list_credential(list_id=list_id, issuer=issuer or signer.did, purpose=purpose,  # type: ignore[arg-type]
                                        bits=_bits(revoked), valid_from=valid_from, valid_until=valid_until)
    subject = cred["credentialSubject"]
    subject["encodedList"] = encoded_list or _respell(subject["encodedList"], encoding)
    return add_proof(cred, signer=signer, loader=LOADER, created=valid_from)


def make_list_2021(*, purpose: str = "revocation", revoked: tuple[int, ...] = (), signer: Ed25519KeyPair = ISSUER,
                   issuance: datetime = VALID_FROM, expiration: datetime | None = None) -> dict[str, Any]:
    """A signed StatusList2021Credential (VC 1.1), encodedList in plain base64url as its spec wrote it."""
    cred: dict[str, Any] = {
        "@context": [VC_V1, SL_2021, DI_V2],
        "id": LIST_ID,
        "type": ["VerifiableCredential", "StatusList2021Credential"],
        "issuer": signer.did,
        "issuanceDate": issuance.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "credentialSubject": {
            "id": f"{LIST_ID}#list",
            "type": "StatusList2021",
            "statusPurpose": purpose,
            "encodedList": _respell(encode_bitstring(_bits(revoked)), "base64url"),
        },
    }
    if expiration is not None:
        cred["expirationDate"] = expiration.strftime("%Y-%m-%dT%H:%M:%SZ")
    return add_proof(cred, signer=signer, loader=LOADER, created=issuance)


def entry(*, purpose: str = "revocation", index: int = INDEX, list_id: str = LIST_ID) -> dict[str, Any]:
    return status_entry(list_credential_id=list_id, index=index, purpose=purpose)  # type: ignore[arg-type]


def entry_2021(*, purpose: str = "revocation", index: int = INDEX) -> dict[str, Any]:
    return {"id": f"{LIST_ID}#{index}", "type": "StatusList2021Entry", "statusPurpose": purpose,
            "statusListIndex": str(index), "statusListCredential": LIST_ID}


def make_credential(*entries: dict[str, Any], issuer: Any = None, v1: bool = False) -> dict[str, Any]:
    """A minimal signed credential carrying ``entries`` as its credentialStatus."""
    cred: dict[str, Any] = {
        "@context": [VC_V1, SL_2021, DI_V2] if v1 else [VC_V2],
        "id": "urn:uuid:6a1d2c1e-0d6f-4b1a-9a55-3f1d3d0e8b21",
        "type": ["VerifiableCredential"],
        "issuer": issuer or ISSUER.did,
        ("issuanceDate" if v1 else "validFrom"): "2025-02-01T00:00:00Z",
        "credentialSubject": {"id": "did:example:learner"},
    }
    if entries:
        cred["credentialStatus"] = entries[0] if len(entries) == 1 else list(entries)
    return add_proof(cred, signer=ISSUER, loader=LOADER, created=VALID_FROM)


def check(credential: dict[str, Any], lists: list[dict[str, Any]], *, now: datetime = VALID_FROM,
          resolver: KeyResolver | None = None) -> list[StatusOutcome]:
    return check_status(credential, status_lists=lists, loader=LOADER, resolver=resolver or KeyResolver(), now=now)


def only(outcomes: list[StatusOutcome]) -> StatusOutcome:
    assert len(outcomes) == 1, outcomes
    return outcomes[0]


# --- The bit decides, in every encoding, for both purposes, as of the list's validFrom. ---

@pytest.mark.parametrize("encoding", ["multibase", "base64url", "base64 padded"])
@pytest.mark.parametrize(("purpose", "revoked", "status", "code"), [
    ("revocation", (INDEX,), "failed", "revoked"),
    ("revocation", (INDEX - 1, INDEX + 1), "passed", "not_revoked"),
    ("suspension", (INDEX,), "failed", "suspended"),
    ("suspension", (), "passed", "not_suspended"),
])
def test_bit_decides_status(encoding: str, purpose: str, revoked: tuple[int, ...], status: str, code: str) -> None:
    status_list = make_list(purpose=purpose, revoked=revoked, encoding=encoding)
    outcome = only(check(make_credential(entry(purpose=purpose)), [status_list]))
    assert (outcome.status, outcome.code) == (status, code)
    if status == "failed":
        word = "revoked" if purpose == "revocation" else "suspended"
        assert outcome.detail == f"{word} by the issuer (list {LIST_ID}, index {INDEX})"
    else:
        word = "not revoked" if purpose == "revocation" else "not suspended"
        assert outcome.detail == (f"{word} according to the issuer's status list {LIST_ID} "
                                  f"(verified, valid at 2025-03-01T12:00:00Z)")


@pytest.mark.parametrize(("purpose", "revoked", "status", "code"), [
    ("revocation", (INDEX,), "failed", "revoked"),
    ("revocation", (), "passed", "not_revoked"),
    ("suspension", (INDEX,), "failed", "suspended"),
    ("suspension", (INDEX + 8,), "passed", "not_suspended"),
])
def test_status_list_2021(purpose: str, revoked: tuple[int, ...], status: str, code: str) -> None:
    credential = make_credential(entry_2021(purpose=purpose), v1=True)
    outcome = only(check(credential, [make_list_2021(purpose=purpose, revoked=revoked)]))
    assert (outcome.status, outcome.code) == (status, code)


def test_one_outcome_per_entry_in_order() -> None:
    revocation = make_list(list_id=LIST_ID, revoked=())
    suspension = make_list(list_id=LIST_ID + "s", purpose="suspension", revoked=(INDEX,))
    credential = make_credential(entry(), entry(purpose="suspension", list_id=LIST_ID + "s"))
    outcomes = check(credential, [suspension, revocation])
    assert [(o.status, o.code) for o in outcomes] == [("passed", "not_revoked"), ("failed", "suspended")]


def test_no_credential_status_means_no_outcomes() -> None:
    assert check(make_credential(), []) == []


def test_issuer_object_with_id() -> None:
    credential = make_credential(entry(), issuer={"id": ISSUER.did, "name": "Example District"})
    assert only(check(credential, [make_list()])).code == "not_revoked"


def test_boundary_indexes() -> None:
    status_list = make_list(revoked=(0, 131071))
    for index in (0, 131071):
        assert only(check(make_credential(entry(index=index)), [status_list])).code == "revoked"
    assert only(check(make_credential(entry(index=1)), [status_list])).code == "not_revoked"


# --- Trust in the list: its proof, its key's controller, its issuer. ---

def test_rejects_list_signed_by_another_key() -> None:
    # The list claims our issuer but was signed by OTHER's key: a valid signature that proves nothing.
    forged = make_list(signer=OTHER, issuer=ISSUER.did)
    outcome = only(check(make_credential(entry()), [forged]))
    assert (outcome.status, outcome.code) == ("failed", "status_list_wrong_issuer")


def test_rejects_list_from_another_issuer() -> None:
    # A genuine list of another issuer, at the same URL: says nothing about our credential.
    outcome = only(check(make_credential(entry()), [make_list(signer=OTHER)]))
    assert (outcome.status, outcome.code) == ("failed", "status_list_wrong_issuer")


def test_rejects_list_tampered_after_signing() -> None:
    status_list = make_list(revoked=(INDEX,))
    status_list["credentialSubject"]["encodedList"] = encode_bitstring(_bits())  # The issuer's revocation, undone.
    outcome = only(check(make_credential(entry()), [status_list]))
    assert (outcome.status, outcome.code) == ("failed", "status_list_signature_invalid")


def test_rejects_unsigned_list() -> None:
    status_list = make_list()
    del status_list["proof"]
    outcome = only(check(make_credential(entry()), [status_list]))
    assert (outcome.status, outcome.code) == ("failed", "status_list_signature_invalid")


def test_rejects_list_with_undefined_term() -> None:
    status_list = make_list()
    status_list["credentialSubject"]["note"] = "not covered by the signature"
    outcome = only(check(make_credential(entry()), [status_list]))
    assert (outcome.status, outcome.code) == ("failed", "status_list_signature_invalid")


def test_rejects_list_with_authentication_proof() -> None:
    cred = build_status_list_credential(list_id=LIST_ID, issuer=ISSUER.did, purpose="revocation", bits=_bits(),
                                        valid_from=VALID_FROM)
    signed = add_proof(cred, signer=ISSUER, loader=LOADER, created=VALID_FROM, purpose="authentication")
    outcome = only(check(make_credential(entry()), [signed]))
    assert (outcome.status, outcome.code) == ("failed", "status_list_signature_invalid")


def test_list_with_key_not_resolvable_offline_is_not_checked() -> None:
    status_list = make_list()
    status_list["proof"]["verificationMethod"] = "did:web:issuer.example#key-1"
    outcome = only(check(make_credential(entry()), [status_list]))
    assert (outcome.status, outcome.code) == ("not checked", "status_list_key_unresolved")


# --- Lists that are missing, out of date, or of another kind. ---

@pytest.mark.parametrize("lists", [[], "other list"], ids=["none given", "only another list"])
def test_no_list_is_not_checked(lists: Any) -> None:
    given = [make_list(list_id="https://issuer.example/status/8")] if lists else []
    outcome = only(check(make_credential(entry()), given))
    assert outcome == StatusOutcome("not checked", "status_list_missing",
                                    "could not check revocation: no status list was given")


@pytest.mark.parametrize(("now", "valid_until"), [
    (VALID_FROM + timedelta(days=2), VALID_FROM + timedelta(days=1)),  # Expired.
    (VALID_FROM + timedelta(days=1), VALID_FROM + timedelta(days=1)),  # validUntil is exclusive.
    (VALID_FROM - timedelta(seconds=1), None),                          # Not yet valid.
], ids=["expired", "at validUntil", "not yet valid"])
def test_list_outside_its_validity_is_not_checked(now: datetime, valid_until: datetime | None) -> None:
    status_list = make_list(valid_until=valid_until)
    outcome = only(check(make_credential(entry()), [status_list], now=now))
    assert (outcome.status, outcome.code) == ("not checked", "status_list_expired")


def test_revoked_in_expired_list_is_still_not_a_pass() -> None:
    status_list = make_list(revoked=(INDEX,), valid_until=VALID_FROM + timedelta(hours=1))
    outcome = only(check(make_credential(entry()), [status_list], now=VALID_FROM + timedelta(days=1)))
    assert outcome.status == "not checked"


def test_expired_status_list_2021_is_not_checked() -> None:
    status_list = make_list_2021(expiration=VALID_FROM + timedelta(days=1))
    credential = make_credential(entry_2021(), v1=True)
    outcome = only(check(credential, [status_list], now=VALID_FROM + timedelta(days=3)))
    assert (outcome.status, outcome.code) == ("not checked", "status_list_expired")


@pytest.mark.parametrize("status_type", ["1EdTechRevocationList", "RevocationList2020Status", None])
def test_unsupported_status_type_is_not_checked(status_type: str | None) -> None:
    credential = {"issuer": ISSUER.did, "credentialStatus": {
        "id": "https://issuer.example/revocations/3", "type": status_type}}
    outcome = only(check(credential, [make_list()]))
    assert (outcome.status, outcome.code) == ("not checked", "status_type_unsupported")
    assert "needs the issuer's service" in outcome.detail


# --- Entries and lists that do not fit together. ---

def test_rejects_purpose_mismatch() -> None:
    status_list = make_list(purpose="suspension")
    outcome = only(check(make_credential(entry(purpose="revocation")), [status_list]))
    assert (outcome.status, outcome.code) == ("failed", "status_purpose_mismatch")


def test_rejects_index_outside_the_list() -> None:
    outcome = only(check(make_credential(entry(index=131072)), [make_list()]))
    assert (outcome.status, outcome.code) == ("failed", "status_index_out_of_range")


def test_rejects_list_shorter_than_the_minimum() -> None:
    short = "u" + base64.urlsafe_b64encode(gzip.compress(bytes(1024))).decode().rstrip("=")
    outcome = only(check(make_credential(entry(index=3)), [make_list(encoded_list=short)]))
    assert (outcome.status, outcome.code) == ("failed", "status_list_too_short")


def test_rejects_encoded_list_that_is_not_gzip() -> None:
    raw = "u" + base64.urlsafe_b64encode(bytes(16384)).decode().rstrip("=")
    outcome = only(check(make_credential(entry()), [make_list(encoded_list=raw)]))
    assert (outcome.status, outcome.code) == ("failed", "status_list_malformed")


def test_rejects_status_list_2021_for_bitstring_entry() -> None:
    outcome = only(check(make_credential(entry()), [make_list_2021()]))
    assert (outcome.status, outcome.code) == ("failed", "status_list_malformed")


@pytest.mark.parametrize(("field", "value"), [
    ("statusListIndex", "-1"),
    ("statusListIndex", "12a"),
    ("statusListIndex", None),
    ("statusListCredential", None),
    ("statusPurpose", None),
    ("statusSize", 0),
    ("statusSize", "2"),
])
def test_rejects_malformed_entry(field: str, value: Any) -> None:
    bad = entry()
    if value is None:
        del bad[field]
    else:
        bad[field] = value
    outcome = only(check({"issuer": ISSUER.did, "credentialStatus": bad}, [make_list()]))
    assert (outcome.status, outcome.code) == ("failed", "status_entry_malformed")


def test_unknown_purpose_is_not_checked() -> None:
    outcome = only(check({"issuer": ISSUER.did, "credentialStatus": entry(purpose="refresh")}, [make_list()]))
    assert (outcome.status, outcome.code) == ("not checked", "status_purpose_unsupported")


def test_multi_bit_status_reports_value_and_message() -> None:
    bits = new_status_list()
    set_status(bits, 10, 0b10, status_size=2)
    messages = [{"status": f"0x{v:x}", "message": m} for v, m in enumerate(["valid", "pending", "revoked", "other"])]
    status_list = make_list(encoded_list=encode_bitstring(bits))
    revoked = dict(entry(index=10), statusSize=2, statusMessage=messages)
    outcome = only(check(make_credential(revoked), [status_list]))
    assert (outcome.status, outcome.code) == ("failed", "revoked")
    assert "status 0x2 (revoked)" in outcome.detail
    fine = dict(entry(index=11), statusSize=2, statusMessage=messages)
    outcome = only(check(make_credential(fine), [status_list]))
    assert (outcome.status, outcome.code) == ("passed", "not_revoked")
    assert "status 0x0 (valid)" in outcome.detail


def test_message_purpose_reports_the_message() -> None:
    bits = new_status_list()
    set_status(bits, 10, 1, status_size=2)
    messages = [{"status": f"0x{v:x}", "message": m} for v, m in enumerate(["valid", "pending", "a", "b"])]
    cred = build_status_list_credential(list_id=LIST_ID, issuer=ISSUER.did, purpose="revocation", bits=bits,
                                        valid_from=VALID_FROM)
    cred["credentialSubject"]["statusPurpose"] = "message"
    status_list = add_proof(cred, signer=ISSUER, loader=LOADER, created=VALID_FROM)
    message_entry = dict(entry(index=10, purpose="message"), statusSize=2, statusMessage=messages)
    outcome = only(check(make_credential(message_entry), [status_list]))
    assert (outcome.status, outcome.code) == ("passed", "status_message")
    assert "status 0x1 (pending)" in outcome.detail


def test_realworld_bitstring_entry_without_its_list_is_not_checked() -> None:
    path = reference_dir() / "realworld" / "16-dcc-v1-rdfc-bitstring-status.json"
    credential = json.loads(path.read_text(encoding="utf-8"))
    outcome = only(check(credential, [make_list()]))
    assert (outcome.status, outcome.code) == ("not checked", "status_list_missing")
