#!/usr/bin/env bash
# Real-server conformance: run each case (a real program under a bounded load, traced by
# iotrace), compare the report with tests/realworld/expect/NAME.json, print one table.
#
#   tests/realworld/run.sh [--record] [case...]
#
# Cases default to every tests/realworld/cases/*.sh. --record also copies each case's
# capture to tests/fixtures/realworld/NAME.capture.json. Environment: IOTRACE (default
# <top>/build/iotrace), RW_OUT (default <top>/build/realworld: per-case report.json,
# capture.json, evidence.txt, case.log, compare.txt). Run as root. Exits non-zero when
# any row is wrong.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
export IOTRACE=${IOTRACE:-$TOP/build/iotrace}
OUT=${RW_OUT:-$TOP/build/realworld}
FIXDIR=$TOP/tests/fixtures/realworld
RECORD=0
cases=()
for a in "$@"; do
  case $a in
    --record) RECORD=1 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) cases+=("$(basename "$a" .sh)") ;;
  esac
done
if [ ${#cases[@]} -eq 0 ]; then
  for f in "$HERE"/cases/*.sh; do cases+=("$(basename "$f" .sh)"); done
fi
[ -x "$IOTRACE" ] || { echo "no iotrace binary at $IOTRACE (build it or set IOTRACE)" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 2; }

rows=()
bad=0
for name in "${cases[@]}"; do
  script=$HERE/cases/$name.sh
  expect=$HERE/expect/$name.json
  dir=$OUT/$name
  mkdir -p "$dir"
  rm -f "$dir/row.tsv" "$dir/compare.txt"
  if [ ! -f "$script" ]; then
    rows+=("$name	no case script	-	WRONG"); bad=$((bad + 1)); continue
  fi
  # Other work on the machine makes every thread wait for a CPU: say so next to the row.
  echo "== $name (load average $(cut -d' ' -f1 /proc/loadavg) on $(nproc) CPUs)" >&2
  start=$SECONDS
  if ! timeout -k 10 120 bash "$script" "$dir" > "$dir/case.log" 2>&1; then
    echo "   case failed after $((SECONDS - start)) s; last lines of $dir/case.log:" >&2
    tail -5 "$dir/case.log" | sed 's/^/   /' >&2
    rows+=("$name	-	case failed	WRONG"); bad=$((bad + 1)); continue
  fi
  echo "   ran in $((SECONDS - start)) s" >&2
  if [ "$RECORD" = 1 ] && [ -f "$dir/capture.json" ]; then
    mkdir -p "$FIXDIR"
    cp "$dir/capture.json" "$FIXDIR/$name.capture.json"
    size=$(stat -c %s "$dir/capture.json")
    [ "$size" -le 2097152 ] || echo "   warning: capture is $((size / 1024)) KiB, over 2 MiB: lighten the load" >&2
  fi
  if [ ! -f "$expect" ]; then
    rows+=("$name	no expect file	-	WRONG"); bad=$((bad + 1)); continue
  fi
  python3 "$HERE/compare.py" "$expect" "$dir/report.json" --row-file "$dir/row.tsv" \
    > "$dir/compare.txt"
  [ -s "$dir/compare.txt" ] && sed 's/^/ /' "$dir/compare.txt" >&2
  if [ -f "$dir/row.tsv" ]; then
    row=$(cat "$dir/row.tsv")
    rows+=("$name	$row")
    [ "${row##*	}" = ok ] || bad=$((bad + 1))
  else
    rows+=("$name	-	compare failed	WRONG"); bad=$((bad + 1))
  fi
done

echo
printf '%s\n' "program	expected	reported	verdict" "${rows[@]}" | python3 -c '
import sys
rows = [l.rstrip("\n").split("\t") for l in sys.stdin if l.strip()]
w = [max(len(r[i]) for r in rows) for i in range(4)]
for n, r in enumerate(rows):
    print(" | ".join(r[i].ljust(w[i]) for i in range(4)).rstrip())
    if n == 0:
        print("-+-".join("-" * x for x in w))
'
echo "$(( ${#rows[@]} - bad )) passed, $bad failed"
[ "$bad" -eq 0 ]
