#!/usr/bin/env bash
# The exporter left running host-wide with its defaults (loop watch on) under process churn,
# for MINUTES: does its memory stay flat, does it count every rare stall, are losses counted?
#
#   bench/run_soak.sh [--iotrace PATH] [--wl DIR] [--minutes M] [--stall-every S] [--sample S]
#
# What runs beside the exporter:
# - a loop that stalls 200 ms once every S seconds (tests/workloads/wl_top_loop rare S; it
#   announces each stall once it ended) and its offloaded twin (the same sleeps on a worker);
# - churn, all the time: every 3 s a short-lived loop that stalls every 80 ms (10-30 s of life)
#   and a process that creates and joins 200 threads; every second 20 short processes (exec).
# Every SAMPLE seconds one row: exporter RSS and CPU, the stalling loop's counters beside the
# stalls it announced, losses, series. The verdict: every stall announced at least one publish
# (15 s) before the last scrape is counted, as a stall and as a blocking call in rare_stall(),
# and no blocking call the loop did not make; the twin has no blocking call on its loop. (A
# loop that waited for a CPU past the threshold stalled too: on 2 CPUs under this churn the
# twin and the stalling loop may have such stalls, which are counted and reported, not failed.)
#
# Needs root and curl. Markdown report on stdout (the RSS curve is its table); progress on stderr.
set -u
IOTRACE=build/iotrace
WL=
MINUTES=60
STALL_EVERY=37
SAMPLE=60
while (($#)); do
  case $1 in
    --iotrace) IOTRACE=$2; shift 2 ;;
    --wl) WL=$2; shift 2 ;;
    --minutes) MINUTES=$2; shift 2 ;;
    --stall-every) STALL_EVERY=$2; shift 2 ;;
    --sample) SAMPLE=$2; shift 2 ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "run_soak: error: unknown argument '$1'" >&2; exit 64 ;;
  esac
done
[[ -n $WL ]] || WL=$(dirname "$IOTRACE")/tests/workloads
for v in MINUTES STALL_EVERY SAMPLE; do
  [[ ${!v} =~ ^[1-9][0-9]*$ ]] || { echo "run_soak: error: $v must be a positive integer, not '${!v}'" >&2; exit 64; }
done
((EUID == 0)) || { echo "run_soak: error: needs root (BPF)" >&2; exit 77; }
command -v curl >/dev/null || { echo "run_soak: error: needs curl" >&2; exit 2; }
[[ -x $IOTRACE ]] || { echo "run_soak: error: no iotrace binary at '$IOTRACE'" >&2; exit 2; }
for w in wl_top_loop wl_churn; do
  [[ -x $WL/$w ]] || { echo "run_soak: error: no $w in '$WL' (build the tests)" >&2; exit 2; }
done

WORK=$(mktemp -d /tmp/iotrace-soak.XXXXXX)
STARTED=()
cleanup() {
  local p
  for p in "${STARTED[@]}"; do kill -KILL "$p" 2>/dev/null; done
  [[ -n ${CHURN:-} ]] && kill -KILL -- "-$CHURN" 2>/dev/null
  pkill -KILL -P $$ 2>/dev/null
  echo "run_soak: raw outputs kept in $WORK" >&2
}
trap cleanup EXIT
trap 'exit 130' INT TERM
progress() { echo "$*" >&2; }
now() { echo "${EPOCHREALTIME}"; }

# The stalling loop and its twin: their stdin is a fifo held open here; stdout lines are
# timestamped as they come.
start_loop() { # NAME ARGS...
  local name=$1; shift
  mkfifo "$WORK/$name.in"
  "$WL/wl_top_loop" "$@" <"$WORK/$name.in" | while IFS= read -r line; do echo "$(now) $line"; done >"$WORK/$name.out" &
  STARTED+=($!)
  exec {fd}>"$WORK/$name.in"
  eval "${name}_fd=$fd"
  until grep -q ' ready ' "$WORK/$name.out" 2>/dev/null; do sleep 0.05; done
  echo go >&"$fd"
  LOOP_PID=$(sed -n 's/.* ready \([0-9]*\).*/\1/p' "$WORK/$name.out")
}
# (not in $(...): the fifo's writer must stay open in this shell)
start_loop stalling rare "$STALL_EVERY"; loop_pid=$LOOP_PID
start_loop twin offload rare "$STALL_EVERY"; twin_pid=$LOOP_PID
progress "stalling loop pid $loop_pid, offloaded twin pid $twin_pid; a 200 ms stall every $STALL_EVERY s"

# a random port, and another one when something took it (the loops' own ephemeral ports)
for ((try = 0; ; try++)); do
  port=$((20000 + RANDOM % 20000))
  "$IOTRACE" exporter --listen "127.0.0.1:$port" >"$WORK/exporter.out" 2>"$WORK/exporter.err" &
  EPID=$!
  until grep -q 'serving' "$WORK/exporter.err" || ! kill -0 "$EPID" 2>/dev/null; do sleep 0.05; done
  grep -q 'serving' "$WORK/exporter.err" && break
  wait "$EPID"
  grep -q 'Address already in use' "$WORK/exporter.err" && ((try < 5)) && continue
  cat "$WORK/exporter.err" >&2
  exit 1
done
STARTED+=("$EPID")
T0=$(now)
progress "exporter pid $EPID on 127.0.0.1:$port (defaults: --duty 5s/60s, loop watch on)"

