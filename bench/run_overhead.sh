#!/usr/bin/env bash
# iotrace overhead benchmark: what iotrace, bpftrace, perf trace and strace cost, side by side in
# one run, each configuration repeated and reported as a median. See bench/README.md.
#
#   bench/run_overhead.sh [IOTRACE] [--bindir DIR] [--reps N] [--sections 1234] [--keep]
#                         [--no-rt] [--smoke]
#
# Sections: 1 per-syscall cost on the traced process, 2 cost to other (untraced) processes,
# 3 iotrace's own attach time, memory and CPU, 4 loss check at > 1M syscalls/s.
# Needs root. Prints a report on stdout; progress goes to stderr.
set -u
. "$(dirname "$0")/perf_ready.sh"

IOTRACE=build/iotrace
BINDIR=
REPS=3
SECTIONS=1234
SMOKE=0
KEEP=0
RT=1
while (($#)); do
  case $1 in
    --iotrace) IOTRACE=$2; shift 2 ;;
    --bindir) BINDIR=$2; shift 2 ;;
    --reps) REPS=$2; shift 2 ;;
    --sections) SECTIONS=$2; shift 2 ;;
    --smoke) SMOKE=1; shift ;;
    --keep) KEEP=1; shift ;;
    --no-rt) RT=0; shift ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    -*) echo "run_overhead: error: unknown option '$1'" >&2; exit 64 ;;
    *) IOTRACE=$1; shift ;;
  esac
done
[[ -n $BINDIR ]] || BINDIR=$(dirname "$IOTRACE")/bench
LOOP=$BINDIR/syscall_loop
THREADS=$BINDIR/threads_target
FLOOR=$BINDIR/floor

# Calls per run, per tool: strace and perf trace are slow enough that 2M calls would take minutes;
# ns per call is a rate, so the counts only need to make each run last ~0.3 s or more.
N_FAST=1000000   # untraced, iotrace, bpftrace (under 1 s even traced: see RT throttling below)
N_PERF=300000
N_STRACE=40000
N_LOSS=8000000
N_PING=200000
NPROC=$(nproc)
TCPU=$((NPROC - 1)) # the measured loop is pinned here; tracers' user space is left unpinned
# The measured loop runs SCHED_FIFO so that other work on a shared machine cannot preempt it
# (wall time then equals its CPU time, unless a tracer blocks it); --no-rt turns this off. The
# kernel's RT throttling (sched_rt_runtime_us) still preempts a run that lasts over ~0.95 s,
# which is why the loop's CPU time is reported next to its wall time.
PIN=(taskset -c "$TCPU")
((RT)) && PIN=(chrt -f 10 taskset -c "$TCPU")
MODES=(getppid read)
if ((SMOKE)); then REPS=1; SECTIONS=1; N_FAST=100000; MODES=(getppid); fi

skip() { echo "run_overhead: skipped: $*" >&2; exit 77; }
note() { echo "# $*" >&2; }
((EUID == 0)) || skip "needs root (BPF, ptrace of other users' processes, tracefs)"
command -v jq >/dev/null || { ((SMOKE)) && skip "needs jq (Debian package jq)"; echo "run_overhead: warning: jq not found: iotrace's counts will be missing" >&2; }
[[ -x $IOTRACE ]] || { echo "run_overhead: error: no iotrace binary at '$IOTRACE'" >&2; exit 2; }
[[ -x $LOOP && -x $THREADS && -x $FLOOR ]] || { echo "run_overhead: error: no bench programs in '$BINDIR'" >&2; exit 2; }

WORK=$(mktemp -d /tmp/iotrace-bench.XXXXXX)
STARTED=()          # pids of everything this script started, killed one by one on exit
MOUNTED_TRACEFS=0
cleanup() {
  local p
  for p in "${STARTED[@]}"; do kill -KILL "$p" 2>/dev/null; done
  ((MOUNTED_TRACEFS)) && umount /sys/kernel/tracing 2>/dev/null
  ((KEEP)) || rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

now_us() { local t=${EPOCHREALTIME/./}; echo "$t"; }

# wait_for FILE REGEX TIMEOUT_S: 0 once a line of FILE matches.
wait_for() {
  local deadline=$(( $(now_us) + $3 * 1000000 ))
  while (( $(now_us) < deadline )); do
    grep -qE "$2" "$1" 2>/dev/null && return 0
    sleep 0.01
  done
  return 1
}

# stop PID [TIMEOUT_S]: SIGINT, then SIGKILL if it does not exit in time.
stop() {
  local pid=$1 t=${2:-15} i
  kill -INT "$pid" 2>/dev/null || return 0
  for ((i = 0; i < t * 20; i++)); do kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return 0; }; sleep 0.05; done
  echo "run_overhead: warning: pid $pid ignored SIGINT for ${t}s; killed" >&2
  kill -KILL "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
}

