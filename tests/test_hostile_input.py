"""Hostile input answers with a one-line ``error:`` or a failed check, never a traceback or a hang.

Every command that reads a document (``verify``, ``sign``, ``canonicalize``, ``present``) and
every option file (``--key``, ``--did-document``, ``--status-list``, ``--registry``,
``--context``) is given documents nested 100 to 200,000 levels deep, 50 MB of JSON,
duplicate keys, NaN, 1e400, a 100,000-digit integer, invalid UTF-8, a 400,000-character
proofValue or DID, and 10,000 or 100,000 identical blank nodes. A representative subset
runs as real subprocesses (a traceback or a crash of the interpreter shows there); the
rest runs in-process, where an escaping exception fails the test itself. Timings are not
asserted here (they are measured by hand; see the strict reader and the work budget).
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import NETGUARD_DIR, REPO, Result, run_subprocess

DEPTHS = [100, 500, 1_000, 10_000, 200_000]
DISTRICT = "did:key:z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi"


def _credential(issuer: str = DISTRICT) -> dict[str, Any]:
    return {
        "@context": ["https://www.w3.org/ns/credentials/v2", "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"],
        "id": "urn:uuid:6a9c2b0e-8a1f-4d6e-9a51-0f3c2f1d7e42",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": issuer, "type": ["Profile"], "name": "Lakeside School District"},
        "validFrom": "2026-09-01T00:00:00Z",
        "name": "Formative Assessment",
        "credentialSubject": {
            "id": "did:key:z6MknNQD1WHLGGraFi6zcbGevuAgkVfdyCdtZnQTGWVVvR5Q",
            "type": ["AchievementSubject"],
            "achievement": {"id": "https://lakeside.example.org/achievements/1", "type": ["Achievement"],
                            "name": "Formative Assessment", "criteria": {"narrative": "Submit a lesson plan."}},
        },
    }


def _with_proof(document: dict[str, Any], *, proof_value: str = "z" + "3" * 87,
                method: str = f"{DISTRICT}#{DISTRICT[8:]}") -> dict[str, Any]:
    return dict(document, proof={
        "type": "DataIntegrityProof", "cryptosuite": "eddsa-rdfc-2022", "created": "2026-09-01T00:00:00Z",
        "verificationMethod": method, "proofPurpose": "assertionMethod", "proofValue": proof_value,
    })


def _nested_text(depth: int) -> str:
    """A credential whose achievement carries an object nested ``depth`` levels (built as text: no recursion)."""
    marker = '"NESTED"'
    text = json.dumps(dict(_credential(), extra="NESTED"))
    return text.replace(marker, '{"a":' * depth + "1" + "}" * depth)


def _alignments(count: int) -> bytes:
    """``count`` identical alignments (blank nodes of one first-degree hash), compact so 100,000 fit in 8 MiB."""
    document = _with_proof(_credential())
    document["credentialSubject"]["achievement"]["alignment"] = [
        {"type": ["Alignment"], "targetName": "ISTE", "targetUrl": "https://iste.org/s"} for _ in range(count)]
    return json.dumps(document, separators=(",", ":")).encode()


HOSTILE: dict[str, Callable[[], bytes]] = {
    **{f"nested-{depth}": (lambda depth=depth: _nested_text(depth).encode()) for depth in DEPTHS},
    "duplicate-key": lambda: json.dumps(_credential())[:-1].encode() + b', "name": "again"}',
    "nan": lambda: json.dumps(dict(_credential(), score=float("nan"))).encode(),
    "infinity": lambda: json.dumps(dict(_credential(), score=float("inf"))).encode(),
    "1e400": lambda: json.dumps(_credential())[:-1].encode() + b', "score": 1e400}',
    "100000-digit-integer": lambda: json.dumps(_credential())[:-1].encode() + b', "score": ' + b"9" * 100_000 + b"}",
    "invalid-utf8": lambda: json.dumps(_credential()).replace("Lakeside", "Lake\udcffside", 1).encode("utf-8", "surrogateescape"),
    "lone-surrogate-escape": lambda: json.dumps(_credential()).replace("Lakeside", "Lake\\ud800side", 1).encode(),
    "400000-char-proofValue": lambda: json.dumps(_with_proof(_credential(), proof_value="z" + "2" * 400_000)).encode(),
    "400000-char-verificationMethod": lambda: json.dumps(_with_proof(_credential(), method="did:key:z6Mk" + "2" * 400_000)).encode(),
    "400000-char-issuer-did": lambda: json.dumps(_with_proof(_credential(issuer="did:key:z6Mk" + "2" * 400_000))).encode(),
    "10000-identical-blank-nodes": lambda: _alignments(10_000),
    "100000-identical-blank-nodes": lambda: _alignments(100_000),
}


def _assert_answered(result: Result) -> None:
    """Exit 1 or 2 with one ``error:`` line, or exit 1 with a report naming a failed check; no traceback."""
    assert "Traceback" not in result.err, result.err[-2000:]
    assert result.code in (1, 2), (result.code, result.err[-500:])
    if result.err:
        lines = result.err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), result.err[-500:]
        assert len(lines[0]) < 2_000, "an error line must not echo the hostile document"
    else:
        assert result.code == 1 and ("failed" in result.out.lower() or "not verified" in result.out.lower()), result.out[-500:]


@pytest.fixture
def key_path(tmp_path: Path, satchel: Callable[..., Result]) -> str:
    path = tmp_path / "holder.key.json"
    assert satchel("key", "generate", "--out", str(path)).code == 0
    return str(path)


@pytest.fixture
def good_credential(tmp_path: Path) -> str:
    path = tmp_path / "good.json"
    path.write_text(json.dumps(_with_proof(_credential())))
    return str(path)


def _write(tmp_path: Path, name: str, data: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


# ---------------------------------------------------------------- every command, every hostile document

@pytest.mark.parametrize("case", sorted(HOSTILE))
@pytest.mark.parametrize("command", ["verify", "verify --json", "sign", "canonicalize", "present"])
def test_command_answers_hostile_document(case: str, command: str, satchel: Callable[..., Result],
                                          tmp_path: Path, key_path: str) -> None:
    path = _write(tmp_path, f"{case}.json", HOSTILE[case]())
    args = {"verify": ["verify", path], "verify --json": ["verify", "--json", path],
            "sign": ["sign", "--key", key_path, path], "canonicalize": ["canonicalize", path],
            "present": ["present", "--key", key_path, path]}[command]
    result = satchel(*args)
    _assert_answered(result)


@pytest.mark.parametrize("option", ["--did-document", "--status-list", "--registry", "--context", "--key"])
@pytest.mark.parametrize("case", ["nested-500", "nested-200000", "duplicate-key", "nan", "1e400",
                                  "100000-digit-integer", "invalid-utf8"])
def test_option_file_answers_hostile_document(option: str, case: str, satchel: Callable[..., Result],
                                              tmp_path: Path, good_credential: str) -> None:
    path = _write(tmp_path, f"option-{case}.json", HOSTILE[case]())
    if option == "--key":
        result = satchel("sign", "--key", path, good_credential)
    elif option == "--context":
        result = satchel("verify", "--context", f"https://example.org/hostile/v1={path}", good_credential)
    else:
        result = satchel("verify", option, path, good_credential)
    _assert_answered(result)
    assert result.code == 2 or option == "--registry"
    assert path in result.err or option == "--registry", result.err


def test_fifty_megabytes_is_refused_before_parsing(satchel: Callable[..., Result], tmp_path: Path, key_path: str) -> None:
    path = tmp_path / "huge.json"
    with path.open("wb") as handle:
        handle.write(b'{"a": "')
        handle.write(b"x" * (50 * 1024 * 1024))
        handle.write(b'"}')
    for args in (["verify", str(path)], ["sign", "--key", key_path, str(path)], ["canonicalize", str(path)],
                 ["present", "--key", key_path, str(path)], ["verify", "--did-document", str(path), str(path)]):
        result = satchel(*args)
        _assert_answered(result)
        assert result.code == 2 and "larger than 8 MiB" in result.err


def test_failed_checks_name_the_limit(satchel: Callable[..., Result], tmp_path: Path) -> None:
    """The limits are reported with their codes, so a caller can tell them apart."""
    expected = {"400000-char-proofValue": "multibase_too_long", "10000-identical-blank-nodes": "canonicalization_limit",
                "100000-identical-blank-nodes": "canonicalization_limit"}
    for case, code in expected.items():
        result = satchel("verify", "--json", _write(tmp_path, f"{case}.json", HOSTILE[case]()))
        assert result.code == 1, result.err
        codes = {check["code"] for check in result.json()["checks"] if check["status"] == "failed"}
        assert code in codes, (case, codes)


@pytest.mark.parametrize("depth", DEPTHS)
@pytest.mark.parametrize("form", ["png", "svg", "jwt"])
def test_nested_document_inside_an_image_or_jwt(depth: int, form: str, satchel: Callable[..., Result],
                                                tmp_path: Path) -> None:
    import base64
    import struct
    import zlib

    text = _nested_text(depth)
    if form == "jwt":
        segment = base64.urlsafe_b64encode(text.encode()).rstrip(b"=").decode()
        data = f"eyJhbGciOiJFZERTQSJ9.{segment}.AAAA".encode()
    elif form == "svg":
        data = ('<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0">'
                f"<openbadges:credential><![CDATA[{text}]]></openbadges:credential></svg>").encode()
    else:
        payload = b"openbadgecredential\x00\x00\x00\x00\x00" + text.encode()
        chunk = struct.pack(">I", len(payload)) + b"iTXt" + payload + struct.pack(">I", zlib.crc32(b"iTXt" + payload))
        ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
        head = struct.pack(">I", 13) + b"IHDR" + ihdr + struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
        end = struct.pack(">I", 0) + b"IEND" + struct.pack(">I", zlib.crc32(b"IEND"))
        data = b"\x89PNG\r\n\x1a\n" + head + chunk + end
    result = satchel("verify", _write(tmp_path, f"nested.{form}", data))
    _assert_answered(result)
    if depth > 64:
        assert "too_deep" in result.err or "levels deep" in result.err or "deep" in result.out, result.err + result.out


# ---------------------------------------------------------------- real subprocesses (a representative subset)

@pytest.mark.slow
@pytest.mark.parametrize(("case", "command"), [
    ("nested-200000", "verify"), ("nested-10000", "sign"), ("nested-500", "canonicalize"),
    ("1e400", "sign"), ("10000-identical-blank-nodes", "verify"), ("400000-char-proofValue", "verify"),
    ("invalid-utf8", "present"), ("duplicate-key", "verify"),
])
def test_subprocess_answers_hostile_document(case: str, command: str, tmp_path: Path, satchel: Callable[..., Result],
                                             key_path: str) -> None:
    path = _write(tmp_path, f"{case}.json", HOSTILE[case]())
    args = {"verify": ["verify", path], "sign": ["sign", "--key", key_path, path],
            "canonicalize": ["canonicalize", path], "present": ["present", "--key", key_path, path]}[command]
    _assert_answered(run_subprocess(*args))


@pytest.mark.slow
def test_subprocess_nested_stdin_and_option_file(tmp_path: Path, good_credential: str) -> None:
    _assert_answered(run_subprocess("verify", "-", stdin=_nested_text(200_000)))
    path = _write(tmp_path, "registry.json", HOSTILE["100000-digit-integer"]())
    _assert_answered(run_subprocess("verify", "--registry", path, good_credential))


@pytest.mark.slow
@pytest.mark.parametrize("command", [["verify"], ["verify", "--json"], ["canonicalize"]])
def test_output_into_a_closed_pipe_exits_quietly(command: list[str], good_credential: str) -> None:
    """As ``satchel verify x | head -c1`` once head has gone: the read end is closed before anything is written."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        with subprocess.Popen([sys.executable, "-m", "satchel", *command, good_credential], stdout=write_end,
                              stderr=subprocess.PIPE, cwd=REPO, env=dict(os.environ, PYTHONPATH=str(NETGUARD_DIR))) as proc:
            assert proc.stderr is not None
            err = proc.stderr.read().decode()
            proc.wait(timeout=120)
    finally:
        os.close(write_end)
    assert "Traceback" not in err and "BrokenPipeError" not in err, err
    assert err == "" and proc.returncode == 1


