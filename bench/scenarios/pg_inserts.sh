#!/usr/bin/env bash
# Peer for the order benchmark: single-row autocommit INSERTs of an order-shaped row into
# PostgreSQL by C concurrent clients (pgbench, prepared statements, one row per transaction), so
# each transaction waits for the server's commit (and for a synchronous replica if the server has
# one, e.g. scripts/pg start --replicas 2 --sync). Creates and drops its own table bench_inserts.
#
#   bench/scenarios/pg_inserts.sh URL DURATION_S CLIENTS...
#   e.g. bench/scenarios/pg_inserts.sh "$(scripts/pg start --dir /var/tmp/pg --port 55600 | tail -1)" 10 1 8 32 128
#
# Prints one line per client count, `clients=C tps=T p50_ms=X p99_ms=Y`, then as the last line
# {"peer":"pg_single_row_inserts","results":[{"clients":C,"tps":T,"p50_ms":X,"p99_ms":Y},...]}.
# Latency percentiles come from pgbench's per-transaction log (-l). PGBIN overrides the
# PostgreSQL client binaries.
set -euo pipefail

# shellcheck source=bench/scenarios/pg_client.sh
. "$(dirname "$0")/pg_client.sh"
pg_client_setup pg_inserts "$@"

pg_client_scratch pg-inserts bench_inserts

sql -c "select 1" >/dev/null || die "cannot connect to $url"
sql <<'SQL'
drop table if exists bench_inserts;
create table bench_inserts (
  user_id text not null,
  id text not null,
  symbol text not null,
  quantity bigint not null,
  price bigint not null,
  created_ms bigint not null,
  primary key (user_id, id)
);
SQL
echo "# server: $(sql -c "select 'version ' || current_setting('server_version') || ', fsync=' || current_setting('fsync') || ', synchronous_commit=' || current_setting('synchronous_commit') || ', synchronous_standby_names=''' || current_setting('synchronous_standby_names') || ''''")" >&2

# 128 users as in orders_wrk.sh; order ids unique per client (client id + random 64-bit number).
cat > "$work/insert.sql" <<'SQL'
\set uid random(0, 127)
\set rid random(1, 9000000000000000000)
INSERT INTO bench_inserts (user_id, id, symbol, quantity, price, created_ms)
VALUES ('bench' || CAST(:uid AS text), CAST(:client_id AS text) || '-' || CAST(:rid AS text), 'BTCUSDT', 1, 6500000,
        CAST(extract(epoch from clock_timestamp()) * 1000 AS bigint));
SQL

json=
for clients in "${client_counts[@]}"; do
  sql -c "truncate bench_inserts" >/dev/null
  threads=$(( clients < 2 ? clients : 2 ))
  rm -f "$work"/log*
  out=$(timeout $((duration + 120)) "$pgbench" -n -M prepared -f "$work/insert.sql" -c "$clients" -j "$threads" \
      -T "$duration" -l --log-prefix="$work/log" "$url" 2>"$work/err") \
    || { cat "$work/err" >&2; die "pgbench failed with $clients clients"; }
  tps=$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' <<<"$out" | tail -1)
  [ -n "$tps" ] || { echo "$out" >&2; die "no tps in pgbench output"; }
  failed=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' <<<"$out")
  [ "${failed:-0}" = 0 ] || echo "pg_inserts: warning: $failed failed transactions with $clients clients" >&2
  # Per-transaction log: client_id transaction_no latency_us script_no epoch_s epoch_us
  read -r p50 p99 < <(cat "$work"/log* | awk '{print $3}' | sort -n |
    awk -v scale=1000 -v none=null -f "$(dirname "$0")/percentiles.awk")
  tps=$(printf '%.1f' "$tps")
  echo "clients=$clients tps=$tps p50_ms=$p50 p99_ms=$p99"
  json+="${json:+,}{\"clients\":$clients,\"tps\":$tps,\"p50_ms\":$p50,\"p99_ms\":$p99}"
done
echo "{\"peer\":\"pg_single_row_inserts\",\"results\":[$json]}"
