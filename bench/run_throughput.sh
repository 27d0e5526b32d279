#!/bin/bash
# Saturated epoll server throughput: redis-server under redis-benchmark, untraced vs traced by
# iotrace, in alternating A/B pairs. Server and client are pinned to different CPUs; the
# result is the median of pairwise ratios, next to an untraced-vs-untraced pair as the noise
# floor. Usage: bench/run_throughput.sh [IOTRACE] [PAIRS]
set -euo pipefail
iotrace=${1:-build/iotrace}
pairs=${2:-5}
requests=${REQUESTS:-200000}
port=6399

if ! command -v redis-server >/dev/null || ! command -v redis-benchmark >/dev/null; then
	echo "installing redis-server and redis-tools (Debian packages) for this benchmark" >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server redis-tools >/dev/null
fi

dir=$(mktemp -d)
cleanup() { [ -n "${srv:-}" ] && kill "$srv" 2>/dev/null; wait 2>/dev/null; rm -rf "$dir"; }
trap cleanup EXIT

taskset -c 0 redis-server --port $port --save '' --appendonly no --dir "$dir" --daemonize no \
	>/dev/null 2>&1 &
srv=$!
for _ in $(seq 50); do redis-cli -p $port ping >/dev/null 2>&1 && break; sleep 0.1; done

# requests per second of SET and GET together
run_bench() {
	taskset -c 1 redis-benchmark -p $port -t set,get -n "$requests" -c 50 -q --csv 2>/dev/null |
		awk -F'"' '/"SET"|"GET"/ { s += $4 } END { printf "%.0f\n", s }'
}

traced() {
	"$iotrace" attach "$srv" >/dev/null 2>"$dir/err" &
	local t=$!
	for _ in $(seq 100); do grep -q attached "$dir/err" 2>/dev/null && break; sleep 0.05; done
	run_bench
	kill -INT $t; wait $t || true
}

run_bench >/dev/null  # warm-up
echo "# redis-server throughput (SET+GET req/s), server on CPU 0, client on CPU 1, $requests requests, 50 clients"
echo
echo "| pair | untraced A | untraced B | A/B (noise) | untraced | iotrace | iotrace/untraced |"
echo "|---|---:|---:|---:|---:|---:|---:|"
noise=(); ratio=()
for i in $(seq "$pairs"); do
	a=$(run_bench); b=$(run_bench)
	if (( i % 2 )); then u=$(run_bench); t=$(traced); else t=$(traced); u=$(run_bench); fi
	n=$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.3f", b / a }')
	r=$(awk -v u="$u" -v t="$t" 'BEGIN { printf "%.3f", t / u }')
	noise+=("$n"); ratio+=("$r")
	echo "| $i | $a | $b | $n | $u | $t | $r |"
done
median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
echo
echo "median untraced/untraced (noise floor): $(median "${noise[@]}")"
echo "median iotrace/untraced: $(median "${ratio[@]}")"
