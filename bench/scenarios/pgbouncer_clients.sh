#!/usr/bin/env bash
# 5,000 client connections to the database tier through PgBouncer (transaction pooling): two
# Bot Core instances whose pools hold 100 connections each take durable market orders (wrk),
# while pgbench keeps the other 4,800 client connections busy with order-shaped single-row
# inserts at a fixed total rate (PGBENCH_RATE transactions/s across all of them). PostgreSQL (synchronous_commit on) sees only PgBouncer's
# server pool and the instances' own sessions (LISTEN, advisory locks).
#
# Phases, in one run on one PostgreSQL:
#   direct   the instances' pools connect to PostgreSQL; orders only (the peer)
#   pooled   the same through PgBouncer; orders only
#   5000     through PgBouncer, orders plus the 4,800 pgbench clients
#   refused  the 4,800 pgbench clients straight to PostgreSQL (max_connections 300)
#
#   bench/scenarios/pgbouncer_clients.sh [DURATION_S=30] [PGBENCH_RATE=1000]
#
# Prints a table (orders/s, p50/p99, non-2xx; pgbench tps, p50/p99, failures; client
# connections PgBouncer held; server connections PostgreSQL had). Everything runs on loopback
# under /var/tmp/botcore-bench-pgbouncer-PID and is stopped at the end.
set -euo pipefail
cd "$(dirname "$0")/../.."
. bench/scenarios/orders_config.sh

duration=${1:-30}
rate=${2:-1000}
bin=${BOTCORE_BIN:-build/botcore}
pool=${BOTCORE_BENCH_POOL:-100}        # client connections each instance's pool holds
instances=2
clients=$((5000 - instances * pool))   # pgbench's share of the 5,000
wrk_connections=${BOTCORE_BENCH_WRK:-32}
pg_port=19400 bouncer_port=19401 http_base=19410
root=/var/tmp/botcore-bench-pgbouncer-$$
work=$(mktemp -d /tmp/botcore-pgbouncer-XXXXXX)
pids=()

