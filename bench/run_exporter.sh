#!/usr/bin/env bash
# What `iotrace exporter` costs a saturated epoll server, in requests per second, by mode:
# --duty always host-wide, --duty ON/PERIOD host-wide, --duty ON/PERIOD -p SERVER, and
# --duty ON/PERIOD --comm '^nomatch$' (a selection that excludes the server). Statistics as in
# run_throughput.sh: server on CPU 0, load on CPU 1, alternating A/B pairs, an untraced pair
# beside each as the noise floor, median of the pairwise ratios. Every run lasts SECONDS (a
# whole number of periods) and starts at the exporter's first period. See bench/README.md.
#
#   bench/run_exporter.sh [--iotrace PATH] [--bindir DIR] [--pairs N] [--duty ON/PERIOD]
#       [--seconds S] [--connections N] [--modes always,duty,pid,nomatch] [--keep]
#
# Needs root, bpftool, jq, curl. Markdown report on stdout; progress on stderr.
set -u

IOTRACE=build/iotrace
BINDIR=
PAIRS=3
DUTY=5s/60s
SECONDS_RUN=
CONNECTIONS=50
MODES=always,duty,pid,nomatch
LISTEN_BASE=19740
KEEP=0
while (($#)); do
  case $1 in
    --iotrace) IOTRACE=$2; shift 2 ;;
    --bindir) BINDIR=$2; shift 2 ;;
    --pairs) PAIRS=$2; shift 2 ;;
    --duty) DUTY=$2; shift 2 ;;
    --seconds) SECONDS_RUN=$2; shift 2 ;;
    --connections) CONNECTIONS=$2; shift 2 ;;
    --modes) MODES=$2; shift 2 ;;
    --keep) KEEP=1; shift ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "run_exporter: error: unknown argument '$1'" >&2; exit 64 ;;
  esac
done
[[ -n $BINDIR ]] || BINDIR=$(dirname "$IOTRACE")/bench
# seconds of a duration such as 5s, 2m, 500ms (the exporter's own parser is the judge of the rest)
secs() { awk -v d="$1" 'BEGIN { if (d ~ /^[0-9.]+ms$/) print d / 1000; else if (d ~ /^[0-9.]+s$/) print d + 0;
  else if (d ~ /^[0-9.]+m$/) print d * 60; else if (d ~ /^[0-9.]+$/) print d + 0; else print "" }'; }
[[ $DUTY =~ ^([^/]+)/([^/]+)$ ]] || { echo "run_exporter: error: --duty takes ON/PERIOD, not '$DUTY'" >&2; exit 64; }
ON_S=$(secs "${BASH_REMATCH[1]}"); PERIOD_S=$(secs "${BASH_REMATCH[2]}")
[[ -n $ON_S && -n $PERIOD_S ]] || { echo "run_exporter: error: cannot read '$DUTY' (use s, ms or m)" >&2; exit 64; }
[[ -n $SECONDS_RUN ]] || SECONDS_RUN=$PERIOD_S
for v in PAIRS CONNECTIONS; do
  [[ ${!v} =~ ^[1-9][0-9]*$ ]] || { echo "run_exporter: error: $v must be a positive integer, not '${!v}'" >&2; exit 64; }
done
awk -v s="$SECONDS_RUN" -v p="$PERIOD_S" 'BEGIN { n = s / p; exit !(s > 0 && n == int(n)) }' ||
  { echo "run_exporter: error: --seconds ($SECONDS_RUN) must be a whole number of periods ($PERIOD_S s)" >&2; exit 64; }
IFS=, read -r -a MODE_LIST <<<"$MODES"
for m in "${MODE_LIST[@]}"; do
  case $m in always|duty|pid|nomatch) ;; *) echo "run_exporter: error: unknown mode '$m'" >&2; exit 64 ;; esac
done

SERVER_CPU=0
CLIENT_CPU=1
(($(nproc) > 1)) || CLIENT_CPU=0
EPOLL_SERVER=$BINDIR/epoll_server
EPOLL_LOAD=$BINDIR/epoll_load
((EUID == 0)) || { echo "run_exporter: error: needs root (BPF)" >&2; exit 77; }
for t in bpftool jq curl; do command -v $t >/dev/null || { echo "run_exporter: error: needs $t" >&2; exit 2; }; done
[[ -x $IOTRACE ]] || { echo "run_exporter: error: no iotrace binary at '$IOTRACE'" >&2; exit 2; }
[[ -x $EPOLL_SERVER && -x $EPOLL_LOAD ]] || { echo "run_exporter: error: no epoll_server/epoll_load in '$BINDIR'" >&2; exit 2; }

