#!/usr/bin/env bash
# Saturated epoll server throughput: what each tracer costs a busy server, in requests per second.
# Servers: redis-server under redis-benchmark (SET+GET), and bench/epoll_server under
# bench/epoll_load (the plain epoll request/response loop). Server pinned to CPU 0, client to
# CPU 1. Each tracer is compared with untraced in alternating A/B pairs (untraced first in odd
# pairs, traced first in even ones), next to an untraced-vs-untraced pair as the noise floor;
# the result is the median of the pairwise ratios. See bench/README.md.
#
#   bench/run_throughput.sh [IOTRACE] [PAIRS] [--iotrace PATH] [--bindir DIR] [--pairs N]
#       [--requests N] [--slow-requests N] [--connections N] [--server redis|epoll|both]
#       [--tracers iotrace,loopwatch,floor,bpftrace,perf,strace] [--port P] [--keep]
#
# loopwatch is iotrace attach --loop-watch: the waits' own tracepoints and loop threads'
# context switches instead of every syscall.
#
# Needs root. Prints a Markdown report on stdout; progress goes to stderr.
set -u
. "$(dirname "$0")/perf_ready.sh"

IOTRACE=build/iotrace
BINDIR=
PAIRS=5
REQUESTS=${REQUESTS:-200000}
SLOW_REQUESTS=
CONNECTIONS=50
SERVERS=both
TRACERS=iotrace,floor,bpftrace,perf,strace
REDIS_PORT=6399
KEEP=0
positional=0
while (($#)); do
  case $1 in
    --iotrace) IOTRACE=$2; shift 2 ;;
    --bindir) BINDIR=$2; shift 2 ;;
    --pairs) PAIRS=$2; shift 2 ;;
    --requests) REQUESTS=$2; shift 2 ;;
    --slow-requests) SLOW_REQUESTS=$2; shift 2 ;;
    --connections) CONNECTIONS=$2; shift 2 ;;
    --server) SERVERS=$2; shift 2 ;;
    --tracers) TRACERS=$2; shift 2 ;;
    --port) REDIS_PORT=$2; shift 2 ;;
    --keep) KEEP=1; shift ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    -*) echo "run_throughput: error: unknown option '$1'" >&2; exit 64 ;;
    *)
      case $positional in
        0) IOTRACE=$1 ;;
        1) PAIRS=$1 ;;
        *) echo "run_throughput: error: unexpected argument '$1'" >&2; exit 64 ;;
      esac
      positional=$((positional + 1)); shift ;;
  esac
done
[[ -n $BINDIR ]] || BINDIR=$(dirname "$IOTRACE")/bench
[[ -n $SLOW_REQUESTS ]] || SLOW_REQUESTS=$((REQUESTS / 10))
for v in PAIRS REQUESTS SLOW_REQUESTS CONNECTIONS REDIS_PORT; do
  [[ ${!v} =~ ^[1-9][0-9]*$ ]] || { echo "run_throughput: error: $v must be a positive integer, not '${!v}'" >&2; exit 64; }
done
case $SERVERS in
  redis) SERVER_LIST=(redis) ;;
  epoll) SERVER_LIST=(epoll) ;;
  both) SERVER_LIST=(redis epoll) ;;
  *) echo "run_throughput: error: --server takes redis, epoll or both, not '$SERVERS'" >&2; exit 64 ;;
esac
IFS=, read -r -a TOOLS <<<"$TRACERS"
for t in "${TOOLS[@]}"; do
  case $t in iotrace|loopwatch|floor|bpftrace|perf|strace) ;;
    *) echo "run_throughput: error: unknown tracer '$t' (iotrace, loopwatch, floor, bpftrace, perf, strace)" >&2; exit 64 ;;
  esac
