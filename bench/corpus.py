"""The malicious corpus's cost: each of its documents through ``satchel verify`` in a process of its own.

Issue 16 asks that no hostile document cost more than a second or 100 MB. The tests check
every refusal (tests/test_malicious_corpus.py) but never time them; this measures, per case,
the wall time of the whole command and the child's peak resident memory (``wait4``), next to
a baseline: the same command on a valid badge. Printed: the worst cases by time and by memory,
and as the last line ``{"op": "corpus", "cases": N, "max_seconds": S, "max_extra_seconds": E,
"max_extra_mb": M}``,
where ``extra`` is what a case costs above the baseline (the interpreter's start and imports
are most of a command's time and memory).

    python3 bench/corpus.py [--worst 8]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

from make_malicious_corpus import build_corpus, registry_json, unsigned, verify_command  # noqa: E402

from credentials.dataintegrity import add_proof  # noqa: E402
from credentials.keys import generate_key_pair  # noqa: E402
from credentials.loader import bundled_loader  # noqa: E402


def run(args: list[str]) -> tuple[float, float]:
    """(seconds, peak resident MB) of ``satchel ARGS`` in a child process."""
    started = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-m", "satchel", *args], stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL, cwd=ROOT)
    _pid, _status, usage = os.wait4(child.pid, 0)
    return time.perf_counter() - started, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--worst", type=int, default=8, help="how many of the worst cases to list (default 8)")
    options = parser.parse_args()
    holder = generate_key_pair()
    corpus = build_corpus(holder.did)
    with tempfile.TemporaryDirectory(prefix="satchel-corpus-") as tmp:
        folder = Path(tmp)
        registry = folder / "registry.json"
        registry.write_text(json.dumps(registry_json()))
        valid = folder / "valid.json"
        district = generate_key_pair()
        document: Any = unsigned(holder.did, issuer=district)
        valid.write_text(json.dumps(add_proof(document, signer=district, loader=bundled_loader(),
                                                created="2025-03-01T12:00:00Z")))
        base_seconds, base_mb = min(run(["verify", "--json", str(valid)]) for _ in range(3))
        figures = [(case.name, *run(verify_command(case, n, folder, registry))) for n, case in enumerate(corpus)]
    print(f"baseline (a valid badge): {base_seconds * 1000:.0f} ms, {base_mb:.1f} MB peak; {len(figures)} cases")
    for title, key in (("by time", 1), ("by memory", 2)):
        print(f"worst {options.worst} {title}:")
        for name, seconds, mb in sorted(figures, key=lambda f: f[key], reverse=True)[:options.worst]:
            print(f"  {seconds * 1000:7.0f} ms (+{(seconds - base_seconds) * 1000:5.0f})  {mb:6.1f} MB "
                  f"(+{mb - base_mb:5.1f})  {name}")
    print(json.dumps({"op": "corpus", "cases": len(figures), "baseline_seconds": round(base_seconds, 3),
                      "baseline_mb": round(base_mb, 1), "max_seconds": round(max(f[1] for f in figures), 3),
                      "max_extra_seconds": round(max(f[1] for f in figures) - base_seconds, 3),
                      "max_extra_mb": round(max(f[2] for f in figures) - base_mb, 1)}))


if __name__ == "__main__":
    main()