WORK=$(mktemp -d /tmp/iotrace-exporter.XXXXXX)
STARTED=()
cleanup() {
  local p
  for p in "${STARTED[@]}"; do kill -KILL "$p" 2>/dev/null; done
  if ((KEEP)); then echo "run_exporter: raw outputs kept in $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

now_us() { local t=${EPOCHREALTIME/./}; echo "$t"; }
progress() { echo "$*" >&2; }
die() { echo "run_exporter: error: $*" >&2; echo; echo "**run aborted: $***"; exit 1; }
# wait_for FILE REGEX TIMEOUT_S [PID] (from run_throughput.sh)
wait_for() {
  local deadline=$(( $(now_us) + $3 * 1000000 ))
  while (( $(now_us) < deadline )); do
    grep -qE "$2" "$1" 2>/dev/null && return 0
    [[ -n ${4:-} ]] && ! kill -0 "$4" 2>/dev/null && { grep -qE "$2" "$1" 2>/dev/null; return; }
    sleep 0.01
  done
  return 1
}
# stop PID SIGNAL [TIMEOUT_S]: the signal, then SIGKILL if it does not exit in time.
stop() {
  local pid=$1 t=${3:-15} i
  kill "-$2" "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return 0; }
  for ((i = 0; i < t * 20; i++)); do kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return 0; }; sleep 0.05; done
  progress "run_exporter: warning: pid $pid ignored SIG$2 for ${t}s; killed"
  kill -KILL "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
}
median() { sort -g | awk '{v[NR]=$1} END {if (!NR) {print "NA"; exit} printf "%.3f\n", (NR%2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2)}'; }
minmax() { sort -g | awk 'NR == 1 {lo = $1} {hi = $1} END {if (!NR) print "NA NA"; else print lo, hi}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.3f", b / a}'; }
# iot_ programs loaded on the machine (bpftool prog show | grep -c iot_); the kernel frees a
# program a little after its last user exits, so look again a few times before answering.
iot_progs() {
  local i n
  for ((i = 0; i < 20; i++)); do
    n=$(bpftool prog show 2>/dev/null | grep -c ' name iot_')
    ((n == 0)) && break
    sleep 0.25
  done
  echo "$n"
}
# BPF program ids PID holds (this bpftool cannot name a program's owner), and its BPF links
prog_ids() { grep -h '^prog_id:' /proc/"$1"/fdinfo/* 2>/dev/null | awk '{print $2}' | sort -un | tr '\n' ' '; }
links() { grep -l '^link_type:' /proc/"$1"/fdinfo/* 2>/dev/null | wc -l; }
still_loaded() { # IDS: those of them still loaded, after a few looks
  local i left
  for ((i = 0; i < 20; i++)); do
    left=$(bpftool -j prog show 2>/dev/null | jq -r --arg ids "$1" '($ids | split(" ") | map(select(. != "") | tonumber)) as $w
      | [.[] | select(.id as $i | $w | index($i))] | map(.id) | join(" ")')
    [[ -z $left ]] && break
    sleep 0.25
  done
  echo "$left"
}

label() {
  case $1 in
    always) echo "exporter --duty always, host-wide" ;;
    duty) echo "exporter --duty $DUTY, host-wide" ;;
    pid) echo "exporter --duty $DUTY -p SERVER" ;;
    nomatch) echo "exporter --duty $DUTY --comm '^nomatch\$'" ;;
  esac
}

# ---- server and load -----------------------------------------------------------------------
server_start() {
  taskset -c "$SERVER_CPU" "$EPOLL_SERVER" >"$WORK/epoll_server.out" 2>"$WORK/epoll_server.err" &
  SPID=$!; STARTED+=("$SPID")
  wait_for "$WORK/epoll_server.out" '^ready port=' 10 "$SPID" ||
    die "epoll_server did not start: $(head -3 "$WORK/epoll_server.err")"
  PORT=$(sed -n 's/^ready port=\([0-9]*\).*/\1/p' "$WORK/epoll_server.out")
}
load() { # TAG: one run of SECONDS_RUN; prints req/s, or nothing on failure
  timeout -s INT $((SECONDS_RUN * 2 + 60)) taskset -c "$CLIENT_CPU" "$EPOLL_LOAD" --port "$PORT" \
    -c "$CONNECTIONS" -d "$SECONDS_RUN" >"$WORK/$1.load" 2>"$WORK/$1.load.err"
  sed -n 's/.* rps=\([0-9.]*\).*/\1/p' "$WORK/$1.load"
}
untraced() { VAL=$(load "$1"); [[ -n $VAL ]] || WHY="load failed: $(tail -2 "$WORK/$1.load.err" | tr '\n' ' ')"; }

