#!/usr/bin/env bash
# Builds go-http with Debian's golang-go, offline (standard library only).
# Usage: build.sh [OUT_DIR]; prints the binary's path. Rebuilds only when missing or stale.
set -euo pipefail
SRC=$(cd "$(dirname "$0")" && pwd)
OUT=${1:-/var/tmp/iotrace-realworld/go-http}
BIN=$OUT/go-http
if [ ! -x "$BIN" ] || [ "$SRC/main.go" -nt "$BIN" ]; then
  mkdir -p "$OUT"
  export PATH=/usr/lib/go/bin:$PATH GOPROXY=off GOFLAGS=-mod=mod GOTOOLCHAIN=local \
    GOCACHE=$OUT/cache GOPATH=$OUT/gopath
  (cd "$SRC" && go build -o "$BIN" .) >&2
fi
echo "$BIN"
