#!/usr/bin/env bash
# Peak fan-out: price messages per second delivered by one botcore instance and by a minimal
# Node `ws` broadcast server (bench/peers/ws_broadcast.js) under the same subscription load:
# 20 symbols each ticking once every TICK_MS (spread evenly over the interval by both servers),
# each user subscribed to 2, users stepped up. ts_ms is the tick's time, so latency includes
# the tick's whole fan-out. The load generator runs in its own process on the same machine.
# Usage: bench/scenarios/ws_fanout.sh "500 1000 2000 3000" [DURATION_S] [TICK_MS]
# Prints one line per (server, users): delivered messages/s and latency percentiles.
set -euo pipefail
steps=${1:-"500 1000 2000 3000"}
duration=${2:-10}
tick_ms=${3:-100}
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${BOTCORE_BIN:-$root/build/botcore}
load=${BOTCORE_LOAD_BIN:-$root/build/tools/load/botcore-load}
work=$(mktemp -d /tmp/botcore-fanout.XXXXXX)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$work"
}
trap cleanup EXIT
ulimit -n 20000
if [[ ! -d "$root/bench/peers/node_modules/ws" ]]; then
    npm install --silent --prefix "$root/bench/peers" >/dev/null
fi
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_http() {
    for _ in $(seq 100); do
        curl -s -o /dev/null "$1" && return 0
        sleep 0.1
    done
    return 1
}
report() {  # $1 server, $2 users, $3 summary json
    python3 - "$1" "$2" "$3" <<'PY'
import json, sys
server, users, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
s = json.load(open(path))
m = s["measurement"]; lat = m["latency_ms"]; c = s["connections"]
print(json.dumps({"server": server, "users": users, "subscribed": c["subscribed"],
                  "messages_per_s": round(m["messages_per_second"]),
                  "p50_ms": lat.get("p50"), "p99_ms": lat.get("p99"), "max_ms": lat.get("max"),
                  "disconnects": c["unexpected_disconnect_count"]}))
PY
}

cat >"$work/botcore.toml" <<TOML
[server]
max_connections = 15000
drain_grace_seconds = 0
[auth]
password_hash_ops = 1
password_hash_memory_kib = 8
[market]
tick_interval_ms = $tick_ms
[log]
access = false
level = "warn"
TOML

for users in $steps; do
    port=$(free_port)
    "$bin" serve --config "$work/botcore.toml" --listen "127.0.0.1:$port" \
        --data-dir "$work/data-$users" >/dev/null 2>"$work/botcore.err" &
    pids+=($!)
    wait_http "http://127.0.0.1:$port/health"
    "$load" --url "http://127.0.0.1:$port" --users "$users" --ramp 2000 --warmup 3 \
        --duration "$duration" --out "$work/botcore-$users.json" >/dev/null 2>&1 || true
    kill -TERM "${pids[-1]}"; wait "${pids[-1]}" 2>/dev/null || true; unset 'pids[-1]'
    report botcore "$users" "$work/botcore-$users.json"

    port=$(free_port)
    node "$root/bench/peers/ws_broadcast.js" --port "$port" --tick-ms "$tick_ms" >/dev/null 2>&1 &
    pids+=($!)
    wait_http "http://127.0.0.1:$port/" || true
    "$load" --no-auth --url "http://127.0.0.1:$port" --users "$users" --ramp 2000 --warmup 3 \
        --duration "$duration" --out "$work/node-$users.json" >/dev/null 2>&1 || true
    kill -TERM "${pids[-1]}"; wait "${pids[-1]}" 2>/dev/null || true; unset 'pids[-1]'
    report node-ws "$users" "$work/node-$users.json"
done
