#!/bin/sh
# run_sanitized.sh SOURCE_DIR BUILD_DIR WORKLOAD_DIR
# Configures and builds iotrace and unit_tests with IOTRACE_SANITIZE=ON in BUILD_DIR, runs the
# unit tests, then one real 'iotrace attach' and one 'iotrace demo' under ASan+UBSan. Any
# sanitizer report fails the run. Without root the BPF runs are skipped (a failure with CI=true).
set -eu
src=$1 build=$2 workloads=$3
jobs=$(nproc 2>/dev/null || echo 2)

# -O1: a quick compile that still finds what -O2 code would hit
cmake -S "$src" -B "$build" -DIOTRACE_SANITIZE=ON -DCMAKE_BUILD_TYPE=Sanitize \
  -DCMAKE_C_FLAGS_SANITIZE="-O1 -g1" -DCMAKE_CXX_FLAGS_SANITIZE="-O1 -g1" >"$build.configure.log" 2>&1 ||
  { cat "$build.configure.log"; exit 1; }
cmake --build "$build" -j "$jobs" --target iotrace unit_tests

export ASAN_OPTIONS=halt_on_error=1:detect_leaks=1:abort_on_error=0:exitcode=86
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:exitcode=87
export LC_ALL=C TZ=UTC

echo "== unit tests under ASan+UBSan"
"$build/tests/unit/unit_tests" --gtest_brief=1

if [ "$(id -u)" != 0 ]; then
  echo "not root: skipping the BPF runs under ASan+UBSan"
  case "${CI:-}" in true|1) exit 1 ;; esac
  exit 77
fi

tmp=$(mktemp -d)
trap 'kill "${target:-}" 2>/dev/null || true; rm -rf "$tmp"' EXIT

echo "== iotrace attach under ASan+UBSan"
# wl_counted: a known set of calls after "go" on its stdin (tests/workloads/wl_counted.cpp)
wait_for() {  # wait_for FILE TEXT: up to 60 s
  i=0
  until grep -q "$2" "$1" 2>/dev/null; do
    i=$((i + 1))
    [ $i -le 600 ] || { echo "timed out waiting for '$2' in $1:"; cat "$1"; exit 1; }
    sleep 0.1
  done
}
mkfifo "$tmp/go"
"$workloads/wl_counted" <"$tmp/go" >"$tmp/wl.out" &
target=$!
exec 3>"$tmp/go"
wait_for "$tmp/wl.out" ready
"$build/iotrace" attach "$target" --json >"$tmp/report.json" 2>"$tmp/attach.err" &
tracer=$!
wait_for "$tmp/attach.err" "attached to"
echo go >&3
wait_for "$tmp/wl.out" done
kill -INT "$tracer"
rc=0
wait "$tracer" || rc=$?
exec 3>&-
wait "$target" || true
target=
cat "$tmp/attach.err"
[ "$rc" = 0 ] || { echo "iotrace attach exited $rc under the sanitizers"; exit 1; }
writes=$(jq '[.processes[0].syscalls[] | select(.syscall == "write" and .fd_kind == "tcp") | .calls] | add' \
  "$tmp/report.json")
[ "$writes" = 10000 ] || { echo "expected 10000 tcp writes, got $writes"; exit 1; }

echo "== iotrace demo under ASan+UBSan"
"$build/iotrace" demo -d 1s >"$tmp/demo.txt" 2>"$tmp/demo.err" || {
  rc=$?; cat "$tmp/demo.err"; echo "iotrace demo exited $rc under the sanitizers"; exit 1; }
grep -q "epoll" "$tmp/demo.txt" || { echo "demo report:"; cat "$tmp/demo.txt"; exit 1; }
echo "sanitized build: unit tests, attach and demo clean"
