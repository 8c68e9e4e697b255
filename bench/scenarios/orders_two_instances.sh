#!/usr/bin/env bash
# Durable market orders through two Bot Core instances sharing one PostgreSQL schema: 128
# users, the first 64 ordering through instance A and the others through instance B (so no
# book is written by both), C wrk connections per instance for DURATION. Prints each
# instance's orders/s, their sum and p99. The schema is created and dropped here.
#
#   BOTCORE_BENCH_PG_URL=postgresql://... bench/scenarios/orders_two_instances.sh [C=16] [DURATION=10s]
#
# BOTCORE_BIN picks the binary (default build/botcore).
set -euo pipefail
cd "$(dirname "$0")/../.."

clients=${1:-16}
duration=${2:-10s}
bin=${BOTCORE_BIN:-build/botcore}
url=${BOTCORE_BENCH_PG_URL:?set BOTCORE_BENCH_PG_URL to a PostgreSQL URL}
schema=bench_two_$$
work=$(mktemp -d /tmp/botcore-two-XXXXXX)
ports=(18483 18484)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true; done
  psql -q "$url" -c "DROP SCHEMA IF EXISTS $schema CASCADE" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

psql -q "$url" -c "CREATE SCHEMA $schema"
separator='?'
[[ "$url" == *\?* ]] && separator='&'
. bench/scenarios/orders_config.sh
orders_config > "$work/botcore.toml"
cat >> "$work/botcore.toml" <<CONF
[store]
engine = "postgres"
[postgres]
url = "$url${separator}options=-csearch_path%3D$schema"
CONF
for port in "${ports[@]}"; do
  # One data directory: both instances sign tokens with the JWT secret generated there.
  "$bin" serve --config "$work/botcore.toml" --listen "127.0.0.1:$port" \
    --data-dir "$work/data" > "$work/out-$port" 2> "$work/err-$port" &
  pids+=($!)
done
for port in "${ports[@]}"; do
  for _ in $(seq 100); do grep -q listening "$work/out-$port" 2>/dev/null && break; sleep 0.1; done
done

bench/scenarios/bench_users.py --port "${ports[0]}" --users 128 --tokens "$work/tokens" \
  --price-port "${ports[0]}" --price-port "${ports[1]}" > /dev/null
head -64 "$work/tokens" > "$work/tokens-${ports[0]}"
tail -64 "$work/tokens" > "$work/tokens-${ports[1]}"

waits=()
for port in "${ports[@]}"; do
  wrk -t1 -c"$clients" -d"$duration" --latency -s bench/scenarios/orders.lua \
    "http://127.0.0.1:$port" -- "$work/tokens-$port" > "$work/wrk-$port" &
  waits+=($!)
done
wait "${waits[@]}"
rps() { awk '/^Requests\/sec/ {print $2}' "$work/wrk-$1"; }
p99() { awk '$1=="99%" {print $2}' "$work/wrk-$1"; }
bad() { awk '/Non-2xx/ {n = $5} END {print n + 0}' "$work/wrk-$1"; }
a=$(rps "${ports[0]}") b=$(rps "${ports[1]}")
echo "clients_per_instance=$clients a=$a b=$b sum=$(awk -v a="$a" -v b="$b" 'BEGIN {printf "%.0f", a + b}')" \
  "p99=$(p99 "${ports[0]}")/$(p99 "${ports[1]}") non2xx=$(bad "${ports[0]}")/$(bad "${ports[1]}")"