done
((${#TOOLS[@]})) || { echo "run_throughput: error: --tracers is empty" >&2; exit 64; }

SERVER_CPU=0
CLIENT_CPU=1
(($(nproc) > 1)) || CLIENT_CPU=0
EPOLL_SERVER=$BINDIR/epoll_server
EPOLL_LOAD=$BINDIR/epoll_load
FLOOR=$BINDIR/floor
RUN_TIMEOUT=900 # seconds for one load run, even under strace

((EUID == 0)) || { echo "run_throughput: error: needs root (BPF, ptrace, tracefs)" >&2; exit 77; }
has_tool() { local t; for t in "${TOOLS[@]}"; do [[ $t == "$1" ]] && return 0; done; return 1; }
has_tool iotrace && [[ ! -x $IOTRACE ]] && { echo "run_throughput: error: no iotrace binary at '$IOTRACE'" >&2; exit 2; }
has_tool floor && [[ ! -x $FLOOR ]] && { echo "run_throughput: error: no floor program at '$FLOOR' (build target bench_floor, or --bindir)" >&2; exit 2; }
if [[ " ${SERVER_LIST[*]} " == *" epoll "* && ! ( -x $EPOLL_SERVER && -x $EPOLL_LOAD ) ]]; then
  echo "run_throughput: error: no epoll_server/epoll_load in '$BINDIR' (build targets bench_epoll_server, bench_epoll_load, or --bindir)" >&2
  exit 2
fi
if [[ " ${SERVER_LIST[*]} " == *" redis "* ]] && { ! command -v redis-server || ! command -v redis-benchmark || ! command -v redis-cli; } >/dev/null; then
  echo "run_throughput: installing redis-server and redis-tools (Debian packages)" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server redis-tools >/dev/null ||
    { echo "run_throughput: error: could not install redis-server/redis-tools" >&2; exit 2; }
fi

WORK=$(mktemp -d /tmp/iotrace-tput.XXXXXX)
STARTED=()          # pids of everything this script started, killed one by one on exit
MOUNTED_TRACEFS=0
cleanup() {
  local p
  for p in "${STARTED[@]}"; do kill -KILL "$p" 2>/dev/null; done
  ((MOUNTED_TRACEFS)) && umount /sys/kernel/tracing 2>/dev/null
  if ((KEEP)); then echo "run_throughput: raw outputs kept in $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

now_us() { local t=${EPOCHREALTIME/./}; echo "$t"; }
progress() { echo "$*" >&2; }

# wait_for FILE REGEX TIMEOUT_S [PID]: 0 once a line of FILE matches; 1 at the timeout, or as
# soon as PID (when given) has exited.
wait_for() {
  local deadline=$(( $(now_us) + $3 * 1000000 ))
  while (( $(now_us) < deadline )); do
    grep -qE "$2" "$1" 2>/dev/null && return 0
    [[ -n ${4:-} ]] && ! kill -0 "$4" 2>/dev/null && { grep -qE "$2" "$1" 2>/dev/null; return; }
    sleep 0.01
  done
  return 1
}

# stop PID [TIMEOUT_S]: SIGINT, then SIGKILL if it does not exit in time.
stop() {
  local pid=$1 t=${2:-15} i
  kill -INT "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return 0; }
  for ((i = 0; i < t * 20; i++)); do kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return 0; }; sleep 0.05; done
  progress "run_throughput: warning: pid $pid ignored SIGINT for ${t}s; killed"
  kill -KILL "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
}

median() { sort -g | awk '{v[NR]=$1} END {if (!NR) {print "NA"; exit} printf "%.3f\n", (NR%2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2)}'; }
minmax() { sort -g | awk 'NR == 1 {lo = $1} {hi = $1} END {if (!NR) print "NA NA"; else print lo, hi}'; }

NOTES=()
ensure_tracefs() {
  if [[ -e /sys/kernel/tracing/events/raw_syscalls ]]; then return; fi
  if mount -t tracefs nodev /sys/kernel/tracing 2>"$WORK/mount.err"; then
    MOUNTED_TRACEFS=1
    NOTES+=("tracefs was not mounted; mounted it at /sys/kernel/tracing for bpftrace and perf trace (unmounted at exit). iotrace and floor do not need it.")
  else
    NOTES+=("tracefs is not mounted and mounting it failed ($(tr '\n' ' ' <"$WORK/mount.err")); bpftrace and perf trace may fail")
  fi
}

# Names of BPF tracing programs loaded on the machine (other users' tracers make every syscall
# dearer); shown in the report, checked while none of ours is loaded.
foreign() {
  command -v bpftool >/dev/null && command -v jq >/dev/null || { echo "unknown (needs bpftool and jq)"; return; }
  local i names
  # the kernel frees a program a little after its last user exits: look again a few times
  for ((i = 0; i < 4; i++)); do
    names=$(bpftool -j prog show 2>/dev/null | jq -r '[.[] | select(.type == "tracing" or .type == "raw_tracepoint"
        or .type == "tracepoint" or .type == "kprobe" or .type == "perf_event") | .name // "?"] | unique | join(",")' 2>/dev/null)
    [[ -z $names ]] && break
    sleep 0.25
  done
  echo "${names:-none}"
}

# ---- servers and load ----------------------------------------------------------------------
# server_start SERVER: sets SPID and PORT; 1 if the server did not come up.
server_start() {
  local s=$1
  case $s in
    redis)
      PORT=$REDIS_PORT
      if redis-cli -p "$PORT" ping >/dev/null 2>&1; then
        echo "run_throughput: error: something already answers on port $PORT (use --port)" >&2; return 1
      fi
      mkdir -p "$WORK/redis"
      taskset -c "$SERVER_CPU" redis-server --port "$PORT" --bind 127.0.0.1 --save '' --appendonly no \
        --dir "$WORK/redis" --daemonize no >"$WORK/redis.log" 2>&1 &
      SPID=$!; STARTED+=("$SPID")
      local i
      for ((i = 0; i < 100; i++)); do
        redis-cli -p "$PORT" ping >/dev/null 2>&1 && return 0
        kill -0 "$SPID" 2>/dev/null || break
        sleep 0.1
      done
      echo "run_throughput: error: redis-server did not start: $(tail -3 "$WORK/redis.log" | tr '\n' ' ')" >&2
      return 1 ;;
    epoll)
      taskset -c "$SERVER_CPU" "$EPOLL_SERVER" >"$WORK/epoll_server.out" 2>"$WORK/epoll_server.err" &
      SPID=$!; STARTED+=("$SPID")
      wait_for "$WORK/epoll_server.out" '^ready port=' 10 "$SPID" ||
        { echo "run_throughput: error: epoll_server did not start: $(head -3 "$WORK/epoll_server.err")" >&2; return 1; }
      PORT=$(sed -n 's/^ready port=\([0-9]*\).*/\1/p' "$WORK/epoll_server.out") ;;
  esac
}

server_stop() { stop "$SPID" 10; }

server_label() {
  case $1 in
    redis) echo "redis-server ($(redis-server --version 2>/dev/null | awk '{print $3}' | sed 's/^v=//')) under redis-benchmark -t set,get" ;;
    epoll) echo "bench/epoll_server under bench/epoll_load (64-byte requests and responses)" ;;
  esac
}

