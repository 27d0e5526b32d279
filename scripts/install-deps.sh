#!/bin/sh
# Installs everything iotrace needs to build, test and benchmark, from Debian 12 packages.
set -eu
if [ "$(id -u)" != 0 ]; then
	echo "install-deps.sh: run as root (it uses apt-get)" >&2
	exit 4
fi
packages="build-essential cmake pkg-config clang llvm libbpf-dev bpftool libelf-dev libdw-dev
zlib1g-dev libcli11-dev libfmt-dev libgtest-dev nlohmann-json3-dev liburing-dev mandoc
bash-completion zsh fish libxml2-utils strace bpftrace elfutils linux-perf python3 python3.11-dev python3-jsonschema jq time
prometheus-cpp-dev libcpp-httplib-dev libssl-dev libyaml-cpp-dev libcap-dev libcrypt-dev apache2-utils openssl debhelper lintian man-db protobuf-compiler libprotobuf-dev golang-github-google-pprof-dev golang-go prometheus curl bc qemu-system-x86 busybox-static cpio"
# Installed for this machine's architecture (or for all): on a host that also has foreign
# -dev packages for cross builds, another architecture's copy does not count.
native=$(dpkg --print-architecture)
missing=""
for p in $packages; do
	dpkg-query -W -f='${Status} ${Architecture}\n' "$p" 2>/dev/null |
		grep -Eq "install ok installed ($native|all)$" || missing="$missing $p:$native"
done
if [ -n "$missing" ]; then
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing
fi
