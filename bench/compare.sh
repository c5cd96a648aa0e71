#!/usr/bin/env bash
# Satchel vs the Digital Bazaar VC stack on the same OB 3.0 credential, on this machine:
# sign/s and verify/s of each, Satchel's full verify() report/s against the JS verify/s, a
# holder-signed presentation of 20 badges (distinct badges, and badges of one shape: ms per
# presentation, full report against JS vc.verify), and cross-verification both ways
# (PASS/FAIL; exit 1 on FAIL).
#
#   bench/compare.sh [N_SATCHEL] [N_JS] [N_PRESENTATION]
#
# The JS stack is installed (pinned, bench/js/package.json) into bench/js/node_modules when
# missing; both sides load contexts only from schemas/contexts, never from the network.
# Each rate is the fastest of 10 batches (N/10 calls each) on both sides alike, so that the
# other processes of a shared machine disturb the comparison as little as they can.
set -euo pipefail
cd "$(dirname "$0")/.."
N_SATCHEL="${1:-3000}"
N_JS="${2:-300}"
N_PRESENTATION="${3:-100}"
PYTHON="${PYTHON:-python3}"

need_install=0
for pkg in vc data-integrity eddsa-rdfc-2022-cryptosuite ed25519-multikey credentials-context data-integrity-context; do
  [ -d "bench/js/node_modules/@digitalbazaar/$pkg" ] || need_install=1
done
if [ "$need_install" = 1 ]; then
  echo "installing the JS stack into bench/js/node_modules ..."
  npm install --prefix bench/js --no-audit --no-fund --silent
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# A key and the sample credential issued under its did:key.
"$PYTHON" - "$work" <<'PY'
import json, sys
sys.path.insert(0, "bench")
from sample_credential import sample_credential
from credentials.keys import generate_key_pair
work = sys.argv[1]
key = generate_key_pair()
open(f"{work}/key.json", "w").write(json.dumps(key.to_json()))
open(f"{work}/unsigned.json", "w").write(json.dumps(sample_credential(key.did), indent=2))
from sample_presentation import sample_presentation
for shape in ("distinct", "same"):
    presentation = sample_presentation(shape=shape, issuer=key, challenge="c-2025", domain="employer.example")
    open(f"{work}/presentation-{shape}.json", "w").write(json.dumps(presentation, indent=2))
PY

status=0
cross() {  # cross NAME COMMAND...
  local name="$1"; shift
  if out="$("$@" 2>&1)"; then
    echo "PASS  $name"
  else
    echo "FAIL  $name: $out"
    status=1
  fi
}

satchel_sign() {
  "$PYTHON" - "$work" <<'PY'
import json, sys
from credentials.dataintegrity import add_proof
from credentials.keys import key_pair_from_json
from credentials.loader import bundled_loader
work = sys.argv[1]
doc = json.load(open(f"{work}/unsigned.json"))
signed = add_proof(doc, signer=key_pair_from_json(json.load(open(f"{work}/key.json"))),
                   loader=bundled_loader(), created="2025-03-01T12:00:00Z")
open(f"{work}/signed-by-satchel.json", "w").write(json.dumps(signed, indent=2))
PY
}

satchel_verify() {  # satchel_verify FILE
  "$PYTHON" - "$1" <<'PY'
import json, sys
from credentials.dataintegrity import proofs_of, verify_proof
from credentials.loader import bundled_loader
from credentials.resolver import KeyResolver
doc = json.load(open(sys.argv[1]))
for proof in proofs_of(doc):
    verify_proof(doc, proof, loader=bundled_loader(), resolver=KeyResolver(), purpose="assertionMethod")
print("verified")
PY
}

echo "== cross-verification"
satchel_sign
cross "Satchel-signed credential verifies in the JS stack" node bench/js/bench.mjs verify "$work/signed-by-satchel.json"
node bench/js/bench.mjs sign "$work/unsigned.json" "$work/signed-by-js.json"
cross "JS-signed credential verifies in Satchel" satchel_verify "$work/signed-by-js.json"
cross "Satchel's canonical N-Quads equal pyld's for the sample" "$PYTHON" -c "
import json, sys
from credentials import fastld
from credentials.canonical import canonicalize_reference
from credentials.loader import bundled_loader
doc = json.load(open('$work/signed-by-js.json')); doc.pop('proof')
assert fastld.canonicalize_fast(doc, loader=bundled_loader()) == canonicalize_reference(doc, loader=bundled_loader())
"

for shape in distinct same; do
  cross "Satchel-signed presentation of 20 badges ($shape) verifies in the JS stack" \
    node bench/js/bench.mjs presentation "$work/presentation-$shape.json" 0 c-2025 employer.example
done

echo "== throughput (one process each, warm caches)"
js_json="$(node bench/js/bench.mjs bench "$work/unsigned.json" "$N_JS" | tail -1)"
satchel_verify_json="$("$PYTHON" bench/verify.py "$work/signed-by-satchel.json" --n "$N_SATCHEL" | tail -1)"
satchel_sign_json="$("$PYTHON" bench/sign.py "$work/unsigned.json" --n "$N_SATCHEL" --key "$work/key.json" | tail -1)"
satchel_report_json="$("$PYTHON" bench/report.py "$work/signed-by-satchel.json" --n "$N_SATCHEL" | tail -1)"
presentation_rows=()
for shape in distinct same; do
  js_p="$(node bench/js/bench.mjs presentation "$work/presentation-$shape.json" "$(( N_PRESENTATION / 5 + 1 ))" \
    c-2025 employer.example | tail -1)"
  satchel_p="$("$PYTHON" bench/report.py "$work/presentation-$shape.json" --n "$N_PRESENTATION" \
    --challenge c-2025 --domain employer.example | tail -1)"
  presentation_rows+=("$shape" "$js_p" "$satchel_p")
done

"$PYTHON" - "$js_json" "$satchel_verify_json" "$satchel_sign_json" "$satchel_report_json" "${presentation_rows[@]}" <<'PY'
import json, sys
js = json.loads(sys.argv[1])
satchel = {json.loads(a)["op"]: json.loads(a)["per_second"] for a in sys.argv[2:5]}
print(f"{'op':<34}{'JS (Digital Bazaar)':>22}{'Satchel':>14}{'ratio':>9}")
for op in ("verify", "sign"):
    print(f"{op:<34}{js[op]:>20,.0f}/s{satchel[op]:>12,.0f}/s{satchel[op] / js[op]:>8.1f}x")
print(f"{'report (full verify()) vs JS verify':<34}{js['verify']:>20,.0f}/s{satchel['report']:>12,.0f}/s"
      f"{satchel['report'] / js['verify']:>8.1f}x")
rows = sys.argv[5:]
for shape, js_row, satchel_row in zip(rows[0::3], rows[1::3], rows[2::3]):
    js_ms = 1000 / json.loads(js_row)["verify_presentation"]
    satchel_ms = 1000 / json.loads(satchel_row)["per_second"]
    label = f"presentation, 20 badges ({'distinct' if shape == 'distinct' else 'one shape'})"
    print(f"{label:<34}{js_ms:>19,.1f} ms{satchel_ms:>11,.1f} ms{js_ms / satchel_ms:>8.1f}x")
PY
exit "$status"
