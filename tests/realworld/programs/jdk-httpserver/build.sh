#!/usr/bin/env bash
# Compiles Hello.java with the JDK (openjdk-17-jdk-headless).
# Usage: build.sh [OUT_DIR]; prints the class directory. Recompiles only when stale.
set -euo pipefail
SRC=$(cd "$(dirname "$0")" && pwd)
OUT=${1:-/var/tmp/iotrace-realworld/jdk-httpserver}
if [ ! -f "$OUT/Hello.class" ] || [ "$SRC/Hello.java" -nt "$OUT/Hello.class" ]; then
  mkdir -p "$OUT"
  javac -d "$OUT" "$SRC/Hello.java" >&2
fi
echo "$OUT"
