#!/bin/bash
# What `iotrace top` costs: its own CPU per refresh while it watches the whole host, and what
# its host-wide hooks add to every syscall of every process (measured on a getppid loop that
# top does not single out). Medians of REPS runs, side by side in one run of this script.
#
#   sudo bench/top_cost.sh build/iotrace [--reps N] [--refreshes N] [--calls N] [--loop-watch]
#
# --loop-watch measures `iotrace top --loop-watch` (the waits and context switches only).
#
# Report (Markdown) on stdout, progress on stderr. Needs root and /usr/bin/time.
set -euo pipefail

iotrace=${1:?usage: top_cost.sh IOTRACE [--reps N] [--refreshes N] [--calls N]}
shift
bindir=$(dirname "$iotrace")/bench
reps=3 refreshes=10 calls=5000000
extra=()
while [ $# -gt 0 ]; do
  case $1 in
    --reps) reps=$2; shift 2 ;;
    --refreshes) refreshes=$2; shift 2 ;;
    --calls) calls=$2; shift 2 ;;
    --loop-watch) extra+=(--loop-watch); shift ;;
    *) echo "top_cost.sh: error: unknown option '$1'" >&2; exit 2 ;;
  esac
done
loop=$bindir/syscall_loop
[ -x "$loop" ] || { echo "top_cost.sh: error: $loop not found: build the bench programs" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "top_cost.sh: error: needs root (BPF)" >&2; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

# ns per getppid call of one loop run (the loop times itself), SCHED_FIFO on CPU 1 when
# possible, as run_overhead.sh does, so other load on a shared machine matters less.
rt=()
if command -v chrt >/dev/null && command -v taskset >/dev/null && [ "$(nproc)" -gt 1 ]; then
  rt=(chrt -f 10 taskset -c 1)
fi
loop_ns() {
  "${rt[@]}" "$loop" getppid "$calls" --no-wait </dev/null |
    sed -n 's/.* ns_per_call=\([0-9.]*\).*/\1/p'
}

# iotrace top's CPU seconds (user + system) for a batch run of N refreshes of 1 s.
top_cpu() {
  /usr/bin/time -f '%U %S %M' -o "$tmp/time" "$iotrace" top -b -n "$1" -i 1s "${extra[@]}" >"$tmp/top.out"
  awk '{printf "%.3f %d\n", $1 + $2, $3}' "$tmp/time"
}

for ((r = 1; r <= reps; r++)); do
  base=$(loop_ns); echo "rep $r: untraced getppid ${base} ns/call" >&2
  echo "$base" >>"$tmp/base"
  "$iotrace" top -b -n 1000 -i 1s "${extra[@]}" >/dev/null 2>&1 &
  top_pid=$!
  sleep 1.5  # attached and past the first refresh
  under=$(loop_ns); echo "rep $r: under iotrace top ${under} ns/call" >&2
  echo "$under" >>"$tmp/under"
  kill -INT "$top_pid"; wait "$top_pid" || true
  start=$(top_cpu 1); echo "rep $r: top -n 1: $start (cpu s, max RSS KiB)" >&2
  echo "${start%% *}" >>"$tmp/start"
  run=$(top_cpu "$refreshes"); echo "rep $r: top -n $refreshes: $run" >&2
  echo "${run%% *}" >>"$tmp/run"; echo "${run##* }" >>"$tmp/rss"
  grep -c . "$tmp/top.out" >>"$tmp/lines"
done

b=$(median <"$tmp/base"); u=$(median <"$tmp/under")
s=$(median <"$tmp/start"); t=$(median <"$tmp/run"); rss=$(median <"$tmp/rss")
per=$(awk -v s="$s" -v t="$t" -v n="$refreshes" 'BEGIN {printf "%.1f", (t - s) * 1000 / (n - 1)}')
cat <<REPORT
## iotrace top${extra[*]:+ ${extra[*]}}: cost (median of $reps, $(date -u +%F), $(uname -r), $(nproc) CPUs${rt:+, loop run as ${rt[*]}})

| what | value |
|---|---|
| getppid untraced | ${b} ns/call |
| getppid while \`iotrace top${extra[*]:+ ${extra[*]}}\` watches the host | ${u} ns/call (+$(awk -v a="$u" -v b="$b" 'BEGIN {printf "%.0f", a - b}') ns) |
| \`iotrace top -b -n 1\` (load, attach, one refresh) | ${s} s CPU |
| \`iotrace top -b -n $refreshes\` | ${t} s CPU, max RSS ${rss} KiB |
| CPU per refresh (1 s interval) | ${per} ms |
REPORT
