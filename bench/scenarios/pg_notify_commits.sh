#!/usr/bin/env bash
# How NOTIFY inside a write transaction limits concurrent commits on PostgreSQL: C pgbench
# clients each commit one-row INSERT transactions, first plain, then with a pg_notify in the
# same transaction (as Bot Core's group commit once announced changed books), then with a row
# in a table shaped like book_changes instead (what it does now). PostgreSQL takes a global
# lock for NOTIFY at commit and holds it until the commit (its WAL flush, and the wait for a
# synchronous replica) is done, so such commits run one at a time. Creates and drops its own
# tables bench_notify and bench_changes.
#
#   bench/scenarios/pg_notify_commits.sh URL DURATION_S CLIENTS...
#
# Prints one line per client count:
# `clients=C plain_tps=T notify_tps=N ratio=N/T changes_tps=L changes_ratio=L/T`.
set -euo pipefail

# shellcheck source=bench/scenarios/pg_client.sh
. "$(dirname "$0")/pg_client.sh"
pg_client_setup pg_notify_commits "$@"

pg_client_scratch pg-notify bench_notify bench_changes

sql -c "drop table if exists bench_notify, bench_changes; create table bench_notify (id bigserial primary key, v text)"
sql -c "create table bench_changes (xid xid8 not null default pg_current_xact_id(), source text not null, users text[] not null, revisions bigint[] not null); create index on bench_changes (xid)"
printf "BEGIN;\nINSERT INTO bench_notify (v) VALUES ('x');\nCOMMIT;\n" > "$work/plain.sql"
printf "BEGIN;\nINSERT INTO bench_notify (v) VALUES ('x');\nSELECT pg_notify('bench_notify', 'x');\nCOMMIT;\n" \
  > "$work/notify.sql"
printf "BEGIN;\nINSERT INTO bench_notify (v) VALUES ('x');\nINSERT INTO bench_changes (users, revisions, source) VALUES ('{u1}', '{1}', 'x');\nCOMMIT;\n" \
  > "$work/changes.sql"
tps() {  # SCRIPT CLIENTS
  local threads=$(( $2 < 2 ? 1 : 2 ))
  "$pgbench" -n -M prepared -c "$2" -j "$threads" -T "$duration" -f "$work/$1.sql" "$url" 2>&1 |
    awk '/^tps/ {printf "%.0f", $3}'
}
for c in "${client_counts[@]}"; do
  plain=$(tps plain "$c")
  notify=$(tps notify "$c")
  changes=$(tps changes "$c")
  ratio() { awk -v a="$1" -v b="$plain" 'BEGIN {printf "%.2f", a / b}'; }
  echo "clients=$c plain_tps=$plain notify_tps=$notify ratio=$(ratio "$notify")" \
    "changes_tps=$changes changes_ratio=$(ratio "$changes")"
done
