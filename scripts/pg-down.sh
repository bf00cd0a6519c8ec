#!/usr/bin/env bash
# Stops the throwaway PostgreSQL that scripts/pg-up.sh started and deletes
# its directory. Usage: scripts/pg-down.sh [PGBASE]   (default: $PGBASE)
# A server that is already stopped is fine; a directory pg-up.sh did not
# make (no .holdfast-pg marker) is left alone.
set -euo pipefail

log() { printf 'pg-down: %s\n' "$*" >&2; }

base="${1:-${PGBASE:-}}"
if [ -z "$base" ]; then
  log "usage: pg-down.sh [PGBASE] (or set PGBASE, as eval \"\$(scripts/pg-up.sh)\" does)"
  exit 2
fi
if [ ! -d "$base" ]; then
  log "$base does not exist; nothing to do"
  exit 0
fi
if [ ! -f "$base/.holdfast-pg" ]; then
  log "$base was not made by pg-up.sh (no .holdfast-pg marker); refusing to touch it"
  exit 1
fi

if [ -f "$base/data/PG_VERSION" ]; then
  bin=""
  if command -v pg_ctl >/dev/null 2>&1; then
    bin="$(dirname "$(readlink -f "$(command -v pg_ctl)")")"
  else
    bin="$(ls -d /usr/lib/postgresql/"$(cat "$base/data/PG_VERSION")"/bin 2>/dev/null || true)"
  fi
  if [ -n "$bin" ] && [ -x "$bin/pg_ctl" ]; then
    owner="$(stat -c %U "$base/data")"
    if [ "$(id -u)" -eq 0 ] && [ "$owner" != root ]; then
      as_owner() { runuser -u "$owner" -- "$@"; }
    else
      as_owner() { "$@"; }
    fi
    # pg_ctl status: 0 running, 3 not running, 4 no data dir.
    if as_owner "$bin/pg_ctl" -D "$base/data" status >/dev/null 2>&1; then
      as_owner "$bin/pg_ctl" -D "$base/data" -m fast -w -t 30 stop >/dev/null ||
        as_owner "$bin/pg_ctl" -D "$base/data" -m immediate -w -t 30 stop >/dev/null ||
        log "pg_ctl stop failed; deleting $base anyway"
    fi
  else
    log "pg_ctl not found; cannot stop the server in $base"
  fi
fi
rm -rf "$base"
