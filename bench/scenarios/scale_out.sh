#!/usr/bin/env bash
# Scale-out efficiency: 1, 2 and 4 instances behind HAProxy on one PostgreSQL (primary + 2
# streaming replicas, synchronous commit to one) and Redis, each instance capped at a quarter
# of a core by a cgroup v1 CPU quota (cpu.cfs_quota_us 25000 of cpu.cfs_period_us 100000).
# Efficiency = throughput(N) / (N x throughput(1)). Two workloads, each through HAProxy:
#   symbols GET /api/market/symbols (bench/scenarios/authed_get.lua): authenticated, no
#           database work (the instances' own work)
#   orders  durable market orders (bench/scenarios/orders.lua): every tier, PostgreSQL included
# Both spread requests over 64 users on 64 connections; HAProxy keeps each user on the instance
# that served the user's first request (least connections then). Users arrive one by one before
# the load starts, as they would over time, so that choice spreads them evenly.
# BOTCORE_BENCH_SCALE_LOAD=1 grows the load with the cluster instead: 64 users and 64
# connections per instance, so each instance serves the concurrency the single one did (a
# server does less per request at low concurrency: fewer requests per wakeup).
# HAProxy, wrk and PostgreSQL are not capped. Needs root (cgroups) and a built build/botcore.
#
#   bench/scenarios/scale_out.sh [duration=10s] [repeats=3] [instance counts="1 2 4"]
#
# Prints one line per run and a table of medians.
set -euo pipefail
cd "$(dirname "$0")/../.."
duration=${1:-10s}
repeats=${2:-3}
sizes=${3:-1 2 4}
quota_us=${BOTCORE_BENCH_QUOTA_US:-25000}
port=${BOTCORE_BENCH_PORT:-19400}
cgroot=/sys/fs/cgroup/cpu
[ -w "$cgroot" ] || { echo "scale_out: $cgroot is not writable (cgroup v1 cpu controller, root)" >&2; exit 1; }
command -v wrk >/dev/null || { echo "scale_out: wrk is not installed (./scripts/deps)" >&2; exit 1; }

work=$(mktemp -d /var/tmp/botcore-scale-XXXXXX)
chmod 755 "$work"
cleanup() {
  scripts/cluster down --dir "$work/cluster" --destroy >/dev/null 2>&1 || true
  for group in "$cgroot"/botcore-bench-*; do
    [ -d "$group" ] && rmdir "$group" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT

export BOTCORE_MARKET_SOURCE=manual
export BOTCORE_AUTH_PASSWORD_HASH_OPS=1
export BOTCORE_AUTH_PASSWORD_HASH_MEMORY_KIB=8
export BOTCORE_TRADING_ORDERS_PER_MINUTE=0

# Median of the numbers on stdin.
median() { sort -n | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2}'; }

rps_of() { awk '/^Requests\/sec/ {print $2}'; }

# "busy_jiffies total_jiffies" of the whole machine.
cpu_now() { awk '$1 == "cpu" {busy = $2 + $3 + $4 + $7 + $8; print busy, busy + $5 + $6}' /proc/stat; }
# "throttled periods" summed over the instances' groups.
throttled_now() { cat "$cgroot"/botcore-bench-*/cpu.stat | awk '$1 == "nr_periods" {p += $2} $1 == "nr_throttled" {t += $2} END {print t, p}'; }
# Runs a command and prints, after its output, the machine's busy % and the instances'
# throttled % over the run.
measured() {
  local c0 c1 t0 t1
  c0=$(cpu_now); t0=$(throttled_now)
  "$@"
  c1=$(cpu_now); t1=$(throttled_now)
  awk -v a="$c0" -v b="$c1" -v x="$t0" -v y="$t1" 'BEGIN {
    split(a, p); split(b, q); split(x, r); split(y, s)
    printf "busy %.0f throttled %.0f\n", 100 * (q[1] - p[1]) / (q[2] - p[2]),
           (s[2] - r[2]) ? 100 * (s[1] - r[1]) / (s[2] - r[2]) : 0 }'
}

declare -A me orders
for n in $sizes; do
  load=64
  [ -z "${BOTCORE_BENCH_SCALE_LOAD:-}" ] || load=$((64 * n))
  scripts/cluster up --instances "$n" --dir "$work/cluster" --base-port "$port" >/dev/null
  for i in $(seq "$n"); do
    group=$cgroot/botcore-bench-$i
    mkdir -p "$group"
    echo 100000 > "$group/cpu.cfs_period_us"
    echo "$quota_us" > "$group/cpu.cfs_quota_us"
    echo "$(cat "$work/cluster/instance_$i/pid")" > "$group/cgroup.procs"
  done
  price_ports=()
  for i in $(seq "$n"); do price_ports+=(--price-port $((port + i))); done
  bench/scenarios/bench_users.py --port "$port" --users "$load" --prefix scale --visit \
    --tokens "$work/tokens" "${price_ports[@]}"
  for r in $(seq "$repeats"); do
    out=$(measured wrk -t2 -c"$load" -d"$duration" -s bench/scenarios/authed_get.lua \
      "http://127.0.0.1:$port" -- "$work/tokens" /api/market/symbols)
    a=$(rps_of <<<"$out")
    a_load=$(tail -1 <<<"$out")
    out=$(measured wrk -t2 -c"$load" -d"$duration" -s bench/scenarios/orders.lua \
      "http://127.0.0.1:$port" -- "$work/tokens")
    b=$(rps_of <<<"$out")
    b_load=$(tail -1 <<<"$out")
    echo "instances=$n connections=$load run=$r symbols=$a ($a_load) orders=$b ($b_load)" >&2
    me[$n]+="$a "
    orders[$n]+="$b "
  done
  scripts/cluster down --dir "$work/cluster" --destroy >/dev/null
  for i in $(seq "$n"); do rmdir "$cgroot/botcore-bench-$i" 2>/dev/null || true; done
done

first=${sizes%% *}
me1=$(tr ' ' '\n' <<<"${me[$first]}" | grep . | median)
or1=$(tr ' ' '\n' <<<"${orders[$first]}" | grep . | median)
echo "| instances (each ${quota_us} us per 100 ms) | GET /api/market/symbols req/s | efficiency | market orders/s | efficiency |"
echo "| ---: | ---: | ---: | ---: | ---: |"
for n in $sizes; do
  a=$(tr ' ' '\n' <<<"${me[$n]}" | grep . | median)
  b=$(tr ' ' '\n' <<<"${orders[$n]}" | grep . | median)
  awk -v n="$n" -v a="$a" -v b="$b" -v a1="$me1" -v b1="$or1" -v f="$first" \
    'BEGIN {printf "| %d | %.0f | %.2f | %.0f | %.2f |\n", n, a, a / (n / f * a1), b, b / (n / f * b1)}'
done
