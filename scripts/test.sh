#!/usr/bin/env bash
# The one test command: every check CI runs, from a clean clone, installing
# what it needs. Usage: ./scripts/test.sh
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

step() { printf '\n==> %s\n' "$*"; }

# Install what a fresh machine lacks (toolchain components only; crates come
# from the registry through cargo).
if ! cargo fmt --version >/dev/null 2>&1 || ! cargo clippy --version >/dev/null 2>&1; then
  step "installing rustfmt and clippy"
  rustup component add rustfmt clippy
fi

step "format"
cargo fmt --all --check

step "the core depends on no binding or server crate"
leaks=$(cargo tree -p holdfast -e normal --locked --prefix none | grep -E '^(napi|pyo3|axum|tokio|hyper)( |-)' || true)
if [ -n "$leaks" ]; then
  echo "core (crate holdfast) must not depend on: $leaks" >&2
  exit 1
fi

step "clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "Rust tests (all crates)"
cargo test --workspace --locked

step "the README's run command works (studio example, on a temp file)"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
cargo run --locked -q -p holdfast --example studio -- "$scratch/studio.db" > "$scratch/studio.out"
grep -q "The tenant's event log holds" "$scratch/studio.out"
tail -n 3 "$scratch/studio.out"
