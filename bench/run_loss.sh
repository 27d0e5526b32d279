#!/usr/bin/env bash
# iotrace loss benchmark: under floods of syscalls and rare events, aggregate counts stay exact
# and every rare event the kernel saw is either delivered or counted as lost. See bench/README.md.
#
#   bench/run_loss.sh [IOTRACE] [--bindir DIR] [--calls N] [--iterations N] [--stack-calls N]
#                     [--depth D] [--keep]
#
# a) syscall_loop getppid N (default 8,000,000, > 1M calls/s traced): iotrace counts exactly N
#    and reports 0 losses.
# b) flood_target stall N (default 200,000 event-loop iterations, each a stall at
#    --stall-threshold 1us): kernel stall count == events received + ring-buffer losses, and
#    == N when the trace covers the whole flood. Three runs: iotrace's reader running; stopped
#    (SIGSTOP) during the flood, so the ring buffer overflows; the trace ended mid-flood.
# c) flood_target stacks N (default 100,000 flagged pread64 calls from 2^D distinct stacks,
#    D 14 = 16,384 > the 4,096-entry stack map): flagged calls counted exactly, stacks kept
#    <= 4096, calls whose stack was lost == the stack losses reported.
# Needs root, jq. Prints a Markdown report on stdout, progress on stderr; exits 1 when any
# reconciliation fails, 77 when it cannot run (not root, no jq).
set -u

IOTRACE=build/iotrace
BINDIR=
N_CALLS=8000000
N_ITER=200000
N_STACK=100000
DEPTH=14
KEEP=0
while (($#)); do
  case $1 in
    --iotrace) IOTRACE=$2; shift 2 ;;
    --bindir) BINDIR=$2; shift 2 ;;
    --calls) N_CALLS=$2; shift 2 ;;
    --iterations) N_ITER=$2; shift 2 ;;
    --stack-calls) N_STACK=$2; shift 2 ;;
    --depth) DEPTH=$2; shift 2 ;;
    --keep) KEEP=1; shift ;;
    -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
    -*) echo "run_loss: error: unknown option '$1'" >&2; exit 64 ;;
    *) IOTRACE=$1; shift ;;
  esac
done
[[ -n $BINDIR ]] || BINDIR=$(dirname "$IOTRACE")/bench
LOOP=$BINDIR/syscall_loop
FLOOD=$BINDIR/flood_target
STACK_MAP=4096             # iot_stacks max_entries (bpf/maps.bpf.h)
NR_PREAD64=17              # x86_64
SPIN_NS=1200               # each flood iteration spins this long: above the 1us threshold
PIN=(taskset -c "$(($(nproc) - 1))")  # targets on the last CPU; iotrace is not pinned

skip() { echo "run_loss: skipped: $*" >&2; exit 77; }
note() { echo "# $*" >&2; }
((EUID == 0)) || skip "needs root (BPF)"
command -v jq >/dev/null || skip "needs jq (Debian package jq)"
[[ -x $IOTRACE ]] || { echo "run_loss: error: no iotrace binary at '$IOTRACE'" >&2; exit 2; }
[[ -x $LOOP && -x $FLOOD ]] || { echo "run_loss: error: no syscall_loop/flood_target in '$BINDIR'" >&2; exit 2; }

WORK=$(mktemp -d /tmp/iotrace-loss.XXXXXX)
STARTED=()  # pids of everything this script started, killed one by one on exit
cleanup() {
  local p
  for p in "${STARTED[@]}"; do kill -CONT "$p" 2>/dev/null; kill -KILL "$p" 2>/dev/null; done
  ((KEEP)) || rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

FAILED=0
check() { if eval "$1"; then echo ok; else echo "**FAIL**"; FAILED=1; fi; }

now_us() { local t=${EPOCHREALTIME/./}; echo "$t"; }
wait_for() {  # FILE REGEX TIMEOUT_S
  local deadline=$(( $(now_us) + $3 * 1000000 ))
  while (( $(now_us) < deadline )); do
    grep -qE "$2" "$1" 2>/dev/null && return 0
    sleep 0.01
  done
  return 1
}
stop() {  # PID: SIGINT, SIGKILL after 60 s
  local pid=$1 i
  kill -INT "$pid" 2>/dev/null || return 0
  for ((i = 0; i < 1200; i++)); do kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return 0; }; sleep 0.05; done
  echo "run_loss: warning: iotrace ignored SIGINT for 60 s; killed" >&2
  kill -KILL "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
}
field() { sed -nE "s/.*[[:space:]]$1=([^[:space:]]+).*/\1/p" "$2" | tail -1; }

