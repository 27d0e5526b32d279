# Shell functions shared by run.sh (x86_64 guests) and run-arm64.sh (arm64 guest); sourced by
# them, after they set: out, cache, early_timeout, boot_timeout, and log/now/since.

# unpack_package PKG[:ARCH] [VERSION]: downloads a Debian package once into $cache, extracts
# it there (dpkg-deb -x) and prints the directory. The extracted tree is what later runs reuse.
# Functions called as `f || ...` run without set -e, hence the explicit returns.
unpack_package() {
	local spec=$1 ver=${2:-} name=${1%%:*} dir deb
	[ -n "$ver" ] || ver=$(apt-cache show --no-all-versions "$spec" | sed -n 's/^Version: //p' | head -1)
	[ -n "$ver" ] || { log "no package $spec (apt-get update?)"; return 1; }
	dir=$cache/${name}_${ver}${spec#"$name"}
	dir=${dir//:/_}
	if [ ! -d "$dir" ]; then
		log "downloading $spec $ver into $cache"
		(cd "$cache" && apt-get download -q -o APT::Sandbox::User=root "$spec=$ver" >&2) || return 1
		deb=$(compgen -G "$cache/${name}_${ver//:/%3a}_*.deb" | head -1)
		rm -rf "$dir.partial"
		dpkg-deb -x "$deb" "$dir.partial" && mv "$dir.partial" "$dir" || return 1
		rm -f "$deb"
	fi
	echo "$dir"
}

# kernel_package 6.1|6.12: the Debian 12 package of that kernel.
kernel_package() {
	local pkg=
	case $1 in
	6.1)
		pkg=$(apt-cache depends linux-image-amd64 | sed -n 's/^ *Depends: \(linux-image-6\.1\.[^ ]*-amd64\)$/\1/p' | head -1)
		# the unsigned build is the same kernel; either has a plain vmlinuz
		if [ -n "$pkg" ] && apt-cache show "$pkg-unsigned" >/dev/null 2>&1; then pkg=$pkg-unsigned; fi
		;;
	6.12)
		pkg=$(apt-cache search --names-only '^linux-image-6\.12\..*deb12-amd64-unsigned$' | cut -d' ' -f1 | sort -V | tail -1)
		;;
	esac
	[ -n "$pkg" ] && echo "$pkg"
}

# Downloads and extracts a kernel package once; prints its vmlinuz.
fetch_kernel() {
	local pkg dir
	pkg=$(kernel_package "$1") || { log "$1: no kernel package found (apt-get update?)"; return 1; }
	dir=$(unpack_package "$pkg") || return 1
	compgen -G "$dir/boot/vmlinuz-*" | head -1
}

# copy_libraries ROOT ELF...: the shared libraries and the dynamic loader the ELF files need,
# at the paths ldd resolves them to, and ROOT's ld.so.cache.
copy_libraries() {
	local root=$1 f
	shift
	for f in "$@"; do ldd "$f"; done |
		awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' | sort -u |
		while read -r f; do cp -L --parents "$f" "$root"; done
	printf '/lib/x86_64-linux-gnu\n/usr/lib/x86_64-linux-gnu\n' >"$root/etc/ld.so.conf"
	ldconfig -r "$root"
}

# guest_etc ROOT: the few files of /etc the workloads need. Name resolution as on a host
# (files, then DNS); the dns workload bind-mounts its own resolv.conf over this one, so it
# must exist.
guest_etc() {
	echo 'root:x:0:0:root:/:/bin/sh' >"$1/etc/passwd"
	echo 'root:x:0:' >"$1/etc/group"
	echo 'hosts: files dns' >"$1/etc/nsswitch.conf"
	echo '127.0.0.1 localhost' >"$1/etc/hosts"
	: >"$1/etc/resolv.conf"
}

# boot DIR QEMU-COMMAND...: one QEMU run with its serial console in DIR/console.log; sets
# status (done, panic, early, fault, timeout, incomplete), boot_s (host seconds from QEMU's start to
# /init's first line) and qemu_s.
boot() {
	local dir=$1 t0 el qpid
	local console=$dir/console.log
	shift
	status='' boot_s=-
	t0=$(now)
	"$@" </dev/null >"$console" 2>&1 &
	qpid=$!
	while kill -0 "$qpid" 2>/dev/null; do
		el=$(since "$t0")
		if [ "$boot_s" = - ] && grep -q '@@IOTRACE-INIT' "$console"; then boot_s=$el; fi
		if [ "$boot_s" = - ] && [ "${el%.*}" -ge "$early_timeout" ]; then status=early; fi
		if [ "${el%.*}" -ge "$boot_timeout" ]; then status=timeout; fi
		# TCG now and then corrupts code the kernel patches live (tracepoints, static keys):
		# an oops or a soft lockup there is the emulator's, and the boot is worth a retry
		if grep -Eq 'soft lockup - CPU|Oops: ' "$console"; then status=fault; fi
		if [ -n "$status" ]; then
			kill "$qpid"
			break
		fi
		sleep 0.5
	done
	wait "$qpid" || true
	qemu_s=$(since "$t0")
	if grep -q '@@IOTRACE-DONE' "$console"; then
		status='done'
	elif grep -q 'Kernel panic' "$console"; then
		status=panic
	elif [ "$status" = fault ]; then
		:
	elif ! grep -q '@@IOTRACE-INIT' "$console"; then
		status=early
	elif [ -z "$status" ]; then
		status=incomplete
	fi
}

# boot_twice DIR QEMU-COMMAND...: boot, and once more when the first boot panicked, faulted or
# never reached /init (TCG's failures, not iotrace's); the first console is kept as
# console.1.log. Sets what boot sets, and attempt and retried.
boot_twice() {
	local dir=$1
	retried=no
	for attempt in 1 2; do
		log "$(basename "$dir"): booting (attempt $attempt)"
		boot "$@"
		log "$(basename "$dir"): $status after ${qemu_s}s ($([ "$boot_s" = - ] && echo "/init never started" || echo "/init started after ${boot_s}s"))"
		case $status in panic | early | fault) ;; *) break ;; esac
		[ "$attempt" = 2 ] || { mv "$dir/console.log" "$dir/console.1.log" && retried="after $status (console.1.log)"; }
	done
}

# extract_results DIR: the files between the console's markers (init.sh), decoded into DIR.
extract_results() {
	local dir=$1 b
	tr -d '\r' <"$dir/console.log" | awk -v dir="$dir" '
		/^@@IOTRACE-BEGIN .*@@$/ { file = dir "/" substr($0, 17, length($0) - 18) ".b64"; printf "" >file; next }
		/^@@IOTRACE-END@@$/ { close(file); file = ""; next }
		file != "" && /^[A-Za-z0-9+\/=]+$/ { print >file }'
	for b in "$dir"/*.b64; do
		[ -e "$b" ] || continue
		base64 -d "$b" | gunzip >"${b%.b64}" || log "$(basename "$dir"): ${b##*/} arrived damaged"
		rm -f "$b"
	done
}
