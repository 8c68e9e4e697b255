#!/usr/bin/env bash
# N authenticated WebSocket users on ONE botcore instance, the load generator in a second
# process. Two phases on one server run:
#   idle: the market is quiet (manual prices), N users sign in, then connect and subscribe;
#         server RSS per connection = (RSS with N connected - RSS once signed in) / N.
#   live: 20 symbols tick every TICK_MS (simulator), each user subscribed to 2 symbols; the
#         load generator reports delivered messages/s and tick-to-client latency; the server's
#         CPU is read from /proc over the measurement window.
# Usage: bench/scenarios/ws_users.sh [USERS] [DURATION_S] [TICK_MS]
# Prints one JSON line per phase. Loopback only; every process started here is stopped by PID.
set -euo pipefail
users=${1:-10000}
duration=${2:-30}
tick_ms=${3:-100}
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${BOTCORE_BIN:-$root/build/botcore}
load=${BOTCORE_LOAD_BIN:-$root/build/tools/load/botcore-load}
work=$(mktemp -d /tmp/botcore-ws-bench.XXXXXX)
server_pid=""
cleanup() {
    if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
        kill -TERM "$server_pid"
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT
ulimit -n 20000

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

start_server() {  # $1: market source
    cat >"$work/botcore.toml" <<TOML
[server]
max_connections = 15000
ws_max_per_user = 5
drain_grace_seconds = 0
[auth]
password_hash_ops = 1
password_hash_memory_kib = 8
[market]
source = "$1"
tick_interval_ms = $tick_ms
[log]
access = false
level = "warn"
TOML
    rm -rf "$work/data"
    "$bin" serve --config "$work/botcore.toml" --listen "127.0.0.1:$port" --data-dir "$work/data" \
        >"$work/server.out" 2>"$work/server.err" &
    server_pid=$!
    for _ in $(seq 100); do
        curl -fs "http://127.0.0.1:$port/health" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    echo "server did not start" >&2
    exit 1
}

stop_server() {
    kill -TERM "$server_pid"
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
}

# Phase 1: idle connections, nothing ticking. The baseline is taken once every user has signed
# in (the user and token caches and the store's page cache have grown by then), just as the
# WebSocket ramp starts; connections already open at that moment are subtracted.
start_server manual
"$load" --url "http://127.0.0.1:$port" --users "$users" --ramp 1000 --warmup 2 --duration 5 \
    --email-prefix "idle" --out "$work/idle.json" >"$work/idle.out" 2>&1 &
load_pid=$!
for _ in $(seq 3000); do
    grep -q "users signed in" "$work/idle.out" 2>/dev/null && break
    sleep 0.05
done
before=$(rss_kib "$server_pid")
open_before=$(curl -fs "http://127.0.0.1:$port/health" | python3 -c 'import json,sys; print(json.load(sys.stdin)["capacity"]["ws_connections"])')
for _ in $(seq 600); do
    grep -q '"ws_connections":'"$users" <(curl -fs "http://127.0.0.1:$port/health" 2>/dev/null) && break
    sleep 0.2
done
sleep 2
after=$(rss_kib "$server_pid")
wait "$load_pid" || true
python3 - "$before" "$after" "$users" "$open_before" <<'PY'
import json, sys
before, after, users, open_before = (int(x) for x in sys.argv[1:])
print(json.dumps({"phase": "idle", "users": users, "rss_before_kib": before, "rss_after_kib": after,
                  "connections_at_baseline": open_before,
                  "rss_per_connection_bytes": round((after - before) * 1024 / (users - open_before))}))
PY
stop_server

# Phase 2: live ticks.
start_server simulator
cpu0=$(cpu_ticks "$server_pid")
t0=$(date +%s.%N)
"$load" --url "http://127.0.0.1:$port" --users "$users" --ramp 2000 --symbols-per-user 2 \
    --warmup 5 --duration "$duration" --email-prefix "live" --out "$work/live.json" \
    >"$work/live.out" 2>&1 &
load_pid=$!
# What the capacity model says in the middle of the measurement, every user connected.
for _ in $(seq 600); do
    grep -q "measuring" "$work/live.out" 2>/dev/null && break
    sleep 0.1
done
sleep $((duration / 2))
curl -fs "http://127.0.0.1:$port/api/capacity/current" >"$work/capacity.json" || echo '{}' >"$work/capacity.json"
wait "$load_pid" || true
cpu1=$(cpu_ticks "$server_pid")
t1=$(date +%s.%N)
rss=$(rss_kib "$server_pid")
python3 - "$work/live.json" "$work/capacity.json" "$cpu0" "$cpu1" "$t0" "$t1" "$rss" \
    "$(getconf CLK_TCK)" <<'PY'
import json, sys
summary = json.load(open(sys.argv[1]))
capacity = json.load(open(sys.argv[2]))
cpu0, cpu1, t0, t1, rss, hz = (float(x) for x in sys.argv[3:])
if capacity:
    summary["capacity"] = {
        "users_served": capacity["users_served"],
        "cpu_utilization": round(capacity["resources"]["cpu"]["utilization"], 3),
        "limiting_resource": capacity["limiting_resource"],
        "max_users": capacity["max_users"],
        "max_users_by": capacity["max_users_by"],
    }
summary["phase"] = "live"
summary["server_cpu_percent_of_one_core"] = round(100 * (cpu1 - cpu0) / hz / (t1 - t0), 1)
summary["server_rss_kib"] = int(rss)
print(json.dumps(summary))
PY
stop_server
