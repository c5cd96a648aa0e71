"""The benchmark's credential: the shape of the issuer's output (DESIGN.md §7).

An Open Badges 3.0 ``OpenBadgeCredential`` on VC 2.0: issuer ``Profile`` with a
did:key id, an achievement with criteria, image, one alignment and tags, and one
piece of evidence. Run as a script it prints the unsigned credential as JSON
(``--issuer DID`` sets the issuer; by default a fresh key's did:key).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from credentials.keys import generate_key_pair


def sample_credential(issuer_did: str) -> dict[str, Any]:
    """An unsigned OB 3.0 credential issued by ``issuer_did``."""
    return {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        ],
        "id": "urn:uuid:2c4d6c9a-8f0e-4a55-9d52-3b1f0c7e9a41",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": "Classroom Data Literacy",
        "issuer": {
            "id": issuer_did,
            "type": ["Profile"],
            "name": "Riverside Unified School District",
            "url": "https://riverside.example.org",
        },
        "validFrom": "2025-03-01T00:00:00Z",
        "credentialSubject": {
            "id": "did:key:z6MkpTHR8VNsBxYAAWHut2Geadd9jSwuBV8xRoAnwWsdvktH",
            "type": ["AchievementSubject"],
            "achievement": {
                "id": "https://riverside.example.org/achievements/data-literacy",
                "type": ["Achievement"],
                "name": "Classroom Data Literacy",
                "description": "Uses formative assessment data to adjust instruction for small groups.",
                "criteria": {
                    "narrative": "Submit a unit plan that shows three data-driven adjustments and a reflection.",
                },
                "image": {
                    "id": "https://riverside.example.org/achievements/data-literacy/image.png",
                    "type": "Image",
                    "caption": "Data Literacy badge",
                },
                "alignment": [{
                    "type": ["Alignment"],
                    "targetName": "ISTE Standard for Educators 7: Analyst",
                    "targetUrl": "https://iste.org/standards/educators#analyst",
                    "targetFramework": "ISTE Standards for Educators",
                    "targetCode": "7",
                }],
                "tag": ["data", "assessment", "professional learning"],
            },
        },
        "evidence": [{
            "id": "https://riverside.example.org/evidence/5f1c",
            "type": ["Evidence"],
            "name": "Unit plan with data adjustments",
            "narrative": "Unit plan reviewed by the instructional coach on 2025-02-20.",
        }],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--issuer", help="the issuer's did:key (default: a fresh key's)")
    args = parser.parse_args()
    print(json.dumps(sample_credential(args.issuer or generate_key_pair().did), indent=2))


if __name__ == "__main__":
    main()
