#!/usr/bin/env bash
# Figures for benches/RESULTS.md: the binding's per-call overhead over Rust
# (get_booking) and 100k rows into pandas. Release builds of both sides.
# Usage: bindings-python/scripts/bench.sh [--rows N] [--calls N]
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
VENV="$HERE/.venv"
[ -x "$VENV/bin/python" ] || "${PYTHON:-python3}" -m venv "$VENV"
"$VENV/bin/python" -m pip install -q -r "$HERE/requirements-dev.txt"
PATH="$VENV/bin:$PATH" MATURIN_PEP517_ARGS="--locked --profile release" \
  "$VENV/bin/python" -m pip install -q --no-build-isolation --no-deps --force-reinstall "$HERE"
rm -f "$HERE"/python/holdfast/_native*.so
(cd "$ROOT" && cargo build --locked -q --release -p holdfast-python --example rust_peer)
TARGET="$(cd "$ROOT" && cargo metadata --format-version 1 --no-deps | "$VENV/bin/python" -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
cd "$HERE"
"$VENV/bin/python" scripts/bench.py "$TARGET/release/examples/rust_peer" "$@"