# Other BPF tracing programs loaded on the machine (other users' tracers or test suites) make
# every syscall dearer; runs that saw any are marked "*" and left out of medians when a clean
# run of the same configuration exists. Checked between runs, while none of ours is loaded.
# The kernel frees a program a little after its last user exits, so a tracer we just stopped
# can still be listed: look again a few times before calling a program foreign.
foreign() {
  command -v bpftool >/dev/null || return 0
  local i names
  for ((i = 0; i < 4; i++)); do
    names=$(bpftool -j prog show 2>/dev/null | jq -r '[.[] | select(.type == "tracing" or .type == "raw_tracepoint"
      or .type == "tracepoint" or .type == "kprobe" or .type == "perf_event") | .name // "?"] | unique | join(",")' 2>/dev/null)
    [[ -z $names ]] && return 0
    sleep 0.25
  done
  echo "$names"
}
# mark TAG BEFORE AFTER: prints "*" (and logs the names) when either check found programs.
mark() {
  [[ -z $2$3 ]] && return
  echo "$1: ${2:-$3}" >>"$WORK/foreign.log"
  echo "*"
}
# cmedian FILE: median of the unmarked values, or of all when every run is marked.
cmedian() {
  if grep -qv '\*' "$1"; then grep -v '\*' "$1" | median; else tr -d '*' <"$1" | median; fi
}
median() { sort -g | awk '{v[NR]=$1} END {if (!NR) {print "NA"; exit} print (NR%2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2)}'; }
field() { sed -nE "s/.*[[:space:]]$1=([^[:space:]]+).*/\1/p" "$2" | tail -1; }

ensure_tracefs() {
  if [[ -e /sys/kernel/tracing/events/raw_syscalls ]]; then return; fi
  if mount -t tracefs nodev /sys/kernel/tracing 2>"$WORK/mount.err"; then
    MOUNTED_TRACEFS=1
    echo "- note: tracefs was not mounted; mounted it at /sys/kernel/tracing for bpftrace and perf trace (unmounted at exit). iotrace does not need it."
  else
    echo "- note: tracefs is not mounted and mounting it failed ($(cat "$WORK/mount.err")); bpftrace and perf trace may fail"
  fi
}

# ---- targets ------------------------------------------------------------------------------
# start_loop TAG MODE CALLS: starts a waiting syscall_loop; sets TPID and TFD (its stdin).
start_loop() {
  local tag=$1
  rm -f "$WORK/$tag.in"; mkfifo "$WORK/$tag.in"
  "${PIN[@]}" "$LOOP" "$2" "$3" <"$WORK/$tag.in" >"$WORK/$tag.out" 2>"$WORK/$tag.err" &
  TPID=$!; STARTED+=("$TPID")
  exec {TFD}>"$WORK/$tag.in"
  wait_for "$WORK/$tag.out" '^ready' 10 || { echo "syscall_loop did not start" >&2; return 1; }
}
end_loop() { exec {TFD}>&-; wait "$TPID" 2>/dev/null; }

