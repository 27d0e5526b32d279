#!/bin/sh
# The arm64 guest's scenario (run-arm64.sh installs it as the initramfs's /iotrace/scenario.sh,
# which init.sh runs, and the shared scenario.sh next to it as scenario-common.sh): the
# arm64-only checks first, then the shared kernel-compatibility scenario. Writes into OUT:
#   machine.txt   uname -m
#   btf.sha256    of /sys/kernel/btf/vmlinux, which bpf/vmlinux/arm64/vmlinux.h is dumped from
#   counted.*     wl_counted, attached to between its "ready" and "go" (exact counts), and
#                 its capture (counted.capture.json: arch arm64, for iotrace report elsewhere)
#   uring_run.*   wl_uring under `iotrace run` (an io_uring echo server: SQE and CQE counts)
# and what scenario.sh writes. Usage: scenario-arm64.sh OUT (busybox sh: POSIX only)
set -u
out=${1:?usage: scenario-arm64.sh OUT}
: "${IOTRACE:?}" "${WORKLOADS:?}"
here=$(dirname "$0")
mkdir -p "$out"
uname -m >"$out/machine.txt"
sha256sum /sys/kernel/btf/vmlinux | cut -d' ' -f1 >"$out/btf.sha256"

# run_go NAME WORKLOAD [ARGS...]: iotrace run, the workload's "go" on its stdin (then EOF)
run_go() {
	name=$1 wl=$2
	shift 2
	echo "== $name" >&2
	t0=$(cut -d' ' -f1 /proc/uptime)
	echo go | timeout -s KILL 180 "$IOTRACE" run -d 120s --json -o "$out/$name.json" \
		-- "$WORKLOADS/$wl" "$@" >"$out/$name.out" 2>"$out/$name.err"
	echo $? >"$out/$name.rc"
	echo "$name $(awk -v a="$t0" -v b="$(cut -d' ' -f1 /proc/uptime)" 'BEGIN { printf "%.2f", b - a }')" \
		>>"$out/timings-arm64.txt"
}
# attach_counted: wl_counted's exact calls alone, as scenario.sh's attach does it: iotrace
# attaches between the workload's "ready" and "go" and is stopped after its "done".
attach_counted() {
	echo "== counted" >&2
	w=$(mktemp -d)
	mkfifo "$w/stdin"
	"$WORKLOADS/wl_counted" <"$w/stdin" >"$w/stdout" 2>"$w/stderr" &
	exec 3>"$w/stdin"
	n=600
	until grep -q '^ready ' "$w/stdout" || [ "$n" -eq 0 ]; do sleep 0.1; n=$((n - 1)); done
	wpid=$(sed -n 's/^ready //p' "$w/stdout")
	"$IOTRACE" attach "$wpid" -d 120s --json -o "$out/counted.json" \
		--save-capture "$out/counted.capture.json" 2>"$out/counted.err" &
	tpid=$!
	n=1200
	until grep -Eq 'attached to|error:' "$out/counted.err" || [ "$n" -eq 0 ]; do sleep 0.1; n=$((n - 1)); done
	echo go >&3
	n=1200
	until grep -q '^done$' "$w/stdout" || [ "$n" -eq 0 ]; do sleep 0.1; n=$((n - 1)); done
	sleep 0.1
	kill -INT "$tpid"
	wait "$tpid"
	echo $? >"$out/counted.rc"
	exec 3>&-
	wait
	rm -rf "$w"
}
attach_counted
run_go uring_run wl_uring

sh "$here/scenario-common.sh" "$out"
