#!/usr/bin/env bash
# Build-time measurements, side by side in one run:
#   1. clean debug build of the workspace (`cargo build --workspace`, no dev-dependencies)
#      against a clean debug build of an empty crate with the same dependencies, features and
#      `[profile.dev]`, both without incremental compilation, as CI builds; CLEAN_RUNS times,
#      alternating which goes first;
#   2. the generator's own run time (the `generate` example, release, median of 20 runs);
#   3. rebuild of the workspace after a real spec edit (a word added to the doc line of
#      spec/api/status.toml, so the generated code changes), REBUILD_RUNS times, with cargo's
#      default for dev builds (incremental) and, for comparison with earlier figures, without
#      incremental compilation (CARGO_INCREMENTAL=0).
# Each row prints per run, then min-max and median.
# Usage: scripts/measure-build.sh [CLEAN_RUNS] [REBUILD_RUNS]   (defaults 1 and 5; a clean run
# takes about 4 minutes on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/.."
clean_runs=${1:-1}
rebuild_runs=${2:-5}
work=$(mktemp -d)
spec=spec/api/status.toml
cp "$spec" "$work/status.toml"
trap 'cp "$work/status.toml" "$spec"; rm -rf "$work"' EXIT

now() { date +%s.%N; }
secs() { python3 -c "print(f'{$2 - $1:.1f}')"; }
# min-max and median of the numbers given.
spread() { python3 -c "import sys, statistics as s; v = sorted(map(float, sys.argv[1:])); print(f'{v[0]:.2f}-{v[-1]:.2f}, median {s.median(v):.2f} over {len(v)} runs')" "$@"; }

mkdir -p "$work/empty/src"
echo "" > "$work/empty/src/lib.rs"
cp Cargo.lock "$work/empty/Cargo.lock"
cat > "$work/empty/Cargo.toml" <<'TOML'
[package]
name = "empty-with-flitt-deps"
version = "0.0.0"
edition = "2024"

[dependencies]
serde = { version = "1", features = ["derive"] }
serde_json = { version = "1", features = ["raw_value"] }
typed-builder = "0.23"
schemars = { version = "1", default-features = false, features = ["derive", "std"] }
sha1 = { version = "0.10", features = ["compress"] }
itoa = "1"
sha2 = "0.10"
subtle = { version = "2", default-features = false }
secrecy = "0.10"
base64 = "0.22"
thiserror = "2"
uuid = { version = "1", features = ["v4"] }
form_urlencoded = "1"
time = { version = "0.3.45", default-features = false, features = ["alloc", "parsing"] }
fastrand = "2"
tracing = { version = "0.1", default-features = false, features = ["std", "attributes"] }
tokio = { version = "1", default-features = false, features = ["time", "rt", "rt-multi-thread", "net", "sync", "macros", "signal", "io-util"] }
reqwest = { version = "0.13", default-features = false, features = ["rustls-no-provider", "http2"] }
rustls = { version = "0.23", default-features = false, features = ["ring", "std", "tls12", "logging"] }
axum = { version = "0.8", default-features = false, features = ["http1", "tokio", "query"] }
futures-core = "0.3"
clap = { version = "4", default-features = false, features = ["std", "derive", "help", "usage", "error-context", "env"] }
# The sandbox's HTTP server and the CLI's logging.
hyper = { version = "1", default-features = false, features = ["http1", "server"] }
hyper-util = { version = "0.1", default-features = false, features = ["tokio", "server"] }
http-body = "1"
tower-service = "0.3"
tracing-subscriber = { version = "0.3.23", default-features = false, features = ["fmt", "std"] }

# flitt's build dependencies (the generator's), in the same role: compiled for the host only,
# for a build script (an empty one). The workspace compiles them for the target too only if
# some member needs them there; `cargo build --workspace` no longer does (flitt-codegen's
# `generator` feature).
[build-dependencies]
serde = { version = "1", features = ["derive"] }
toml = { version = "0.9", default-features = false, features = ["parse", "serde"] }
proc-macro2 = { version = "1", default-features = false }
quote = { version = "1", default-features = false }
syn = { version = "2", default-features = false, features = ["full", "parsing", "printing"] }
prettyplease = "0.2"
TOML
echo "fn main() {}" > "$work/empty/build.rs"
# The workspace's `[profile.dev]`, so that both builds make the same debuginfo.
sed -n '/^\[profile.dev\]/,/^$/p' Cargo.toml >> "$work/empty/Cargo.toml"

ratios=()
for run in $(seq 1 "$clean_runs"); do
  rm -rf "$work/ws" "$work/empty-target"
  ws_build() { t0=$(now); CARGO_INCREMENTAL=0 CARGO_TARGET_DIR="$work/ws" cargo build --workspace --quiet; ws=$(secs "$t0" "$(now)"); }
  empty_build() { t0=$(now); (cd "$work/empty" && CARGO_INCREMENTAL=0 CARGO_TARGET_DIR="$work/empty-target" cargo build --quiet); empty=$(secs "$t0" "$(now)"); }
  if [ $((run % 2)) = 1 ]; then ws_build; empty_build; else empty_build; ws_build; fi
  ratio=$(python3 -c "print(f'{$ws / $empty:.2f}')")
  ratios+=("$ratio")
  echo "clean debug build, run $run: workspace ${ws}s, empty crate with the same dependencies ${empty}s, ratio $ratio"
done
echo "clean debug build, workspace / empty crate: $(spread "${ratios[@]}")"

CARGO_TARGET_DIR="$work/ws" cargo build --quiet --release -p flitt-codegen --example generate
gen="$work/ws/release/examples/generate"
python3 - "$gen" <<'PY'
import subprocess, sys, time
runs = []
for _ in range(20):
    t = time.perf_counter()
    subprocess.run([sys.argv[1], "spec"], stdout=subprocess.DEVNULL, check=True)
    runs.append(time.perf_counter() - t)
runs.sort()
print(f"generator (read + check + emit + format the whole spec, release): median {runs[10]*1000:.1f} ms over 20 runs")
PY

edit() { sed -i 's/^doc = "Looks an order up by its order id\(.*\)"$/doc = "Looks an order up by its order id\1 (edited)"/' "$spec"; }
# Incremental, as `cargo build` does by default: one build to fill the incremental cache.
CARGO_TARGET_DIR="$work/ws" cargo build --workspace --quiet
times=()
for run in $(seq 1 "$rebuild_runs"); do
  edit
  t0=$(now); CARGO_TARGET_DIR="$work/ws" cargo build --workspace --quiet; t=$(secs "$t0" "$(now)")
  times+=("$t")
  echo "rebuild after editing $spec (incremental, cargo's default), run $run: ${t}s"
done
echo "rebuild after a spec edit, incremental, seconds: $(spread "${times[@]}")"
times=()
for run in $(seq 1 "$rebuild_runs"); do
  edit
  t0=$(now); CARGO_INCREMENTAL=0 CARGO_TARGET_DIR="$work/ws" cargo build --workspace --quiet; t=$(secs "$t0" "$(now)")
  times+=("$t")
  echo "rebuild after editing $spec (CARGO_INCREMENTAL=0), run $run: ${t}s"
done
echo "rebuild after a spec edit, not incremental, seconds: $(spread "${times[@]}")"