# requests_of SERVER N: requests one load run makes.
requests_of() { case $1 in redis) echo $((2 * $2)) ;; epoll) echo "$2" ;; esac; }

# load SERVER N TAG: one load run; prints requests per second, or nothing on failure.
load() {
  local s=$1 n=$2 tag=$3
  case $s in
    redis)
      # N SETs then N GETs; the rate of the whole run is 2N over the time of both tests.
      timeout -s INT "$RUN_TIMEOUT" taskset -c "$CLIENT_CPU" redis-benchmark -p "$PORT" -t set,get -n "$n" \
        -c "$CONNECTIONS" -q --csv >"$WORK/$tag.load" 2>"$WORK/$tag.load.err"
      awk -F'"' '$2 == "SET" {s = $4} $2 == "GET" {g = $4}
        END {if (s > 0 && g > 0) printf "%.0f\n", 2 / (1 / s + 1 / g)}' "$WORK/$tag.load" ;;
    epoll)
      timeout -s INT "$RUN_TIMEOUT" taskset -c "$CLIENT_CPU" "$EPOLL_LOAD" --port "$PORT" -c "$CONNECTIONS" -n "$n" \
        >"$WORK/$tag.load" 2>"$WORK/$tag.load.err"
      sed -n 's/.* rps=\([0-9.]*\).*/\1/p' "$WORK/$tag.load" ;;
  esac
}