# ---- exporter ------------------------------------------------------------------------------
RUN_NO=0
# traced MODE TAG: exporter started, then one load run from its first period on; sets VAL, and
# EXTRA (exporter CPU s, peak RSS MiB, windows, traced s per window), or VAL empty and WHY.
traced() {
  local mode=$1 tag=$2 e="$WORK/$2.exp.err" args listen cpu rss w ts ids left n
  VAL= EXTRA=
  case $mode in
    always) args=(--duty always) ;;
    duty) args=(--duty "$DUTY") ;;
    pid) args=(--duty "$DUTY" -p "$SPID") ;;
    nomatch) args=(--duty "$DUTY" --comm '^nomatch$') ;;
  esac
  listen=127.0.0.1:$((LISTEN_BASE + RUN_NO)); RUN_NO=$((RUN_NO + 1))
  "$IOTRACE" exporter --listen "$listen" "${args[@]}" >"$WORK/$tag.exp.out" 2>"$e" &
  EPID=$!; STARTED+=("$EPID")
  wait_for "$e" 'serving http' 30 "$EPID" || { WHY="exporter did not start: $(tail -2 "$e" | tr '\n' ' ')"; stop "$EPID" TERM 5; return; }
  if [[ $mode == always ]]; then
    # probes loaded once, before the first period: wait for them, then measure whole periods
    for ((w = 0; w < 600; w++)); do (($(links "$EPID") > 0)) && break; sleep 0.05; done
    sleep 0.5
  fi
  # duty modes: the run starts as the first window does (at the serving line), so it covers
  # whole periods from their start, probe loading included
  VAL=$(load "$tag")
  [[ -n $VAL ]] || WHY="load failed: $(tail -2 "$WORK/$tag.load.err" | tr '\n' ' ')"
  if ! kill -0 "$EPID" 2>/dev/null; then
    WHY="exporter exited during the run: $(tail -2 "$e" | tr '\n' ' ')"; VAL=; wait "$EPID" 2>/dev/null; return
  fi
  curl -s -m 10 "http://$listen/metrics" >"$WORK/$tag.metrics"
  cpu=$(awk -v hz="$(getconf CLK_TCK)" '{sub(/^.*\) /, ""); printf "%.2f", ($12 + $13) / hz}' "/proc/$EPID/stat")
  rss=$(awk '/^VmHWM:/ {printf "%.0f", $2 / 1024}' "/proc/$EPID/status")
  w=$(awk '$1 == "iotrace_exporter_windows_total" {print $2 + 0}' "$WORK/$tag.metrics")
  ts=$(awk '$1 == "iotrace_exporter_traced_seconds_total" {print $2 + 0}' "$WORK/$tag.metrics")
  ids=$(prog_ids "$EPID")
  stop "$EPID" TERM 15
  # none of this exporter's programs may outlive it; others' iot_ programs (tests running on a
  # shared machine) are only reported
  left=$(still_loaded "$ids")
  [[ -z $left ]] || die "BPF programs of the exporter (pid $EPID) still loaded after it exited: ids $left"
  n=$(iot_progs)
  ((n == 0)) || progress "  note: $n iot_ programs loaded after the exporter exited, none of them its own (ids held at the end: ${ids:-none})"
  EXTRA="$cpu | $rss | ${w:-?} | $(awk -v t="$ts" -v w="$w" 'BEGIN {if (w > 0) printf "%.2f", t / w; else print "-"}')"
}

