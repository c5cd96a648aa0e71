"""``satchel key generate``, ``sign``, ``present``, ``canonicalize`` and ``verify`` as an operator uses them."""

from __future__ import annotations

import copy
import json
import os
import stat
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO, run_subprocess
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from credentials.ob3 import build_credential
from verifier.verify import VerifyOptions, verify

NOW = datetime(2026, 10, 1, tzinfo=timezone.utc)


@pytest.fixture
def key_file(satchel, tmp_path: Path) -> tuple[str, str]:
    path = tmp_path / "issuer.key.json"
    result = satchel("key", "generate", "--out", str(path))
    assert result.code == 0
    return str(path), result.out.strip()


def _unsigned(issuer_did: str) -> dict[str, Any]:
    return build_credential(
        issuer={"id": issuer_did, "name": "Lakeside School District"},
        achievement={"id": "https://lakeside.example.org/achievements/1", "name": "Formative Assessment",
                     "description": "Uses formative checks to adjust a lesson.",
                     "criteria": {"narrative": "Submit a lesson plan and a reflection."},
                     "alignment": [{"targetName": "ISTE 2.7", "targetUrl": "https://iste.org/standards/educators",
                                    "targetType": "CFItem"}],
                     "tags": ["assessment", "näive ünïcode ✓"]},
        recipient_did="did:key:z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi",
        evidence=[{"id": "https://lakeside.example.org/evidence/42", "name": "Lesson plan"}],
        credential_id="urn:uuid:0b5a4c64-2d65-4d55-8f3f-6d1b0f1c9a11",
        valid_from=datetime(2026, 9, 1, tzinfo=timezone.utc),
    )


@pytest.fixture
def signed(satchel, key_file, write_json) -> dict[str, Any]:
    path, did = key_file
    result = satchel("sign", "--key", path, "--created", "2026-09-01T08:00:00Z", write_json("unsigned.json", _unsigned(did)))
    assert result.code == 0, result.err
    return result.json()


def test_key_generate_writes_a_multikey_file_readable_only_by_its_owner(key_file) -> None:
    path, did = key_file
    data = json.loads(Path(path).read_text())
    assert set(data) == {"id", "publicKeyMultibase", "secretKeyMultibase"}
    assert data["id"] == did and did.startswith("did:key:z6Mk") and data["publicKeyMultibase"] == did[len("did:key:"):]
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_signed_credential_verifies(satchel, signed, write_json) -> None:
    assert signed["proof"]["cryptosuite"] == "eddsa-rdfc-2022"
    assert signed["proof"]["proofPurpose"] == "assertionMethod"
    assert signed["proof"]["created"] == "2026-09-01T08:00:00Z"
    result = satchel("verify", "--json", "--at", "2026-10-01T00:00:00Z", write_json("signed.json", signed))
    assert result.code == 0, result.out
    report = result.json()
    assert report["verified"] is True
    statuses = {c["name"]: c["status"] for c in report["checks"]}
    assert statuses["proof"] == statuses["issuer-key"] == statuses["schema"] == statuses["validity"] == "passed"
    assert statuses["status"] == "not checked"
    assert all(set(c) >= {"name", "status", "detail"} for c in report["checks"])


def test_human_report_names_every_check(satchel, signed, write_json) -> None:
    result = satchel("verify", "--at", "2026-10-01T00:00:00Z", write_json("signed.json", signed))
    assert result.code == 0
    assert result.out.startswith("VERIFIED")
    for name in ("syntax", "contexts", "proof", "issuer-key", "schema", "validity", "status"):
        assert name in result.out