stop_instances() {
  local pid
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true; done
  pids=()
}
cleanup() {
  stop_instances
  scripts/pgbouncer destroy --dir "$root/pgbouncer" >/dev/null 2>&1 || true
  scripts/pg destroy --dir "$root/pg" >/dev/null 2>&1 || true
  rm -rf "$root"
  [ -n "${BOTCORE_BENCH_KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT

# Each pgbench client and each wrk connection is a file descriptor.
ulimit -n "$(ulimit -Hn)"
pg_url=$(scripts/pg start --dir "$root/pg" --port "$pg_port" | tail -1)
bouncer_url=$(scripts/pgbouncer start --dir "$root/pgbouncer" --port "$bouncer_port" \
  --upstream-port "$pg_port" --max-clients 6000 | tail -1)
sql() { psql -X -q -v ON_ERROR_STOP=1 -tA -d "$pg_url" "$@"; }
admin() { psql -X -q -tA -h 127.0.0.1 -p "$bouncer_port" -U postgres -d pgbouncer -F ' ' -c "$1"; }

start_instances() {  # start_instances POOLER_URL ("" for direct)
  local i
  for i in $(seq 0 $((instances - 1))); do
    mkdir -p "$work/i$i"
    orders_config > "$work/i$i/botcore.toml"
    cat >> "$work/i$i/botcore.toml" <<CONF
[store]
engine = "postgres"
[postgres]
url = "$pg_url"
pooler_url = "$1"
pool_min = $pool
pool_max = $pool
CONF
    "$bin" serve --config "$work/i$i/botcore.toml" --listen "127.0.0.1:$((http_base + i))" \
      --data-dir "$work/i$i/data" > "$work/i$i/out" 2> "$work/i$i/err" &
    pids+=($!)
  done
  for i in $(seq 0 $((instances - 1))); do
    for _ in $(seq 100); do grep -q listening "$work/i$i/out" 2>/dev/null && break; sleep 0.1; done
    grep -q listening "$work/i$i/out" || { cat "$work/i$i/err" >&2; echo "instance $i did not start" >&2; exit 1; }
    # Users of each instance order through it (registered once; logins give fresh tokens).
    bench/scenarios/bench_users.py --port "$((http_base + i))" --users 64 --prefix "pool$i-" \
      --tokens "$work/tokens$i" --price-port "$((http_base + i))"
  done
}

# wrk on every instance at once for DURATION (orders_load starts, orders_wait waits);
# orders_result prints "orders/s p50 p99 failed" (summed rates, worst percentiles).
orders_load() {
  local i
  wrk_pids=()
  for i in $(seq 0 $((instances - 1))); do
    wrk -t1 -c"$wrk_connections" -d"${duration}s" --latency -s bench/scenarios/orders.lua \
      "http://127.0.0.1:$((http_base + i))" -- "$work/tokens$i" > "$work/wrk$i" &
    wrk_pids+=($!)
  done
}
orders_wait() { wait "${wrk_pids[@]}"; }
orders_result() {
  local i rps=0 p50=0 p99=0 bad=0 r
  for i in $(seq 0 $((instances - 1))); do
    r=$(awk '/^Requests\/sec/ {print $2}' "$work/wrk$i")
    rps=$(awk -v a="$rps" -v b="$r" 'BEGIN {printf "%.0f", a + b}')
    p50=$(awk -v a="$p50" -v b="$(awk '$1=="50%" {print $2}' "$work/wrk$i")" 'BEGIN {print (b + 0 > a + 0) ? b : a}')
    p99=$(awk -v a="$p99" -v b="$(awk '$1=="99%" {print $2}' "$work/wrk$i")" 'BEGIN {print (b + 0 > a + 0) ? b : a}')
    bad=$((bad + $(awk '/Non-2xx/ {print $5}' "$work/wrk$i" | grep . || echo 0)))
    bad=$((bad + $(awk '/Socket errors/ {gsub(",", ""); print $4 + $6 + $8 + $10}' "$work/wrk$i" | grep . || echo 0)))
  done
  echo "$rps $p50 $p99 $bad"
}

sql <<'SQL'
set client_min_messages = warning;
drop table if exists bench_pooled;
create table bench_pooled (client int not null, id bigint not null, symbol text not null,
  quantity bigint not null, price bigint not null, created_ms bigint not null,
  primary key (client, id));
SQL
# One order-shaped row per transaction (autocommit), unprepared (transaction pooling).
cat > "$work/client.sql" <<'SQL'
\set rid random(1, 9000000000000000000)
INSERT INTO bench_pooled VALUES (:client_id, :rid, 'BTCUSDT', 1, 6500000,
  CAST(extract(epoch from clock_timestamp()) * 1000 AS bigint));
SQL
pgbench_run() {  # pgbench_run URL SECONDS -> prints "tps p50 p99 failed"; log in $work/pgbench.out
  rm -f "$work"/log*
  timeout $(($2 + 300)) pgbench -n -M extended -f "$work/client.sql" -c "$clients" -j 2 -R "$rate" \
    -T "$2" -l --log-prefix="$work/log" "$1" > "$work/pgbench.out" 2>&1 || true
  local tps failed
  tps=$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' "$work/pgbench.out" | tail -1)
  failed=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "$work/pgbench.out")
  read -r p50 p99 < <(cat "$work"/log* 2>/dev/null | awk '{print $3}' | sort -n |
    awk -v scale=1000 -f bench/scenarios/percentiles.awk)
  echo "${tps:--} $p50 $p99 ${failed:--}"
}

echo "# $(nproc) cores; PostgreSQL $(sql -c "select current_setting('server_version') || ', synchronous_commit=' || current_setting('synchronous_commit') || ', max_connections=' || current_setting('max_connections')"); PgBouncer pool 40 per database/user"
echo "| phase | orders/s | p50 ms | p99 ms | failed orders | pgbench tps | pgbench p50 ms | p99 ms | failed tx | clients at PgBouncer | server connections |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
backends() { sql -c "select count(*) from pg_stat_activity where backend_type = 'client backend'"; }
# Orders for DURATION; halfway, the clients PgBouncer holds and PostgreSQL's client backends.
# Sets rps p50 p99 bad held servers.
measure_orders() {
  orders_load
  sleep $((duration / 2))
  held=$(admin "SHOW LISTS" | awk '$1 == "used_clients" {print $2}')
  servers=$(backends)
  orders_wait
  read -r rps p50 p99 bad < <(orders_result)
}

start_instances ""
measure_orders
echo "| direct | $rps | $p50 | $p99 | $bad | - | - | - | - | - | $servers |"
stop_instances

start_instances "$bouncer_url"
measure_orders
echo "| pooled | $rps | $p50 | $p99 | $bad | - | - | - | - | $held | $servers |"

# pgbench connects its clients first (a few seconds), then the orders start for DURATION.
pgbench_run "$bouncer_url" $((duration + 20)) > "$work/pgbench.result" &
pgbench_pid=$!
for _ in $(seq 120); do
  [ "$(admin "SHOW LISTS" | awk '$1 == "used_clients" {print $2}')" -ge 5000 ] 2>/dev/null && break
  sleep 1
done
measure_orders
wait "$pgbench_pid" || true
read -r tps bp50 bp99 failed < "$work/pgbench.result"
echo "| 5000 | $rps | $p50 | $p99 | $bad | $tps | $bp50 | $bp99 | $failed | $held | $servers |"
stop_instances

refused=$(pgbench_run "$pg_url" 5 | awk '{print $1}')
reason=$(grep -m1 -o 'too many clients[^"]*\|remaining connection slots[^"]*' "$work/pgbench.out" || true)
echo "| 4,800 straight to PostgreSQL | - | - | - | - | ${refused} | - | - | - | - | refused: ${reason:-none} |"
sql -c "drop table if exists bench_pooled" || true
