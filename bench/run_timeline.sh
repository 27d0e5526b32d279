#!/usr/bin/env bash
# What --timeline costs: iotrace attach with and without --timeline, side by side in one run,
# against untraced, in an order rotated each rep; medians of the reps. See bench/RESULTS.md §7.
#
#   bench/run_timeline.sh [IOTRACE] [--bindir DIR] [--reps N] [--calls N] [--requests N] [--keep]
#
# 1. ns per syscall of a getppid loop (bench/syscall_loop, pinned, SCHED_FIFO) traced by iotrace:
#    a thread that never waits gets only the per-thread tick, so this is the price of the check
#    and the count on every call.
# 2. requests per second of bench/epoll_server under bench/epoll_load (server on CPU 0, client on
#    CPU 1): every loop iteration sends an iteration and a wait record; and the timeline's size
#    per loop iteration. With 50 connections a wait returns many requests; with 1 connection
#    every request is an iteration of its own (3 syscalls), the worst case for --timeline.
# Needs root. Prints a Markdown report on stdout; progress goes to stderr. About 2-3 minutes.
set -u

IOTRACE=build/iotrace
BINDIR=
REPS=5
CALLS=1000000
REQUESTS=100000
KEEP=0
while (($#)); do
  case $1 in
    --iotrace) IOTRACE=$2; shift 2 ;;
    --bindir) BINDIR=$2; shift 2 ;;
    --reps) REPS=$2; shift 2 ;;
    --calls) CALLS=$2; shift 2 ;;
    --requests) REQUESTS=$2; shift 2 ;;
    --keep) KEEP=1; shift ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    -*) echo "run_timeline: error: unknown option '$1'" >&2; exit 64 ;;
    *) IOTRACE=$1; shift ;;
  esac
done
[[ -n $BINDIR ]] || BINDIR=$(dirname "$IOTRACE")/bench
LOOP=$BINDIR/syscall_loop
SERVER=$BINDIR/epoll_server
CLIENT=$BINDIR/epoll_load
((EUID == 0)) || { echo "run_timeline: skipped: needs root" >&2; exit 77; }
command -v jq >/dev/null || { echo "run_timeline: error: needs jq" >&2; exit 2; }
for b in "$IOTRACE" "$LOOP" "$SERVER" "$CLIENT"; do
  [[ -x $b ]] || { echo "run_timeline: error: '$b' missing (build iotrace, bench_syscall_loop, bench_epoll_server, bench_epoll_load)" >&2; exit 2; }
done

WORK=$(mktemp -d /tmp/iotrace-timeline-bench.XXXXXX)
STARTED=()  # pids this script started, killed one by one on exit
cleanup() {
  local p
  for p in "${STARTED[@]}"; do kill -KILL "$p" 2>/dev/null; done
  if ((KEEP)); then echo "run_timeline: raw outputs kept in $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

TCPU=$(($(nproc) - 1))
PIN=(chrt -f 10 taskset -c "$TCPU")
CONFIGS=(none iotrace timeline)

now_us() { echo "${EPOCHREALTIME/./}"; }
wait_for() { # FILE REGEX TIMEOUT_S
  local deadline=$(( $(now_us) + $3 * 1000000 ))
  while (( $(now_us) < deadline )); do
    grep -qE "$2" "$1" 2>/dev/null && return 0
    sleep 0.01
  done
  return 1
}
stop() { # PID: SIGINT, then SIGKILL after 60 s (writing a large timeline takes a while)
  local i
  kill -INT "$1" 2>/dev/null || return 0
  for ((i = 0; i < 1200; i++)); do kill -0 "$1" 2>/dev/null || { wait "$1" 2>/dev/null; return 0; }; sleep 0.05; done
  kill -KILL "$1" 2>/dev/null; wait "$1" 2>/dev/null
}
# paired A B: B against A run by run (same rep, minutes apart), so that a machine whose load
# drifts between reps moves both; prints "median min max" of B - A (diff) or B / A (ratio).
paired() {
  paste "$WORK/$2" "$WORK/$3" | awk -v op="$1" 'NF == 2 {print (op == "diff" ? $2 - $1 : $2 / $1)}' |
    sort -g | awk '{v[NR]=$1} END {if (!NR) {print "NA NA NA"; exit} printf "%.3f %.3f %.3f\n", (NR%2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2), v[1], v[NR]}'
}
median() { sort -g | awk '{v[NR]=$1} END {if (!NR) {print "NA"; exit} print (NR%2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2)}'; }
field() { sed -nE "s/.*[[:space:]]$1=([^[:space:]]+).*/\1/p" "$2" | tail -1; }
label() { case $1 in none) echo "untraced" ;; iotrace) echo "iotrace attach" ;; timeline) echo "iotrace attach --timeline" ;; esac; }

