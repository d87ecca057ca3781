#!/usr/bin/env bash
# The callback target, side by side: the Rust SDK's `Callback::verify` + `.order()` (and the
# ratios to the serde_json floor, from flitt/benches/callback_ratio.rs) against the official
# Python SDK's `json.loads` + `flittpayments.helpers.is_valid` on the very same body bytes
# (written by the bench), alternating, RUNS times.
# Usage: scripts/measure-callback.sh [RUNS]   (needs python3; the Python SDK is looked for in
# $PYTHON_SDK, then target/python-sdk, then installed there with pip)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
sdk=${PYTHON_SDK:-target/python-sdk}
[ -d "$sdk/flittpayments" ] || python3 -m pip install --quiet --no-deps --target "$sdk" flittpayments==3.0.0
body=$(mktemp)
trap 'rm -f "$body"' EXIT
export CARGO_INCREMENTAL=${CARGO_INCREMENTAL:-0} CARGO_BUILD_JOBS=${CARGO_BUILD_JOBS:-1}
cargo bench --quiet -p flitt --bench callback_ratio --no-run 2>/dev/null
floor_ratios=()
python_ratios=()
for run in $(seq 1 "$runs"); do
  out=$(CALLBACK_BODY_OUT="$body" cargo bench --quiet -p flitt --bench callback_ratio 2>/dev/null)
  echo "run $run"
  echo "$out" | sed 's/^/  /'
  rust_ns=$(echo "$out" | sed -n 's/^verify+order .*(\([0-9.]*\) ns)$/\1/p')
  verify_ns=$(echo "$out" | sed -n 's/^verify alone .*(\([0-9.]*\) ns)$/\1/p')
  floor_ratios+=("$(echo "$out" | sed -n 's/^verify+order \/ floor: \([0-9.]*\) .*/\1/p')")
  py_out=$(PYTHONPATH="$sdk" python3 - "$body" "$rust_ns" "$verify_ns" <<'PY'
import json, sys, time
from flittpayments import helpers
path, rust_ns, verify_ns = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
body = open(path, "rb").read()
assert helpers.is_valid(json.loads(body), "test", "1.0"), "the Python SDK refuses the body"
tampered = body.replace(b'"rrn":"4', b'"rrn":"5', 1)
assert not helpers.is_valid(json.loads(tampered), "test", "1.0")
n = 20_000
def once():
    start = time.perf_counter()
    for _ in range(n):
        helpers.is_valid(json.loads(body), "test", "1.0")
    return (time.perf_counter() - start) * 1e9 / n
once()
py = sorted(once() for _ in range(5))[2]
print(f"  python json.loads + is_valid: {py:.0f} ns (median of 5 x {n})")
print(f"  python / rust verify+order: {py / rust_ns:.2f}x; python / rust verify alone: {py / verify_ns:.2f}x")
PY
)
  echo "$py_out"
  python_ratios+=("$(echo "$py_out" | sed -n 's/.*python \/ rust verify+order: \([0-9.]*\)x.*/\1/p')")
done
spread() { python3 -c "import sys, statistics as s; v = sorted(map(float, sys.argv[1:])); print(f'{v[0]:.2f}-{v[-1]:.2f}, median {s.median(v):.2f} over {len(v)} runs')" "$@"; }
echo "verify + order / serde_json floor: $(spread "${floor_ratios[@]}")"
echo "python SDK / rust verify + order: $(spread "${python_ratios[@]}")"