def _leaves(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _leaves(value, path + (key,))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _leaves(value, path + (index,))
    else:
        yield path


def _replace(document: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    changed = copy.deepcopy(document)
    target: Any = changed
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return changed


def _altered(value: Any) -> Any:
    if isinstance(value, bool):
        return not value
    if isinstance(value, (int, float)):
        return value + 1
    return str(value) + "x" if value else "x"


def test_changing_any_single_leaf_fails_verification(signed) -> None:
    """Every leaf value of a signed credential, changed on its own, breaks verification."""
    options = VerifyOptions(now=NOW)
    assert verify(signed, options).verified
    leaves = list(_leaves(signed))
    assert len(leaves) > 30
    survivors = [path for path in leaves
                 if verify(_replace(signed, path, _altered(_get(signed, path))), options).verified]
    assert survivors == []


def _get(document: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        document = document[step]
    return document


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_property_any_leaf_to_any_other_value_fails(signed, data) -> None:
    path = data.draw(st.sampled_from(list(_leaves(signed))))
    original = _get(signed, path)
    replacement = data.draw(st.one_of(st.text(max_size=20), st.integers(), st.booleans(), st.none(),
                                      st.floats(allow_nan=False, allow_infinity=False))
                            .filter(lambda v: v != original or type(v) is not type(original)))
    assert not verify(_replace(signed, path, replacement), VerifyOptions(now=NOW)).verified


def test_adding_an_undefined_property_fails_naming_its_path(satchel, signed, write_json) -> None:
    tampered = copy.deepcopy(signed)
    tampered["credentialSubject"]["achievement"]["favouriteColour"] = "teal"
    result = satchel("verify", "--json", "--at", "2026-10-01T00:00:00Z", write_json("t.json", tampered))
    assert result.code == 1
    contexts = [c for c in result.json()["checks"] if c["name"] == "contexts"][0]
    assert contexts["status"] == "failed" and contexts["code"] == "undefined_term"
    assert "$.credentialSubject.achievement.favouriteColour" in contexts["detail"]


def test_signing_refuses_an_undefined_property(satchel, key_file, write_json) -> None:
    path, did = key_file
    unsigned = _unsigned(did)
    unsigned["credentialSubject"]["shoeSize"] = 44
    result = satchel("sign", "--key", path, write_json("u.json", unsigned))
    assert result.code == 2
    assert "undefined term" in result.err and "$.credentialSubject.shoeSize" in result.err


def test_an_unbundled_context_fails_with_context_not_bundled(satchel, signed, write_json) -> None:
    tampered = copy.deepcopy(signed)
    tampered["@context"].append("https://evil.example/context.jsonld")
    result = satchel("verify", "--json", write_json("t.json", tampered))
    assert result.code == 1
    contexts = [c for c in result.json()["checks"] if c["name"] == "contexts"][0]
    assert contexts["status"] == "failed"
    assert "context not bundled: https://evil.example/context.jsonld" in contexts["detail"]


def test_presentation_with_challenge_and_domain_verifies(satchel, tmp_path, signed, write_json) -> None:
    holder_key = tmp_path / "holder.json"
    holder = satchel("key", "generate", "--out", str(holder_key)).out.strip()
    result = satchel("present", "--key", str(holder_key), "--challenge", "n-0S6_WzA2Mj", "--domain", "employer.example",
                     write_json("vc.json", signed))
    assert result.code == 0, result.err
    vp = result.json()
    assert vp["holder"] == holder and vp["proof"]["proofPurpose"] == "authentication"
    vp_path = write_json("vp.json", vp)
    ok = satchel("verify", "--json", "--challenge", "n-0S6_WzA2Mj", "--domain", "employer.example", vp_path)
    report = ok.json()
    statuses = {c["name"]: c["status"] for c in report["checks"]}
    assert statuses["challenge"] == statuses["domain"] == "passed"
    assert report["nested"][0]["verified"] is True
    # The credential is about someone else, so holder binding fails; the proofs themselves hold.
    assert statuses["holder"] == "failed" and statuses["proof"] == "passed"
    assert ok.code == 1


def test_presentation_replayed_with_another_challenge_fails(satchel, tmp_path, signed, write_json) -> None:
    holder_key = tmp_path / "holder.json"
    satchel("key", "generate", "--out", str(holder_key))
    vp = satchel("present", "--key", str(holder_key), "--challenge", "abc", write_json("vc.json", signed)).json()
    result = satchel("verify", "--json", "--challenge", "xyz", write_json("vp.json", vp))
    assert result.code == 1
    challenge = [c for c in result.json()["checks"] if c["name"] == "challenge"][0]
    assert challenge["status"] == "failed"


def test_holder_presenting_own_credential_verifies(satchel, tmp_path, key_file, write_json) -> None:
    """The learner is both subject and holder: every check passes."""
    holder_key = tmp_path / "learner.json"
    learner = satchel("key", "generate", "--out", str(holder_key)).out.strip()
    issuer_key, issuer = key_file
    unsigned = _unsigned(issuer)
    unsigned["credentialSubject"]["id"] = learner
    vc = satchel("sign", "--key", issuer_key, write_json("u.json", unsigned)).json()
    vp = satchel("present", "--key", str(holder_key), "--challenge", "c1", write_json("vc.json", vc)).json()
    result = satchel("verify", "--json", "--challenge", "c1", write_json("vp.json", vp))
    assert result.code == 0, result.out
    assert {c["name"]: c["status"] for c in result.json()["checks"]}["holder"] == "passed"


def test_canonicalize_prints_nquads(satchel, signed, write_json) -> None:
    unsigned = {k: v for k, v in signed.items() if k != "proof"}
    result = satchel("canonicalize", write_json("u.json", unsigned))
    assert result.code == 0
    lines = result.out.splitlines()
    assert lines == sorted(lines) and all(line.endswith(" .") for line in lines)
    assert "<https://purl.imsglobal.org/spec/vc/ob/vocab.html#Achievement>" in result.out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("verify", "/nonexistent/file.json"), "cannot read"),
        (("sign", "--key", "/nonexistent/key.json", "x.json"), "cannot read"),
        (("verify", "--at", "yesterday", "-"), "not an ISO 8601"),
    ],
)
def test_bad_usage_exits_2_with_an_error_line(satchel, args, message) -> None:
    result = satchel(*args, stdin="{}")
    assert result.code == 2
    assert result.err.startswith("error: ") and message in result.err


def test_verify_reads_standard_input(satchel, signed) -> None:
    result = satchel("verify", "--at", "2026-10-01T00:00:00Z", "-", stdin=json.dumps(signed))
    assert result.code == 0


def test_verify_refuses_non_json_input(satchel, write_json, tmp_path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("this is not a credential")
    result = satchel("verify", str(path))
    assert result.code == 2 and result.err.startswith("error: ")


def test_console_script_round_trip_in_a_subprocess(tmp_path, signed) -> None:
    """The installed ``satchel`` command, as a user runs it, under the network guard."""
    path = tmp_path / "signed.json"
    path.write_text(json.dumps(signed))
    result = run_subprocess("verify", "--at", "2026-10-01T00:00:00Z", str(path))
    assert result.code == 0, result.err
    assert "VERIFIED" in result.out
    assert run_subprocess("verify", "--help").out.count("--did-document") >= 1


def test_demo_sample_verifies() -> None:
    result = run_subprocess("verify", str(REPO / "samples" / "lakeside-badge.json"))
    assert result.code == 0, result.out + result.err