# start TAG PROGRAM ARGS...: a waiting target (TPID, its stdin on TFD), then iotrace attached to
# it with IOTRACE_ARGS, --json and --save-capture (RPID). 0 once attached.
start() {
  local tag=$1; shift
  rm -f "$WORK/$tag.in"; mkfifo "$WORK/$tag.in"
  "${PIN[@]}" "$@" <"$WORK/$tag.in" >"$WORK/$tag.out" 2>"$WORK/$tag.err" &
  TPID=$!; STARTED+=("$TPID")
  exec {TFD}>"$WORK/$tag.in"
  wait_for "$WORK/$tag.out" '^ready' 10 || { echo "run_loss: error: $1 did not start: $(cat "$WORK/$tag.err")" >&2; return 1; }
  "$IOTRACE" attach "$TPID" "${IOTRACE_ARGS[@]}" --json --save-capture "$WORK/$tag.cap.json" \
    >"$WORK/$tag.report.json" 2>"$WORK/$tag.iotrace.err" &
  RPID=$!; STARTED+=("$RPID")
  wait_for "$WORK/$tag.iotrace.err" 'attached' 30 || { echo "run_loss: error: iotrace did not attach: $(tail -3 "$WORK/$tag.iotrace.err")" >&2; return 1; }
}
finish() { exec {TFD}>&-; wait "$TPID" 2>/dev/null; }
go() { echo go >&$TFD; }
wait_result() { wait_for "$WORK/$1.out" '^result' 120 || echo "run_loss: warning: no result from the target" >&2; }

echo "# iotrace loss benchmark"
echo
echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'); kernel $(uname -r); $(nproc) CPUs; $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)"
echo "- iotrace: $IOTRACE ($(git -C "$(dirname "$0")" rev-parse --short HEAD 2>/dev/null || echo '?')); load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
T_START=$(now_us)

# ---- a) exact counts at > 1M syscalls/s ------------------------------------------------------
note "a) getppid x $N_CALLS"
IOTRACE_ARGS=()
echo "## a) Aggregate counts at > 1M syscalls/s"
echo
echo "| getppid calls made (target's count) | counted by iotrace | losses.total | rate while traced | check |"
echo "|---:|---:|---:|---:|---|"
if start a "$LOOP" getppid "$N_CALLS"; then
  go; wait_result a; stop "$RPID"; finish
  made=$(field getppid "$WORK/a.out"); ns=$(field ns_per_call "$WORK/a.out")
  got=$(jq '[.processes[].syscalls[] | select(.syscall == "getppid") | .calls] | add // 0' "$WORK/a.report.json")
  lost=$(jq '.losses.total' "$WORK/a.report.json")
  rate=$(awk -v ns="$ns" 'BEGIN {printf "%.2fM calls/s (%.0f ns/call)", 1000 / ns, ns}')
  echo "| $made | $got | $lost | $rate | $(check "[[ '$made' == '$N_CALLS' && '$got' == '$made' && '$lost' == 0 ]]") |"
else
  echo "| - | - | - | - | **FAIL** (did not run) |"; FAILED=1
fi
echo