# ---- tracers -------------------------------------------------------------------------------
# start_tracer TOOL PID TAG: sets RPID; 0 once the tracer is attached, else 1 with WHY set.
start_tracer() {
  local tool=$1 pid=$2 tag=$3 o="$WORK/$3.tool.out" e="$WORK/$3.tool.err"
  RPID= WHY=
  case $tool in
    iotrace)
      "$IOTRACE" attach "$pid" --json >"$o" 2>"$e" &
      RPID=$!; STARTED+=("$RPID")
      wait_for "$e" 'attached' 30 || { WHY="no 'attached' line: $(tail -2 "$e" | tr '\n' ' ')"; return 1; } ;;
    loopwatch)
      "$IOTRACE" attach "$pid" --loop-watch --json >"$o" 2>"$e" &
      RPID=$!; STARTED+=("$RPID")
      wait_for "$e" 'attached' 30 || { WHY="no 'attached' line: $(tail -2 "$e" | tr '\n' ' ')"; return 1; } ;;
    floor)
      "$FLOOR" "$pid" >"$o" 2>"$e" &
      RPID=$!; STARTED+=("$RPID")
      wait_for "$e" 'attached' 30 || { WHY="$(head -3 "$e" | tr '\n' ' ')"; return 1; } ;;
    bpftrace|bpftrace-lat)
      local prog
      case $tool in
        bpftrace) prog="tracepoint:raw_syscalls:sys_enter /pid == $pid/ { @[tid, args->id] = count(); }" ;;
        bpftrace-lat) prog="tracepoint:raw_syscalls:sys_enter /pid == $pid/ { @s[tid] = nsecs; }
          tracepoint:raw_syscalls:sys_exit /pid == $pid && @s[tid]/ { @[tid, args->id] = count();
            @ns[args->id] = hist(nsecs - @s[tid]); delete(@s[tid]); }" ;;
      esac
      bpftrace -e "BEGIN { printf(\"ready\\n\"); } $prog" >"$o" 2>"$e" &
      RPID=$!; STARTED+=("$RPID")
      wait_for "$o" '^ready' 60 || { WHY="$(grep -v '^$' "$e" | head -3 | tr '\n' ' ')"; return 1; } ;;
    perf)
      perf trace -s -p "$pid" -o "$o" 2>"$e" &
      RPID=$!; STARTED+=("$RPID")
      wait_perf_ready "$RPID" "$e" || return 1 ;;
    strace)
      strace -c -f -p "$pid" -o "$o" 2>"$e" &
      RPID=$!; STARTED+=("$RPID")
      local i
      for ((i = 0; i < 200; i++)); do
        [[ $(awk '/^TracerPid/ {print $2}' /proc/"$pid"/status 2>/dev/null) != 0 ]] && break
        sleep 0.01
      done
      ((i < 200)) || { WHY="did not attach: $(head -2 "$e")"; return 1; }
      sleep 0.2 ;;
    none) return 0 ;;
  esac
  return 0
}

# seen TOOL TAG SYSCALL...: how many of these calls the tool counted (for a sanity column).
seen() {
  local tool=$1 tag=$2; shift 2
  local o="$WORK/$tag.tool.out" re nr
  re=$(IFS='|'; echo "$*")
  case $tool in
    iotrace) jq -r --arg re "^($re)$" '[.processes[].syscalls[] | select(.syscall | test($re)) | .calls] | add // 0' "$o" 2>/dev/null ;;
    bpftrace|bpftrace-lat)
      nr=$(for s in "$@"; do case $s in read) echo 0 ;; write) echo 1 ;; getppid) echo 110 ;; esac; done | paste -sd'|')
      awk -v re="^($nr)\\]:" '/^@\[/ {split($0, a, ", "); if (a[2] ~ re) s += $NF} END {print s + 0}' "$o" ;;
    perf) awk -v re="^($re)$" '$1 ~ re && $2 ~ /^[0-9]+$/ {s += $2} END {print s + 0}' "$o" ;;
    strace) awk -v re="^($re)$" '$NF ~ re && $4 ~ /^[0-9]+$/ {s += $4} END {print s + 0}' "$o" ;;
    floor) sed -nE 's/.*exits=([0-9]+).*/\1/p' "$o" ;;
    *) echo "-" ;;
  esac
}

# ---- section 1: cost on the traced process -------------------------------------------------
calls_for() { case $1 in strace) echo "$N_STRACE" ;; perf) echo "$N_PERF" ;; *) echo "$N_FAST" ;; esac; }

