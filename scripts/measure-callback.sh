#!/usr/bin/env bash
# The callback target, side by side: the Rust SDK's `Callback::verify` + `.order()` (and the
# ratios to the serde_json floor, from flitt/benches/callback_ratio.rs) against the official
# Python SDK's `json.loads` + `flittpayments.helpers.is_valid` on the very same body bytes
# (written by the bench), in rounds alternating with the bench's own (one Rust process answers
# each Python round's neighbour, so both sides of a ratio run in the same tenth of a second),
# RUNS times. Each run also says what 4x the Python SDK asks of the Rust side: a quarter of
# the Python time, as a share of that run's floor (below 1.0, it asks for less than one
# serde_json parse of the bytes).
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
bench=$(ls -t target/release/deps/callback_ratio-* | grep -v '\.d$' | head -1)
floor_ratios=()
python_ratios=()
need_ratios=()
for run in $(seq 1 "$runs"); do
  out=$(CALLBACK_BODY_OUT="$body" cargo bench --quiet -p flitt --bench callback_ratio 2>/dev/null)
  echo "run $run"
  echo "$out" | sed 's/^/  /'
  floor_ratios+=("$(echo "$out" | sed -n 's/^verify+order \/ floor: \([0-9.]*\) .*/\1/p')")
  py_out=$(PYTHONPATH="$sdk" python3 - "$body" "$bench" <<'PY'
import json, os, statistics, subprocess, sys, time
from flittpayments import helpers
path, bench = sys.argv[1], sys.argv[2]
body = open(path, "rb").read()
assert helpers.is_valid(json.loads(body), "test", "1.0"), "the Python SDK refuses the body"
tampered = body.replace(b'"rrn":"4', b'"rrn":"5', 1)
assert not helpers.is_valid(json.loads(tampered), "test", "1.0")
# The Rust side: the bench answers each line with the ns of one round of verify + order.
rust = subprocess.Popen([bench], env={**os.environ, "CALLBACK_SERVE": "1"},
                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
def rust_round():
    rust.stdin.write("\n")
    rust.stdin.flush()
    return float(rust.stdout.readline())
n = 2_000
def python_round():
    start = time.perf_counter()
    for _ in range(n):
        helpers.is_valid(json.loads(body), "test", "1.0")
    return (time.perf_counter() - start) * 1e9 / n
python_round(); rust_round()
pys, rusts, ratios = [], [], []
for r in range(21):
    # Alternate which goes first; each pair runs within a tenth of a second.
    if r % 2:
        py = python_round(); rs = rust_round()
    else:
        rs = rust_round(); py = python_round()
    pys.append(py); rusts.append(rs); ratios.append(py / rs)
rust.stdin.close(); rust.wait()
print(f"  python json.loads + is_valid: {statistics.median(pys):.0f} ns, rust verify+order {statistics.median(rusts):.0f} ns (medians of 21 alternating rounds of {n})")
print(f"  python / rust verify+order: {statistics.median(ratios):.2f}x (median of the rounds' ratios)")
PY
)
  echo "$py_out"
  # What 4x the Python SDK asks of the Rust side this run, against the floor (the one typed
  # parse of the bytes that any decoder must do).
  floor_ns=$(echo "$out" | sed -n 's/.*from_slice::<OrderResponse> \([0-9]*\) ns.*/\1/p')
  py_ns=$(echo "$py_out" | sed -n 's/.*is_valid: \([0-9]*\) ns.*/\1/p')
  need=$(awk -v p="$py_ns" -v f="$floor_ns" 'BEGIN { if (f > 0 && p > 0) printf "%.0f ns, %.2f of the floor", p / 4, p / 4 / f; else print "?" }')
  echo "  4x the python sdk needs rust verify+order at most $need"
  need_ratios+=("$(awk -v p="$py_ns" -v f="$floor_ns" 'BEGIN { if (f > 0 && p > 0) printf "%.3f", p / 4 / f; else print "nan" }')")
  python_ratios+=("$(echo "$py_out" | sed -n 's/.*python \/ rust verify+order: \([0-9.]*\)x.*/\1/p')")
done
spread() { python3 -c "import sys, statistics as s; v = sorted(map(float, sys.argv[1:])); print(f'{v[0]:.2f}-{v[-1]:.2f}, median {s.median(v):.2f} over {len(v)} runs')" "$@"; }
echo "verify + order / serde_json floor: $(spread "${floor_ratios[@]}")"
echo "python SDK / rust verify + order: $(spread "${python_ratios[@]}")"
echo "4x the python SDK needs rust verify + order at most this much of the floor: $(spread "${need_ratios[@]}")"
