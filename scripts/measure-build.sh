#!/usr/bin/env bash
# Build-time measurements, side by side in one run:
#   1. clean debug build of the workspace (`cargo build --workspace`, no dev-dependencies);
#   2. clean debug build of an empty crate with the same dependencies and features;
#   3. the generator's own run time (the `generate` example, release, median of 20 runs);
#   4. rebuild of the workspace after touching one spec file.
# Usage: scripts/measure-build.sh   (takes several minutes on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

now() { date +%s.%N; }
secs() { python3 -c "print(f'{$2 - $1:.1f}')"; }

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
tokio = { version = "1", default-features = false, features = ["time", "rt", "rt-multi-thread", "net", "sync", "macros", "signal"] }
reqwest = { version = "0.13", default-features = false, features = ["rustls-no-provider", "http2"] }
rustls = { version = "0.23", default-features = false, features = ["ring", "std", "tls12", "logging"] }
axum = { version = "0.8", default-features = false, features = ["http1", "tokio", "query"] }
futures-core = "0.3"
clap = { version = "4", default-features = false, features = ["std", "derive", "help", "usage", "error-context", "env"] }
# flitt's build dependencies (the generator), built here as plain dependencies.
toml = { version = "0.9", default-features = false, features = ["parse", "serde"] }
proc-macro2 = { version = "1", default-features = false }
quote = { version = "1", default-features = false }
syn = { version = "2", default-features = false, features = ["full", "parsing", "printing"] }
prettyplease = "0.2"
TOML

export CARGO_INCREMENTAL=0
t0=$(now); CARGO_TARGET_DIR="$work/ws" cargo build --workspace --quiet; t1=$(now)
t2=$(now); (cd "$work/empty" && CARGO_TARGET_DIR="$work/empty-target" cargo build --quiet); t3=$(now)
ws=$(secs "$t0" "$t1"); empty=$(secs "$t2" "$t3")
echo "clean debug build: workspace ${ws}s, empty crate with the same dependencies ${empty}s, ratio $(python3 -c "print(f'{$ws / $empty:.2f}')")"

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

touch spec/api/status.toml
t4=$(now); CARGO_TARGET_DIR="$work/ws" cargo build --workspace --quiet; t5=$(now)
echo "rebuild after touching spec/api/status.toml: $(secs "$t4" "$t5")s"
