# shellcheck shell=bash
# PID files of the processes a script started under its folder, sourced by scripts/cluster and
# scripts/patroni. Both expect $dir, the folder whose paths the processes' command lines name.

# Whether the process in PID file $1 runs and is one started here (its command line names a
# file in $dir): after a crash or a reboot the PID may be another program's.
alive() {
  local pid state
  [ -f "$1" ] || return 1
  pid=$(cat "$1")
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  state=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) || return 1
  [ -n "$state" ] && [ "$state" != Z ] || return 1
  tr '\0' ' ' 2>/dev/null < "/proc/$pid/cmdline" | grep -qF -- "${dir:?}/"
}

# Stops the process whose PID is in file $1: TERM, then KILL after $2 seconds.
stop_pid() {
  local file=$1 grace=$2 pid
  alive "$file" || { rm -f "$file"; return 0; }
  pid=$(cat "$file")
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq $((grace * 10))); do
    kill -0 "$pid" 2>/dev/null || { rm -f "$file"; return 0; }
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$file"
}
