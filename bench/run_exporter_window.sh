#!/usr/bin/env bash
# The cost of the exporter measured inside one run: bench/epoll_server (CPU 0) under
# back-to-back 1-second runs of bench/epoll_load (CPU 1) while `iotrace exporter` traces the
# host ON of every PERIOD, in cycles: half a period untraced (no exporter), then the exporter
# for CYCLE periods. Each second is classed: untraced, inside a window (the full tracer
# attached, beside the loop watch), outside (the loop watch alone, or nothing with
# --no-loop-watch), or at a boundary (dropped: the first period, probes loading or detaching).
# This machine's rate drifts by up to 2x from one minute to the next, so each traced block is
# compared with the untraced seconds just before and after it, and the median of the cycles'
# ratios is the cost; the duty cycle's follows:
# kept = (ON x inside + (PERIOD - ON) x outside) / PERIOD.
#
#   bench/run_exporter_window.sh [--iotrace PATH] [--bindir DIR] [--duty ON/PERIOD]
#       [--seconds S] [--cycle PERIODS] [--no-loop-watch]
#
# Needs root. Prints a Markdown summary on stdout; per-second rates go to stderr.
set -u
IOTRACE=build/iotrace
BINDIR=
DUTY=5s/20s
RUN=240
CYCLE=2
EXTRA=()
while (($#)); do
  case $1 in
    --iotrace) IOTRACE=$2; shift 2 ;;
    --bindir) BINDIR=$2; shift 2 ;;
    --duty) DUTY=$2; shift 2 ;;
    --seconds) RUN=$2; shift 2 ;;
    --cycle) CYCLE=$2; shift 2 ;;
    --no-loop-watch) EXTRA+=(--no-loop-watch); shift ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "run_exporter_window: error: unknown argument '$1'" >&2; exit 64 ;;
  esac
done
[[ -n $BINDIR ]] || BINDIR=$(dirname "$IOTRACE")/bench
on=${DUTY%/*}; period=${DUTY#*/}
on=${on%s}; period=${period%s}
[[ $on =~ ^[0-9]+$ && $period =~ ^[0-9]+$ ]] || { echo "run_exporter_window: --duty takes whole seconds, e.g. 5s/20s" >&2; exit 64; }
[[ $CYCLE =~ ^[2-9]$|^[1-9][0-9]+$ ]] || { echo "run_exporter_window: --cycle takes a whole number of periods, 2 or more" >&2; exit 64; }
pause=$(( period / 2 > 4 ? period / 2 : 4 ))
port=$((20000 + RANDOM % 20000))
taskset -c 0 "$BINDIR/epoll_server" --port "$port" >/dev/null 2>&1 &
server=$!
sleep 0.5
log=$(mktemp)
now() { echo "$EPOCHREALTIME"; }
one_second() { taskset -c 1 "$BINDIR/epoll_load" --port "$port" -c 50 -d 1 | sed -n 's/.*rps=\([0-9.]*\).*/\1/p'; }
samples=$(mktemp)  # block class req/s: untraced block k precedes traced block k+1
untraced_block() { # K
  local i s rps
  for ((i = 1; i < pause; i++)); do
    s=$(now); rps=$(one_second)
    echo "t=$(echo "$s - $start" | bc) untraced $rps" >&2
    echo "$1 untraced $rps" >>"$samples"
  done
}
start=$(now)
end=$(echo "$start + $RUN" | bc)
cycles=0
untraced_block 0
while (( $(echo "$(now) < $end" | bc) )); do
  cycles=$((cycles + 1))
  : >"$log"
  "$IOTRACE" exporter --duty "$DUTY" --listen 127.0.0.1:$((port + 1)) "${EXTRA[@]}" 2>"$log" &
  exporter=$!
  until grep -q serving "$log"; do sleep 0.01; done
  t0=$(now)
  stop_at=$(echo "$t0 + $CYCLE * $period" | bc)
  while (( $(echo "$(now) < $stop_at" | bc) )); do
    s=$(now); rps=$(one_second); e=$(now)
    # position of the run inside the period, from the exporter's first window
    a=$(echo "($s - $t0) % $period" | bc); b=$(echo "($e - $t0) % $period" | bc)
    class=edge
    # the loop watch attaches while the first window runs: both classes from the second period
    if (( $(echo "$s - $t0 >= $period && $a >= 1 && $b <= $on && $b > $a" | bc) )); then class=on; fi
    if (( $(echo "$s - $t0 >= $period && $a >= $on + 1 && $b <= $period - 0.2 && $b > $a" | bc) )); then class=off; fi
    echo "t=$(echo "$s - $start" | bc) $class $rps" >&2
    [[ $class != edge ]] && echo "$cycles $class $rps" >>"$samples"
  done
  kill -TERM "$exporter"; wait "$exporter"
  sleep 1  # the kernel frees the programs a little after the exporter exits
  untraced_block "$cycles"
done
kill "$server"; wait "$server" 2>/dev/null
rm -f "$log"
between=$([[ ${#EXTRA[@]} -gt 0 ]] && echo "nothing (--no-loop-watch)" || echo "the loop watch")
echo "- $(date -u '+%Y-%m-%d %H:%M UTC'); --duty $DUTY ${EXTRA[*]}; $cycles cycles: $pause s untraced, then $CYCLE periods traced; between windows: $between"
echo "- this machine's rate drifts by up to 2x from one minute to the next: each traced block is"
echo "  compared with the untraced seconds just before and just after it, and the cycles' ratios"
echo "  are summarized"
echo
# per traced block k: medians of its classes and of untraced blocks k-1 and k
awk -v on="$on" -v period="$period" '
  function med(list,   n, v, i, j, t) {
    n = split(list, v, " "); if (!n) return ""
    for (i = 2; i <= n; i++) for (j = i; j > 1 && v[j - 1] + 0 > v[j] + 0; j--) { t = v[j]; v[j] = v[j - 1]; v[j - 1] = t }
    return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
  }
  { l[$1 " " $2] = l[$1 " " $2] " " $3; if ($1 > last) last = $1 }
  END {
    print "| cycle | untraced req/s (before, after) | outside windows | /untraced | inside windows | /untraced |"
    print "|---:|---:|---:|---:|---:|---:|"
    for (k = 1; k <= last; k++) {
      u = med(l[(k - 1) " untraced"] " " l[k " untraced"]); o = med(l[k " off"]); w = med(l[k " on"])
      if (u == "" || o == "") continue
      ro = o / u; rw = (w == "" ? "" : w / u)
      printf "| %d | %.0f | %.0f | %.3f | %s | %s |\n", k, u, o, ro, (w == "" ? "-" : sprintf("%.0f", w)), (w == "" ? "-" : sprintf("%.3f", rw))
      so = so " " ro; if (w != "") sw = sw " " rw; n++
    }
    mo = med(so); mw = med(sw)
    print ""
    printf "- median over %d cycles: outside windows %.3f of untraced, inside windows %.3f\n", n, mo, mw
    printf "- kept at --duty %ds/%ds (attached seconds only, probe loading not counted): %.3f\n", on, period, (on * mw + (period - on) * mo) / period
    printf "- kept at --duty 5s/60s (the default; the same way): %.3f\n", (5 * mw + 55 * mo) / 60
  }' "$samples"
rm -f "$samples"
