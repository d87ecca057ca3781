#!/usr/bin/env bash
# Throughput of status lookups on 127.0.0.1, side by side in one run (every load loop is bounded
# in time and count):
#   1. the Rust client vs the official Python SDK (flittpayments 3.0.0, default transport) against
#      the same `flitt sandbox` process, at concurrency 1 and 32; at 1, also bare reqwest POSTs
#      of the same lookup to the sandbox, and the ceiling: bare reqwest POSTs to a hello-world
#      axum server in another process, each over the Python SDK;
#   2. the sandbox vs a hello-world axum handler under the same load generator (the throughput
#      example's, in one process and runtime), at concurrency 32;
#   3. when `wrk` is installed: `flitt sandbox` vs the hello-world handler served alone on the
#      same runtime configuration (multi-threaded, a worker per core), under `wrk -t2 -c32`:
#      the median ratio of back-to-back pairs of 2-second runs (max(SECONDS, 5) pairs).
# Each row is printed as a ratio of two numbers measured one right after the other. With
# REPEATS > 1 the whole set runs that many times and the spread (min–max) of each ratio is
# printed at the end. The sandbox logs one line per request, as `flitt sandbox` always does;
# its stderr goes to /dev/null here.
# Usage: scripts/measure-throughput.sh [SECONDS] [REPEATS]   (needs python3 with requests, and pip)
# FLITT_BIN=PATH runs another `flitt` binary as the sandbox (an older build, to compare).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-5}
repeats=${2:-1}
case "$seconds" in '' | *[!0-9]*) echo "SECONDS must be a number" >&2; exit 2 ;; esac
case "$repeats" in '' | *[!0-9]*) echo "REPEATS must be a number" >&2; exit 2 ;; esac
[ "$seconds" -ge 1 ] && [ "$seconds" -le 60 ] || { echo "SECONDS must be 1 to 60" >&2; exit 2; }
[ "$repeats" -ge 1 ] && [ "$repeats" -le 20 ] || { echo "REPEATS must be 1 to 20" >&2; exit 2; }
cargo build --quiet --release -p flitt-cli
cargo build --quiet --release -p flitt-sandbox --example throughput
sdk=target/python-sdk
[ -d "$sdk/flittpayments" ] || python3 -m pip install --quiet --no-deps --target "$sdk" flittpayments==3.0.0
example=target/release/examples/throughput
work=$(mktemp -d)
pids=()
# The current run's hello-world server (each run stops its own; a dead one's id is not kept,
# so the exit never signals a reused pid).
hello_pid=
cleanup() {
  for p in "${pids[@]}" ${hello_pid:+"$hello_pid"}; do kill "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# The number before "requests/s" on the line.
rps() { awk '/requests\/s/ { for (i = 2; i <= NF; i++) if ($i ~ /^requests\/s/) print $(i-1) }' | tail -1; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "nan" }'; }
# Waits (up to 10 s) until URL answers anything over HTTP.
wait_up() {
  for _ in $(seq 100); do
    curl -s -o /dev/null -X POST "$1" && return 0
    sleep 0.1
  done
  echo "$1 did not come up" >&2
  return 1
}

port=$(free_port)
"${FLITT_BIN:-target/release/flitt}" sandbox --port "$port" > /dev/null 2>&1 &
sandbox_pid=$!
pids+=("$sandbox_pid")
# The sandbox's CPU time so far, in clock ticks (user + system), from /proc (the fields after
# the command name, which may hold spaces); empty without it. With FLITT_BIN a wrapper script,
# this is the wrapper's.
sandbox_ticks() { sed 's/^.*) //' "/proc/$sandbox_pid/stat" 2>/dev/null | awk '{ print $12 + $13 }' || true; }
# Microseconds of sandbox CPU per request (about: the requests are requests/s times SECONDS, and
# the Python window includes its start): ticks before, ticks after, requests/s.
per_request() {
  if [ -z "$1" ] || [ -z "$2" ]; then echo "?"; return; fi
  awk -v a="$1" -v b="$2" -v r="$3" -v s="$seconds" -v tk="$(getconf CLK_TCK)" 'BEGIN { if (r > 0) printf "%.0f", (b - a) / tk * 1e6 / (r * s); else print "nan" }'
}
url="http://127.0.0.1:$port"
wait_up "$url/api/status/order_id"

cat > "$work/python.py" <<'PY'
import sys, threading, time, uuid
from flittpayments import Api, Checkout, Order
url, conc, secs = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
def api():
    a = Api(merchant_id=1549901, secret_key="test")
    a.api_url = url + "/api"
    return a
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

# A signed status request body, for the bare reqwest row and for wrk.
body=$("$example" status-body "$url")
wrk_ok=
if command -v wrk > /dev/null; then
  wrk_ok=1
  # Lua long brackets: the body is JSON, it has no "]]".
  printf 'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\nwrk.body = [[%s]]\n' "$body" > "$work/status.lua"
  printf 'wrk.method = "POST"\n' > "$work/hello.lua"
else
  echo "wrk is not installed: the wrk row is skipped" >&2
fi

: > "$work/ratios"
for r in $(seq "$repeats"); do
  echo "== run $r of $repeats ($(date -u +%H:%M:%S), load average $(cut -d' ' -f1-3 /proc/loadavg))"
  # The hello-world server in a process of its own, up for the whole run: the c1 ceiling and
  # the wrk row use it.
  pairs=$(( seconds > 5 ? seconds : 5 )); slice=2
  rm -f "$work/hello.url"
  "$example" hello $(( seconds * 8 + pairs * slice * 2 + 30 )) > "$work/hello.url" &
  hello_pid=$!
  # Up to 30 s: on a loaded machine the server can be slow to start.
  for _ in $(seq 300); do grep -q '^http' "$work/hello.url" 2>/dev/null && break; sleep 0.1; done
  hello_url=$(head -1 "$work/hello.url")
  case "$hello_url" in
    http*) ;;
    *) echo "the hello-world server did not start (no URL after 30 s)" >&2; exit 1 ;;
  esac
  for c in 1 32; do
    t0=$(sandbox_ticks)
    out=$("$example" client "$url" "$c" "$seconds")
    t1=$(sandbox_ticks)
    echo "$out" >&2
    rust=$(echo "$out" | rps)
    out=$(PYTHONPATH="$sdk" python3 "$work/python.py" "$url" "$c" "$seconds")
    t2=$(sandbox_ticks)
    echo "$out" >&2
    py=$(echo "$out" | rps)
    x=$(ratio "$rust" "$py")
    echo "rust client / python sdk, concurrency $c: ${x}x"
    echo "rust_over_python_c$c $x" >> "$work/ratios"
    if [ "$c" = 1 ] && [ -n "$t0" ]; then
      # At one connection a round trip is the client's and the sandbox's work end to end: the
      # sandbox's share bounds the ratio whatever the client costs.
      echo "  concurrency 1: a Rust round trip $(awk -v r="$rust" 'BEGIN { if (r > 0) printf "%.0f", 1e6 / r }') us, of which the sandbox's CPU $(per_request "$t0" "$t1" "$rust") us; the sandbox's CPU per Python lookup $(per_request "$t1" "$t2" "$py") us" >&2
    fi
    if [ "$c" = 1 ]; then
      # Right after the pair: bare reqwest POSTs of the same lookup to the sandbox (the row
      # without the SDK's own work), then of nothing to the hello-world server: the ceiling of
      # a reqwest client here, against the lightest server.
      out=$("$example" post "$url/api/status/order_id" 1 "$seconds" "$body")
      echo "$out" >&2
      x=$(ratio "$(echo "$out" | rps)" "$py")
      echo "  bare reqwest to the sandbox / python sdk, concurrency 1: ${x}x"
      echo "bare_over_python_c1 $x" >> "$work/ratios"
      out=$("$example" post "$hello_url" 1 "$seconds")
      echo "$out" >&2
      x=$(ratio "$(echo "$out" | rps)" "$py")
      echo "  ceiling: bare reqwest to hello-world axum / python sdk, concurrency 1: ${x}x"
      echo "ceiling_over_python_c1 $x" >> "$work/ratios"
    fi
  done
  out=$("$example" servers 32 "$seconds")
  echo "$out" >&2
  sandbox_rps=$(echo "$out" | grep '^sandbox' | rps)
  hello_rps=$(echo "$out" | grep '^hello' | rps)
  x=$(ratio "$sandbox_rps" "$hello_rps")
  echo "sandbox / hello-world axum, our generator, concurrency 32: ${x}x"
  echo "sandbox_over_axum_generator $x" >> "$work/ratios"
  if [ -n "$wrk_ok" ]; then
    # PAIRS back-to-back pairs of SLICE-second wrk runs, hello-world then sandbox (the first
    # of each pair alternating), both servers up throughout; the row is the median of the
    # pairs' ratios. Two 5-second runs seconds apart gave 0.31-0.61x on this VM, whose speed
    # changes from one second to the next: pairs close in time cancel most of that.
    wrk_rps() { wrk -t2 -c32 -d"${slice}s" -s "$1" "$2" | awk '/^Requests\/sec/ { print $2 }'; }
    : > "$work/pairs"
    for p in $(seq "$pairs"); do
      if [ $((p % 2)) -eq 1 ]; then
        h=$(wrk_rps "$work/hello.lua" "$hello_url"); s=$(wrk_rps "$work/status.lua" "$url/api/status/order_id")
      else
        s=$(wrk_rps "$work/status.lua" "$url/api/status/order_id"); h=$(wrk_rps "$work/hello.lua" "$hello_url")
      fi
      echo "$h $s" >> "$work/pairs"
    done
    read -r wrk_hello wrk_sandbox x < <(python3 -c '
import statistics as st, sys
p = [tuple(map(float, l.split())) for l in open(sys.argv[1]) if len(l.split()) == 2]
p = [(h, s) for h, s in p if h > 0]
if p:
    print(f"{st.median(h for h, _ in p):.0f} {st.median(s for _, s in p):.0f} {st.median(s / h for h, s in p):.2f}")
else:
    print("0 0 nan")' "$work/pairs")
    echo "wrk -t2 -c32, $pairs pairs of ${slice} s: hello-world axum ${wrk_hello} requests/s, sandbox status ${wrk_sandbox} requests/s (medians)" >&2
    echo "sandbox / hello-world axum, wrk -t2 -c32: ${x}x (median of $pairs pairs' ratios)"
    echo "sandbox_over_axum_wrk $x" >> "$work/ratios"
  fi
  kill "$hello_pid" 2>/dev/null || true
  wait "$hello_pid" 2>/dev/null || true
  hello_pid=
done

echo "== spread over $repeats run(s) of $seconds s each (min-max)"
awk '{ n[$1]++; if (!($1 in lo) || $2 < lo[$1]) lo[$1] = $2; if (!($1 in hi) || $2 > hi[$1]) hi[$1] = $2; if (!($1 in order)) { order[$1] = ++k; name[k] = $1 } }
     END { for (i = 1; i <= k; i++) printf "%-28s %s-%sx (%d runs)\n", name[i], lo[name[i]], hi[name[i]], n[name[i]] }' "$work/ratios"
