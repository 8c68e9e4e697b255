# shellcheck shell=bash
# Sourced by the order benchmarks: prints the part of botcore.toml they share. Prices are set
# by the benchmark (manual market), passwords hash fast (users are registered in bulk), no
# access log (one line per request would measure the log sink) and no order rate limit (each
# benchmark user places thousands of orders a minute).
orders_config() {
  cat <<'CONF'
[log]
access = false
[market]
source = "manual"
[auth]
password_hash_ops = 1
password_hash_memory_kib = 8
[trading]
orders_per_minute = 0
CONF
}
