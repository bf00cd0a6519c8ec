#!/usr/bin/env bash
# Starts a throwaway PostgreSQL for tests and prints shell `export` lines:
#
#   eval "$(scripts/pg-up.sh)"      # PGBASE, HOLDFAST_TEST_POSTGRES_URL, HOLDFAST_TEST_POSTGRES_APP_URL
#   ...
#   scripts/pg-down.sh              # stops it and deletes $PGBASE
#
# Everything lives in one short temp dir ($PGBASE: data/, sock/, log), the
# server listens on 127.0.0.1 only (port $PGPORT_TEST, default 54329, or the
# next free one), trusts every local connection and skips fsync: test data
# only. HOLDFAST_PG_DURABLE=1 starts it durable instead (fsync,
# synchronous_commit and full_page_writes on), for benchmarks whose figures
# must include the flush (benches/compare.sh); the data is still thrown
# away. Database `postgres` gets the btree_gist extension, and a role
# `holdfast_app` (LOGIN, NOSUPERUSER, NOBYPASSRLS) exists for row-level
# security tests. PostgreSQL refuses to run as root, so as root the server
# runs as the Debian `postgres` OS user (see TOOLCHAIN.md, pitfall 9).
#
# Only the export lines go to stdout; progress and errors go to stderr.
set -euo pipefail

log() { printf 'pg-up: %s\n' "$*" >&2; }
die() {
  log "$*"
  exit 1
}

port="${PGPORT_TEST:-54329}"
[[ "$port" =~ ^[0-9]+$ ]] && [ "$port" -ge 1024 ] && [ "$port" -le 65000 ] || die "PGPORT_TEST=$port is not a port"

# Tests want speed, so commits skip the flush; a durability benchmark must not.
case "${HOLDFAST_PG_DURABLE:-0}" in
  0 | "") durability="-c fsync=off -c synchronous_commit=off -c full_page_writes=off" ;;
  1) durability="-c fsync=on -c synchronous_commit=on -c full_page_writes=on" ;;
  *) die "HOLDFAST_PG_DURABLE=$HOLDFAST_PG_DURABLE: expected 1 (durable) or 0/unset (test settings)" ;;
esac

# ---------------------------------------------------------------- binaries

find_bindir() {
  local dir
  if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
    dirname "$(readlink -f "$(command -v pg_ctl)")"
    return 0
  fi
  # Debian keeps them out of PATH; take the newest major version.
  for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k4,4n -r); do
    if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then
      echo "$dir"
      return 0
    fi
  done
  return 1
}

if ! BIN="$(find_bindir)"; then
  [ "$(id -u)" -eq 0 ] || die "initdb/pg_ctl not found and not root: install postgresql and postgresql-contrib"
  log "initdb/pg_ctl not found; installing postgresql and postgresql-contrib"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update >&2
  apt-get install -y postgresql postgresql-contrib >&2
  BIN="$(find_bindir)" || die "PostgreSQL installed, but initdb/pg_ctl are still not found"
fi
PSQL="$BIN/psql"
[ -x "$PSQL" ] || PSQL="$(command -v psql)" || die "psql not found"

# ---------------------------------------------------------------- who runs the server

# As root: the existing `postgres` OS user (runuser needs no PAM session);
# if it is missing, a system user made for this purpose.
if [ "$(id -u)" -eq 0 ]; then
  PGUSER_OS=postgres
  if ! id -u "$PGUSER_OS" >/dev/null 2>&1; then
    PGUSER_OS=pgtest
    id -u "$PGUSER_OS" >/dev/null 2>&1 || useradd --system --no-create-home "$PGUSER_OS"
  fi
  as_pg() { runuser -u "$PGUSER_OS" -- "$@"; }
else
  PGUSER_OS="$(id -un)"
  as_pg() { "$@"; }
fi

# ---------------------------------------------------------------- the temp dir

# A short path under /tmp: the socket path must stay under 107 bytes, and
# root's home (mode 0700) would be unreachable for the postgres user.
PGBASE="$(mktemp -d /tmp/hfpg.XXXXXX)"
started=""
done=""
# Whatever stops this script before the end leaves no server and no dir behind.
cleanup_unless_done() {
  [ -z "$done" ] || return 0
  if [ -n "$started" ]; then
    as_pg "$BIN/pg_ctl" -D "$PGBASE/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  if [ -s "$PGBASE/log" ]; then
    log "server log:"
    tail -n 20 "$PGBASE/log" >&2
  fi
  rm -rf "$PGBASE"
}
trap cleanup_unless_done EXIT
trap 'exit 130' INT TERM
# pg-down.sh deletes only directories carrying this marker.
echo "holdfast throwaway PostgreSQL; delete with scripts/pg-down.sh" >"$PGBASE/.holdfast-pg"
mkdir "$PGBASE/sock"
chown -R "$PGUSER_OS" "$PGBASE"
chmod 0755 "$PGBASE"

as_pg "$BIN/initdb" -D "$PGBASE/data" -U postgres --auth=trust -E UTF8 --locale=C --no-instructions >/dev/null

# ---------------------------------------------------------------- start, on a free port

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

for _attempt in $(seq 1 50); do
  if port_busy "$port"; then
    log "port $port is busy; trying $((port + 1))"
    port=$((port + 1))
    continue
  fi
  : >"$PGBASE/log"
  chown "$PGUSER_OS" "$PGBASE/log"
  started=yes
  if as_pg "$BIN/pg_ctl" -D "$PGBASE/data" -l "$PGBASE/log" -w -t 30 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $PGBASE/sock $durability" \
    start >/dev/null; then
    break
  fi
  started=""
  # Lost a race for the port: try the next one; anything else is fatal.
  if grep -q "could not bind\|Address already in use" "$PGBASE/log"; then
    log "port $port was taken meanwhile; trying $((port + 1))"
    port=$((port + 1))
    continue
  fi
  die "pg_ctl start failed"
done
[ -n "$started" ] || die "no free port found"

# ---------------------------------------------------------------- extension and the application role

"$PSQL" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres -d postgres >/dev/null <<'SQL'
CREATE EXTENSION IF NOT EXISTS btree_gist;
CREATE ROLE holdfast_app LOGIN NOSUPERUSER NOBYPASSRLS;
GRANT CREATE, USAGE ON SCHEMA public TO holdfast_app;
GRANT CREATE ON DATABASE postgres TO holdfast_app;
SQL

done=yes
log "PostgreSQL $("$BIN/postgres" --version | awk '{print $3}') up on 127.0.0.1:$port (PGBASE=$PGBASE, $durability)"
printf 'export PGBASE=%q\n' "$PGBASE"
printf 'export HOLDFAST_TEST_POSTGRES_URL=%q\n' "postgres://postgres@127.0.0.1:$port/postgres"
printf 'export HOLDFAST_TEST_POSTGRES_APP_URL=%q\n' "postgres://holdfast_app@127.0.0.1:$port/postgres"
