#!/usr/bin/env bash
# Runs one fuzz target for a while on stable Rust (no sanitizer: -s none;
# see shared/TOOLCHAIN.md pitfall 8) and prints executions and corpus size.
#
#   scripts/fuzz.sh <target> <seconds>      targets: http_requests engine_ops time_rules
#
# cargo-fuzz is installed into target/tools when not on PATH. New corpus
# entries land in fuzz/corpus/<target>; crashes in fuzz/artifacts/<target>.
# Minimize before committing: cd fuzz && cargo fuzz cmin -s none <target>
set -euo pipefail

if [[ $# -ne 2 || ! $2 =~ ^[0-9]+$ ]]; then
    echo "usage: $0 <target> <seconds>" >&2
    exit 2
fi
target=$1
seconds=$2
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
tools="$ROOT/target/tools"

if ! command -v cargo-fuzz >/dev/null 2>&1; then
    if [[ ! -x "$tools/bin/cargo-fuzz" ]]; then
        cargo install cargo-fuzz --locked --root "$tools"
    fi
    export PATH="$tools/bin:$PATH"
fi

cd "$ROOT/fuzz"
corpus="corpus/$target"
mkdir -p "$corpus"
cargo fuzz build -s none "$target"

log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
cargo fuzz run -s none "$target" "$corpus" -- -max_total_time="$seconds" -print_final_stats=1 2>&1 \
    | tee "$log" || status=$?

execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
files=$(find "$corpus" -type f | wc -l)
bytes=$(find "$corpus" -type f -printf '%s\n' | awk '{ n += $1 } END { print n + 0 }')
echo "fuzz $target: ${seconds} s, ${execs:-?} executions (${rate:-?}/s), corpus $files files, $bytes bytes, exit $status"
exit "$status"