# start_tracer CONFIG PID TAG: sets RPID (empty for none); 1 when iotrace did not attach.
start_tracer() {
  local args=()
  RPID=
  [[ $1 == none ]] && return 0
  [[ $1 == timeline ]] && args=(--timeline "$WORK/$3.timeline.json")
  "$IOTRACE" attach "$2" --json "${args[@]}" >"$WORK/$3.report.json" 2>"$WORK/$3.err" &
  RPID=$!; STARTED+=("$RPID")
  wait_for "$WORK/$3.err" 'attached' 30 || { echo "  iotrace did not attach: $(tail -2 "$WORK/$3.err")" >&2; return 1; }
}

# ---- 1. per-syscall cost ----------------------------------------------------------------------
loop_run() { # CONFIG REP
  local tag="loop-$1-$2" fd
  mkfifo "$WORK/$tag.in"
  "${PIN[@]}" "$LOOP" getppid "$CALLS" <"$WORK/$tag.in" >"$WORK/$tag.out" 2>&1 &
  local tpid=$!; STARTED+=("$tpid")
  exec {fd}>"$WORK/$tag.in"
  wait_for "$WORK/$tag.out" '^ready' 10 || { echo "  syscall_loop did not start" >&2; exec {fd}>&-; return; }
  start_tracer "$1" "$tpid" "$tag" || { [[ -n $RPID ]] && stop "$RPID"; exec {fd}>&-; return; }
  echo go >&$fd
  wait_for "$WORK/$tag.out" '^result' 120
  [[ -n $RPID ]] && stop "$RPID"
  exec {fd}>&-; wait "$tpid" 2>/dev/null
  field ns_per_call "$WORK/$tag.out" >>"$WORK/loop.$1"
  printf '  getppid %-9s rep %d: %s ns/call\n' "$1" "$2" "$(field ns_per_call "$WORK/$tag.out")" >&2
}

# ---- 2. epoll server throughput ---------------------------------------------------------------
server_run() { # CONFIG REP PORT SPID CONNECTIONS REQUESTS
  local tag="epoll$5-$1-$2" rps
  start_tracer "$1" "$4" "$tag" || { [[ -n $RPID ]] && stop "$RPID"; return; }
  taskset -c 1 "$CLIENT" --port "$3" -c "$5" -n "$6" >"$WORK/$tag.load" 2>&1
  rps=$(sed -n 's/.* rps=\([0-9.]*\).*/\1/p' "$WORK/$tag.load")
  [[ -n $RPID ]] && stop "$RPID"
  echo "$rps" >>"$WORK/epoll$5.$1.rps"
  if [[ $1 == timeline ]]; then
    local f="$WORK/$tag.timeline.json" iters bytes
    bytes=$(stat -c %s "$f")
    iters=$(jq '[.traceEvents[] | select(.cat == "iteration" or .cat == "loop stall")] | length' "$f")
    jq -r --arg b "$bytes" --arg i "$iters" '"\($i) \($b) \(.otherData["events written"]) \(.otherData["events lost"]) \(.otherData["events over limit"])"' "$f" >>"$WORK/epoll$5.files"
    rm -f "$f"
  fi
  printf '  epoll -c %-2d %-9s rep %d: %s req/s\n' "$5" "$1" "$2" "$rps" >&2
}