# ---------------------------------------------------------------- the operator's own mistakes

def test_key_file_with_one_wrong_character_names_the_problem_not_the_secret(satchel: Callable[..., Result],
                                                                               key_path: str, good_credential: str) -> None:
    data = json.loads(Path(key_path).read_text())
    secret = data["secretKeyMultibase"]
    for wrong in ("0", "l", "I", "O", "+"):
        data["secretKeyMultibase"] = secret[:20] + wrong + secret[21:]
        Path(key_path).write_text(json.dumps(data))
        result = satchel("sign", "--key", key_path, good_credential)
        _assert_answered(result)
        assert result.code == 2 and "secretKeyMultibase" in result.err and "character 20" in result.err
        pieces = {secret[i:i + 8] for i in range(len(secret) - 7)}
        assert not any(piece in result.err for piece in pieces), result.err


def test_key_generate_never_replaces_an_existing_key_without_force(satchel: Callable[..., Result], tmp_path: Path) -> None:
    path = tmp_path / "district.key.json"
    first = satchel("key", "generate", "--out", str(path))
    assert first.code == 0
    original = path.read_text()
    again = satchel("key", "generate", "--out", str(path))
    _assert_answered(again)
    assert again.code == 2 and "already exists" in again.err and "--force" in again.err
    assert path.read_text() == original
    forced = satchel("key", "generate", "--out", str(path), "--force")
    assert forced.code == 0 and path.read_text() != original
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_key_generate_into_a_missing_directory_is_an_error_line(satchel: Callable[..., Result], tmp_path: Path) -> None:
    result = satchel("key", "generate", "--out", str(tmp_path / "nonexistent" / "x"))
    _assert_answered(result)
    assert result.code == 2 and "cannot write" in result.err