# ---- tracers -------------------------------------------------------------------------------
label() {
  case $1 in
    iotrace) echo "iotrace attach PID --json" ;;
    loopwatch) echo "iotrace attach PID --loop-watch --json" ;;
    floor) echo "floor PID (empty tp_btf enter+exit, tgid filter)" ;;
    bpftrace) echo "bpftrace count (raw_syscalls:sys_enter)" ;;
    perf) echo "perf trace -s -p PID" ;;
    strace) echo "strace -c -f -p PID" ;;
  esac
}

requests_for() { case $1 in perf|strace) echo "$SLOW_REQUESTS" ;; *) echo "$REQUESTS" ;; esac; }

gone() { kill -0 "$RPID" 2>/dev/null || echo "exited: "; } # for WHY: the tracer is not running

# start_tracer TOOL PID TAG: sets RPID; 0 once the tracer is attached, else 1 with WHY set.
start_tracer() {
  local tool=$1 pid=$2 tag=$3 o="$WORK/$3.tool.out" e="$WORK/$3.tool.err"
  RPID= WHY=
  case $tool in
    iotrace)
      # --json only changes the format of the report at exit; it gives exact counts
      "$IOTRACE" attach "$pid" --json >"$o" 2>"$e" &
      RPID=$!; STARTED+=("$RPID")
      wait_for "$e" 'attached' 30 "$RPID" || { WHY="$(gone)no 'attached' line: $(tail -2 "$e" | tr '\n' ' ')"; return 1; } ;;
    loopwatch)
      "$IOTRACE" attach "$pid" --loop-watch --json >"$o" 2>"$e" &
      RPID=$!; STARTED+=("$RPID")
      wait_for "$e" 'attached' 30 "$RPID" || { WHY="$(gone)no 'attached' line: $(tail -2 "$e" | tr '\n' ' ')"; return 1; } ;;
    floor)
      "$FLOOR" "$pid" >"$o" 2>"$e" &
      RPID=$!; STARTED+=("$RPID")
      wait_for "$e" 'attached' 30 "$RPID" || { WHY="$(gone)$(head -3 "$e" | tr '\n' ' ')"; return 1; } ;;
    bpftrace)
      bpftrace -e "BEGIN { printf(\"ready\\n\"); }
        tracepoint:raw_syscalls:sys_enter /pid == $pid/ { @[tid, args->id] = count(); }" >"$o" 2>"$e" &
      RPID=$!; STARTED+=("$RPID")
      wait_for "$o" '^ready' 60 "$RPID" || { WHY="$(gone)$(grep -v '^$' "$e" | head -3 | tr '\n' ' ')"; return 1; } ;;
    perf)
      perf trace -s -p "$pid" -o "$o" 2>"$e" &
      RPID=$!; STARTED+=("$RPID")
      wait_perf_ready "$RPID" "$e" || return 1 ;;
    strace)
      strace -c -f -p "$pid" -o "$o" 2>"$e" &
      RPID=$!; STARTED+=("$RPID")
      # "strace: Process PID attached" (with "with N threads" for a threaded process)
      wait_for "$e" "Process $pid attached" 30 "$RPID" || { WHY="$(gone)did not attach: $(head -2 "$e" | tr '\n' ' ')"; return 1; }
      sleep 0.2 ;;
  esac
  return 0
}

# counted TOOL TAG: syscalls of the server the tool counted during the run (a check that it
# really traced the server), or "-" when its output does not say.
counted() {
  local o="$WORK/$2.tool.out"
  case $1 in
    iotrace|loopwatch) jq '[.processes[].syscalls[].calls] | add // 0' "$o" 2>/dev/null || echo - ;;
    floor) sed -nE 's/.*exits=([0-9]+).*/\1/p' "$o" ;;
    bpftrace) awk '/^@\[/ {s += $NF} END {print s + 0}' "$o" ;;
    perf) awk '/^ *syscall +calls/ {seen = 1; next} seen && $1 ~ /^[a-z_0-9]+$/ && $2 ~ /^[0-9]+$/ {s += $2}
               /^ *$/ {seen = 0} END {print s + 0}' "$o" ;;
    strace) awk '$NF == "total" && $4 ~ /^[0-9]+$/ {print $4}' "$o" ;;
  esac
}

