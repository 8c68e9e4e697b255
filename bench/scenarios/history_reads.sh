#!/usr/bin/env bash
# Trade-history reads served from the PostgreSQL replicas: one instance (scripts/cluster: primary
# + 2 streaming replicas, postgres.read_history = secondaryPreferred) answers
# GET /api/trades?limit=50 for 64 users with 25 closed trades each, at 1 -> 64 clients; the
# replicas' and the primary's scan counters show where the reads went. Peers in the same run:
# pgbench running the same query straight on one replica at the same client counts, and the
# aggregate read capacity of the three servers (pgbench on all three at once).
#
#   bench/scenarios/history_reads.sh [duration_s=10] [clients="1 4 16 64"]
set -euo pipefail
cd "$(dirname "$0")/../.."
duration=${1:-10}
clients=${2:-1 4 16 64}
port=${BOTCORE_BENCH_PORT:-19600}
instance=$((port + 1)) primary=$((port + 100))
pgbench=$(ls -d /usr/lib/postgresql/*/bin/pgbench | sort -V | tail -1)
url() { echo "postgresql://botcore:botcore@127.0.0.1:$1/botcore"; }

work=$(mktemp -d /var/tmp/botcore-history-XXXXXX)
chmod 755 "$work"
cleanup() {
  scripts/cluster down --dir "$work/cluster" --destroy >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
export BOTCORE_MARKET_SOURCE=manual BOTCORE_AUTH_PASSWORD_HASH_OPS=1
export BOTCORE_AUTH_PASSWORD_HASH_MEMORY_KIB=8 BOTCORE_TRADING_ORDERS_PER_MINUTE=0
scripts/cluster up --instances 1 --dir "$work/cluster" --base-port "$port" >/dev/null

bench/scenarios/bench_users.py --port "$instance" --users 64 --prefix history --trades 25 \
  --tokens "$work/tokens" --price-port "$instance"

scans() {
  psql -XAtq "$(url "$1")" -c "select coalesce(sum(seq_scan + coalesce(idx_scan, 0)), 0)
    from pg_stat_user_tables where relname = 'trades'"
}
# Backends report their counts when idle, within about ten seconds.
settled_scans() { sleep 11; echo "$(scans "$primary") $(scans $((primary + 1))) $(scans $((primary + 2)))"; }

echo "| clients | history req/s | p50 ms | p95 ms | p99 ms | trade scans primary / replica 1 / replica 2 |"
echo "| ---: | ---: | ---: | ---: | ---: | --- |"
before=$(settled_scans)
for c in $clients; do
  threads=$(( c < 2 ? 1 : 2 ))
  out=$(wrk -t"$threads" -c"$c" -d"${duration}s" -s bench/scenarios/authed_get.lua \
    "http://127.0.0.1:$instance" -- "$work/tokens" "/api/trades?limit=50")
  after=$(settled_scans)
  awk -v c="$c" -v b="$before" -v a="$after" -v out="$out" 'BEGIN {
    n = split(out, lines, "\n")
    for (i = 1; i <= n; i++) {
      split(lines[i], f, " ")
      if (f[1] == "Requests/sec:") rps = f[2]
      if (f[1] == "p50_ms") { p50 = f[2]; p95 = f[4]; p99 = f[6] }
    }
    split(b, x, " "); split(a, y, " ")
    printf "| %d | %.0f | %s | %s | %s | %d / %d / %d |\n", c, rps, p50, p95, p99,
           y[1] - x[1], y[2] - x[2], y[3] - x[3] }'
  before=$after
done

# The same page straight from PostgreSQL: users picked at random, 50 newest trades.
psql -XAtq "$(url "$primary")" -c "create table bench_history_users as
  select row_number() over (order by id) as n, id from users"
sleep 1
cat > "$work/history.sql" <<'SQL'
\set n random(1, 64)
SELECT * FROM trades WHERE user_id = (SELECT id FROM bench_history_users WHERE n = :n)
  ORDER BY id DESC LIMIT 50;
SQL
echo
echo "peer (same run): pgbench, the same query on replica 1"
echo "| clients | queries/s | latency avg ms |"
echo "| ---: | ---: | ---: |"
for c in $clients; do
  out=$("$pgbench" -n -f "$work/history.sql" -c "$c" -j $(( c < 2 ? 1 : 2 )) -T "$duration" \
    "$(url $((primary + 1)))" 2>/dev/null)
  awk -v c="$c" '/^tps/ {tps = $3} /latency average/ {lat = $4} END {printf "| %d | %.0f | %s |\n", c, tps, lat}' <<<"$out"
done
echo
echo "aggregate read capacity: pgbench with 16 clients on each of the three servers at once"
for p in "$primary" $((primary + 1)) $((primary + 2)); do
  "$pgbench" -n -f "$work/history.sql" -c 16 -j 1 -T "$duration" "$(url "$p")" > "$work/agg_$p" 2>/dev/null &
done
wait
awk '/^tps/ {sum += $3; printf "  %s: %.0f queries/s\n", FILENAME, $3} END {printf "  total: %.0f queries/s\n", sum}' "$work"/agg_*
psql -XAtq "$(url "$primary")" -c "drop table bench_history_users"