@pytest.mark.parametrize("moment", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", "0001-01-01T00:00:00Z"])
def test_at_out_of_range_is_an_error_line(moment: str, satchel: Callable[..., Result], good_credential: str) -> None:
    result = satchel("verify", "--at", moment, good_credential)
    _assert_answered(result)
    assert result.code == 2 and "out of range" in result.err


@pytest.mark.parametrize("created", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"])
def test_created_out_of_range_is_an_error_line(created: str, satchel: Callable[..., Result], key_path: str,
                                               tmp_path: Path) -> None:
    path = _write(tmp_path, "unsigned.json", json.dumps(_credential()).encode())
    result = satchel("sign", "--key", key_path, "--created", created, path)
    _assert_answered(result)
    assert result.code == 2 and "out of range" in result.err


# ---------------------------------------------------------------- generated documents at verify()

def _hypothesis_strategies() -> Any:
    from hypothesis import strategies as st

    keys = st.sampled_from(["@context", "@id", "@type", "@graph", "@list", "@value", "id", "type", "issuer", "holder",
                            "credentialSubject", "achievement", "proof", "proofValue", "verificationMethod",
                            "cryptosuite", "proofPurpose", "verifiableCredential", "validFrom", "validUntil",
                            "credentialStatus", "statusListCredential", "evidence", "alignment", "name"])
    odd_strings = st.sampled_from([
        "https://www.w3.org/ns/credentials/v2", "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        "VerifiableCredential", "VerifiablePresentation", "DataIntegrityProof", "eddsa-rdfc-2022",
        "EnvelopedVerifiableCredential", "data:application/vc+jwt,eyJhbGciOiJFZERTQSJ9.e30.AA", DISTRICT,
        f"{DISTRICT}#{DISTRICT[8:]}", "did:web:evil.example#k", "z" + "1" * 300, "2026-13-45T99:99:99Z", "",
        "eyJhbGciOiJFZERTQSJ9.eyJ2YyI6e319.AA", "_:b0", "\u0000\ufeff\U0001f600"])
    scalars = (st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True, allow_infinity=True)
               | st.text(max_size=12) | odd_strings)
    values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=6)
                          | st.dictionaries(keys | st.text(max_size=6), inner, max_size=6), max_leaves=40)

    def nest(pair: tuple[int, str]) -> Any:
        depth, key = pair
        node: Any = "leaf"
        for level in range(depth):
            node = {key: node} if level % 3 else [node]
        return node

    deep = st.tuples(st.integers(min_value=10, max_value=3_000), keys).map(nest)
    skeleton = st.fixed_dictionaries(
        {"@context": st.sampled_from([["https://www.w3.org/ns/credentials/v2"],
                                      ["https://www.w3.org/ns/credentials/v2",
                                       "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"]]) | values,
         "type": st.sampled_from([["VerifiableCredential"], ["VerifiablePresentation"],
                                  ["VerifiableCredential", "OpenBadgeCredential"]]) | values},
        optional={name: values | deep for name in ["id", "issuer", "holder", "credentialSubject", "proof",
                                                    "verifiableCredential", "validFrom", "credentialStatus", "evidence"]})
    wide = st.lists(values, min_size=50, max_size=300).map(lambda items: dict(_credential(), evidence=items))
    return skeleton | deep | wide | values | odd_strings


