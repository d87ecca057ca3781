#!/usr/bin/env bash
# Throughput of status lookups on 127.0.0.1, side by side in one run (every load loop is bounded
# in time and count):
#   1. the Rust client vs the official Python SDK (flittpayments 3.0.0, default transport) against
#      the same sandbox process, at concurrency 1 and 32;
#   2. the sandbox vs a hello-world axum handler under the same load generator, at concurrency 32.
# Usage: scripts/measure-throughput.sh [SECONDS]   (needs python3 with requests, and pip)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-5}
cargo build --quiet --release -p flitt-cli
cargo build --quiet --release -p flitt-sandbox --example throughput
sdk=target/python-sdk
[ -d "$sdk/flittpayments" ] || python3 -m pip install --quiet --no-deps --target "$sdk" flittpayments==3.0.0
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
target/release/flitt sandbox --port "$port" > /dev/null &
server=$!
trap 'kill $server 2>/dev/null' EXIT
sleep 1
url="http://127.0.0.1:$port"
for c in 1 32; do
  target/release/examples/throughput client "$url" "$c" "$seconds"
  PYTHONPATH="$sdk" python3 - "$url" "$c" "$seconds" <<'PY'
import sys, threading, time
from flittpayments import Api, Checkout, Order
url, conc, secs = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
def api():
    a = Api(merchant_id=1549901, secret_key="test")
    a.api_url = url + "/api"
    return a
order_id = Checkout(api=api()).url({"currency": "GEL", "amount": 100, "order_desc": "py"})
import uuid
oid = str(uuid.uuid4())
Checkout(api=api()).url({"order_id": oid, "currency": "GEL", "amount": 100, "order_desc": "py"})
count = [0]
lock = threading.Lock()
deadline = time.perf_counter() + secs
def worker():
    o = Order(api=api())
    while time.perf_counter() < deadline and count[0] < 2_000_000:
        o.status({"order_id": oid})
        with lock:
            count[0] += 1
start = time.perf_counter()
threads = [threading.Thread(target=worker) for _ in range(conc)]
for t in threads: t.start()
for t in threads: t.join()
print(f"official python sdk, concurrency {conc}: {count[0] / (time.perf_counter() - start):.0f} requests/s")
PY
done
target/release/examples/throughput servers 32 "$seconds"
