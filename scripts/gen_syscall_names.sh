#!/bin/sh
# Prints the syscall table of one architecture from the installed UAPI headers, for
# src/capture/syscall_names_<arch>.inc:
#   scripts/gen_syscall_names.sh x86_64   (<asm/unistd_64.h>, package linux-libc-dev)
#   scripts/gen_syscall_names.sh arm64    (the asm-generic numbers through the arm64 <asm/unistd.h>,
#                                          package linux-libc-dev:arm64 or linux-libc-dev-arm64-cross)
# Numbers newer than the headers are appended by hand at the end of each file.
set -eu
arch=${1:-x86_64}
case "$arch" in
x86_64)
	grep -E "^#define __NR_" /usr/include/x86_64-linux-gnu/asm/unistd_64.h |
		awk '{sub("__NR_","",$2); printf "{%d, \"%s\"},\n",$3,$2}'
	;;
arm64 | aarch64)
	# asm-generic/unistd.h defines some names through __NR3264_* aliases; preprocess with the
	# arm64 compiler (its __ARCH_WANT_* choices and 64-bit __BITS_PER_LONG), then resolve them.
	echo '#include <asm/unistd.h>' | aarch64-linux-gnu-gcc -dM -E -x c - |
		awk '$1 == "#define" && $2 ~ /^__NR(3264)?_/ { v[$2] = $3 }
		END {
			for (k in v) {
				n = v[k]
				while (n in v) n = v[n]
				if (k ~ /^__NR_/ && n ~ /^[0-9]+$/ && k != "__NR_syscalls" && k != "__NR_arch_specific_syscall") {
					name = k; sub("^__NR_", "", name)
					printf "%d %s\n", n, name
				}
			}
		}' | sort -n | awk '{printf "{%d, \"%s\"},\n", $1, $2}'
	;;
*)
	echo "gen_syscall_names.sh: unknown architecture $arch (x86_64, arm64)" >&2
	exit 2
	;;
esac
