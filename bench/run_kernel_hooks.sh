#!/bin/bash
# What each BPF hook kind costs a getppid call, on Debian 12's own kernels, side by side in one
# boot under QEMU (TCG): no programs; tp_btf sys_enter/sys_exit (what `iotrace attach` hooks);
# trampolines on the getppid function (what a full tracer on trampolines costs the caller of
# any syscall it hooks); a wait's own syscall tracepoints and trampolines on epoll_wait (the
# loop watch's two mechanisms, which a getppid loop never calls). Each with the same tgid check
# (bench/floor.bpf.c), for a process that is not the target and for the target.
# This machine refuses trampolines (fentry: EPERM), so the guest is where they can be compared
# with the other hooks; emulated nanoseconds do not compare with native ones, ratios within
# one boot do.
#
#   bench/run_kernel_hooks.sh [--kernel 6.1|6.12] [--calls N] [--reps R] [--bindir DIR] [--out DIR]
#
# Needs root and the kernel matrix's packages (tests/kernels/run.sh names them). Markdown on
# stdout; the guest's raw lines in OUT/results.txt.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
kernel=6.1
calls=200000
reps=3
bindir=$root/build/bench
out=${TMPDIR:-/tmp}/iotrace-kernel-hooks
while [ $# -gt 0 ]; do
	case $1 in
	--kernel) kernel=${2:?}; shift 2 ;;
	--calls) calls=${2:?}; shift 2 ;;
	--reps) reps=${2:?}; shift 2 ;;
	--bindir) bindir=${2:?}; shift 2 ;;
	--out) out=${2:?}; shift 2 ;;
	-h | --help) sed -n '2,16p' "$0"; exit 0 ;;
	*) echo "run_kernel_hooks: error: unknown argument $1" >&2; exit 64 ;;
	esac
done
case $kernel in 6.1 | 6.12) ;; *) echo "run_kernel_hooks: error: --kernel takes 6.1 or 6.12" >&2; exit 64 ;; esac
[ "$(id -u)" = 0 ] || { echo "run_kernel_hooks: error: needs root" >&2; exit 77; }
for b in floor syscall_loop; do
	[ -x "$bindir/$b" ] || { echo "run_kernel_hooks: error: no $b in $bindir (build the bench targets)" >&2; exit 2; }
done
cache=${IOTRACE_KERNEL_CACHE:-/var/cache/iotrace-kernels}
early_timeout=${IOTRACE_EARLY_TIMEOUT:-180}
boot_timeout=${IOTRACE_BOOT_TIMEOUT:-900}
log() { echo "run_kernel_hooks: $*" >&2; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
# shellcheck source=tests/kernels/guest.sh
. "$root/tests/kernels/guest.sh"
mkdir -p "$out" "$cache"
out=$(cd "$out" && pwd)
rm -rf "$out/guest" "$out/initramfs.d" "$out/initramfs.cpio" "$out/results.txt"

vmlinuz=$(fetch_kernel "$kernel") || exit 2
s=$out/initramfs.d
mkdir -p "$s"/{bin,dev,proc,sys,tmp,etc,iotrace/bench}
cp /bin/busybox "$s/bin/busybox"
mknod -m 600 "$s/dev/console" c 5 1
# the kernel matrix's /init: it mounts what BPF needs, runs scenario.sh and prints its files
install -m 755 "$root/tests/kernels/init.sh" "$s/init"
cp "$here/kernel_hooks_guest.sh" "$s/iotrace/scenario.sh"
cp "$bindir/floor" "$bindir/syscall_loop" "$s/iotrace/bench/"
echo "$calls" >"$s/iotrace/bench/calls"
echo "$reps" >"$s/iotrace/bench/reps"
guest_etc "$s"
copy_libraries "$s" "$s"/iotrace/bench/floor "$s"/iotrace/bench/syscall_loop
(cd "$s" && find . | cpio -o -H newc --quiet) >"$out/initramfs.cpio"
rm -rf "$s"
mkdir -p "$out/guest"
boot_twice "$out/guest" qemu-system-x86_64 -accel tcg,thread=multi -cpu max -smp 2 -m 1G -nographic -no-reboot \
	-nic none -kernel "$vmlinuz" -initrd "$out/initramfs.cpio" -append "console=ttyS0 quiet panic=-1"
extract_results "$out/guest"
[ "$status" = done ] || { log "the guest did not finish ($status)"; tail -n 20 "$out/guest/console.log" >&2; exit 1; }
cp "$out/guest/results.txt" "$out/results.txt"

median() { sort -g | awk '{v[NR]=$1} END {if (!NR) {print "NA"; exit} printf "%.0f\n", (NR%2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2)}'; }
col() { awk -v h="$1" -v w="$2" '$2 == "hook=" h && $3 == "who=" w { sub(/ns_per_call=/, "", $4); print $4 }' "$out/results.txt" | median; }
seen() { awk -v h="$1" -v w="$2" '$2 == "hook=" h && $3 == "who=" w { sub(/seen=/, "", $5); print $5 }' "$out/results.txt" | sort -u | paste -sd,; }
base_u=$(col none untraced); base_t=$(col none traced)
echo "# BPF hook kinds on $(cat "$out/guest/kernel.txt") (QEMU TCG, one boot)"
echo
echo "- $(date -u '+%Y-%m-%d %H:%M UTC'); $calls getppid calls per run, $reps reps, hooks in a rotated order; $qemu_s s of QEMU"
[ -s "$out/guest/errors.txt" ] && echo "- could not attach: $(tr '\n' ' ' <"$out/guest/errors.txt")"
echo
echo "| hook | not the target: ns/call | added | the target: ns/call | added | target's calls seen |"
echo "|---|---:|---:|---:|---:|---|"
for h in none raw fentry tracepoint fentry-wait; do
	u=$(col "$h" untraced); t=$(col "$h" traced)
	add() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "NA" || b == "NA") print "-"; else printf "%+.0f", a - b }'; }
	echo "| $h | $u | $(add "$u" "$base_u") | ${t/NA/-} | $(add "$t" "$base_t") | $(seen "$h" traced) |"
done