T0=$(now_us)
echo "# Timeline recording (--timeline)"
echo
echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'); kernel $(uname -r); $(nproc) CPUs; load average at start $(cut -d' ' -f1-3 /proc/loadavg)"
echo "- $REPS reps; configurations in an order rotated each rep: ${CONFIGS[*]}"
echo
for ((rep = 1; rep <= REPS; rep++)); do
  for ((i = 0; i < ${#CONFIGS[@]}; i++)); do loop_run "${CONFIGS[(i + rep - 1) % ${#CONFIGS[@]}]}" "$rep"; done
done
taskset -c 0 "$SERVER" >"$WORK/server.out" 2>&1 &
SPID=$!; STARTED+=("$SPID")
wait_for "$WORK/server.out" '^ready port=' 10 || { echo "run_timeline: error: epoll_server did not start" >&2; exit 1; }
PORT=$(sed -n 's/^ready port=\([0-9]*\).*/\1/p' "$WORK/server.out")
taskset -c 1 "$CLIENT" --port "$PORT" -c 50 -n "$((REQUESTS / 4))" >/dev/null 2>&1  # warm-up
ONE_REQUESTS=$((REQUESTS / 4))  # one connection is slower: keep each run a few seconds
for ((rep = 1; rep <= REPS; rep++)); do
  for ((i = 0; i < ${#CONFIGS[@]}; i++)); do
    server_run "${CONFIGS[(i + rep - 1) % ${#CONFIGS[@]}]}" "$rep" "$PORT" "$SPID" 50 "$REQUESTS"
    server_run "${CONFIGS[(i + rep - 1) % ${#CONFIGS[@]}]}" "$rep" "$PORT" "$SPID" 1 "$ONE_REQUESTS"
  done
done
kill -INT "$SPID"; wait "$SPID" 2>/dev/null

echo "## 1. getppid loop: ns per call ($CALLS calls per run, \`${PIN[*]}\`)"
echo
echo "| configuration | ns/call (median) | runs | added vs untraced |"
echo "|---|---:|---|---:|"
base=$(median <"$WORK/loop.none")
for c in "${CONFIGS[@]}"; do
  awk -v l="$(label "$c")" -v m="$(median <"$WORK/loop.$c")" -v b="$base" -v r="$(paste -sd' ' "$WORK/loop.$c")" \
    'BEGIN {printf "| %s | %.1f | %s | %+.1f |\n", l, m, r, m - b}'
done
read -r pm plo phi < <(paired diff loop.iotrace loop.timeline)
echo
echo "--timeline against iotrace without it, paired per rep: median $pm ns/call (min $plo, max $phi)"
echo
for conns in 50 1; do
  n=$REQUESTS; ((conns == 1)) && n=$ONE_REQUESTS
  echo "## 2. epoll_server, $conns connection(s): requests per second ($n requests per run)"
  echo
  echo "| configuration | req/s (median) | runs | ratio vs untraced |"
  echo "|---|---:|---|---:|"
  base=$(median <"$WORK/epoll$conns.none.rps")
  for c in "${CONFIGS[@]}"; do
    awk -v l="$(label "$c")" -v m="$(median <"$WORK/epoll$conns.$c.rps")" -v b="$base" -v r="$(paste -sd' ' "$WORK/epoll$conns.$c.rps")" \
      'BEGIN {printf "| %s | %.0f | %s | %.3f |\n", l, m, r, m / b}'
  done
  read -r pm plo phi < <(paired ratio "epoll$conns.iotrace.rps" "epoll$conns.timeline.rps")
  echo
  echo "--timeline against iotrace without it, paired per rep: req/s ratio median $pm (min $plo, max $phi)"
  echo
  echo "Timeline files of the --timeline runs:"
  echo
  echo "| loop iterations | bytes | bytes per iteration | events written | records lost | events over limit |"
  echo "|---:|---:|---:|---:|---:|---:|"
  awk '{printf "| %d | %d | %.0f | %d | %d | %d |\n", $1, $2, $1 ? $2 / $1 : 0, $3, $4, $5}' "$WORK/epoll$conns.files"
  echo
done
echo "- wall time $(( ($(now_us) - T0) / 1000000 )) s; load average at end $(cut -d' ' -f1-3 /proc/loadavg)"
