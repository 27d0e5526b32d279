#!/bin/sh
# Configures and builds iotrace into ./build (or $BUILD_DIR). Arguments are build targets
# (default: everything, tests included).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$top/build}
# CI keeps the build warning-free: there a warning fails it.
werror=OFF
[ "${CI:-}" = true ] && werror=ON
cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DIOTRACE_WERROR=$werror >/dev/null
if [ $# -gt 0 ]; then
	for t in "$@"; do cmake --build "$build" -j "$(nproc)" --target "$t"; done
else
	cmake --build "$build" -j "$(nproc)"
fi
