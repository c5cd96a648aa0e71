"""Every credential in ../shared/reference/realworld gets the verdict its README requires.

Runs ``satchel verify --json --at <a moment inside the validity period>
[--did-document <its key file>]`` per credential; the verdicts ignore dates and
status (README policy 7), so no status list is given and status is never a pass.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import EXAMPLES_V2, EXAMPLES_V2_DOC
from reference import REFERENCE_DIR, reference_dir

README_ROW = re.compile(r"^\| (\d\d-[^|]+\.json) \|.*\| \*\*(accept|reject)\*\*")


def _required_verdicts() -> dict[str, str]:
    readme = REFERENCE_DIR / "realworld" / "README.md"
    if not readme.is_file():
        return {"(reference folder missing)": "accept"}
    verdicts = {}
    for line in readme.read_text(encoding="utf-8").splitlines():
        match = README_ROW.match(line)
        if match:
            verdicts[match.group(1)] = match.group(2)
    return verdicts


VERDICTS = _required_verdicts()


def test_readme_lists_forty_credentials() -> None:
    reference_dir()
    assert len(VERDICTS) == 40


@pytest.mark.parametrize("name", sorted(VERDICTS))
def test_realworld_verdict(name: str, satchel, tmp_path: Path) -> None:
    folder = reference_dir() / "realworld"
    document = json.loads((folder / name).read_text(encoding="utf-8"))
    args = ["verify", "--json"]
    start = document.get("validFrom") or document.get("issuanceDate")
    if start:
        args += ["--at", start]
    stem = name[: -len(".json")]
    for suffix in (".did.json", ".controller.json"):
        if (folder / (stem + suffix)).exists():
            args += ["--did-document", str(folder / (stem + suffix))]
    if EXAMPLES_V2 in json.dumps(document.get("@context")):
        # The W3C vectors' one-line examples context: the user vouches for it.
        examples = tmp_path / "examples-v2.json"
        examples.write_text(json.dumps(EXAMPLES_V2_DOC))
        args += ["--context", f"{EXAMPLES_V2}={examples}"]
    result = satchel(*args, str(folder / name))
    report = result.json()
    got = "accept" if report["verified"] else "reject"
    problems = [f"{c['name']}: {c['status']}: {c['detail']}" for c in report["checks"]
                if c["status"] == "failed" or (c["name"] == "proof" and c["status"] != "passed")]
    assert got == VERDICTS[name], f"{name}: expected {VERDICTS[name]}, got {got}; " + "; ".join(problems)
    assert result.code == (0 if got == "accept" else 1)
    statuses = [c["status"] for c in report["checks"] if c["name"] == "status"]
    assert "passed" not in statuses, f"{name}: status reported as passed without a status list"


def _checks(name: str, satchel, *extra: str) -> dict[str, list[dict]]:
    folder = reference_dir() / "realworld"
    report = satchel("verify", "--json", *extra, str(folder / name)).json()
    out: dict[str, list[dict]] = {}
    for check in report["checks"]:
        out.setdefault(check["name"], []).append(check)
    return out


def test_w3c_vector_reads_proof_passed_issuer_key_failed(satchel, tmp_path: Path) -> None:
    examples = tmp_path / "examples-v2.json"
    examples.write_text(json.dumps(EXAMPLES_V2_DOC))
    checks = _checks("37-w3c-vc-di-eddsa-rdfc-vector.json", satchel, "--context", f"{EXAMPLES_V2}={examples}")
    assert [c["status"] for c in checks["proof"]] == ["passed"]
    assert [c["status"] for c in checks["issuer-key"]] == ["failed"]


def test_did_web_without_its_document_is_not_checked_never_verified(satchel) -> None:
    checks = _checks("11-dcc-v2-ed2020-bad-didweb.json", satchel)
    assert checks["proof"][0]["status"] == "not checked"
    assert "key not resolvable offline" in checks["proof"][0]["detail"]


def test_unknown_proof_type_is_listed_as_not_checked(satchel) -> None:
    folder = reference_dir() / "realworld"
    checks = _checks("26-1edtech-multiple-proofs.json", satchel, "--did-document",
                     str(folder / "26-1edtech-multiple-proofs.controller.json"))
    assert sorted(c["status"] for c in checks["proof"]) == ["not checked", "passed"]


def test_legacy_eddsa_2022_is_noted(satchel) -> None:
    folder = reference_dir() / "realworld"
    report = satchel("verify", "--json", "--did-document", str(folder / "27-1edtech-legacy-eddsa-2022.controller.json"),
                     str(folder / "27-1edtech-legacy-eddsa-2022.json")).json()
    assert any("eddsa-2022" in note for note in report.get("notes", []))


def test_bare_did_key_verification_method_is_noted(satchel) -> None:
    """README policy 2: a bare did:key resolves to its only key, and the report says so."""
    from datetime import datetime, timezone

    from credentials.dataintegrity import add_proof
    from credentials.keys import generate_key_pair
    from credentials.loader import bundled_loader
    from verifier.verify import VerifyOptions, verify

    class BareSigner:
        def __init__(self) -> None:
            self.pair = generate_key_pair()
            self.verification_method = self.pair.did
            self.algorithm = "Ed25519"

        def sign(self, data: bytes) -> bytes:
            return self.pair.sign(data)

    signer = BareSigner()
    credential = {"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiableCredential"],
                  "issuer": signer.pair.did, "credentialSubject": {"id": "did:example:learner"}}
    signed = add_proof(credential, signer=signer, loader=bundled_loader(), created=datetime(2026, 1, 1, tzinfo=timezone.utc))
    report = verify(signed, VerifyOptions(now=datetime(2026, 2, 1, tzinfo=timezone.utc)))
    assert report.verified
    assert any("bare did:key" in note for note in report.notes)


def test_nested_endorsement_is_verified_as_a_sub_report(satchel) -> None:
    """03 carries an endorsement inside its issuer profile; it expired in 2020, the badge did not."""
    folder = reference_dir() / "realworld"
    report = satchel("verify", "--json", "--at", "2026-01-01T00:00:00Z",
                     str(folder / "03-dcc-v2-rdfc-complex-issuer.json")).json()
    assert report["verified"] is True
    [nested] = [c for c in report["checks"] if c["name"] == "nested"]
    assert nested["status"] == "not checked" and "$.issuer.endorsement[0]" in nested["detail"]
    [sub] = report["nested"]
    assert sub["label"] == "$.issuer.endorsement[0]" and sub["verified"] is False
    sub_checks = {c["name"]: c for c in sub["checks"]}
    assert sub_checks["proof"]["status"] == "passed" and sub_checks["validity"]["code"] == "expired"
