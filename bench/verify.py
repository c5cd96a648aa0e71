"""Benchmark: verify an eddsa-rdfc-2022 credential N times in one process.

Usage: python3 bench/verify.py FILE [--n N] [--key KEYFILE] [--context URL=FILE ...]

FILE is a signed credential; an unsigned one is first signed in-process with a
fresh key (or ``--key``). Prints verifications per second through
``verify_proof`` (fast path), the phase split, the same verification with pyld
canonicalization for comparison, and as its last line JSON
``{"op": "verify", "per_second": N}``.
"""

from __future__ import annotations

import argparse
from datetime import datetime, timezone

from _common import load_key, loader_for, per_second, phase_split, read_json, report

from credentials.canonical import canonicalize_reference
from credentials.dataintegrity import add_proof, proofs_of, rdfc_hash_data, verify_proof
from credentials.keys import verify_ed25519
from credentials.multibase import decode_base58btc
from credentials.resolver import KeyResolver


def main() -> None:
    parser = argparse.ArgumentParser(description="verify an eddsa-rdfc-2022 credential N times")
    parser.add_argument("file")
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--key", help="key file for signing an unsigned FILE (default: a fresh key)")
    parser.add_argument("--context", action="append", default=[], metavar="URL=FILE")
    args = parser.parse_args()
    loader = loader_for(args.context)
    document = read_json(args.file)
    if not proofs_of(document):
        document = add_proof(document, signer=load_key(args.key), loader=loader, created=datetime.now(timezone.utc))
    proof = proofs_of(document)[-1]
    resolver = KeyResolver()
    verify_proof(document, proof, loader=loader, resolver=resolver)  # fails loudly if it does not verify

    fast = per_second(lambda: verify_proof(document, proof, loader=loader, resolver=resolver), args.n)
    print(f"verify {args.file}: {fast:,.0f} credentials/s ({1e6 / fast:.0f} us each)")

    unsecured = {k: v for k, v in document.items() if k != "proof"}
    config = {k: v for k, v in proof.items() if k != "proofValue"}
    config["@context"] = unsecured.get("@context")
    method = resolver.resolve(proof["verificationMethod"])
    signature = decode_base58btc(proof["proofValue"])
    data = rdfc_hash_data(unsecured, config, loader=loader)
    print("phases (document and proof configuration together):")
    phase_split([unsecured, config], loader, lambda: verify_ed25519(method.public_key, signature, data), args.n)

    def reference() -> None:
        hashed = rdfc_hash_data(unsecured, config, loader=loader, canonize=canonicalize_reference)
        verify_ed25519(method.public_key, signature, hashed)

    report("verify", fast, per_second(reference, max(20, args.n // 40), warmup=3))


if __name__ == "__main__":
    main()
