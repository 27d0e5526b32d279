#!/bin/bash
# Boots Debian 12's arm64 kernel under qemu-system-aarch64 (TCG: software emulation, any host)
# with the cross-built iotrace (scripts/build-arm64.sh) and its arm64 workloads, and runs
# scenario-arm64.sh there: iotrace doctor, exact counts (wl_counted), io_uring (wl_uring), then
# the shared scenario.sh. init.sh is the guest's /init, with its serial-console protocol; the
# results are decoded into OUT as run.sh does, and summarised by the end of this script.
#
# Usage: tests/kernels/run-arm64.sh [--build DIR] [--out DIR] [--host DIR]
#   --host   the host's results of scenario.sh (run.sh --kernel host --out X writes X/host):
#            compare.py then compares the arm64 guest with them, as run.sh does for x86 guests
#   --build  the arm64 build tree (default: build-arm64): DIR/iotrace, DIR/tests/workloads
#   --out    results (default: ${TMPDIR:-/tmp}/iotrace-kernels-arm64): console.log, boot.txt,
#            summary.txt and what the scenario wrote (NAME.json, NAME.rc, NAME.err, doctor.*)
# Exit status: 0 the guest finished and every step exited 0 or as expected, 1 otherwise,
# 2 setup.
#
# Needs root (to read the kernel package it downloads with apt-get, into
# ${IOTRACE_KERNEL_CACHE:-/var/cache/iotrace-kernels}) and the packages qemu-system-arm, cpio,
# binutils-aarch64-linux-gnu (readelf, objcopy: crossbuild-essential-arm64 has them) and the
# arm64 shared libraries iotrace links (scripts/build-arm64.sh installs them). busybox-static
# for arm64 is downloaded (apt-get download busybox-static:arm64), not installed.
#
# The guest: qemu-system-aarch64 -machine virt -cpu max,pauth-impdef=on -accel tcg -smp 2
# -m 2G, the package's vmlinuz (a raw arm64 Image, which QEMU boots directly), an uncompressed
# initramfs with busybox, iotrace (debug sections stripped), the wl_* workloads and the shared
# libraries they need (found through their DT_NEEDED entries in /usr/lib/aarch64-linux-gnu and
# /lib/aarch64-linux-gnu, the arm64 loader's default directories, so no ld.so.cache is needed).
# The Python step of scenario.sh is skipped (no arm64 python3.11 in the initramfs).
# A guest that shows no sign of /init within IOTRACE_EARLY_TIMEOUT seconds (300) or runs
# longer than IOTRACE_BOOT_TIMEOUT (1500) is stopped; TCG emulating arm64 on x86_64 is slower
# than emulating x86_64 (pointer authentication is the cheap QEMU variant: pauth-impdef).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cache=${IOTRACE_KERNEL_CACHE:-/var/cache/iotrace-kernels}
early_timeout=${IOTRACE_EARLY_TIMEOUT:-300}
boot_timeout=${IOTRACE_BOOT_TIMEOUT:-1500}
build=$root/build-arm64
out=${TMPDIR:-/tmp}/iotrace-kernels-arm64
host_results=
libdirs="/usr/lib/aarch64-linux-gnu /lib/aarch64-linux-gnu"

die() {
	echo "run-arm64.sh: $*" >&2
	exit 2
}
log() { echo "run-arm64.sh: $*" >&2; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
# shellcheck source=tests/kernels/guest.sh
. "$here/guest.sh"

while [ $# -gt 0 ]; do
	case $1 in
	--build) build=${2:?}; shift 2 ;;
	--out) out=${2:?}; shift 2 ;;
	--host) host_results=${2:?}; shift 2 ;;
	-h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) die "unknown argument $1 (see --help)" ;;
	esac
done

