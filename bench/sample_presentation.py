"""The benchmark's presentation: a holder-signed presentation of 20 signed OB 3.0 badges.

Two shapes (issue 17): ``distinct`` badges (each with its own achievement, evidence and
image, as a teacher's badges from several programmes) and badges of ``one shape`` (the
same achievement text, evidence and image, only the credential id and dates differ: a
district series). The second is the hard case for RDFC-1.0, since each badge's proof and
its nested nodes are blank nodes whose first-degree hashes collide with the other badges'.

Run as a script it prints the signed presentation as JSON:
``python3 bench/sample_presentation.py [--shape distinct|same] [--count N] [--challenge C] [--domain D]``.
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sample_credential import sample_credential

from credentials.dataintegrity import add_proof
from credentials.keys import Ed25519KeyPair, generate_key_pair
from credentials.loader import DocumentLoader, bundled_loader
from credentials.presentation import build_presentation

SHAPES = ("distinct", "same")
CREATED = "2025-03-01T12:00:00Z"


def badge(issuer_did: str, holder_did: str, index: int, *, shape: str) -> dict[str, Any]:
    """Badge number ``index``, unsigned: ``distinct`` changes its achievement, ``same`` only its id."""
    document = sample_credential(issuer_did)
    document["id"] = f"urn:uuid:2c4d6c9a-8f0e-4a55-9d52-{index:012d}"
    document["credentialSubject"]["id"] = holder_did
    document["validFrom"] = f"2025-03-{1 + index % 28:02d}T00:00:00Z"
    if shape == "distinct":
        achievement = document["credentialSubject"]["achievement"]
        achievement["id"] = f"https://riverside.example.org/achievements/a{index}"
        achievement["name"] = f"Classroom practice {index}"
        achievement["image"]["id"] = f"https://riverside.example.org/achievements/a{index}/image.png"
        achievement["alignment"][0]["targetCode"] = str(index)
        document["evidence"][0]["id"] = f"https://riverside.example.org/evidence/{index:04x}"
        document["evidence"][0]["narrative"] = f"Portfolio item {index} reviewed by the instructional coach."
    return document


def sample_presentation(*, shape: str = "distinct", count: int = 20, issuer: Ed25519KeyPair | None = None,
                        holder: Ed25519KeyPair | None = None, challenge: str | None = None,
                        domain: str | None = None, loader: DocumentLoader | None = None) -> dict[str, Any]:
    """A presentation of ``count`` badges signed by ``issuer``, itself signed by ``holder`` (fresh keys by default)."""
    if shape not in SHAPES:
        raise ValueError(f"shape must be one of {SHAPES}")
    loader = loader or bundled_loader()
    issuer = issuer or generate_key_pair()
    holder = holder or generate_key_pair()
    badges = [add_proof(badge(issuer.did, holder.did, index, shape=shape), signer=issuer, loader=loader,
                        created=CREATED) for index in range(count)]
    unsigned = build_presentation(copy.deepcopy(badges), holder=holder.did,
                                  id="urn:uuid:7d0e6b5c-1f3a-4c2e-8b9d-5a6f7e8d9c0b")
    return add_proof(unsigned, signer=holder, loader=loader, created=CREATED, purpose="authentication",
                     challenge=challenge, domain=domain)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shape", choices=SHAPES, default="distinct")
    parser.add_argument("--count", type=int, default=20)
    parser.add_argument("--challenge")
    parser.add_argument("--domain")
    args = parser.parse_args()
    print(json.dumps(sample_presentation(shape=args.shape, count=args.count, challenge=args.challenge,
                                         domain=args.domain), indent=2))


if __name__ == "__main__":
    main()