def test_verify_never_raises_on_generated_documents() -> None:
    from datetime import datetime, timezone

    from hypothesis import HealthCheck, given, settings

    from credentials.loader import bundled_loader
    from credentials.resolver import KeyResolver
    from verifier.report import Report
    from verifier.verify import VerifyOptions, verify

    options = VerifyOptions(now=datetime(2026, 10, 1, tzinfo=timezone.utc), loader=bundled_loader(),
                            resolver=KeyResolver([]))

    @settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(_hypothesis_strategies())
    def check(document: Any) -> None:
        report = verify(document, options)  # Any exception escaping here fails the test.
        assert isinstance(report, Report)
        if not isinstance(document, (dict, str)) or document == {}:
            assert not report.verified

    check()


@pytest.mark.parametrize("number", [10**400, -(10**400), 2**1024 - 2**970, 10**100_000],
                         ids=["1e400", "-1e400", "just-past-a-double", "100000-digits"])
@pytest.mark.parametrize("where", ["credential", "presented"])
def test_verify_of_a_dict_with_an_integer_past_a_double_is_a_failed_check(number: int, where: str) -> None:
    # The JSON reader refuses such a number in text; a dict built in code (a library caller's)
    # reaches verify() with it, and JSON-LD cannot read it as an xsd:double: a failed check, as for NaN.
    from datetime import datetime, timezone

    from credentials.dataintegrity import add_proof
    from credentials.keys import key_pair_from_seed
    from credentials.loader import bundled_loader
    from verifier.verify import VerifyOptions, verify

    key = key_pair_from_seed(bytes(32))
    signed = add_proof(_credential(key.did), signer=key, loader=bundled_loader(), created="2026-09-01T00:00:00Z")
    signed["credentialSubject"]["achievement"]["score"] = number
    document: dict[str, Any] = signed if where == "credential" else {
        "@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiablePresentation"],
        "verifiableCredential": [signed]}
    report = verify(document, VerifyOptions(now=datetime(2026, 10, 1, tzinfo=timezone.utc)))
    credential = report if where == "credential" else report.nested[0][1]
    assert not report.verified and not credential.verified
    failed = {check.name: check for check in credential.checks if check.status == "failed"}
    assert failed["proof"].code == "json_bad_number"
    assert failed["contexts"].code == "json_bad_number"
    assert "past the range of a 64-bit float" in failed["proof"].detail
    # The report still says what the badge claims to be.
    assert credential.badge is not None and credential.badge.name == "Formative Assessment"
