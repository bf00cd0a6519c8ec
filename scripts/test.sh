#!/usr/bin/env bash
# The one test command: every check CI runs, from a clean clone, installing
# what it needs. Usage: ./scripts/test.sh
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

step() { printf '\n==> %s\n' "$*"; }

# Only the PostgreSQL stage below talks to PostgreSQL, and only to the
# throwaway server it starts itself: never to one left in the caller's shell.
unset PGBASE HOLDFAST_TEST_POSTGRES_URL HOLDFAST_TEST_POSTGRES_APP_URL

# One cleanup for every exit, failed or not: the scratch dir and the
# throwaway PostgreSQL (by absolute path: the trap must work after a cd).
scratch=""
pg_base=""
cleanup() {
  local rc=$?
  if [ -n "$pg_base" ]; then
    "$ROOT/scripts/pg-down.sh" "$pg_base" || rc=1
  fi
  if [ -n "$scratch" ]; then
    rm -rf "$scratch"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# rustfmt and clippy ship with this machine's toolchain; if one is missing,
# try rustup (its server may be unreachable here), else skip that lint with
# a loud warning: tests never depend on them.
lint_available() { cargo "$1" --version >/dev/null 2>&1 || rustup component add "$2" >/dev/null 2>&1; }

if lint_available fmt rustfmt; then
  step "format"
  cargo fmt --all --check
else
  echo "WARNING: rustfmt unavailable; format check skipped" >&2
fi

step "the core depends on no binding or server crate"
leaks=$(cargo tree -p holdfast -e normal --locked --prefix none | grep -E '^(napi|pyo3|axum|tokio|hyper)( |-)' || true)
if [ -n "$leaks" ]; then
  echo "core (crate holdfast) must not depend on: $leaks" >&2
  exit 1
fi

if lint_available clippy clippy; then
  step "clippy"
  cargo clippy --workspace --all-targets --locked -- -D warnings
else
  echo "WARNING: clippy unavailable; lint skipped" >&2
fi

step "a venv with openapi-spec-validator and schemathesis (the server's OpenAPI checks)"
venv="$ROOT/target/test-venv"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check \
  "openapi-spec-validator>=0.7,<0.8" "schemathesis>=4.32,<4.33"
export HOLDFAST_OPENAPI_PYTHON="$venv/bin/python"
export HOLDFAST_SCHEMATHESIS="$venv/bin/st"

# The disk-full and read-only drills (core/tests/drills.rs) mount a tmpfs.
# Where that works (root with mount rights, as in CI) they must run;
# elsewhere they skip, and say so here and in their output.
mount_probe="$(mktemp -d)"
if [ "$(id -u)" -eq 0 ] && mount -t tmpfs -o size=1m tmpfs "$mount_probe" 2>/dev/null; then
  umount "$mount_probe"
  export HOLDFAST_DRILLS_MOUNT=required
else
  echo "WARNING: cannot mount a tmpfs here: the disk-full and read-only drills will be skipped" >&2
fi
rmdir "$mount_probe"

step "Rust tests (all crates)"
cargo test --workspace --locked

step "fuzz corpus replay (every committed input of every fuzz target, no libFuzzer)"
# fuzz/ is its own workspace (shared/TOOLCHAIN.md pitfall 8): the root fmt,
# clippy and tests above do not cover it. It builds in its own target dir
# (fuzz/target, unless CARGO_TARGET_DIR is set): the root's would not save
# time, its dependencies have other features and opt-level 2. Clippy checks
# the libFuzzer binaries too; the replay builds without libFuzzer
# (--no-default-features), see fuzz/tests/corpus.rs.
fuzz_manifest="$ROOT/fuzz/Cargo.toml"
if lint_available fmt rustfmt; then
  cargo fmt --manifest-path "$fuzz_manifest" --all --check
fi
if lint_available clippy clippy; then
  cargo clippy --manifest-path "$fuzz_manifest" --all-targets --locked -- -D warnings
fi
cargo test --manifest-path "$fuzz_manifest" --locked --no-default-features --test corpus

step "the studio example works (on a temp file)"
scratch="$(mktemp -d)"
cargo run --locked -q -p holdfast --example studio -- "$scratch/studio.db" > "$scratch/studio.out"
grep -q "The tenant's event log holds" "$scratch/studio.out"
tail -n 3 "$scratch/studio.out"

# The Node tests reach INTERNAL by corrupting a row with the sqlite3 shell.
if ! command -v sqlite3 >/dev/null; then
  step "install the sqlite3 shell"
  apt-get install -y sqlite3 >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y sqlite3 >/dev/null; }
fi

step "Node binding (npm install, napi build, index.d.ts current, tsc, node --test)"
"$ROOT/bindings-node/scripts/test.sh"

step "Python binding (venv, wheel, mypy --strict, pytest)"
"$ROOT/bindings-python/scripts/test.sh"

if lint_available clippy clippy; then
  step "clippy (feature postgres)"
  cargo clippy -p holdfast --features postgres --all-targets --locked -- -D warnings
fi

step "PostgreSQL store: the same suite on a throwaway server"
# (Captured first: `eval "$(...)"` alone would hide a failed pg-up.sh from set -e.)
pg_env="$("$ROOT/scripts/pg-up.sh")"
eval "$pg_env"
pg_base="$PGBASE"
export HOLDFAST_TEST_POSTGRES_URL HOLDFAST_TEST_POSTGRES_APP_URL
cargo test -p holdfast --features postgres --locked

step "HTTP server: two processes over one PostgreSQL"
cargo test -p holdfast-server --features postgres --locked --test socket

step "Node and Python packages over the same PostgreSQL"
# Their own schema, owned by the ordinary role: the Rust suites above may
# have migrated `public` as the superuser.
psql -q -v ON_ERROR_STOP=1 "$HOLDFAST_TEST_POSTGRES_URL" -c "CREATE SCHEMA bindings AUTHORIZATION holdfast_app"
bindings_url="$HOLDFAST_TEST_POSTGRES_APP_URL?options=-c%20search_path%3Dbindings,public"
HOLDFAST_TEST_POSTGRES_APP_URL="$bindings_url" \
  node --test --test-reporter=spec "$ROOT/bindings-node/test/postgres/"*.test.js
HOLDFAST_TEST_POSTGRES_APP_URL="$bindings_url" \
  "$ROOT/bindings-python/.venv/bin/python" -m pytest -q "$ROOT/bindings-python/tests_postgres"
