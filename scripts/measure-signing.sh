#!/usr/bin/env bash
# Signing a generated checkout request against raw SHA-1 + hex of the same bytes, side by side
# (benches/signing_ratio.rs: alternating rounds in one process), repeated in RUNS separate
# processes: on this VM a whole process falls into a fast or a slow state, so the spread across
# processes is the figure to report, not one run.
# Usage: scripts/measure-signing.sh [RUNS]   (default 7; about 1 s per run once built)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-7}
cargo bench --quiet -p flitt --bench signing_ratio --no-run 2> /dev/null
bench=$(ls -t target/release/deps/signing_ratio-* | grep -v '\.d$' | head -1)
ratios=()
for run in $(seq 1 "$runs"); do
  line=$("$bench" --bench)
  echo "run $run: $line"
  ratios+=("$(sed -n 's/.*ratio \([0-9.]*\).*/\1/p' <<< "$line")")
done
python3 -c "import sys, statistics as s; v = sorted(map(float, sys.argv[1:])); print(f'signing / raw SHA-1 + hex: {v[0]:.3f}-{v[-1]:.3f}, median {s.median(v):.3f} over {len(v)} processes')" "${ratios[@]}"