run_traced() { # MODE TOOL REP -> appends to $WORK/s1.$MODE.$TOOL
  local mode=$1 tool=$2 rep=$3 tag="s1-$1-$2-$3" n ns expect got f1 f2 m
  n=$(calls_for "$tool")
  f1=$(foreign)
  start_loop "$tag" "$mode" "$n" || return
  if ! start_tracer "$tool" "$TPID" "$tag"; then
    echo "$WHY" >"$WORK/s1.$mode.$tool.fail"
    echo "  $tool failed: $WHY" >&2
    [[ -n $RPID ]] && stop "$RPID" 2
    end_loop; return
  fi
  echo go >&$TFD
  wait_for "$WORK/$tag.out" '^result' 600 || echo "  $tool: loop did not finish" >&2
  [[ -n $RPID ]] && stop "$RPID" 15
  end_loop
  ns=$(field ns_per_call "$WORK/$tag.out")
  if [[ $mode == getppid ]]; then expect=$(field getppid "$WORK/$tag.out"); got=$(seen "$tool" "$tag" getppid)
  else expect=$(field reads "$WORK/$tag.out"); got=$(seen "$tool" "$tag" read); fi
  f2=$(foreign); m=$(mark "$tag" "$f1" "$f2")
  echo "$ns$m" >>"$WORK/s1.$mode.$tool"
  echo "$(field cpu_ns_per_call "$WORK/$tag.out")$m" >>"$WORK/s1.$mode.$tool.cpu"
  echo "$got/$expect" >>"$WORK/s1.$mode.$tool.seen"
  printf '  %-8s %-13s rep %d: %8s ns/call, CPU %8s ns/call, preempted %s times (tool counted %s of %s)\n' "$mode" "$tool" "$rep" "$ns$m" \
    "$(field cpu_ns_per_call "$WORK/$tag.out")" "$(field invol_cs "$WORK/$tag.out")" "$got" "$expect" >&2
}

section1() {
  local tools=(none floor iotrace bpftrace bpftrace-lat perf strace) mode rep i k
  ((SMOKE)) && tools=(none iotrace)
  echo "## 1. Per-syscall cost on the traced process"
  echo
  echo "calls per run: ${N_FAST} (untraced, iotrace, bpftrace), ${N_PERF} (perf trace), ${N_STRACE} (strace); loop run as \`${PIN[*]}\`; $REPS reps, tool order rotated each rep"
  for mode in "${MODES[@]}"; do
    for ((rep = 1; rep <= REPS; rep++)); do
      for ((i = 0; i < ${#tools[@]}; i++)); do
        k=$(( (i + rep - 1) % ${#tools[@]} ))
        run_traced "$mode" "${tools[k]}" "$rep"
      done
    done
  done
  for mode in "${MODES[@]}"; do
    local base
    base=$(cmedian "$WORK/s1.$mode.none")
    echo
    echo "### $mode loop ($([[ $mode == getppid ]] && echo 'syscall(SYS_getppid)' || echo '1-byte read() on a UNIX socketpair'))"
    echo
    echo "| tracer | ns/call (median) | runs (ns/call) | added ns/call | ratio vs untraced | loop CPU ns/call (median) | calls the tool counted / made |"
    echo "|---|---:|---|---:|---:|---:|---|"
    for tool in "${tools[@]}"; do
      local f="$WORK/s1.$mode.$tool" med runs
      if [[ ! -s $f ]]; then
        echo "| $(label "$tool") | failed | $(cat "$f.fail" 2>/dev/null | head -c 200) | | | | |"
        continue
      fi
      med=$(cmedian "$f"); runs=$(paste -sd' ' "$f")
      awk -v t="$(label "$tool")" -v m="$med" -v b="$base" -v r="$runs" -v s="$(paste -sd' ' "$f.seen")" \
        -v c="$(cmedian "$f.cpu")" 'BEGIN {printf "| %s | %.1f | %s | %+.1f | %.2fx | %.1f | %s |\n", t, m, r, m - b, m / b, c, s}'
    done
  done
  echo
}

label() {
  case $1 in
    none) echo "untraced" ;;
    iotrace) echo "iotrace attach" ;;
    loopwatch) echo "iotrace attach --loop-watch" ;;
    bpftrace) echo "bpftrace count (sys_enter)" ;;
    bpftrace-lat) echo "bpftrace count+latency hist (enter+exit)" ;;
    floor) echo "floor: tp_btf enter+exit, tgid filter only (bench/floor)" ;;
    perf) echo "perf trace -s -p" ;;
    strace) echo "strace -c -f -p" ;;
  esac
}

