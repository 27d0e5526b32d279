#!/bin/bash
# Runs iotrace on Debian 12's own kernels, booted under QEMU with software emulation (TCG: no
# KVM needed), and compares what it reports in each guest with the same scenario on the host.
#
# Usage: tests/kernels/run.sh [--kernel 6.1|6.12|host|all]... [--iotrace PATH]
#                             [--workloads DIR] [--out DIR]
#   --kernel     6.1   bookworm's default kernel: the linux-image-6.1.0-NN-amd64 that
#                      linux-image-amd64 depends on (its -unsigned twin when there is one)
#                6.12  the newest linux-image-6.12.*+deb12-amd64-unsigned
#                host  this machine's kernel, no VM
#                all   the three. Repeatable; default: 6.1 and host.
#   --iotrace    the binary under test (default: build/iotrace)
#   --workloads  the wl_* binaries (default: build/tests/workloads)
#   --out        results (default: ${TMPDIR:-/tmp}/iotrace-kernels). OUT/KERNEL/ holds what
#                scenario.sh wrote (NAME.json, NAME.rc, NAME.err, doctor.*, timings.txt), and
#                for a guest console.log (its serial console), boot.txt and compare.txt.
#                OUT/host is reused while iotrace, the workloads and scenario.sh are the
#                same, so `--kernel host` and then `--kernel 6.1` compare the two.
# Exit status: 0 every guest matched the host, 1 a difference (or a failed boot), 2 setup.
#
# Needs root (BPF) and Debian packages (scripts/install-deps.sh installs them; this script
# names the missing ones). Kernel packages are fetched with apt-get download into
# ${IOTRACE_KERNEL_CACHE:-/var/cache/iotrace-kernels} and extracted there (dpkg-deb -x),
# once per package version; later runs reuse them.
#
# A guest: qemu-system-x86_64 -accel tcg -cpu max -smp 2 -m 2G -nographic -no-reboot, the
# package's vmlinuz, and an initramfs built for each run: busybox-static, iotrace (its debug
# sections stripped: the code is the same), the wl_* workloads, python3.11 with only the
# modules py_loop_sleep.py imports, their shared libraries, init.sh as /init and scenario.sh.
# The cpio is not compressed: the kernel unpacks it faster than it inflates a gzip under TCG.
# Results come back base64-encoded on the serial console (protocol in init.sh). A boot that
# panics or shows no sign of /init within IOTRACE_EARLY_TIMEOUT seconds (180) is retried once;
# a boot is bounded to IOTRACE_BOOT_TIMEOUT seconds (480).
#
# TCG runs the guest 10 to 30 times slower than the host (a 64-byte tcp write: 3 us on the
# host, 60-80 us in a guest); compare.py allows for the findings that only slowness makes.
# Under TCG a guest kernel also oopses or locks up now and then while code is patched live (an
# int3 in __schedule as tracepoints are switched on; a soft lockup of both CPUs as iotrace
# attaches): such a boot is stopped at the first sign and retried once.
#
# Timings on a 2-core machine without KVM (iotrace 0.1.0, 18 scenario steps):
#   kernel package: download + dpkg-deb -x 5-9 s, once (70 MB for 6.1, 107 MB for 6.12)
#   initramfs: 34 MB, built in 4-5 s (gzipped, /init would start 0.7-1 s later)
#   host: scenario ~30 s
#   guest: QEMU start to /init 5-7 s (2-4 s of it the kernel's), scenario 75-100 s, QEMU
#          run 80-105 s, whole guest with its comparison 100-110 s; ~30 s when iotrace cannot
#          load its programs there (every step fails at once). --kernel all: ~4 min.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cache=${IOTRACE_KERNEL_CACHE:-/var/cache/iotrace-kernels}
early_timeout=${IOTRACE_EARLY_TIMEOUT:-180}
boot_timeout=${IOTRACE_BOOT_TIMEOUT:-480}
iotrace=$root/build/iotrace
workloads=$root/build/tests/workloads
out=${TMPDIR:-/tmp}/iotrace-kernels
python=/usr/bin/python3.11
pyscript=$root/tests/workloads/py_loop_sleep.py
kernels=()

