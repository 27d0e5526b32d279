#!/usr/bin/env bash
# The cost of one exporter window measured inside one run: bench/epoll_server (CPU 0) under
# back-to-back 1-second runs of bench/epoll_load (CPU 1) while `iotrace exporter` traces the
# host ON of every PERIOD. Each second is classed by the exporter's schedule: inside a window
# (probes attached), outside, or at a boundary (dropped). Seconds minutes apart drift with the
# machine; seconds next to each other do not, so the ratio of the two classes' median rates is
# the window's cost, and the duty cycle's cost follows: (1 - ratio) x ON/PERIOD.
#
#   bench/run_exporter_window.sh [--iotrace PATH] [--bindir DIR] [--duty ON/PERIOD] [--seconds S]
#
# Needs root. Prints a Markdown summary on stdout; per-second rates go to stderr.
set -u
IOTRACE=build/iotrace
BINDIR=
DUTY=5s/20s
RUN=120
while (($#)); do
  case $1 in
    --iotrace) IOTRACE=$2; shift 2 ;;
    --bindir) BINDIR=$2; shift 2 ;;
    --duty) DUTY=$2; shift 2 ;;
    --seconds) RUN=$2; shift 2 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "run_exporter_window: error: unknown argument '$1'" >&2; exit 64 ;;
  esac
done
[[ -n $BINDIR ]] || BINDIR=$(dirname "$IOTRACE")/bench
on=${DUTY%/*}; period=${DUTY#*/}
on=${on%s}; period=${period%s}
[[ $on =~ ^[0-9]+$ && $period =~ ^[0-9]+$ ]] || { echo "run_exporter_window: --duty takes whole seconds, e.g. 5s/20s" >&2; exit 64; }
port=$((20000 + RANDOM % 20000))
taskset -c 0 "$BINDIR/epoll_server" --port "$port" >/dev/null 2>&1 &
server=$!
sleep 0.5
log=$(mktemp)
"$IOTRACE" exporter --duty "$DUTY" --listen 127.0.0.1:$((port + 1)) 2>"$log" &
exporter=$!
until grep -q serving "$log"; do sleep 0.01; done
t0=$(date +%s.%N)
rates_on=(); rates_off=()
end=$(echo "$t0 + $RUN" | bc)
while (( $(echo "$(date +%s.%N) < $end" | bc) )); do
  s=$(date +%s.%N)
  rps=$(taskset -c 1 "$BINDIR/epoll_load" --port "$port" -c 50 -d 1 | sed -n 's/.*rps=\([0-9.]*\).*/\1/p')
  e=$(date +%s.%N)
  # position of the run inside the period, from the exporter's first window
  a=$(echo "($s - $t0) % $period" | bc); b=$(echo "($e - $t0) % $period" | bc)
  class=edge
  if (( $(echo "$a >= 1 && $b <= $on && $b > $a" | bc) )); then class=on; fi
  if (( $(echo "$a >= $on + 1 && $b <= $period - 0.2 && $b > $a" | bc) )); then class=off; fi
  echo "t=$(echo "$s - $t0" | bc) $class $rps" >&2
  [[ $class == on ]] && rates_on+=("$rps")
  [[ $class == off ]] && rates_off+=("$rps")
done
kill -TERM "$exporter"; wait "$exporter"
kill "$server"; wait "$server" 2>/dev/null
rm -f "$log"
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END {print (NR%2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2)}'; }
mon=$(median "${rates_on[@]}"); moff=$(median "${rates_off[@]}")
ratio=$(echo "scale=4; $mon / $moff" | bc)
echo "| seconds inside windows | median req/s | seconds outside | median req/s | inside/outside | cost at ON/PERIOD 5/60 |"
echo "|---:|---:|---:|---:|---:|---:|"
echo "| ${#rates_on[@]} | $mon | ${#rates_off[@]} | $moff | $ratio | $(echo "scale=4; 1 - (1 - $ratio) * 5 / 60" | bc) of untraced |"
