#!/usr/bin/env bash
# Builds and tests the Python package from a clean clone:
#   venv (bindings-python/.venv) -> pip install ./bindings-python (a real
#   wheel, dev profile) -> mypy --strict -> pytest.
# Usage: bindings-python/scripts/test.sh [pytest args...]
# Env: PYTHON (default python3, >= 3.11 for the pinned pandas), HOLDFAST_PY_PROFILE
# (cargo profile of the native module: dev by default, release for benchmarks).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
cd "$HERE"

step() { printf '\n==> python: %s\n' "$*"; }

VENV="$HERE/.venv"
if [ ! -x "$VENV/bin/python" ]; then
  step "create the venv ($VENV)"
  "${PYTHON:-python3}" -m venv "$VENV"
fi
step "install maturin, pytest, mypy, pandas, polars"
"$VENV/bin/python" -m pip install -q -r requirements-dev.txt

step "pip install ./bindings-python (profile ${HOLDFAST_PY_PROFILE:-dev})"
# A real wheel install, as users get it; --no-build-isolation reuses the
# venv's maturin instead of fetching one per build.
PATH="$VENV/bin:$PATH" MATURIN_PEP517_ARGS="--locked --profile ${HOLDFAST_PY_PROFILE:-dev}" \
  "$VENV/bin/python" -m pip install -q --no-build-isolation --no-deps --force-reinstall "$HERE"
# A stale editable build (`maturin develop`) must not shadow the wheel.
rm -f "$HERE"/python/holdfast/_native*.so

step "build the Rust peer for the cross-process test"
HOLDFAST_RUST_PEER="$(cd "$ROOT" && cargo build --locked -q -p holdfast-python --example rust_peer --message-format=json \
  | "$VENV/bin/python" -c 'import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "rust_peer":
        print(m["executable"])')"
export HOLDFAST_RUST_PEER
test -x "$HOLDFAST_RUST_PEER"

step "mypy --strict (the package and a typed usage script)"
"$VENV/bin/python" -m mypy --strict python/holdfast tests/typed_usage.py

step "pytest"
"$VENV/bin/python" -m pytest -q "$@"
