"""Benchmark: how long hostile input takes to be refused, in one process (no interpreter start-up).

Usage: python3 bench/hostile.py

For each case (nesting 500 to 200,000 deep, 50 MB, NaN, 1e400, a 100,000-digit integer,
a 400,000-character proofValue or verificationMethod, 10,000 and 100,000 identical blank
nodes, a presentation of 20 real-sized badges for comparison) prints the seconds that
reading plus ``verify()`` take and the code that refused it, then as its last line JSON
``{"op": "hostile", "worst_seconds": N}``. tests/test_hostile_input.py checks the answers;
this only measures them.
"""

from __future__ import annotations

import json
import time
from datetime import datetime, timezone
from typing import Any

from credentials.errors import CredentialError
from credentials.loader import bundled_loader
from credentials.resolver import KeyResolver
from verifier.inputs import read_input
from verifier.verify import VerifyOptions, verify

DISTRICT = "did:key:z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi"


def _credential(**extra: Any) -> dict[str, Any]:
    return {
        "@context": ["https://www.w3.org/ns/credentials/v2", "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"],
        "id": "urn:uuid:6a9c2b0e-8a1f-4d6e-9a51-0f3c2f1d7e42", "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": DISTRICT, "type": ["Profile"], "name": "Lakeside School District"},
        "validFrom": "2026-09-01T00:00:00Z",
        "credentialSubject": {"id": "did:example:teacher", "type": ["AchievementSubject"],
                              "achievement": {"id": "https://lakeside.example.org/a/1", "type": ["Achievement"],
                                              "name": "Formative Assessment", "criteria": {"narrative": "n"},
                                              **extra}},
        "proof": {"type": "DataIntegrityProof", "cryptosuite": "eddsa-rdfc-2022", "created": "2026-09-01T00:00:00Z",
                  "verificationMethod": f"{DISTRICT}#{DISTRICT[8:]}", "proofPurpose": "assertionMethod",
                  "proofValue": "z" + "3" * 87},
    }


def _text(document: dict[str, Any]) -> bytes:
    return json.dumps(document, separators=(",", ":")).encode()


def _nested(depth: int) -> bytes:
    return _text(_credential(extra="NESTED")).replace(b'"NESTED"', b'{"a":' * depth + b"1" + b"}" * depth)


def _alignments(count: int) -> bytes:
    return _text(_credential(alignment=[{"type": ["Alignment"], "targetName": "ISTE", "targetUrl": "https://iste.org/s"}
                                        for _ in range(count)]))


def _with_proof(**proof: str) -> bytes:
    document = _credential()
    document["proof"].update(proof)
    return _text(document)


def _presentation(count: int) -> bytes:
    credentials = []
    for index in range(count):
        document = _credential(alignment=[{"type": ["Alignment"], "targetName": f"T{i}", "targetUrl": f"https://t.org/{i}"}
                                          for i in range(10)])
        document["id"] = f"urn:uuid:{index}"
        credentials.append(document)
    return _text({"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiablePresentation"],
                  "holder": "did:example:teacher", "verifiableCredential": credentials})


CASES = {
    "nested 500": lambda: _nested(500),
    "nested 10,000": lambda: _nested(10_000),
    "nested 200,000": lambda: _nested(200_000),
    "50 MB": lambda: b'{"a":"' + b"x" * (50 * 1024 * 1024) + b'"}',
    "NaN": lambda: _text(_credential())[:-1] + b',"n":NaN}',
    "1e400": lambda: _text(_credential())[:-1] + b',"n":1e400}',
    "100,000-digit integer": lambda: _text(_credential())[:-1] + b',"n":' + b"9" * 100_000 + b"}",
    "400,000-character proofValue": lambda: _with_proof(proofValue="z" + "2" * 400_000),
    "400,000-character verificationMethod": lambda: _with_proof(verificationMethod="did:key:z6Mk" + "2" * 400_000),
    "10,000 identical blank nodes": lambda: _alignments(10_000),
    "100,000 identical blank nodes": lambda: _alignments(100_000),
    "presentation of 20 badges (legitimate)": lambda: _presentation(20),
}


def main() -> None:
    options = VerifyOptions(now=datetime(2026, 10, 1, tzinfo=timezone.utc), loader=bundled_loader(),
                            resolver=KeyResolver([]))
    worst = 0.0
    for name, make in CASES.items():
        data = make()
        start = time.perf_counter()
        try:
            parsed = read_input(data)
            target = parsed.document if parsed.document is not None else parsed.jwt
            assert target is not None
            report = verify(target, options)
            failed = [check.code for check in report.checks if check.status == "failed"]
            answer = f"failed checks: {', '.join(failed) or 'none'}"
        except CredentialError as exc:
            answer = f"refused: {exc.code}"
        seconds = time.perf_counter() - start
        worst = max(worst, seconds)
        print(f"{name:42} {len(data):>11,} bytes {seconds:6.2f} s  {answer}")
    print(json.dumps({"op": "hostile", "worst_seconds": round(worst, 3)}))


if __name__ == "__main__":
    main()
