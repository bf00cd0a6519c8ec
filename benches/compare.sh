#!/usr/bin/env bash
# The side-by-side comparison of issue 8: the same workloads against a plain
# PostgreSQL table guarded by `EXCLUDE USING gist`, against Holdfast on a
# SQLite file and against Holdfast on the same PostgreSQL, in one run.
#
#   benches/compare.sh [--quick] [--seconds S] [--clients N] [--only LABELS]
#
# Starts its own durable throwaway PostgreSQL (HOLDFAST_PG_DURABLE=1
# scripts/pg-up.sh; stopped on exit), keeps the SQLite files on a real disk,
# and prints a markdown table of absolute figures and Holdfast/GIST ratios
# (src/bin/compare.rs says what each workload does). A benchmark, not a
# test: it exits 0 whatever the figures; non-zero only if a workload could
# not run or failed its own verification.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
log() { printf 'compare.sh: %s\n' "$*" >&2; }

# Only the server started below, never one left in the caller's shell.
unset PGBASE HOLDFAST_TEST_POSTGRES_URL HOLDFAST_TEST_POSTGRES_APP_URL \
  HOLDFAST_COMPARE_PG_URL HOLDFAST_COMPARE_PG_APP_URL HOLDFAST_COMPARE_SQLITE_DIR

pg_base=""
data_dir=""
cleanup() {
  local rc=$?
  # By absolute path: the trap must work whatever the current directory.
  if [ -n "$pg_base" ]; then
    "$ROOT/scripts/pg-down.sh" "$pg_base" || rc=1
  fi
  if [ -n "$data_dir" ]; then
    rm -rf "$data_dir"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Built before the server starts: a compile error wastes no server, and no
# compile of ours runs while the figures are taken.
log "building the compare binary (release)"
cargo build --release --locked -q --manifest-path "$ROOT/Cargo.toml" \
  -p holdfast-benches --features postgres --bin compare

# SQLite's durable figures need a real disk: tmpfs (like /dev/shm) never
# flushes. Then the build's target dir, which is on the disk.
tmp="${TMPDIR:-/tmp}"
fs="$(df --output=fstype "$tmp" | tail -n 1)"
if [ "$fs" = tmpfs ] || [ "$fs" = ramfs ]; then
  tmp="${CARGO_TARGET_DIR:-$ROOT/target}"
  mkdir -p "$tmp"
  log "$tmp is used for the SQLite files: ${TMPDIR:-/tmp} is $fs"
fi
data_dir="$(mktemp -d "$tmp/holdfast-compare.XXXXXX")"

# (Captured first: `eval "$(...)"` alone would hide a failed pg-up.sh from set -e.)
pg_env="$(HOLDFAST_PG_DURABLE=1 "$ROOT/scripts/pg-up.sh")"
eval "$pg_env"
pg_base="$PGBASE"

echo "Holdfast $(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo '(no git)'), $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores"
echo
cargo run --release --locked -q --manifest-path "$ROOT/Cargo.toml" \
  -p holdfast-benches --features postgres --bin compare -- \
  --pg-url "$HOLDFAST_TEST_POSTGRES_URL" \
  --pg-app-url "$HOLDFAST_TEST_POSTGRES_APP_URL" \
  --sqlite-dir "$data_dir" \
  "$@"
