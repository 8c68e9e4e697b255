#!/usr/bin/env bash
# HTTP throughput of Bot Core against nginx on this machine, in one run:
#   nginx `return 200`, botcore GET /health, botcore authenticated GET /api/auth/me.
# Each target gets `wrk` with keep-alive for DURATION, ROUNDS times, interleaved; the
# medians are printed as a Markdown table. Everything runs on 127.0.0.1 and is stopped by PID.
#
#   bench/scenarios/http_wrk.sh [DURATION=120s] [ROUNDS=3] [CONNECTIONS=64] [WRK_THREADS=2]
set -euo pipefail
cd "$(dirname "$0")/../.."

duration=${1:-120s}
rounds=${2:-3}
connections=${3:-64}
wrk_threads=${4:-2}
bin=${BOTCORE_BIN:-build/botcore}
work=$(mktemp -d /tmp/botcore-wrk-XXXXXX)
nginx_port=18481
botcore_port=18482
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# nginx with the same number of workers as botcore has network threads (one per core).
mkdir -p "$work/nginx"
cat > "$work/nginx/nginx.conf" <<CONF
worker_processes $(nproc);
daemon off;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $work/nginx;
  proxy_temp_path $work/nginx;
  fastcgi_temp_path $work/nginx;
  uwsgi_temp_path $work/nginx;
  scgi_temp_path $work/nginx;
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:$nginx_port;
    location / { default_type application/json; return 200 '{"status":"ok"}'; }
  }
}
CONF
nginx -c "$work/nginx/nginx.conf" -p "$work/nginx" &
pids+=($!)

# Botcore as an operator would run it, but with access logs off: one log line per request
# would measure the terminal, not the server.
cat > "$work/botcore.toml" <<CONF
[log]
access = false
CONF
"$bin" serve --config "$work/botcore.toml" --listen "127.0.0.1:$botcore_port" --data-dir "$work/data" \
  > "$work/botcore.out" 2> "$work/botcore.err" &
pids+=($!)
for _ in $(seq 50); do
  grep -q listening "$work/botcore.out" 2>/dev/null && curl -sf "http://127.0.0.1:$nginx_port/" >/dev/null && break
  sleep 0.1
done

base="http://127.0.0.1:$botcore_port"
curl -sf -X POST "$base/api/auth/register" -d '{"email":"bench@example.com","password":"benchmark password"}' >/dev/null
token=$(curl -sf -X POST "$base/api/auth/login" -d '{"email":"bench@example.com","password":"benchmark password"}' |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')

# wrk prints latency percentiles with --latency; we keep req/s, p50 and p99.
run_wrk() {  # name url [header]
  local name=$1 url=$2 header=${3:-}
  local out
  if [ -n "$header" ]; then
    out=$(wrk -t"$wrk_threads" -c"$connections" -d"$duration" --latency -H "$header" "$url")
  else
    out=$(wrk -t"$wrk_threads" -c"$connections" -d"$duration" --latency "$url")
  fi
  local rps p50 p99 errors
  rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1=="50%" {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  errors=$(awk '/Non-2xx|Socket errors/ {print}' <<<"$out" | tr '\n' ' ')
  echo "$name $rps $p50 $p99 ${errors:-none}" | tee -a "$work/results"
}

for round in $(seq "$rounds"); do
  echo "round $round/$rounds" >&2
  run_wrk nginx "http://127.0.0.1:$nginx_port/"
  run_wrk health "$base/health"
  run_wrk me "$base/api/auth/me" "Authorization: Bearer $token"
done

python3 - "$work/results" <<'PY'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    name, rps, p50, p99, *errors = line.split()
    rows.setdefault(name, []).append((float(rps), p50, p99, " ".join(errors)))
def ms(text):
    for unit, factor in (("us", 0.001), ("ms", 1.0), ("s", 1000.0)):
        if text.endswith(unit):
            return float(text[: -len(unit)]) * factor
    return float(text)
nginx = statistics.median(r[0] for r in rows["nginx"])
print("| target | req/s (median) | runs | p50 ms | p99 ms | vs nginx | errors |")
print("| --- | ---: | --- | ---: | ---: | ---: | --- |")
for name in ("nginx", "health", "me"):
    runs = rows[name]
    rps = statistics.median(r[0] for r in runs)
    p50 = statistics.median(ms(r[1]) for r in runs)
    p99 = statistics.median(ms(r[2]) for r in runs)
    print(f"| {name} | {rps:,.0f} | {', '.join(f'{r[0]:,.0f}' for r in runs)} | {p50:.2f} | {p99:.2f} | {rps / nginx:.2f} | {runs[0][3]} |")
PY
