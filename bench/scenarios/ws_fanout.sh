#!/usr/bin/env bash
# Peak fan-out: price messages per second delivered by one botcore instance and by a minimal
# Node `ws` broadcast server (bench/peers/ws_broadcast.js) under the same subscription load:
# 20 symbols each ticking once every TICK_MS (spread evenly over the interval by both servers),
# each user subscribed to 2, users stepped up. ts_ms is the tick's time, so latency includes
# the tick's whole fan-out. The load generator runs in its own process on the same machine.
# Usage: bench/scenarios/ws_fanout.sh "500 1000 2000 3000" [DURATION_S] [TICK_MS]
# Prints one line per (server, users): delivered messages/s, latency percentiles, and the
# server's CPU over the measurement window (cores, and µs of CPU per delivered message).
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
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# Runs the load generator against $1 (pid) with the rest as its arguments; reads the server's
# CPU when the generator says it starts measuring and when it stops. Sets cpu_window.
measure() {
    local pid=$1; shift
    "$load" "$@" >/dev/null 2>"$work/load.err" &
    local load_pid=$! cpu0="" t0="" cpu1="" t1=""
    cpu_window=""
    for _ in $(seq 6000); do  # 10 min at most
        if [[ -z "$cpu0" ]] && grep -q "measuring for" "$work/load.err"; then
            cpu0=$(cpu_ticks "$pid"); t0=$(date +%s.%N)
        elif [[ -n "$cpu0" ]] && grep -q "closing" "$work/load.err"; then
            cpu1=$(cpu_ticks "$pid"); t1=$(date +%s.%N)
            break
        fi
        kill -0 "$load_pid" 2>/dev/null || break
        sleep 0.1
    done
    wait "$load_pid" || true
    [[ -n "$cpu1" ]] && cpu_window="$cpu0 $cpu1 $t0 $t1"
}
report() {  # $1 server, $2 users, $3 summary json, $4 cpu window (ticks0 ticks1 t0 t1)
    python3 - "$1" "$2" "$3" "$(getconf CLK_TCK)" $4 <<'PY'
import json, sys
server, users, path, hz = sys.argv[1], int(sys.argv[2]), sys.argv[3], float(sys.argv[4])
s = json.load(open(path))
m = s["measurement"]; lat = m["latency_ms"]; c = s["connections"]
line = {"server": server, "users": users, "subscribed": c["subscribed"],
        "messages_per_s": round(m["messages_per_second"]),
        "p50_ms": lat.get("p50"), "p99_ms": lat.get("p99"), "max_ms": lat.get("max"),
        "disconnects": c["unexpected_disconnect_count"]}
if len(sys.argv) == 9:
    cpu0, cpu1, t0, t1 = (float(x) for x in sys.argv[5:9])
    cores = (cpu1 - cpu0) / hz / (t1 - t0)
    line["server_cores"] = round(cores, 2)
    if m["messages_per_second"] > 0:
        line["cpu_us_per_message"] = round(cores * 1e6 / m["messages_per_second"], 1)
print(json.dumps(line))
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
    measure "${pids[-1]}" --url "http://127.0.0.1:$port" --users "$users" --ramp 2000 \
        --warmup 3 --duration "$duration" --out "$work/botcore-$users.json"
    kill -TERM "${pids[-1]}"; wait "${pids[-1]}" 2>/dev/null || true; unset 'pids[-1]'
    report botcore "$users" "$work/botcore-$users.json" "$cpu_window"

    port=$(free_port)
    node "$root/bench/peers/ws_broadcast.js" --port "$port" --tick-ms "$tick_ms" >/dev/null 2>&1 &
    pids+=($!)
    wait_http "http://127.0.0.1:$port/" || true
    measure "${pids[-1]}" --no-auth --url "http://127.0.0.1:$port" --users "$users" \
        --ramp 2000 --warmup 3 --duration "$duration" --out "$work/node-$users.json"
    kill -TERM "${pids[-1]}"; wait "${pids[-1]}" 2>/dev/null || true; unset 'pids[-1]'
    report node-ws "$users" "$work/node-$users.json" "$cpu_window"
done