# ---- b) stall flood --------------------------------------------------------------------------
echo "## b) Stall flood: every stall the kernel counted is received or counted lost"
echo
echo "Each iteration of flood_target's loop (epoll_wait, timeout 0, then a ${SPIN_NS} ns spin) is a"
echo "stall at \`--stall-threshold 1us\`. The ring buffer (256 KiB) holds ~2,978 stall events."
echo
echo "| run | iterations made | kernel stall count (thread) | events received | ring-buffer losses | received + lost | target's iterations/s | check |"
echo "|---|---:|---:|---:|---:|---:|---:|---|"
IOTRACE_ARGS=(--stall-threshold 1us)
for run in running stopped midway; do
  tag=b-$run
  note "b) stall flood, $run"
  case $run in
    running) label="iotrace reading" ;;
    stopped) label="iotrace stopped (SIGSTOP) for the whole flood" ;;
    midway) label="trace ended mid-flood, target still running" ;;
  esac
  if ! start "$tag" "$FLOOD" stall "$N_ITER" --spin-ns "$SPIN_NS"; then
    echo "| $label | - | - | - | - | - | - | **FAIL** (did not run) |"; FAILED=1; continue
  fi
  case $run in
    running) go; wait_result "$tag"; stop "$RPID" ;;
    stopped) kill -STOP "$RPID"; go; wait_result "$tag"; kill -CONT "$RPID"; stop "$RPID" ;;
    midway) go; sleep 0.3; stop "$RPID"; wait_result "$tag" ;;
  esac
  finish
  iters=$(field iterations "$WORK/$tag.out"); tid=$(field tid "$WORK/$tag.out"); per_s=$(field per_s "$WORK/$tag.out")
  cap=$WORK/$tag.cap.json rep=$WORK/$tag.report.json
  kernel=$(jq --argjson t "$tid" '[.threads[] | select(.tid == $t) | .stalls] | add // 0' "$cap")
  got=$(jq --argjson t "$tid" '[.stalls[] | select(.tid == $t)] | length' "$cap")
  got_all=$(jq '.stalls | length' "$cap")
  lost=$(jq '.losses.ringbuf' "$cap")
  rep_kernel=$(jq --argjson t "$tid" '[.processes[].threads[] | select(.tid == $t) | .stalls] | add // 0' "$rep")
  rep_lost=$(jq '.losses.ringbuf' "$rep")
  cond="(( got == got_all && got + lost == kernel && rep_kernel == kernel && rep_lost == lost ))"
  case $run in
    running) cond="$cond && (( kernel == iters ))" ;;
    stopped) cond="$cond && (( kernel == iters && lost > 0 ))" ;;
    midway) cond="$cond && (( kernel > 0 && kernel <= iters ))" ;;
  esac
  echo "| $label | $iters | $kernel | $got | $lost | $((got + lost)) | $per_s | $(check "$cond") |"
done
echo
echo "Checks: received + lost == the kernel's count for the thread (\`stalls\` in the report and the"
echo "capture; losses.ringbuf in both); == iterations made when the trace covered the whole flood;"
echo "losses > 0 when the reader was stopped."
echo

# ---- c) stack flood --------------------------------------------------------------------------
echo "## c) Flagged calls from more distinct stacks than the stack map holds"
echo
echo "| flagged pread64 calls made | distinct call paths | counted by iotrace | distinct stacks kept (map: $STACK_MAP) | calls with a stack | calls whose stack was lost | stack losses reported | flagged map full | check |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|---|"
note "c) stack flood"
IOTRACE_ARGS=()
if start c "$FLOOD" stacks "$N_STACK" --depth "$DEPTH"; then
  go; wait_result c; stop "$RPID"; finish
  made=$(field preads "$WORK/c.out"); paths=$(field paths "$WORK/c.out"); tid=$(field tid "$WORK/c.out")
  cap=$WORK/c.cap.json rep=$WORK/c.report.json
  sel='.flagged[] | select(.tid == $t and .nr == '$NR_PREAD64')'
  counted=$(jq --argjson t "$tid" "[$sel | .count] | add // 0" "$cap")
  kept=$(jq --argjson t "$tid" "[$sel | select(.stack.lost | not)] | length" "$cap")
  with_stack=$(jq --argjson t "$tid" "[$sel | select(.stack.lost | not) | .count] | add // 0" "$cap")
  lost_calls=$(jq '[.flagged[] | select(.stack.lost) | .count] | add // 0' "$cap")
  lost=$(jq '.losses.stack' "$cap"); rep_lost=$(jq '.losses.stacks' "$rep")
  full=$(jq '.losses.flagged_full' "$cap")
  cond="(( made == N_STACK && counted == made && kept <= STACK_MAP && with_stack + lost_calls == counted && lost_calls == lost && rep_lost == lost && full == 0 ))"
  ((paths > STACK_MAP)) && cond="$cond && (( lost > 0 ))"
  echo "| $made | $paths | $counted | $kept | $with_stack | $lost_calls | $lost | $full | $(check "$cond") |"
else
  echo "| - | - | - | - | - | - | - | - | **FAIL** (did not run) |"; FAILED=1
fi
echo
echo "Checks: every flagged call counted; stacks kept <= the map's size; the calls recorded without"
echo "a stack (\`stack.lost\` in the capture) == losses.stack in the capture == losses.stacks in the"
echo "report; no flagged-map overflow."
echo
echo "- load average at end: $(cut -d' ' -f1-3 /proc/loadavg); wall time $(( ($(now_us) - T_START) / 1000000 )) s"
((KEEP)) && echo "- raw files kept in $WORK"
if ((FAILED)); then echo "run_loss: a reconciliation failed" >&2; exit 1; fi
exit 0
