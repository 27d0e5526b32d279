#!/bin/sh
# The kernel-compatibility scenario: the same iotrace runs on the host and in each guest
# (busybox sh there, so POSIX sh only), each writing into OUT:
#   NAME.json  the report       NAME.rc  iotrace's exit code       NAME.err  its stderr
#   doctor.txt, doctor.json, doctor.rc, uname.txt, version.txt, timings.txt (seconds per step),
#   load.log (iotrace -v: how its programs loaded)
# compare.py reads these. Usage: scenario.sh OUT
# Environment: IOTRACE (the binary), WORKLOADS (the wl_* directory), PYTHON and PYSCRIPT
# (optional: python3.11 and tests/workloads/py_loop_sleep.py; skipped when PYTHON is not set).
set -u
out=${1:?usage: scenario.sh OUT}
: "${IOTRACE:?}" "${WORKLOADS:?}"
mkdir -p "$out"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/iotrace-scenario.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# /proc/uptime: the one clock with sub-second resolution that busybox and the host share
now() { cut -d' ' -f1 /proc/uptime; }
step_start=0
begin() { step_start=$(now); echo "== $1" >&2; }
end() { echo "$1 $(awk -v a="$step_start" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }')" >>"$out/timings.txt"; }

# wait_for PATTERN FILE SECONDS: until a line of FILE matches (grep -E), or time runs out
wait_for() {
	n=$(($3 * 10))
	while [ "$n" -gt 0 ]; do
		grep -Eq "$1" "$2" 2>/dev/null && return 0
		sleep 0.1
		n=$((n - 1))
	done
	return 1
}

# attach NAME WORKLOAD [ARGS...]: what tests/integration/harness.cpp's trace_workload does.
# The workload sets up, prints "ready PID", waits for "go" on stdin, does its counted work,
# prints "done" and waits for stdin to close; iotrace attaches between "ready" and "go" and
# is stopped with SIGINT after "done", so the report holds exactly the counted work.
# Every wait is bounded (the slowest step takes ~10 s under emulation), so that one hung step
# leaves the guest time to report the others.
attach() {
	name=$1 wl=$2
	shift 2
	begin "$name"
	w=$tmp/$name
	mkdir "$w" && mkfifo "$w/stdin"
	"$WORKLOADS/$wl" "$@" <"$w/stdin" >"$w/stdout" 2>"$w/stderr" &
	exec 3>"$w/stdin" # the workload's stdin: closing it ends the workload
	if ! wait_for '^ready ' "$w/stdout" 60; then
		echo "workload $wl did not start: $(cat "$w/stderr")" >"$out/$name.err"
		echo 127 >"$out/$name.rc"
		exec 3>&-
		wait
		end "$name"
		return
	fi
	wpid=$(sed -n 's/^ready //p' "$w/stdout")
	# shellcheck disable=SC2086 # ATTACH_ARGS: extra options, split on spaces
	"$IOTRACE" attach "$wpid" ${ATTACH_ARGS:-} -d 120s --json -o "$out/$name.json" 2>"$out/$name.err" &
	tpid=$!
	# "attached to" on stderr means the programs are in; an error means iotrace is exiting
	wait_for 'attached to|error:' "$out/$name.err" 120
	if kill -0 "$tpid" 2>/dev/null; then
		echo go >&3
		wait_for '^done$' "$w/stdout" 120 || echo "scenario: $wl never said done" >>"$out/$name.err"
		sleep 0.1 # as the harness does: let the last exits be accounted
		kill -INT "$tpid" 2>/dev/null
	fi
	n=300
	while kill -0 "$tpid" 2>/dev/null && [ "$n" -gt 0 ]; do
		sleep 0.1
		n=$((n - 1))
	done
	kill -KILL "$tpid" 2>/dev/null && echo "scenario: iotrace still running 30 s after SIGINT" >>"$out/$name.err"
	wait "$tpid"
	echo $? >"$out/$name.rc"
	exec 3>&-
	sleep 0.2
	kill -KILL "$wpid" 2>/dev/null
	wait
	end "$name"
}

# run NAME [IOTRACE-RUN-OPTIONS...] -- COMMAND...: iotrace run, which traces from exec and
# ends when the command exits (-d bounds the command, timeout iotrace).
run() {
	name=$1
	shift
	begin "$name"
	timeout -s KILL 180 "$IOTRACE" run -d 120s --json -o "$out/$name.json" "$@" </dev/null 2>"$out/$name.err"
	echo $? >"$out/$name.rc"
	end "$name"
}

begin doctor
uname -r >"$out/uname.txt"
"$IOTRACE" --version >"$out/version.txt" 2>&1
"$IOTRACE" doctor >"$out/doctor.txt" 2>&1
echo $? >"$out/doctor.rc"
"$IOTRACE" doctor --json >"$out/doctor.json" 2>/dev/null
# libbpf's own account of loading the programs (with the verifier's log when one is
# refused), for when the runs below exit 4
"$IOTRACE" -v run -- true >/dev/null 2>"$out/load.log"
echo "exit $?" >>"$out/load.log"
end doctor

# An epoll loop sleeping 30 ms on the loop thread every third iteration, and its offloaded
# twin; --fail-on makes the exit code part of the comparison (1 and 0). One timeline.
run ci_blocking --fail-on blocking-call-on-loop --timeline "$out/ci_blocking.timeline.json" \
	-- "$WORKLOADS/wl_ci_blocking"
run ci_offloaded --fail-on blocking-call-on-loop -- "$WORKLOADS/wl_ci_offloaded"
# An epoll server sleeping in its request handler, and the same with a worker pool.
attach loop_sleep wl_loop_block sleep
attach loop_sleep_offload wl_loop_block sleep offload
# The loop watch (waits' own tracepoints and context switches only) on the same two.
ATTACH_ARGS=--loop-watch
attach loop_watch wl_loop_block sleep
attach loop_watch_offload wl_loop_block sleep offload
ATTACH_ARGS=
# The same server built without frame pointers (stacks from the copies), and one resolving a
# name with getaddrinfo on the loop against a slow resolver on 127.0.0.1:53 (the uprobes).
attach loop_sleep_nofp wl_loop_block_nofp sleep
attach dns wl_loop_block dns
# Thread per connection; io_uring echo server; io_uring NOPs 32 and 1 per enter; Linux AIO.
attach blocking wl_blocking
attach uring wl_uring
attach uring32 wl_ratios_uring uring32
attach uring1 wl_ratios_uring uring1
# io_uring reads of a closed fd (failed completions) and writes forced to io-wq (punts).
attach uring_fail wl_ratios_uring uring_fail
attach aio wl_aio
# Edge-triggered epoll: a server that does not drain, and one that does.
attach et_nodrain wl_et nodrain
attach epoll_et wl_epoll_et
# select and poll servers; select on fd 1500; poll over 2,000 idle fds.
attach select wl_select
attach poll wl_poll
attach select_high wl_ratios_uring select_high
attach poll_idle wl_ratios_uring poll_idle
# A thread pool doing blocking file reads behind an epoll loop.
attach threadpool wl_threadpool
# An asyncio loop calling time.sleep: interpreted frames.
if [ -n "${PYTHON:-}" ] && [ -x "$PYTHON" ]; then
	run python -- "$PYTHON" "$PYSCRIPT"
else
	echo "no python3.11" >"$out/python.skipped"
fi
exit 0
