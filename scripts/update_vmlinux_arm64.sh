#!/bin/sh
# Regenerates bpf/vmlinux/arm64/vmlinux.h from the BTF of Debian's arm64 kernel, on any host.
# Debian's arm64 vmlinuz is a raw arm64 Image (no ELF section headers); its .BTF section is a
# contiguous blob, found by the BTF header (magic 0xeb9f, version 1, 24-byte header, types
# followed by strings) and dumped by the host's bpftool. tests/kernels/run-arm64.sh boots the
# same kernel and checks the blob against the guest's /sys/kernel/btf/vmlinux.
# Usage: scripts/update_vmlinux_arm64.sh [linux-image-<version>-arm64 package name]
set -eu
pkg=${1:-}
dir=$(cd "$(dirname "$0")/.." && pwd)/bpf/vmlinux/arm64
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
if [ -z "$pkg" ]; then
	# the metapackage depends on the current ABI's image
	pkg=$(apt-cache depends linux-image-arm64:arm64 | awk '/Depends: linux-image-/ {sub(":arm64","",$2); print $2; exit}')
fi
apt-get download "$pkg:arm64" >/dev/null 2>&1 || apt-get download "$pkg:arm64"
dpkg-deb -x ./*.deb root
image=$(ls root/boot/vmlinuz-*)
python3 - "$image" btf.raw <<'PY'
import struct, sys
data = open(sys.argv[1], "rb").read()
if data[:2] == b"\x1f\x8b":
    import gzip
    data = gzip.decompress(data)
at = 0
while True:
    at = data.find(b"\x9f\xeb\x01\x00", at)
    if at < 0:
        sys.exit("no BTF blob in " + sys.argv[1])
    hdr_len, type_off, type_len, str_off, str_len = struct.unpack_from("<5I", data, at + 4)
    if hdr_len == 24 and type_off == 0 and str_off == type_len and str_len > 0:
        break
    at += 1
open(sys.argv[2], "wb").write(data[at:at + hdr_len + str_off + str_len])
PY
mkdir -p "$dir"
bpftool btf dump file btf.raw format c > "$dir/vmlinux.h"
echo "bpf/vmlinux/arm64/vmlinux.h from $pkg ($(basename "$image")), BTF sha256 $(sha256sum btf.raw | cut -d' ' -f1)"
echo "(bpf/vmlinux/README.md names the package and the sha256)"