[ "$(id -u)" = 0 ] || die "needs root (apt-get download into $cache)"
[ -x "$build/iotrace" ] || die "no iotrace at $build/iotrace (scripts/build-arm64.sh)"
[ -x "$build/tests/workloads/wl_uring" ] || die "no workloads in $build/tests/workloads (scripts/build-arm64.sh)"
missing=()
need() { command -v "$1" >/dev/null 2>&1 || missing+=("$2"); }
need qemu-system-aarch64 qemu-system-arm
need cpio cpio
need aarch64-linux-gnu-readelf binutils-aarch64-linux-gnu
need aarch64-linux-gnu-objcopy binutils-aarch64-linux-gnu
need dpkg-deb dpkg
[ ${#missing[@]} -eq 0 ] || die "missing packages: ${missing[*]}"
[ -e /lib/ld-linux-aarch64.so.1 ] || die "no arm64 libc (apt-get install libc6:arm64, or scripts/build-arm64.sh)"
aarch64-linux-gnu-readelf -h "$build/iotrace" | grep -q AArch64 || die "$build/iotrace is not an arm64 binary"

mkdir -p "$out" "$cache"
out=$(cd "$out" && pwd)

t0=$(now)
kpkg=$(apt-cache depends linux-image-arm64:arm64 | sed -n 's/^ *Depends: \(linux-image-[^ :]*-arm64\)\(:arm64\)\{0,1\}$/\1/p' | head -1)
[ -n "$kpkg" ] || die "no arm64 kernel package (dpkg --add-architecture arm64 && apt-get update)"
kdir=$(unpack_package "$kpkg:arm64") || die "could not fetch $kpkg"
vmlinuz=$(compgen -G "$kdir/boot/vmlinuz-*" | head -1)
bbdir=$(unpack_package busybox-static:arm64) || die "could not fetch busybox-static:arm64"
fetch_s=$(since "$t0")

# lib_path NAME: where the arm64 loader would find a DT_NEEDED library
lib_path() {
	local d
	for d in $libdirs; do
		[ -e "$d/$1" ] && { echo "$d/$1"; return 0; }
	done
	return 1
}

build_initramfs() {
	local s=$out/initramfs.d f n p todo seen
	rm -rf "$s"
	mkdir -p "$s"/{bin,usr/bin,dev,proc,sys,tmp,var/tmp,run,etc,lib,iotrace/bin,iotrace/workloads}
	cp "$bbdir/bin/busybox" "$s/bin/busybox"
	mknod -m 600 "$s/dev/console" c 5 1
	install -m 755 "$here/init.sh" "$s/init"
	install -m 755 "$here/scenario-arm64.sh" "$s/iotrace/scenario.sh"
	install -m 755 "$here/scenario.sh" "$s/iotrace/scenario-common.sh"
	aarch64-linux-gnu-objcopy --strip-debug "$build/iotrace" "$s/iotrace/bin/iotrace"
	for f in "$build"/tests/workloads/wl_*; do
		[ -f "$f" ] && [ -x "$f" ] && cp "$f" "$s/iotrace/workloads/"
	done
	guest_etc "$s"
	# shared libraries: DT_NEEDED, transitively, from the arm64 multiarch directories
	todo=$(for f in "$s/iotrace/bin/iotrace" "$s"/iotrace/workloads/wl_*; do
		aarch64-linux-gnu-readelf -d "$f" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'
	done | sort -u)
	seen=" "
	while [ -n "$todo" ]; do
		set -- $todo
		todo=
		for n in "$@"; do
			case $seen in *" $n "*) continue ;; esac
			seen="$seen$n "
			p=$(lib_path "$n") || die "no arm64 library $n in $libdirs"
			mkdir -p "$s/usr/lib/aarch64-linux-gnu"
			cp -L "$p" "$s/usr/lib/aarch64-linux-gnu/$n"
			todo="$todo $(aarch64-linux-gnu-readelf -d "$p" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')"
		done
	done
	cp -L /lib/ld-linux-aarch64.so.1 "$s/lib/ld-linux-aarch64.so.1"
	(cd "$s" && find . | cpio -o -H newc --quiet) >"$out/initramfs.cpio"
	rm -rf "$s"
}

find "$out" -mindepth 1 -maxdepth 1 ! -name '*.cpio' -exec rm -rf {} +
t1=$(now)
build_initramfs
initramfs_s=$(since "$t1")
log "initramfs $(du -m "$out/initramfs.cpio" | cut -f1) MB in ${initramfs_s}s; booting $(basename "$vmlinuz")"

boot_twice "$out" qemu-system-aarch64 -machine virt -cpu max,pauth-impdef=on -accel tcg,thread=multi \
	-smp 2 -m 2G -nographic -no-reboot -nic none -kernel "$vmlinuz" -initrd "$out/initramfs.cpio" \
	-append "console=ttyAMA0 quiet panic=-1"
extract_results "$out"

rc=0
[ "$status" = done ] || rc=1
{
	echo "kernel=$(basename "$vmlinuz") machine=$(cat "$out/machine.txt" 2>/dev/null || echo -) status=$status attempts=$attempt retried=$retried"
	echo "fetch_s=$fetch_s initramfs_s=$initramfs_s boot_to_init_s=$boot_s qemu_s=$qemu_s total_s=$(since "$t0")"
	# bpf/vmlinux/README.md names the BTF blob arm64/vmlinux.h was dumped from
	btf=$(cat "$out/btf.sha256" 2>/dev/null || echo -)
	grep -q "$btf" "$root/bpf/vmlinux/README.md" && same="the one vmlinux.h is from" || same="NOT the one vmlinux.h is from"
	echo "guest /sys/kernel/btf/vmlinux sha256=$btf: $same"
	echo "doctor rc=$(cat "$out/doctor.rc" 2>/dev/null || echo -)"
	for f in "$out"/*.rc; do
		[ -e "$f" ] || continue
		n=$(basename "$f" .rc)
		[ "$n" = doctor ] && continue
		printf '%s rc=%s\n' "$n" "$(cat "$f")"
	done
} | tee "$out/summary.txt"
python3 "$here/summarize-arm64.py" "$out" | tee -a "$out/summary.txt" || rc=1
for f in "$out"/*.rc; do
	[ -e "$f" ] || continue
	case "$(basename "$f" .rc)=$(cat "$f")" in
	ci_blocking=1 | *=0) ;;        # ci_blocking fails its --fail-on on purpose
	*) rc=1 ;;
	esac
done
if [ -n "$host_results" ]; then
	python3 "$here/compare.py" "$host_results" "$out" | tee "$out/compare.txt" || rc=1
fi
[ "$status" = done ] || { log "the guest did not finish ($status): last console lines:"; tail -n 15 "$out/console.log" | sed 's/^/    /' >&2; }
echo "results in $out"
exit $rc