# churn, until the end
churn() {
  local i=0
  while :; do
    if ((i % 3 == 0)); then
      (echo go; sleep $((10 + RANDOM % 21))) | "$WL/wl_top_loop" >/dev/null 2>&1 &
      echo go | "$WL/wl_churn" 200 >/dev/null 2>&1 &
    fi
    for ((k = 0; k < 20; k++)); do /bin/true; done
    i=$((i + 1))
    sleep 1
  done
}
# in a process group of its own, so that its short-lived children go with it
export -f churn
export WL
setsid bash -c churn &
CHURN=$!

metric() { # FILE NAME SELECTOR: sum of the series of NAME whose labels contain SELECTOR
  awk -v n="$2" -v s="$3" 'index($0, n "{") == 1 && (s == "" || index($0, s)) {v += $NF} $1 == n && s == "" {v += $2} END {printf "%.4g\n", v + 0}' "$1"
}
announced_before() { # FILE T: stalls announced before time T
  awk -v t="$2" '$2 == "stall" && $1 < t {n++} END {print n + 0}' "$1"
}
echo "# iotrace exporter soak: host-wide, defaults, process churn"
echo
echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'); kernel $(uname -r); $(nproc) CPUs; $MINUTES min; iotrace $($IOTRACE --version 2>/dev/null | head -1)"
echo "- stalling loop: a 200 ms sleep on the loop every $STALL_EVERY s; churn: a stalling loop and a 200-thread process every 3 s, 20 execs a second"
echo
echo "| min | RSS MiB | CPU s | windows | processes | loop watch | stalls counted | announced | stall s | blocking calls (frame rare_stall) | twin stalls | lost events | processes started |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
hz=$(getconf CLK_TCK)
end=$(awk -v t="$T0" -v m="$MINUTES" 'BEGIN {printf "%.0f", t + m * 60}')
forks() { awk '$1 == "processes" {print $2}' /proc/stat; }
pid0=$(forks)
rss_min=999999; rss_max=0
while :; do
  sleep "$SAMPLE"
  kill -0 "$EPID" 2>/dev/null || { echo; echo "**the exporter exited: $(tail -3 "$WORK/exporter.err" | tr '\n' ' ')**"; exit 1; }
  t=$(now)
  curl -s -m 10 "http://127.0.0.1:$port/metrics" >"$WORK/m"
  rss=$(awk '/^VmRSS:/ {printf "%.1f", $2 / 1024}' "/proc/$EPID/status")
  cpu=$(awk -v hz="$hz" '{sub(/^.*\) /, ""); printf "%.1f", ($12 + $13) / hz}' "/proc/$EPID/stat")
  sel="pid=\"$loop_pid\""
  stalls=$(metric "$WORK/m" iotrace_loop_stalls_total "$sel")
  stall_s=$(metric "$WORK/m" iotrace_loop_stall_seconds_total "$sel")
  calls=$(awk -v s="$sel" 'index($0, "iotrace_loop_blocking_calls_total{") == 1 && index($0, s) && index($0, "frame=\"rare_stall\"") {v += $NF} END {print v + 0}' "$WORK/m")
  twin=$(metric "$WORK/m" iotrace_loop_stalls_total "pid=\"$twin_pid\"")
  lost=$(metric "$WORK/m" iotrace_exporter_lost_events_total "")
  procs=$(metric "$WORK/m" iotrace_exporter_processes "")
  windows=$(metric "$WORK/m" iotrace_exporter_windows_total "")
  watch=$(metric "$WORK/m" iotrace_exporter_loop_watch "")
  ann=$(announced_before "$WORK/stalling.out" 9e99)
  churned=$(( $(forks) - pid0 ))
  min=$(awk -v a="$t" -v b="$T0" 'BEGIN {printf "%.0f", (a - b) / 60}')
  echo "| $min | $rss | $cpu | $windows | $procs | $watch | $stalls | $ann | $stall_s | $calls | $twin | $lost | $churned |"
  progress "min $min: RSS $rss MiB, CPU $cpu s, stalls $stalls of $ann announced, lost $lost"
  awk -v r="$rss" -v a="$rss_min" 'BEGIN {exit !(r < a)}' && rss_min=$rss
  awk -v r="$rss" -v a="$rss_max" 'BEGIN {exit !(r > a)}' && rss_max=$rss
  awk -v t="$t" -v e="$end" 'BEGIN {exit !(t >= e)}' && break
done
cp "$WORK/m" "$WORK/final.metrics"
due=$(announced_before "$WORK/stalling.out" "$(awk -v t="$t" 'BEGIN {printf "%.6f", t - 15}')")
all=$(announced_before "$WORK/stalling.out" "$t")
kill -KILL -- "-$CHURN" 2>/dev/null
kill -TERM "$EPID"; wait "$EPID"; rc=$?
echo
echo "- RSS over the run: $rss_min to $rss_max MiB; the exporter exited with status $rc on SIGTERM"
twin_calls=$(metric "$WORK/final.metrics" iotrace_loop_blocking_calls_total "pid=\"$twin_pid\"")
echo "- stalls: $stalls counted, $calls blocking calls in rare_stall(); $due announced at least 15 s before the last scrape, $all before it; twin: $twin stalls (waiting for a CPU), $twin_calls blocking calls"
verdict=ok
awk -v c="$stalls" -v d="$due" 'BEGIN {exit !(c >= d)}' || verdict="MISSED STALLS"
awk -v c="$calls" -v d="$due" -v a="$all" 'BEGIN {exit !(c >= d && c <= a)}' || verdict="$verdict; MISSED OR EXTRA BLOCKING CALLS"
[[ $twin_calls == 0 ]] || verdict="$verdict; the twin blocked its loop"
echo "- verdict: $verdict; lost events counted: $lost"
n=$(bpftool prog show 2>/dev/null | grep -c ' name iot_')
echo "- iot_ programs loaded after the exporter exited: $n"
[[ $verdict == ok ]]