# ---- section 2: cost to processes that are not traced --------------------------------------
section2() {
  local tools=(none iotrace loopwatch bpftrace floor perf) rep i k tool idle tag ns mode f1 f2 m
  echo "## 2. Cost to an untraced process while the tracer watches another (idle) pid"
  echo
  echo "not traced, run as \`${PIN[*]}\`: the getppid loop (${N_FAST} calls) and a pipe ping-pong with a forked child on the same CPU (${N_PING} parent calls, each with a context switch; ns per parent call); the tracer watches an idle 'sleep' process"
  sleep 1000 & idle=$!; STARTED+=("$idle")
  for ((rep = 1; rep <= REPS; rep++)); do
    for ((i = 0; i < ${#tools[@]}; i++)); do
      k=$(( (i + rep - 1) % ${#tools[@]} )); tool=${tools[k]}; tag="s2-$tool-$rep"
      f1=$(foreign)
      if ! start_tracer "$tool" "$idle" "$tag"; then
        echo "$WHY" >"$WORK/s2.$tool.fail"; echo "  $tool failed: $WHY" >&2
        [[ -n $RPID ]] && stop "$RPID" 2; continue
      fi
      "${PIN[@]}" "$LOOP" getppid "$N_FAST" --no-wait >"$WORK/$tag.getppid.out" 2>&1
      "${PIN[@]}" "$LOOP" pingpong "$N_PING" --no-wait >"$WORK/$tag.pingpong.out" 2>&1
      [[ -n $RPID ]] && stop "$RPID" 15
      f2=$(foreign); m=$(mark "$tag" "$f1" "$f2")
      for mode in getppid pingpong; do
        ns=$(field ns_per_call "$WORK/$tag.$mode.out")
        echo "$ns$m" >>"$WORK/s2.$mode.$tool"
        printf '  others   %-8s %-13s rep %d: %8s ns/call\n' "$mode" "$tool" "$rep" "$ns" >&2
      done
    done
  done
  kill "$idle" 2>/dev/null; wait "$idle" 2>/dev/null
  for mode in getppid pingpong; do
    local base; base=$(cmedian "$WORK/s2.$mode.none")
    echo
    echo "### $mode loop, not traced"
    echo
    echo "| tracer (watching another pid) | ns/call (median) | runs | added ns/call | ratio vs no tracer |"
    echo "|---|---:|---|---:|---:|"
    for tool in "${tools[@]}"; do
      local f="$WORK/s2.$mode.$tool" med
      if [[ ! -s $f ]]; then echo "| $(label "$tool") | failed | $(head -c 200 "$WORK/s2.$tool.fail" 2>/dev/null) | | |"; continue; fi
      med=$(cmedian "$f")
      awk -v t="$(label "$tool")" -v m="$med" -v b="$base" -v r="$(paste -sd' ' "$f")" \
        'BEGIN {printf "| %s | %.1f | %s | %+.1f | %.2fx |\n", t, m, r, m - b, m / b}'
    done
  done
  echo
}

# ---- section 3: iotrace itself --------------------------------------------------------------
section3() {
  local nthreads rep tag t0 ta dur=3
  echo "## 3. iotrace itself: time to attach, peak RSS, CPU"
  echo
  echo "\`/usr/bin/time -v $IOTRACE attach PID -d ${dur}s --json\`; target: threads_target N (N threads, each waking every 100 ms)"
  for nthreads in 1 1000; do
    for ((rep = 1; rep <= REPS; rep++)); do
      tag="s3-$nthreads-$rep"
      rm -f "$WORK/$tag.in"; mkfifo "$WORK/$tag.in"
      "$THREADS" "$nthreads" <"$WORK/$tag.in" >"$WORK/$tag.out" 2>&1 &
      TPID=$!; STARTED+=("$TPID"); exec {TFD}>"$WORK/$tag.in"
      wait_for "$WORK/$tag.out" '^ready' 30 || { echo "  threads_target did not start" >&2; end_loop; continue; }
      t0=$(now_us)
      /usr/bin/time -v -o "$WORK/$tag.time" "$IOTRACE" attach "$TPID" -d "${dur}s" --json \
        >"$WORK/$tag.json" 2> >(while IFS= read -r l; do echo "$(now_us) $l"; done >"$WORK/$tag.err") &
      local ipid=$!; STARTED+=("$ipid")
      wait "$ipid"
      end_loop
      sleep 0.2 # let the stamping subshell flush
      ta=$(awk '/attached/ {print $1; exit}' "$WORK/$tag.err")
      local ms rss cpu th
      ms=$( [[ -n $ta ]] && echo $(( (ta - t0) / 1000 )) || echo NA )
      rss=$(awk -F': ' '/Maximum resident/ {printf "%.1f", $2 / 1024}' "$WORK/$tag.time")
      cpu=$(awk -F': ' '/User time/ {u = $2} /System time/ {s = $2} END {printf "%.2f", u + s}' "$WORK/$tag.time")
      th=$(jq '[.processes[]?.threads | length] | add // 0' "$WORK/$tag.json" 2>/dev/null)
      echo "$ms" >>"$WORK/s3.$nthreads.ms"; echo "$rss" >>"$WORK/s3.$nthreads.rss"; echo "$cpu" >>"$WORK/s3.$nthreads.cpu"
      echo "$th" >>"$WORK/s3.$nthreads.th"
      printf '  iotrace  %4d threads rep %d: attached after %s ms, peak RSS %s MiB, CPU %s s, threads reported %s\n' \
        "$nthreads" "$rep" "$ms" "$rss" "$cpu" "$th" >&2
    done
  done
  echo
  echo "| target threads | start to 'attached' (ms, median) | runs (ms) | peak RSS (MiB, median) | CPU user+sys over the ${dur} s run (s, median) | threads in report |"
  echo "|---:|---:|---|---:|---:|---|"
  for nthreads in 1 1000; do
    printf '| %d | %s | %s | %s | %s | %s |\n' "$nthreads" "$(median <"$WORK/s3.$nthreads.ms")" \
      "$(paste -sd' ' "$WORK/s3.$nthreads.ms")" "$(median <"$WORK/s3.$nthreads.rss")" \
      "$(median <"$WORK/s3.$nthreads.cpu")" "$(paste -sd' ' "$WORK/s3.$nthreads.th")"
  done
  echo
}

# ---- section 4: loss -------------------------------------------------------------------------
section4() {
  local tag=s4 made got lost ns rate
  echo "## 4. Loss: exact counts at > 1M syscalls/s"
  echo
  start_loop "$tag" getppid "$N_LOSS" || return
  if ! start_tracer iotrace "$TPID" "$tag"; then echo "iotrace failed: $WHY"; end_loop; return; fi
  echo go >&$TFD
  wait_for "$WORK/$tag.out" '^result' 120
  stop "$RPID" 30
  end_loop
  made=$(field getppid "$WORK/$tag.out"); ns=$(field ns_per_call "$WORK/$tag.out")
  got=$(seen iotrace "$tag" getppid)
  lost=$(jq '.losses.total' "$WORK/$tag.tool.out" 2>/dev/null)
  rate=$(awk -v ns="$ns" 'BEGIN {printf "%.2f", 1000 / ns}')
  echo "| getppid calls made (target's count) | counted by iotrace --json | losses.total | rate while traced | verdict |"
  echo "|---:|---:|---:|---:|---|"
  local verdict=FAIL
  [[ $made == "$got" && $lost == 0 ]] && verdict="exact, no loss"
  echo "| $made | $got | $lost | ${rate}M calls/s ($ns ns/call) | $verdict |"
  echo
}

echo "# iotrace overhead benchmark"
echo
echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'); kernel $(uname -r); $NPROC CPUs; $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)"
echo "- iotrace: $IOTRACE; $(bpftrace --version 2>&1 | head -1); $(perf --version 2>&1 | head -1); $(strace -V 2>&1 | head -1)"
echo "- load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
[[ $SECTIONS == *1* || $SECTIONS == *2* ]] && ((!SMOKE)) && ensure_tracefs
echo
T_START=$(now_us)
[[ $SECTIONS == *1* ]] && section1
[[ $SECTIONS == *2* ]] && section2
[[ $SECTIONS == *3* ]] && section3
[[ $SECTIONS == *4* ]] && section4
echo "- load average at end: $(cut -d' ' -f1-3 /proc/loadavg); wall time $(( ($(now_us) - T_START) / 1000000 )) s"
if [[ -s $WORK/foreign.log ]]; then
  echo "- runs marked * had other BPF tracing programs loaded (left out of medians when a clean run of the same configuration exists):"
  sort -u -t: -k2 "$WORK/foreign.log" | sed 's/^/  - /' | head -20
fi
((KEEP)) && echo "- raw files kept in $WORK"
if ((SMOKE)); then
  # The smoke run passes when both configurations produced a number and iotrace counted every call.
  [[ -s $WORK/s1.getppid.none && -s $WORK/s1.getppid.iotrace ]] || exit 1
  grep -qvE '^([0-9]+)/\1$' "$WORK/s1.getppid.iotrace.seen" && { echo "iotrace missed calls" >&2; exit 1; }
fi
exit 0
