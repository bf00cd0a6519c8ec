#!/usr/bin/env bash
# Create-booking load against holdfast-server on a fresh SQLite file, with
# wrk on loopback. A benchmark, not a test: it prints figures, never fails on
# a number. Usage: benches/http/load.sh [connections] [seconds]
# HOLDFAST_DURABILITY=normal (and the other HOLDFAST_* serve settings) pass
# through to the server. HOLDFAST_PERF_OUT=/tmp/server.perf also samples the server with `perf
# record` (call graphs) while wrk runs: `perf report -i /tmp/server.perf`.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CONNECTIONS="${1:-32}"
SECONDS_="${2:-20}"
command -v wrk >/dev/null || apt-get install -y wrk >/dev/null
cargo build --release -q -p holdfast-server --manifest-path "$ROOT/Cargo.toml"
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/holdfast-server"
dir="$(mktemp -d)"
server=""
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$dir"' EXIT
DB="sqlite://$dir/load.db"
"$BIN" tenant create --db "$DB" --id load --name Load >/dev/null
KEY="$("$BIN" key create --db "$DB" --tenant load --role owner | grep -o 'hf_[0-9a-f_]*' | head -1)"
PORT=$((20000 + RANDOM % 20000))
"$BIN" serve --db "$DB" --listen "127.0.0.1:$PORT" --rate-limit-per-s 0 --log-format json 2>"$dir/server.log" &
server=$!
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
for r in $(seq 0 999); do
  printf '{"id":"r%04d","name":"Resource %d"}' "$r" "$r"
  echo
done | while read -r body; do
  curl -sf -o /dev/null -X POST "http://127.0.0.1:$PORT/api/v1/resources" \
    -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' -d "$body"
done
perf_pid=""
if [ -n "${HOLDFAST_PERF_OUT:-}" ]; then
  perf record -q -F 499 --call-graph dwarf,16384 -o "$HOLDFAST_PERF_OUT" -p "$server" -- sleep "$SECONDS_" &
  perf_pid=$!
fi
HOLDFAST_KEY="$KEY" wrk -t2 -c"$CONNECTIONS" -d"${SECONDS_}s" --latency -s "$ROOT/benches/http/create.lua" \
  "http://127.0.0.1:$PORT"
[ -z "$perf_pid" ] || wait "$perf_pid"
echo "server RSS: $(grep -E 'VmHWM|VmRSS' /proc/$server/status | tr -s ' ' | tr '\n' ' ')"
