#!/bin/sh
# One command from a fresh Debian 12 machine (as root): dependencies, build, every test.
# With CI=true a test that cannot get BPF fails instead of skipping.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/install-deps.sh"
"$top/scripts/build.sh"
cd "${BUILD_DIR:-$top/build}"
ctest --output-on-failure -j "$(nproc)" "$@"
