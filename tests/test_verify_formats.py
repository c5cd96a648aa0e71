"""``satchel verify`` end to end on every input format, and on status lists given with --status-list."""

from __future__ import annotations

import base64
import io
import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import png
import pytest
from openbadgeslib import baking as obb
from test_vcjwt import ObIssuer

from credentials.baking import bake_png, bake_svg
from credentials.dataintegrity import add_proof
from credentials.keys import generate_key_pair
from credentials.loader import bundled_loader
from credentials.statuslist import build_status_list_credential, new_status_list, set_status, status_entry

AT = "2025-06-01T00:00:00Z"
SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="2" height="2"><rect width="2" height="2"/></svg>'


def _png() -> bytes:
    out = io.BytesIO()
    png.Writer(1, 1, greyscale=True).write(out, [[0]])
    return out.getvalue()


def _signed_credential(**extra: Any) -> tuple[dict[str, Any], Any]:
    issuer = generate_key_pair()
    credential = {
        "@context": ["https://www.w3.org/ns/credentials/v2", "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"],
        "id": "urn:uuid:1d2c3b4a-0000-4000-8000-00000000c0de",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": issuer.did, "type": ["Profile"], "name": "Riverside Training Co-op"},
        "validFrom": "2025-01-01T00:00:00Z",
        "credentialSubject": {"id": "did:example:teacher", "type": ["AchievementSubject"],
                              "achievement": {"id": "https://riverside.example/a/7", "type": ["Achievement"],
                                              "name": "Restorative Circles", "criteria": {"narrative": "Lead three circles."}}},
        **extra,
    }
    return add_proof(credential, signer=issuer, loader=bundled_loader(), created="2025-01-01T00:00:00Z"), issuer


def _write(tmp_path: Path, name: str, data: bytes | str) -> str:
    path = tmp_path / name
    path.write_bytes(data if isinstance(data, bytes) else data.encode())
    return str(path)


def _statuses(result) -> dict[str, str]:
    return {c["name"]: c["status"] for c in result.json()["checks"]}


# -- VC-JWT -----------------------------------------------------------------------------------


def test_openbadgeslib_vc_jwt_verifies(satchel, tmp_path) -> None:
    token = ObIssuer().sign()
    result = satchel("verify", "--json", "--at", AT, _write(tmp_path, "badge.jwt", token))
    assert result.code == 0, result.out
    assert result.json()["input"] == "jwt"
    assert _statuses(result)["proof"] == _statuses(result)["issuer-key"] == "passed"


def _segments(token: str) -> list[str]:
    return token.split(".")


