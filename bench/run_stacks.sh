#!/usr/bin/env bash
# Cost of user stacks without frame pointers: iotrace copies the user stack (16 KiB) and the
# registers at a new flagged call site and unwinds the copy in user space with the binaries'
# call-frame information. This measures, side by side in one run, with and without the copies
# (--no-feature unwind):
#   a) a new call site at every call (flood_target stacks 2^D --depth D): the target's time per
#      call; the difference is the kernel's cost of one copy;
#   b) one call site, many calls (flood_target stacks N --depth 0): copies are taken at the 1st,
#      2nd, 4th... call and at most once a second, so the cost per flagged call should not move;
#   c) user space: copies unwound and the time per unwind (iotrace -v), losses;
#   d) the size of the CFI tables an in-kernel unwinder would have to load for common binaries.
#
#   bench/run_stacks.sh [IOTRACE] [--bindir DIR] [--depth D] [--calls N] [--reps R]
# Needs root and jq. Markdown on stdout, progress on stderr; 77 when it cannot run.
set -u

IOTRACE=build/iotrace
BINDIR=
DEPTH=10
N_ONE=200000
REPS=3
while (($#)); do
  case $1 in
    --bindir) BINDIR=$2; shift 2 ;;
    --depth) DEPTH=$2; shift 2 ;;
    --calls) N_ONE=$2; shift 2 ;;
    --reps) REPS=$2; shift 2 ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    -*) echo "run_stacks: error: unknown option '$1'" >&2; exit 64 ;;
    *) IOTRACE=$1; shift ;;
  esac
done
[[ -n $BINDIR ]] || BINDIR=$(dirname "$IOTRACE")/bench
FLOOD=$BINDIR/flood_target
PIN=(taskset -c "$(($(nproc) - 1))")
((EUID == 0)) || { echo "run_stacks: skipped: needs root (BPF)" >&2; exit 77; }
command -v jq >/dev/null || { echo "run_stacks: skipped: needs jq" >&2; exit 77; }
[[ -x $IOTRACE && -x $FLOOD ]] || { echo "run_stacks: error: no iotrace or flood_target" >&2; exit 2; }

WORK=$(mktemp -d /tmp/iotrace-stacks.XXXXXX)
trap 'rm -rf "$WORK"; jobs -p | xargs -r kill -KILL 2>/dev/null' EXIT
now_us() { echo "${EPOCHREALTIME/./}"; }
wait_for() {  # FILE REGEX TIMEOUT_S
  local deadline=$(( $(now_us) + $3 * 1000000 ))
  while (( $(now_us) < deadline )); do grep -qE "$2" "$1" 2>/dev/null && return 0; sleep 0.01; done
  return 1
}
field() { sed -nE "s/.*[[:space:]]$1=([^[:space:]]+).*/\1/p" "$2" | tail -1; }

# one TAG MODE(on|off) CALLS DEPTH: prints "ns_per_call copies unwind_us_each stack_losses"
one() {
  local tag=$1 mode=$2 calls=$3 depth=$4 feat=()
  [[ $mode == off ]] && feat=(--no-feature unwind)
  rm -f "$WORK/$tag.in"; mkfifo "$WORK/$tag.in"
  "${PIN[@]}" "$FLOOD" stacks "$calls" --depth "$depth" <"$WORK/$tag.in" >"$WORK/$tag.out" 2>&1 &
  local tpid=$!
  exec {fd}>"$WORK/$tag.in"
  wait_for "$WORK/$tag.out" '^ready' 10 || { echo "run_stacks: target did not start" >&2; return 1; }
  taskset -c 0 "$IOTRACE" -v "${feat[@]}" attach "$tpid" --json >"$WORK/$tag.json" 2>"$WORK/$tag.err" &
  local rpid=$!
  wait_for "$WORK/$tag.err" 'attached' 30 || { echo "run_stacks: iotrace did not attach" >&2; return 1; }
  echo go >&$fd
  wait_for "$WORK/$tag.out" '^result' 120
  sleep 0.3
  kill -INT "$rpid"; wait "$rpid" 2>/dev/null
  exec {fd}>&-; wait "$tpid" 2>/dev/null
  local ns copies each lost
  ns=$(awk -v t="$(field elapsed_ns "$WORK/$tag.out")" -v n="$(field calls "$WORK/$tag.out")" 'BEGIN {printf "%.0f", t / n}')
  copies=$(sed -nE 's/.* ([0-9]+) user stack copies unwound.*/\1/p' "$WORK/$tag.err" | tail -1)
  each=$(sed -nE 's/.*\(([0-9.]+) us each\).*/\1/p' "$WORK/$tag.err" | tail -1)
  lost=$(jq '.losses.stack_copies // 0' "$WORK/$tag.json" 2>/dev/null)
  echo "$ns ${copies:-0} ${each:--} ${lost:-?}"
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }

