"""Benchmark: sign a credential with eddsa-rdfc-2022 N times in one process.

Usage: python3 bench/sign.py FILE [--n N] [--key KEYFILE] [--context URL=FILE ...]

FILE is a credential (an existing proof is stripped). The key is generated in
process unless ``--key`` names a key file. Prints signatures per second through
``add_proof`` (fast path), the phase split, the same with pyld canonicalization,
and as its last line JSON ``{"op": "sign", "per_second": N}``.
"""

from __future__ import annotations

import argparse

from _common import load_key, loader_for, per_second, phase_split, read_json, report

from credentials.canonical import canonicalize_reference
from credentials.dataintegrity import add_proof, rdfc_hash_data

CREATED = "2025-03-01T12:00:00Z"


def main() -> None:
    parser = argparse.ArgumentParser(description="sign a credential with eddsa-rdfc-2022 N times")
    parser.add_argument("file")
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--key", help="key file (default: a fresh key)")
    parser.add_argument("--context", action="append", default=[], metavar="URL=FILE")
    args = parser.parse_args()
    loader = loader_for(args.context)
    signer = load_key(args.key)
    document = {k: v for k, v in read_json(args.file).items() if k != "proof"}

    fast = per_second(lambda: add_proof(document, signer=signer, loader=loader, created=CREATED), args.n)
    print(f"sign {args.file}: {fast:,.0f} credentials/s ({1e6 / fast:.0f} us each)")

    config = {"type": "DataIntegrityProof", "cryptosuite": "eddsa-rdfc-2022", "created": CREATED,
              "verificationMethod": signer.verification_method, "proofPurpose": "assertionMethod",
              "@context": document.get("@context")}
    data = rdfc_hash_data(document, config, loader=loader)
    print("phases (document and proof configuration together):")
    phase_split([document, config], loader, lambda: signer.sign(data), args.n)

    def reference() -> None:
        signer.sign(rdfc_hash_data(document, config, loader=loader, canonize=canonicalize_reference))

    report("sign", fast, per_second(reference, max(20, args.n // 40), warmup=3))


if __name__ == "__main__":
    main()