def _b64json(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


def _payload(token: str) -> dict[str, Any]:
    part = _segments(token)[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def test_vc_jwt_with_changed_payload_is_refused(satchel, tmp_path) -> None:
    token = ObIssuer().sign()
    header, _, signature = _segments(token)
    payload = _payload(token)
    payload["name"] = "Master Welder"
    result = satchel("verify", "--json", "--at", AT, _write(tmp_path, "t.jwt", f"{header}.{_b64json(payload)}.{signature}"))
    assert result.code == 1
    assert _statuses(result)["proof"] == "failed"


def test_vc_jwt_with_alg_none_is_refused(satchel, tmp_path) -> None:
    token = ObIssuer().sign()
    forged = f"{_b64json({'alg': 'none', 'typ': 'JWT'})}.{_segments(token)[1]}."
    result = satchel("verify", "--json", "--at", AT, _write(tmp_path, "t.jwt", forged))
    assert result.code in (1, 2)
    assert "none" in (result.out + result.err)


def test_expired_vc_jwt_is_refused(satchel, tmp_path) -> None:
    token = ObIssuer().sign(expires=datetime(2025, 3, 1, tzinfo=timezone.utc))
    result = satchel("verify", "--json", "--at", AT, _write(tmp_path, "t.jwt", token))
    assert result.code == 1
    assert any(c["code"] == "jwt_expired" for c in result.json()["checks"])


# -- baked images -----------------------------------------------------------------------------


def test_png_baked_by_openbadgeslib_verifies(satchel, tmp_path) -> None:
    signed, _ = _signed_credential()
    baked = obb.bake_png(_png(), json.dumps(signed), keyword=obb.ITXT_KEYWORD_OB3)
    result = satchel("verify", "--json", "--at", AT, _write(tmp_path, "badge.png", baked))
    assert result.code == 0, result.out
    assert result.json()["input"] == "png"


def test_svg_baked_by_openbadgeslib_with_a_jwt_verifies(satchel, tmp_path) -> None:
    baked = obb.bake_svg(SVG.encode(), ObIssuer().sign(), element=obb.SVG_ELEMENT_OB3, namespace=obb.SVG_NS_OB3)
    result = satchel("verify", "--json", "--at", AT, _write(tmp_path, "badge.svg", baked))
    assert result.code == 0, result.out
    assert result.json()["input"] == "svg"


def test_tampered_baked_png_is_refused(satchel, tmp_path) -> None:
    signed, _ = _signed_credential()
    signed["credentialSubject"]["achievement"]["name"] = "Restorative Circles (Master)"
    result = satchel("verify", "--json", "--at", AT, _write(tmp_path, "badge.png", bake_png(_png(), signed)))
    assert result.code == 1
    assert _statuses(result)["proof"] == "failed"


def test_tampered_baked_svg_is_refused(satchel, tmp_path) -> None:
    signed, _ = _signed_credential()
    signed["validFrom"] = "2020-01-01T00:00:00Z"
    result = satchel("verify", "--json", "--at", AT, _write(tmp_path, "badge.svg", bake_svg(SVG, signed)))
    assert result.code == 1


def test_image_without_a_credential_is_a_clear_error(satchel, tmp_path) -> None:
    result = satchel("verify", _write(tmp_path, "plain.png", _png()))
    assert result.code == 2
    assert "no baked credential" in result.err


# -- status lists -----------------------------------------------------------------------------

LIST_ID = "https://riverside.example/status/1"


def _with_status(index: int, *, revoked: bool, list_signer=None) -> tuple[str, str]:
    issuer = generate_key_pair()
    entry = status_entry(list_credential_id=LIST_ID, index=index, purpose="revocation")
    credential = {
        "@context": ["https://www.w3.org/ns/credentials/v2"], "id": "urn:uuid:5e0c9a7b-1111-4000-8000-000000000001",
        "type": ["VerifiableCredential"], "issuer": issuer.did, "validFrom": "2025-01-01T00:00:00Z",
        "credentialSubject": {"id": "did:example:teacher"}, "credentialStatus": entry,
    }
    signed = add_proof(credential, signer=issuer, loader=bundled_loader(), created="2025-01-01T00:00:00Z")
    bits = new_status_list()
    if revoked:
        set_status(bits, index, 1)
    signer = list_signer or issuer
    status_list = build_status_list_credential(list_id=LIST_ID, issuer=signer.did, purpose="revocation", bits=bits,
                                               valid_from=datetime(2025, 1, 1, tzinfo=timezone.utc))
    signed_list = add_proof(status_list, signer=signer, loader=bundled_loader(), created="2025-01-01T00:00:00Z")
    return json.dumps(signed), json.dumps(signed_list)


@pytest.mark.parametrize(("revoked", "code", "status", "exit_code"), [(True, "revoked", "failed", 1),
                                                                      (False, "not_revoked", "passed", 0)])
def test_status_list_given_on_the_command_line_decides(satchel, tmp_path, revoked, code, status, exit_code) -> None:
    credential, status_list = _with_status(4242, revoked=revoked)
    result = satchel("verify", "--json", "--at", AT, "--status-list", _write(tmp_path, "list.json", status_list),
                     _write(tmp_path, "vc.json", credential))
    [check] = [c for c in result.json()["checks"] if c["name"] == "status"]
    assert (check["status"], check["code"], result.code) == (status, code, exit_code)


def test_no_status_list_is_not_checked_never_not_revoked(satchel, tmp_path) -> None:
    credential, _ = _with_status(7, revoked=False)
    result = satchel("verify", "--json", "--at", AT, _write(tmp_path, "vc.json", credential))
    [check] = [c for c in result.json()["checks"] if c["name"] == "status"]
    assert check["status"] == "not checked" and "no status list" in check["detail"]
    assert result.code == 0


def test_status_list_signed_by_another_issuer_fails(satchel, tmp_path) -> None:
    credential, status_list = _with_status(7, revoked=False, list_signer=generate_key_pair())
    result = satchel("verify", "--json", "--at", AT, "--status-list", _write(tmp_path, "list.json", status_list),
                     _write(tmp_path, "vc.json", credential))
    assert _statuses(result)["status"] == "failed" and result.code == 1


def test_trust_registry_names_a_known_issuer(satchel, tmp_path) -> None:
    signed, issuer = _signed_credential()
    registry = _write(tmp_path, "registry.json", json.dumps({"issuers": [{"id": issuer.did, "name": "Riverside Training Co-op"}]}))
    result = satchel("verify", "--json", "--at", AT, "--registry", registry, _write(tmp_path, "vc.json", json.dumps(signed)))
    [check] = [c for c in result.json()["checks"] if c["name"] == "registry"]
    assert check["status"] == "passed" and "Riverside Training Co-op" in check["detail"]
    other = _write(tmp_path, "other.json", json.dumps({"issuers": []}))
    assert satchel("verify", "--at", AT, "--registry", other, _write(tmp_path, "vc.json", json.dumps(signed))).code == 1


def test_verify_help_documents_every_option(satchel) -> None:
    result = satchel("verify", "--help")
    for option in ("--json", "--at", "--challenge", "--domain", "--did-document", "--status-list", "--registry",
                   "--context", "--online"):
        assert option in result.out


# -- clock skew -------------------------------------------------------------------------------


@pytest.mark.parametrize(("minutes_ahead", "verified"), [(3, True), (10, False)])
def test_proof_created_in_the_future_is_tolerated_only_within_five_minutes(minutes_ahead, verified) -> None:
    from datetime import timedelta

    from verifier.verify import VerifyOptions, verify

    issuer = generate_key_pair()
    now = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
    credential = {"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiableCredential"],
                  "issuer": issuer.did, "validFrom": "2026-01-01T00:00:00Z", "credentialSubject": {"id": "did:example:t"}}
    signed = add_proof(credential, signer=issuer, loader=bundled_loader(), created=now + timedelta(minutes=minutes_ahead))
    report = verify(signed, VerifyOptions(now=now))
    assert report.verified is verified
    if verified:
        assert any("clock skew" in note for note in report.notes)
    else:
        assert report.find("proof")[0].code == "proof_created_in_future"