# ---- one pair ------------------------------------------------------------------------------
# traced SERVER TOOL N TAG: one load run with TOOL attached to the server; sets VAL (req/s) and
# CNT, or VAL empty and WHY.
traced() {
  local s=$1 tool=$2 n=$3 tag=$4
  VAL= CNT=-
  if ! start_tracer "$tool" "$SPID" "$tag"; then
    [[ -n $RPID ]] && stop "$RPID" 2
    return
  fi
  VAL=$(load "$s" "$n" "$tag")
  if ! kill -0 "$RPID" 2>/dev/null; then
    WHY="$tool exited during the run: $(tail -2 "$WORK/$tag.tool.err" | tr '\n' ' ')"; VAL=
    wait "$RPID" 2>/dev/null; return
  fi
  stop "$RPID" 30
  [[ -n $VAL ]] || WHY="load failed: $(tail -2 "$WORK/$tag.load.err" | tr '\n' ' ')"
  CNT=$(counted "$tool" "$tag")
  [[ -n $CNT ]] || CNT=-
}

untraced() { # SERVER N TAG: sets VAL, or VAL empty and WHY
  VAL=$(load "$1" "$2" "$3")
  [[ -n $VAL ]] || WHY="load failed: $(tail -2 "$WORK/$3.load.err" | tr '\n' ' ')"
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.3f", b / a}'; }

# run_server SERVER: all pairs on one server; writes its part of the report.
run_server() {
  local s=$1 i j k tool n u t a b r order tag req_fast req_slow
  server_start "$s" || { echo "## $(server_label "$s")"; echo; echo "server did not start: see stderr"; echo; return 1; }
  : >"$WORK/$s.noise"; : >"$WORK/$s.noise.rows"
  for tool in "${TOOLS[@]}"; do : >"$WORK/$s.$tool"; : >"$WORK/$s.$tool.rows"; done
  progress "== $s: server pid $SPID on CPU $SERVER_CPU, port $PORT; load on CPU $CLIENT_CPU"
  untraced "$s" "$SLOW_REQUESTS" "$s-warmup" # warm-up
  [[ -n $VAL ]] || { progress "  warm-up failed: $WHY"; }
  for ((i = 1; i <= PAIRS; i++)); do
    # noise floor: two untraced runs
    untraced "$s" "$REQUESTS" "$s-noise-$i-a"; a=$VAL
    untraced "$s" "$REQUESTS" "$s-noise-$i-b"; b=$VAL
    if [[ -n $a && -n $b ]]; then
      r=$(ratio "$a" "$b"); echo "$r" >>"$WORK/$s.noise"
      echo "| $i | $a | $b | $r |" >>"$WORK/$s.noise.rows"
      progress "  $s pair $i noise floor: untraced $a, untraced $b req/s, B/A $r"
    else
      echo "| $i | ${a:-failed} | ${b:-failed} | $WHY |" >>"$WORK/$s.noise.rows"
      progress "  $s pair $i noise floor: failed: $WHY"
    fi
    for ((j = 0; j < ${#TOOLS[@]}; j++)); do
      k=$(( (j + i - 1) % ${#TOOLS[@]} )); tool=${TOOLS[k]}
      n=$(requests_for "$tool"); tag="$s-$tool-$i"
      if ((i % 2)); then
        order="untraced, traced"
        untraced "$s" "$n" "$tag-u"; u=$VAL
        if [[ -n $u ]]; then traced "$s" "$tool" "$n" "$tag"; t=$VAL; else t=; fi
      else
        order="traced, untraced"
        traced "$s" "$tool" "$n" "$tag"; t=$VAL
        if [[ -n $t ]]; then untraced "$s" "$n" "$tag-u"; u=$VAL; else u=; fi
      fi
      if [[ -n $u && -n $t ]]; then
        r=$(ratio "$u" "$t"); echo "$r" >>"$WORK/$s.$tool"
        local per; per=$(awk -v c="$CNT" -v q="$(requests_of "$s" "$n")" 'BEGIN {if (c ~ /^[0-9]+$/) printf "%s (%.2f per request)", c, c / q; else print c}')
        echo "| $i | $order | $u | $t | $r | $per |" >>"$WORK/$s.$tool.rows"
        progress "  $s pair $i $tool ($order, $n requests): untraced $u, traced $t req/s, traced/untraced $r; tool counted $per syscalls"
      else
        echo "| $i | $order | ${u:-failed} | ${t:-failed} | | $WHY |" >>"$WORK/$s.$tool.rows"
        echo "$WHY" >"$WORK/$s.$tool.fail"
        progress "  $s pair $i $tool failed: $WHY"
      fi
    done
  done
  server_stop

  req_fast=$(requests_of "$s" "$REQUESTS"); req_slow=$(requests_of "$s" "$SLOW_REQUESTS")
  echo "## $(server_label "$s")"
  echo
  echo "server on CPU $SERVER_CPU, client on CPU $CLIENT_CPU, $CONNECTIONS connections; requests per run: $req_fast (noise floor, iotrace, floor, bpftrace), $req_slow (perf trace, strace: both runs of the pair); $PAIRS pairs; untraced runs first in odd pairs, traced first in even ones"
  [[ $s == redis ]] && echo "(redis-benchmark runs N SETs then N GETs; req/s is 2N over the time of both)"
  echo
  echo "### Noise floor: untraced vs untraced"
  echo
  echo "| pair | untraced A (req/s) | untraced B (req/s) | B/A |"
  echo "|---|---:|---:|---:|"
  cat "$WORK/$s.noise.rows"
  for tool in "${TOOLS[@]}"; do
    echo
    echo "### $(label "$tool")"
    echo
    echo "| pair | order | untraced (req/s) | traced (req/s) | traced/untraced | syscalls the tool counted |"
    echo "|---|---|---:|---:|---:|---|"
    cat "$WORK/$s.$tool.rows"
  done
  local nm nlo nhi lo hi cnt
  nm=$(median <"$WORK/$s.noise")
  read -r nlo nhi < <(minmax <"$WORK/$s.noise")
  echo
  echo "### Summary: $s"
  echo
  echo "| tracer | median traced/untraced | min | max | pairs | noise floor median (untraced B/A) |"
  echo "|---|---:|---:|---:|---:|---:|"
  cnt=$(wc -l <"$WORK/$s.noise")
  echo "| untraced vs untraced (noise floor) | $nm | $nlo | $nhi | $cnt | $nm |"
  for tool in "${TOOLS[@]}"; do
    local f="$WORK/$s.$tool"
    if [[ ! -s $f ]]; then
      echo "| $(label "$tool") | failed: $(head -c 200 "$f.fail" 2>/dev/null) | | | 0 | $nm |"
      continue
    fi
    read -r lo hi < <(minmax <"$f")
    echo "| $(label "$tool") | $(median <"$f") | $lo | $hi | $(wc -l <"$f") | $nm |"
  done
  echo
}

# ---- main ----------------------------------------------------------------------------------
if has_tool bpftrace || has_tool perf; then ensure_tracefs; fi
T_START=$(now_us)
echo "# Saturated epoll server throughput"
echo
echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'); kernel $(uname -r); $(nproc) CPUs; $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)"
echo -n "- tracers: ${TOOLS[*]}"
has_tool iotrace && echo -n "; iotrace: $IOTRACE"
has_tool bpftrace && echo -n "; $(bpftrace --version 2>&1 | head -1)"
has_tool perf && echo -n "; $(perf --version 2>&1 | head -1)"
has_tool strace && echo -n "; $(strace -V 2>&1 | head -1)"
echo
echo "- load average at start: $(cut -d' ' -f1-3 /proc/loadavg); BPF tracing programs already loaded: $(foreign)"
for note in "${NOTES[@]}"; do echo "- note: $note"; done
echo
status=0
for s in "${SERVER_LIST[@]}"; do run_server "$s" || status=1; done
echo "- load average at end: $(cut -d' ' -f1-3 /proc/loadavg); BPF tracing programs loaded at end: $(foreign); wall time $(( ($(now_us) - T_START) / 1000000 )) s"
exit $status