# ---- main ----------------------------------------------------------------------------------
T_START=$(now_us)
pre=$(iot_progs)
((pre == 0)) || progress "run_exporter: warning: iot_ programs already loaded by others: $pre"
echo "# iotrace exporter: throughput of a saturated epoll server"
echo
echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'); kernel $(uname -r); $(nproc) CPUs; $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)"
echo "- iotrace: $IOTRACE; duty: $DUTY; modes: ${MODE_LIST[*]}; $SECONDS_RUN s per run ($(awk -v s="$SECONDS_RUN" -v p="$PERIOD_S" 'BEGIN {print s / p}') period(s) of $PERIOD_S s; --duty always collects every 15 s)"
echo "- load average at start: $(cut -d' ' -f1-3 /proc/loadavg); iot_ programs already loaded: $pre"
echo
server_start
progress "== epoll: server pid $SPID on CPU $SERVER_CPU, port $PORT; load on CPU $CLIENT_CPU; $SECONDS_RUN s per run"
SAVED=$SECONDS_RUN; SECONDS_RUN=5; untraced warmup; SECONDS_RUN=$SAVED
: >"$WORK/noise"; : >"$WORK/noise.rows"
for m in "${MODE_LIST[@]}"; do : >"$WORK/$m"; : >"$WORK/$m.rows"; done
for ((i = 1; i <= PAIRS; i++)); do
  untraced "noise-$i-a"; a=$VAL
  untraced "noise-$i-b"; b=$VAL
  if [[ -n $a && -n $b ]]; then
    r=$(ratio "$a" "$b"); echo "$r" >>"$WORK/noise"; echo "| $i | $a | $b | $r |" >>"$WORK/noise.rows"
    progress "  pair $i noise floor: untraced $a, untraced $b req/s, B/A $r"
  else
    echo "| $i | ${a:-failed} | ${b:-failed} | $WHY |" >>"$WORK/noise.rows"; progress "  pair $i noise floor failed: $WHY"
  fi
  for ((j = 0; j < ${#MODE_LIST[@]}; j++)); do
    m=${MODE_LIST[(j + i - 1) % ${#MODE_LIST[@]}]}; tag="$m-$i"
    if ((i % 2)); then
      order="untraced, exporter"
      untraced "$tag-u"; u=$VAL
      if [[ -n $u ]]; then traced "$m" "$tag"; t=$VAL; else t=; fi
    else
      order="exporter, untraced"
      traced "$m" "$tag"; t=$VAL
      if [[ -n $t ]]; then untraced "$tag-u"; u=$VAL; else u=; fi
    fi
    if [[ -n $u && -n $t ]]; then
      r=$(ratio "$u" "$t"); echo "$r" >>"$WORK/$m"
      echo "| $i | $order | $u | $t | $r | $EXTRA |" >>"$WORK/$m.rows"
      progress "  pair $i $m ($order): untraced $u, exporter $t req/s, ratio $r; exporter CPU s | peak RSS MiB | windows | traced s/window: $EXTRA"
    else
      echo "| $i | $order | ${u:-failed} | ${t:-failed} | | $WHY | | | |" >>"$WORK/$m.rows"
      echo "$WHY" >"$WORK/$m.fail"; progress "  pair $i $m failed: $WHY"
    fi
  done
done
stop "$SPID" INT 10

echo "## bench/epoll_server under bench/epoll_load -d $SECONDS_RUN"
echo
echo "server on CPU $SERVER_CPU, client on CPU $CLIENT_CPU, $CONNECTIONS connections; $PAIRS pairs; untraced first in odd pairs, exporter first in even ones; each exporter run starts at the exporter's first period (the load starts at its 'serving' line, as the first window begins loading its probes; for --duty always, once its probes are loaded) and lasts $SECONDS_RUN s"
echo
echo "### Noise floor: untraced vs untraced"
echo
echo "| pair | untraced A (req/s) | untraced B (req/s) | B/A |"
echo "|---|---:|---:|---:|"
cat "$WORK/noise.rows"
for m in "${MODE_LIST[@]}"; do
  echo
  echo "### $(label "$m")"
  echo
  echo "| pair | order | untraced (req/s) | exporter (req/s) | exporter/untraced | exporter CPU s | peak RSS MiB | windows | traced s per window |"
  echo "|---|---|---:|---:|---:|---:|---:|---:|---:|"
  cat "$WORK/$m.rows"
done
nm=$(median <"$WORK/noise"); read -r nlo nhi < <(minmax <"$WORK/noise")
echo
echo "### Summary"
echo
echo "| mode | median exporter/untraced | min | max | pairs |"
echo "|---|---:|---:|---:|---:|"
echo "| untraced vs untraced (noise floor) | $nm | $nlo | $nhi | $(wc -l <"$WORK/noise") |"
status=0
for m in "${MODE_LIST[@]}"; do
  if [[ ! -s $WORK/$m ]]; then echo "| $(label "$m") | failed: $(head -c 200 "$WORK/$m.fail" 2>/dev/null) | | | 0 |"; status=1; continue; fi
  read -r lo hi < <(minmax <"$WORK/$m")
  echo "| $(label "$m") | $(median <"$WORK/$m") | $lo | $hi | $(wc -l <"$WORK/$m") |"
done
echo
n=$(iot_progs)
echo "- load average at end: $(cut -d' ' -f1-3 /proc/loadavg); iot_ programs loaded at end: $n; wall time $(( ($(now_us) - T_START) / 1000000 )) s"
((n == 0)) || { echo "run_exporter: error: $n iot_ programs still loaded at the end (none held by an exporter of this run; another user's?)" >&2; status=1; }
exit $status
