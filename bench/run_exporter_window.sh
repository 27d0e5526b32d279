#!/usr/bin/env bash
# The cost of the exporter measured inside one run: bench/epoll_server (CPU 0) under
# back-to-back 1-second runs of bench/epoll_load (CPU 1) while `iotrace exporter` traces the
# host ON of every PERIOD, in cycles: the exporter runs CYCLE periods, then is stopped for
# half a period. Each second is classed: untraced (exporter stopped), inside a window (the
# full tracer attached, beside the loop watch), outside (the loop watch alone, or nothing with
# --no-loop-watch), or at a boundary (dropped: probes loading or detaching). Seconds minutes
# apart drift with the machine; seconds next to each other do not, so the ratios of the
# classes' median rates are the costs, and the duty cycle's cost follows:
# kept = (ON x inside + (PERIOD - ON) x outside) / PERIOD / untraced.
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
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
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
rates_on=(); rates_off=(); rates_un=()
start=$(now)
end=$(echo "$start + $RUN" | bc)
cycles=0
while (( $(echo "$(now) < $end" | bc) )); do
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
    [[ $class == on ]] && rates_on+=("$rps")
    [[ $class == off ]] && rates_off+=("$rps")
  done
  kill -TERM "$exporter"; wait "$exporter"
  cycles=$((cycles + 1))
  sleep 1  # the kernel frees the programs a little after the exporter exits
  for ((i = 1; i < pause; i++)); do
    s=$(now); rps=$(one_second)
    echo "t=$(echo "$s - $start" | bc) untraced $rps" >&2
    rates_un+=("$rps")
  done
done
kill "$server"; wait "$server" 2>/dev/null
rm -f "$log"
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END {print (NR%2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2)}'; }
mon=$(median "${rates_on[@]}"); moff=$(median "${rates_off[@]}"); mun=$(median "${rates_un[@]}")
r() { echo "scale=4; $1 / $2" | bc; }
between=$([[ ${#EXTRA[@]} -gt 0 ]] && echo "nothing (--no-loop-watch)" || echo "the loop watch")
echo "- $(date -u '+%Y-%m-%d %H:%M UTC'); --duty $DUTY ${EXTRA[*]}; $cycles cycles of $CYCLE periods traced and $pause s untraced; between windows: $between"
echo
echo "| class | seconds | median req/s | / untraced |"
echo "|---|---:|---:|---:|"
echo "| untraced (exporter stopped) | ${#rates_un[@]} | $mun | 1 |"
echo "| outside windows ($between) | ${#rates_off[@]} | $moff | $(r "$moff" "$mun") |"
echo "| inside windows (full tracer too) | ${#rates_on[@]} | $mon | $(r "$mon" "$mun") |"
echo
for d in "$on/$period" "5/60"; do
  o=${d%/*}; p=${d#*/}
  echo "- kept at --duty ${o}s/${p}s (attached seconds only, probe loading not counted): $(echo "scale=4; ($o * $mon + ($p - $o) * $moff) / $p / $mun" | bc)"
done
