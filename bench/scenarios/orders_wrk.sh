#!/usr/bin/env bash
# Durable market orders through HTTP: orders/s and latency at 1 -> 64 (or
# BOTCORE_BENCH_CLIENTS) concurrent clients, each answer sent only after its order is committed
# (group commit).
# - Default: the embedded SQLite store (synchronous = FULL). The peer in the same run:
#   single-row autocommit INSERTs into SQLite with the same settings (sqlite_insert_bench).
# - BOTCORE_BENCH_PG_URL=postgresql://...: PostgreSQL, in a schema of its own dropped at the end.
#   The peer in the same run: single-row autocommit INSERTs by as many pgbench clients
#   (bench/scenarios/pg_inserts.sh).
#
#   bench/scenarios/orders_wrk.sh [DURATION=20s] [USERS=128]
set -euo pipefail
cd "$(dirname "$0")/../.."

duration=${1:-20s}
users=${2:-128}
bin=${BOTCORE_BIN:-build/botcore}
work=$(mktemp -d /tmp/botcore-orders-XXXXXX)
port=18483
pid=
pg_url=${BOTCORE_BENCH_PG_URL:-}
schema=bench_orders_$$
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  [ -n "$pg_url" ] && psql -q "$pg_url" -c "DROP SCHEMA IF EXISTS $schema CASCADE" 2>/dev/null || true
  [ -n "${BOTCORE_BENCH_KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT

. bench/scenarios/orders_config.sh
orders_config > "$work/botcore.toml"
if [ -n "$pg_url" ]; then
  psql -q "$pg_url" -c "CREATE SCHEMA $schema"
  separator='?'
  [[ "$pg_url" == *\?* ]] && separator='&'
  cat >> "$work/botcore.toml" <<CONF
[store]
engine = "postgres"
[postgres]
url = "$pg_url${separator}options=-csearch_path%3D$schema"
CONF
fi
"$bin" serve --config "$work/botcore.toml" --listen "127.0.0.1:$port" --data-dir "$work/data" \
  > "$work/out" 2> "$work/err" &
pid=$!
for _ in $(seq 50); do grep -q listening "$work/out" 2>/dev/null && break; sleep 0.1; done
grep -q listening "$work/out" 2>/dev/null ||
  { tail -5 "$work/err" >&2; echo "the server did not start (is port $port taken?)" >&2; exit 1; }

bench/scenarios/bench_users.py --port "$port" --users "$users" --tokens "$work/tokens" \
  --price-port "$port"

echo "| clients | orders/s | p50 ms | p99 ms | non-2xx |"
echo "| ---: | ---: | ---: | ---: | ---: |"
for clients in ${BOTCORE_BENCH_CLIENTS:-1 2 4 8 16 32 64}; do
  threads=$(( clients < 2 ? 1 : 2 ))
  out=$(wrk -t"$threads" -c"$clients" -d"$duration" --latency -s bench/scenarios/orders.lua \
    "http://127.0.0.1:$port" -- "$work/tokens")
  rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1=="50%" {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  bad=$(awk '/Non-2xx/ {print $5}' <<<"$out")
  echo "| $clients | $rps | $p50 | $p99 | ${bad:-0} |"
done
echo
if [ -n "$pg_url" ]; then
  echo "peer (same run): single-row autocommit INSERTs into PostgreSQL (pgbench)"
  # shellcheck disable=SC2086
  bench/scenarios/pg_inserts.sh "$pg_url" "${duration%s}" ${BOTCORE_BENCH_CLIENTS:-1 2 4 8 16 32 64}
else
  echo "peer (same run): single-row autocommit INSERTs into SQLite"
  # Beside the server's binary in a build tree; BOTCORE_BENCH_TOOLS when BOTCORE_BIN is a copy.
  "${BOTCORE_BENCH_TOOLS:-$(dirname "$bin")/bench}/sqlite_insert_bench" --benchmark_filter=AutocommitInsert \
    --benchmark_repetitions=3 --benchmark_report_aggregates_only=true 2>/dev/null | grep median
fi
