#!/bin/sh
# Cross-builds iotrace for arm64 (aarch64) on an x86_64 Debian 12 host, from Debian packages:
# crossbuild-essential-arm64 and the :arm64 -dev packages of the libraries iotrace links,
# installed side by side with the host's through multiarch (dpkg --add-architecture arm64).
# Builds into ./build-arm64 (or $BUILD_DIR) with cmake/toolchain-aarch64.cmake. Arguments are
# build targets (default: iotrace and the test workloads in tests/workloads, which
# tests/kernels/run-arm64.sh boots an arm64 guest with). qemu-user-static lets the unit tests
# run here too: scripts/build-arm64.sh unit_tests && build-arm64/tests/unit/unit_tests.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$top/build-arm64}

# Host tools (the BPF object is built by the host's clang and bpftool), the cross compiler,
# qemu-user for running arm64 programs here, and the arm64 libraries.
host_packages="cmake pkg-config clang llvm bpftool crossbuild-essential-arm64 qemu-user-static
libcli11-dev nlohmann-json3-dev protobuf-compiler golang-github-google-pprof-dev"
# prometheus-cpp-dev is not among them: it depends on the package civetweb (a program, not
# Multi-Arch), so apt replaces civetweb:amd64 with civetweb:arm64 and removes the host's
# prometheus-cpp-dev. Its arm64 files are extracted into the build tree instead (below), over
# its arm64 dependencies, which install side by side.
arm64_packages="libbpf-dev libelf-dev libdw-dev zlib1g-dev libfmt-dev liburing-dev
libcpp-httplib-dev libssl-dev libgtest-dev libpython3.11-dev libprometheus-cpp-core1.0
libprometheus-cpp-pull1.0 libprometheus-cpp-push1.0 libcivetweb-dev libcurl4-openssl-dev
libyaml-cpp-dev libcap-dev libcrypt-dev libprotobuf-dev"
missing=""
for p in $host_packages; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
for p in $arm64_packages; do
	dpkg-query -W -f='${Status}' "$p:arm64" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p:arm64"
done
if [ -n "$missing" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "build-arm64.sh: missing packages:$missing (run as root to install them)" >&2
		exit 4
	fi
	export DEBIAN_FRONTEND=noninteractive
	dpkg --print-foreign-architectures | grep -qx arm64 || dpkg --add-architecture arm64
	apt-get update -qq
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing
fi

# prometheus-cpp-dev:arm64's headers and CMake package, unpacked (apt-get download, dpkg-deb -x)
# into BUILD/deps; its library links point at the installed arm64 libraries.
deps=$build/deps
prom_dir=$deps/usr/lib/aarch64-linux-gnu/cmake/prometheus-cpp
if [ ! -f "$prom_dir/prometheus-cpp-config.cmake" ]; then
	mkdir -p "$deps"
	(cd "$deps" && rm -f prometheus-cpp-dev_*.deb &&
		apt-get download -q -o APT::Sandbox::User=root prometheus-cpp-dev:arm64 >/dev/null &&
		dpkg-deb -x prometheus-cpp-dev_*_arm64.deb . && rm -f prometheus-cpp-dev_*_arm64.deb)
fi
# the libraries its CMake package names, next to it (libprometheus-cpp-*1.0:arm64's files)
for f in /usr/lib/aarch64-linux-gnu/libprometheus-cpp-*.so.*; do
	ln -sf "$f" "$deps/usr/lib/aarch64-linux-gnu/"
done

werror=OFF
[ "${CI:-}" = true ] && werror=ON
cmake -S "$top" -B "$build" -DCMAKE_TOOLCHAIN_FILE="$top/cmake/toolchain-aarch64.cmake" \
	-DCMAKE_BUILD_TYPE=RelWithDebInfo -DIOTRACE_WERROR=$werror -Dprometheus-cpp_DIR="$prom_dir" >/dev/null
if [ $# -eq 0 ]; then
	# every workload target (wl_*.cpp and their variants: _nofp, _stripped, _dynsym), as the
	# build tool lists them (Makefiles: "... wl_x", Ninja: "wl_x: phony")
	# shellcheck disable=SC2046
	set -- iotrace $(cmake --build "$build" --target help |
		sed -n 's/^\.\.\. \(wl_[A-Za-z0-9_]*\).*/\1/p; s/^\(wl_[A-Za-z0-9_]*\): phony.*/\1/p' | sort -u)
fi
cmake --build "$build" -j "$(nproc)" --target "$@"
