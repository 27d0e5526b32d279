#!/bin/sh
# run_fuzzer.sh FUZZER SEEDS SECONDS ARTIFACTS [DICT [LIBFUZZER-FLAGS...]]
# Fuzzes for a bounded time starting from a copy of the seed corpus, so a run never grows the
# committed corpus. A crash, leak, timeout or out-of-memory input is written to ARTIFACTS and
# fails the test.
set -eu
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1}"
fuzzer=$1 seeds=$2 seconds=$3 artifacts=$4 dict=${5:-}
shift $(($# < 5 ? $# : 5))
extra="$*"
work=$(mktemp -d "${TMPDIR:-/tmp}/iotrace-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
cp -R "$seeds"/. "$work"/
mkdir -p "$artifacts"
set -- -max_total_time="$seconds" -rss_limit_mb=1024 -timeout=10 -max_len=65536 \
  -print_final_stats=1 -artifact_prefix="$artifacts"/
[ -n "$dict" ] && set -- "$@" -dict="$dict"
# shellcheck disable=SC2086 # flags are single words
set -- "$@" $extra
"$fuzzer" "$@" "$work"
