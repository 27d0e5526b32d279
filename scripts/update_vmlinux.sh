#!/bin/sh
# Refreshes the vendored vmlinux.h from the running kernel's BTF.
set -eu
arch=$(uname -m); case "$arch" in x86_64) arch=x86;; aarch64) arch=arm64;; esac
dir=$(dirname "$0")/../bpf/vmlinux/$arch
mkdir -p "$dir"
bpftool btf dump file /sys/kernel/btf/vmlinux format c > "$dir/vmlinux.h"
