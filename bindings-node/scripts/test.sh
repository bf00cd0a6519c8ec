#!/usr/bin/env bash
# Everything the Node binding needs checked, from a clean clone: install the
# npm dev tools, build the addon (release), check that the committed
# index.d.ts is current, type-check the TypeScript usage, run node's tests.
# Usage: bindings-node/scripts/test.sh   (called by the root scripts/test.sh)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

step() { printf '\n==> [node] %s\n' "$*"; }
elapsed() { printf '    (%ss)\n' "$((SECONDS - started))"; }

step "npm install (npm ci cannot work with this registry mirror: see TOOLCHAIN.md)"
started=$SECONDS
npm install --no-audit --no-fund
elapsed

step "napi build --release (types to generated/, the committed index.d.ts is left alone)"
started=$SECONDS
npx napi build --platform --release --features postgres --dts generated/index.d.ts -- --locked
elapsed

step "index.d.ts is current"
node --test --test-reporter=spec test/types.test.js

step "tsc --noEmit (the NestJS-style service and the ESM usage, against the shipped .d.ts)"
npx tsc --noEmit -p test

step "node --test"
started=$SECONDS
node --test --test-reporter=spec test/*.test.js test/*.test.mjs
elapsed
