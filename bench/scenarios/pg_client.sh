# shellcheck shell=bash
# Sourced by the pgbench scenarios that take `URL DURATION_S CLIENTS...`: checks those
# arguments and finds the PostgreSQL client binaries.
#
#   pg_client_setup NAME "$@"   sets url, duration, client_counts (an array), psql and pgbench;
#                               prints the script's usage (its lines starting "#   bench/")
#                               and exits 2 when arguments are missing.
#   pg_client_scratch NAME TABLE...  sets work (a temporary directory) and, on exit, removes it
#                               and drops the tables.
#   sql ...                     psql on $url, quiet, stopping at the first error.
# PGBIN overrides where the client binaries are found.

pg_client_setup() {
  local name=$1
  shift
  die() { echo "$name: error: $*" >&2; exit 1; }
  [ $# -ge 3 ] || { grep '^#   bench/' "$0" | sed 's/^# \{0,3\}//' >&2; exit 2; }
  url=$1 duration=$2
  shift 2
  [[ "$duration" =~ ^[0-9]+$ ]] && [ "$duration" -ge 1 ] ||
    die "DURATION_S must be a positive integer, got $duration"
  local c
  for c in "$@"; do
    [[ "$c" =~ ^[0-9]+$ ]] && [ "$c" -ge 1 ] || die "client counts must be positive integers, got $c"
  done
  # shellcheck disable=SC2034  # used by the sourcing script
  client_counts=("$@")
  psql=$(pg_bin psql)
  # shellcheck disable=SC2034  # used by the sourcing script
  pgbench=$(pg_bin pgbench)
}

pg_client_scratch() {
  work=$(mktemp -d "/tmp/botcore-$1-XXXXXX")
  shift
  scratch_tables=$(IFS=,; echo "$*")
  # shellcheck disable=SC2317  # called by the trap
  pg_client_cleanup() {
    sql -c "drop table if exists $scratch_tables" 2>/dev/null || true
    rm -rf "$work"
  }
  trap pg_client_cleanup EXIT
}

pg_bin() {  # newest installed server-side client, else whatever is on PATH
  if [ -n "${PGBIN:-}" ]; then echo "$PGBIN/$1"; return; fi
  local b
  b=$(ls -d /usr/lib/postgresql/*/bin/"$1" 2>/dev/null | sort -V | tail -1 || true)
  [ -n "$b" ] && echo "$b" || command -v "$1" || die "$1 not found (install postgresql-client or set PGBIN)"
}

sql() {
  PGOPTIONS="-c client_min_messages=warning" timeout 60 "$psql" -X -q -v ON_ERROR_STOP=1 -tA \
    -d "$url" "$@"
}
