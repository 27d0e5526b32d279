#!/usr/bin/env bash
# Builds tokio-httpd offline against Debian's packaged crates (librust-tokio-dev).
# Usage: build.sh [TARGET_DIR]; prints the binary's path. Rebuilds only when missing.
set -euo pipefail
SRC=$(cd "$(dirname "$0")" && pwd)
TARGET=${1:-/var/tmp/iotrace-realworld/tokio}
BIN=$TARGET/release/tokio-httpd
if [ ! -x "$BIN" ] || [ "$SRC/src/main.rs" -nt "$BIN" ]; then
  # The lock file is the build's, not the source's: it pins whatever Debian ships.
  (cd "$SRC" && CARGO_TARGET_DIR=$TARGET cargo build --offline --release --quiet) >&2
fi
echo "$BIN"