die() {
	echo "run.sh: $*" >&2
	exit 2
}
log() { echo "run.sh: $*" >&2; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
# shellcheck source=tests/kernels/guest.sh
. "$here/guest.sh"

while [ $# -gt 0 ]; do
	case $1 in
	--kernel)
		case ${2:-} in
		6.1 | 6.12 | host) kernels+=("$2") ;;
		all) kernels+=(6.1 6.12 host) ;;
		*) die "--kernel takes 6.1, 6.12, host or all" ;;
		esac
		shift 2
		;;
	--iotrace) iotrace=${2:?}; shift 2 ;;
	--workloads) workloads=${2:?}; shift 2 ;;
	--out) out=${2:?}; shift 2 ;;
	-h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) die "unknown argument $1 (see --help)" ;;
	esac
done
[ ${#kernels[@]} -gt 0 ] || kernels=(6.1 host)
want_host=false
guests=()
[[ " ${kernels[*]} " == *" host "* ]] && want_host=true
for k in 6.1 6.12; do [[ " ${kernels[*]} " == *" $k "* ]] && guests+=("$k"); done

[ "$(id -u)" = 0 ] || die "needs root (iotrace loads BPF programs)"
[ -x "$iotrace" ] || die "no iotrace binary at $iotrace (cmake --build build --target iotrace)"
[ -x "$workloads/wl_ci_blocking" ] || die "no workloads in $workloads (cmake --build build)"

# The packages this script uses, by command; the same list is in scripts/install-deps.sh.
missing=()
need() { command -v "$1" >/dev/null 2>&1 || missing+=("$2"); }
need python3 python3
need awk mawk
if [ ${#guests[@]} -gt 0 ]; then
	need qemu-system-x86_64 qemu-system-x86
	need cpio cpio
	need objcopy binutils
	need ldd libc-bin
	need apt-get apt
	need dpkg-deb dpkg
	# a static busybox: the guest has no libraries of its own
	dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q "install ok installed" ||
		missing+=(busybox-static)
fi
if [ ${#missing[@]} -gt 0 ]; then
	die "missing packages: ${missing[*]} (apt-get install ${missing[*]}, or scripts/install-deps.sh)"
fi

mkdir -p "$out" "$cache"
out=$(cd "$out" && pwd)

# A snapshot of the binaries: a rebuild during the run must not make host and guest differ.
mkdir -p "$out/bin/workloads"
cp "$iotrace" "$out/bin/iotrace"
cp "$workloads"/wl_* "$out/bin/workloads/"
"$out/bin/iotrace" --version >/dev/null || die "$iotrace does not run"
# what the host results depend on: they are reused while it stays the same
inputs_sum=$(cat "$out/bin/iotrace" "$out"/bin/workloads/* "$here/scenario.sh" | sha256sum | cut -d' ' -f1)

run_host() {
	local t0 dir=$out/host
	t0=$(now)
	rm -rf "$dir"
	mkdir -p "$dir"
	log "host: running the scenario on $(uname -r)"
	# SUDO_USER would make iotrace run start the workloads as that user; the guests have none
	env -u SUDO_USER IOTRACE="$out/bin/iotrace" WORKLOADS="$out/bin/workloads" \
		PYTHON="$([ -x "$python" ] && echo "$python")" PYSCRIPT="$pyscript" \
		sh "$here/scenario.sh" "$dir" 2>"$dir/scenario.log"
	echo "$inputs_sum" >"$dir/inputs.sha256"
	# what the guests will be held to: iotrace's exit code per scenario
	(cd "$dir" && for f in *.rc; do printf '%s=%s ' "${f%.rc}" "$(cat "$f")"; done; echo) >&2
	echo "host $(uname -r) total_s=$(since "$t0")" | tee -a "$out/summary.txt"
}

# Everything a guest runs, as an uncompressed newc cpio.
build_initramfs() {
	local s=$out/initramfs.d f
	rm -rf "$s"
	mkdir -p "$s"/{bin,usr/bin,dev,proc,sys,tmp,var/tmp,run,etc,iotrace/bin,iotrace/workloads}
	cp /bin/busybox "$s/bin/busybox"
	mknod -m 600 "$s/dev/console" c 5 1 # the kernel opens it for /init before devtmpfs exists
	install -m 755 "$here/init.sh" "$s/init"
	cp "$here/scenario.sh" "$pyscript" "$s/iotrace/"
	objcopy --strip-debug "$out/bin/iotrace" "$s/iotrace/bin/iotrace"
	cp "$out"/bin/workloads/wl_* "$s/iotrace/workloads/"
	guest_etc "$s"
	local elves=("$s/iotrace/bin/iotrace" "$s"/iotrace/workloads/wl_*)
	if [ -x "$python" ]; then
		# python3.11 and the stdlib files py_loop_sleep.py loads (asyncio and its imports),
		# listed by running it here: ~12 MB instead of the whole stdlib
		cp "$python" "$s/usr/bin/python3.11"
		"$python" -c 'import atexit, runpy, sys
def dump():
    for m in list(sys.modules.values()):
        for f in (getattr(m, "__file__", None), getattr(m, "__cached__", None)):
            if f and f.startswith("/usr/lib/python3.11/"):
                print(f)
atexit.register(dump)
sys.argv = [sys.argv[1]]
runpy.run_path(sys.argv[0], run_name="__main__")' "$pyscript" | sort -u >"$out/python-files.txt"
		while read -r f; do [ -e "$f" ] && cp -L --parents "$f" "$s"; done <"$out/python-files.txt"
		elves+=("$s/usr/bin/python3.11" "$s"/usr/lib/python3.11/lib-dynload/*.so)
	fi
	copy_libraries "$s" "${elves[@]}"
	(cd "$s" && find . | cpio -o -H newc --quiet) >"$out/initramfs.cpio"
	rm -rf "$s"
}

# boot_x86 DIR VMLINUZ: an x86_64 guest (guest.sh's boot_twice).
boot_x86() {
	boot_twice "$1" qemu-system-x86_64 -accel tcg,thread=multi -cpu max -smp 2 -m 2G -nographic -no-reboot \
		-nic none -kernel "$2" -initrd "$out/initramfs.cpio" -append "console=ttyS0 quiet panic=-1"
}

# uptime=S from a console marker
marker_uptime() { tr -d '\r' <"$1" | sed -n "s/.*@@IOTRACE-$2 uptime=\([0-9.]*\)@@.*/\1/p" | head -1; }

run_guest() {
	local k=$1 dir=$out/$1 t0 vmlinuz rc=0 init_up done_up fetch_s
	t0=$(now)
	vmlinuz=$(fetch_kernel "$k") || {
		echo "$k status=no-kernel (download or extraction failed)" | tee -a "$out/summary.txt"
		return 1
	}
	fetch_s=$(since "$t0")
	rm -rf "$dir"
	mkdir -p "$dir"
	log "$k: $(basename "$vmlinuz")"
	boot_x86 "$dir" "$vmlinuz"
extract_results "$dir"
	init_up=$(marker_uptime "$dir/console.log" INIT)
	done_up=$(marker_uptime "$dir/console.log" DONE)
	{
		echo "kernel=$(basename "$vmlinuz") status=$status attempts=$attempt retried=$retried"
		echo "qemu_s=$qemu_s boot_to_init_s=$boot_s guest_uptime_at_init_s=${init_up:--} guest_init_to_done_s=$(
			[ -n "$done_up" ] && awk -v a="$init_up" -v b="$done_up" 'BEGIN { printf "%.1f", b - a }' || echo -)"
	} >"$dir/boot.txt"
	python3 "$here/compare.py" "$out/host" "$dir" | tee "$dir/compare.txt" || rc=1
	[ "$status" = "done" ] || {
		log "$k: the guest did not finish ($status): last console lines:"
		tail -n 15 "$dir/console.log" | sed 's/^/    /' >&2
		rc=1
	}
	echo "$k status=$status attempts=$attempt fetch_s=$fetch_s boot_to_init_s=$boot_s qemu_s=$qemu_s total_s=$(since "$t0")" |
		tee -a "$out/summary.txt"
	return $rc
}

: >"$out/summary.txt"
if $want_host; then
	run_host
elif [ "$(cat "$out/host/inputs.sha256" 2>/dev/null)" = "$inputs_sum" ]; then
	log "host: reusing $out/host (same iotrace, workloads and scenario)"
else
	run_host
fi

result=0
if [ ${#guests[@]} -gt 0 ]; then
	t0=$(now)
	build_initramfs
	echo "initramfs $(du -m "$out/initramfs.cpio" | cut -f1) MB, built in $(since "$t0") s" | tee -a "$out/summary.txt"
	for k in "${guests[@]}"; do run_guest "$k" || result=1; done
fi
echo
cat "$out/summary.txt"
echo "results in $out"
exit $result
