"""Shared pieces of bench/verify.py and bench/sign.py: loading, keys, timing, phase split."""

from __future__ import annotations

import hashlib
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from credentials import fastld
from credentials.fastld.rdfc import canonicalize_quads
from credentials.keys import Ed25519KeyPair, generate_key_pair, key_pair_from_json
from credentials.loader import DocumentLoader, bundled_loader


def read_json(path: str) -> Any:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def load_key(path: str | None) -> Ed25519KeyPair:
    return key_pair_from_json(read_json(path)) if path else generate_key_pair()


def loader_for(extra: list[str]) -> DocumentLoader:
    """The bundled loader, plus ``URL=FILE`` context documents given on the command line."""
    loader = bundled_loader()
    if extra:
        loader = loader.with_documents({u: read_json(f) for u, f in (item.split("=", 1) for item in extra)})
    return loader


def per_second(function: Callable[[], Any], n: int, warmup: int = 20, batches: int = 10) -> float:
    """Calls per second of ``function``: ``n`` timed calls in ``batches`` batches, the fastest batch counting.

    The fastest batch rather than the mean: on a shared machine other processes only ever
    slow a batch down, so the best one is the closest to the code's own speed (bench/js/bench.mjs
    measures the JS stack the same way, so that compare.sh compares like with like).
    """
    for _ in range(min(warmup, n)):
        function()
    size = max(1, n // batches)
    best = float("inf")
    for _ in range(max(1, n // size)):
        start = time.perf_counter()
        for _ in range(size):
            function()
        best = min(best, time.perf_counter() - start)
    return size / best


def phase_split(documents: list[dict[str, Any]], loader: DocumentLoader, crypto: Callable[[], Any], n: int) -> None:
    """Print the time per credential of each phase: JSON-LD to RDF, RDFC-1.0, SHA-256, Ed25519."""
    quads = [fastld.to_quads(doc, loader=loader) for doc in documents]
    texts = [canonicalize_quads(q) for q in quads]
    phases = {
        "expand/to-RDF": lambda: [fastld.to_quads(doc, loader=loader) for doc in documents],
        "canonicalize (RDFC-1.0)": lambda: [canonicalize_quads(q) for q in quads],
        "hash (SHA-256)": lambda: [hashlib.sha256(t.encode()).digest() for t in texts],
        "Ed25519": crypto,
    }
    for name, function in phases.items():
        rate = per_second(function, n)
        print(f"  {name:<26} {1e6 / rate:8.1f} us per credential")


def report(op: str, fast: float, reference: float) -> None:
    print(f"{op}: Satchel {fast:,.0f}/s; pyld reference path {reference:,.0f}/s ({fast / reference:.1f}x)")
    print(json.dumps({"op": op, "per_second": round(fast, 1)}))