echo "# iotrace stack-copy benchmark"
echo
echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'); kernel $(uname -r); $(nproc) CPUs; load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "- iotrace $(git -C "$(dirname "$0")" rev-parse --short HEAD 2>/dev/null || echo '?'); $REPS reps, copies on/off alternated"
echo
declare -A NEW ONE COPIES EACH LOST
for ((r = 1; r <= REPS; r++)); do
  for mode in $( ((r % 2)) && echo "on off" || echo "off on"); do
    echo "rep $r $mode" >&2
    read -r ns c e l < <(one "new$r$mode" "$mode" $((1 << DEPTH)) "$DEPTH")
    NEW[$mode]+="$ns "; COPIES[$mode]+="$c "; EACH[$mode]+="$e "; LOST[$mode]+="$l "
    read -r ns c e l < <(one "one$r$mode" "$mode" "$N_ONE" 0)
    ONE[$mode]+="$ns "; COPIES[one$mode]+="$c "
  done
done
med() { tr ' ' '\n' | grep -v '^$' | grep -v -- '-' | median; }
echo "## a) and b): the target's time per flagged call (medians of $REPS)"
echo
echo "| copies | new site at every call ($((1 << DEPTH)) sites) | copies unwound | one site ($N_ONE calls) | copies unwound | stack losses |"
echo "|---|---:|---:|---:|---:|---|"
for mode in off on; do
  echo "| $mode | $(echo "${NEW[$mode]}" | med) ns | $(echo "${COPIES[$mode]}" | med) | $(echo "${ONE[$mode]}" | med) ns | $(echo "${COPIES[one$mode]}" | med) | ${LOST[$mode]}|"
done
a_on=$(echo "${NEW[on]}" | med); a_off=$(echo "${NEW[off]}" | med)
b_on=$(echo "${ONE[on]}" | med); b_off=$(echo "${ONE[off]}" | med)
echo
echo "- kernel cost of one copy (a, on - off): **$(awk -v a="$a_on" -v b="$a_off" 'BEGIN {printf "%.1f us", (a - b) / 1000}')**"
echo "- change per flagged call at one site (b, on - off): **$(awk -v a="$b_on" -v b="$b_off" 'BEGIN {printf "%+.0f ns", a - b}')**"
echo "- user-space unwind per copy (c, iotrace -v, median of the runs): **$(echo "${EACH[on]}" | med) us**"
echo
echo "## d) CFI an in-kernel unwinder would load (rows of .eh_frame, readelf)"
echo
echo "| binary | FDEs | CFA rows |"
echo "|---|---:|---:|"
for b in /lib/x86_64-linux-gnu/libc.so.6 /usr/bin/python3.11 /usr/bin/redis-check-rdb /usr/sbin/nginx /usr/sbin/apache2; do
  [[ -r $b ]] || continue
  readelf --debug-dump=frames-interp "$b" 2>/dev/null > "$WORK/cfi.txt"
  echo "| $b | $(grep -c ' FDE ' "$WORK/cfi.txt") | $(grep -cE '^[0-9a-f]{16} ' "$WORK/cfi.txt") |"
done
