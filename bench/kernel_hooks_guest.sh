#!/bin/sh
# shellcheck shell=dash
# The guest's scenario for bench/run_kernel_hooks.sh (tests/kernels/init.sh, the initramfs's
# /init, runs it and prints what it wrote into OUT on the console): the cost of each BPF hook
# kind a tracer can choose, on the booted kernel, side by side in one boot. bench/floor holds one kind attached
# (the same tgid check in each program); bench/syscall_loop times getppid calls:
#   untraced  the loop is not the floor's target (every other process on the host)
#   traced    the loop is the target: the programs also count its calls
# Hooks: none; raw (tp_btf sys_enter/sys_exit: iotrace attach); fentry (trampolines on the
# getppid function: what a full tracer on trampolines costs a caller of any hooked syscall);
# tracepoint (syscalls:sys_enter/exit_epoll_wait: the loop watch's fallback, which the getppid
# loop never calls); fentry-wait (trampolines on epoll_wait: the loop watch where allowed).
# OUT/results.txt holds one line per run:
#   rep=R hook=H who=untraced|traced ns_per_call=X seen=N
OUT=${1:?usage: kernel_hooks_guest.sh OUT}
mkdir -p "$OUT"
B=/iotrace/bench
CALLS=$(cat $B/calls)
REPS=$(cat $B/reps)
uname -r >$OUT/kernel.txt

# attach HOOK PID: bench/floor in the background; FLOOR holds its pid, or is empty on failure
attach() {
	FLOOR=
	[ "$1" = none ] && return 0
	h=$1
	[ "$h" = fentry-wait ] && h=fentry:__x64_sys_epoll_wait
	rm -f /tmp/floor.out /tmp/floor.err # not the last run's lines: the child truncates them late
	$B/floor --hook "$h" "$2" >/tmp/floor.out 2>/tmp/floor.err 3>&- &
	FLOOR=$!
	i=0
	while ! grep -q attached /tmp/floor.err 2>/dev/null; do
		if ! kill -0 $FLOOR 2>/dev/null || [ $i -ge 600 ]; then
			echo "hook $1: $(tail -2 /tmp/floor.err | tr '\n' ' ')" >>$OUT/errors.txt
			kill -KILL $FLOOR 2>/dev/null
			wait $FLOOR
			FLOOR=
			return 1
		fi
		sleep 0.1
		i=$((i + 1))
	done
	cat /tmp/floor.err >>$OUT/attached.txt
}
# The shell's waits can end early on another child's SIGCHLD: wait for floor's last line.
detach() {
	[ -n "$FLOOR" ] || return 0
	kill -INT $FLOOR
	i=0
	while ! grep -q exits= /tmp/floor.out && [ $i -lt 600 ]; do sleep 0.05; i=$((i + 1)); done
	wait $FLOOR
	sed -n 's/.*exits=\([0-9]*\).*/\1/p' /tmp/floor.out
}
ns() { sed -n 's/.* ns_per_call=\([0-9.]*\).*/\1/p' "$1"; }

run() { # REP HOOK WHO
	rep=$1 hook=$2 who=$3
	if [ "$who" = untraced ]; then
		attach "$hook" 1 || return
		$B/syscall_loop getppid "$CALLS" --no-wait >/tmp/loop.out 2>&1
		seen=$(detach)
	else
		rm -f /tmp/go /tmp/loop.out
		mkfifo /tmp/go
		# opened read-write first: neither open blocks (a blocking open can end in EINTR)
		exec 3<>/tmp/go
		$B/syscall_loop getppid "$CALLS" </tmp/go >/tmp/loop.out 2>&1 3>&- &
		lp=$!
		while ! grep -q '^ready' /tmp/loop.out; do sleep 0.05; done
		if ! attach "$hook" "$lp"; then exec 3>&-; wait $lp; return; fi
		echo go >&3
		while ! grep -q '^result' /tmp/loop.out; do sleep 0.05; done
		seen=$(detach)
		exec 3>&-
		wait $lp
	fi
	echo "rep=$rep hook=$hook who=$who ns_per_call=$(ns /tmp/loop.out) seen=${seen:--}" | tee -a $OUT/results.txt
}

# a warm-up, then the hooks in a rotated order in each rep
$B/syscall_loop getppid "$CALLS" --no-wait >/dev/null 2>&1
set -- none raw fentry tracepoint fentry-wait
r=1
while [ $r -le "$REPS" ]; do
	for hook in "$@"; do run $r "$hook" untraced; done
	for hook in none raw fentry; do run $r "$hook" traced; done
	set -- "$2" "$3" "$4" "$5" "$1"
	r=$((r + 1))
done
