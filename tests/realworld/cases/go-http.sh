#!/usr/bin/env bash
# Go net/http hello server (Debian's golang-go); wrk, 10 keep-alive connections.
source "$(dirname "$0")/../lib.sh"
rw_init "$@"
source "$RW_TOP/tests/realworld/programs/runtime-common/load_summary.inc.sh"
rw_need_pkgs golang-go wrk curl strace
BIN=$(bash "$RW_TOP/tests/realworld/programs/go-http/build.sh")

PORT=$(rw_free_port)
rw_bg gohttp "$BIN" "$PORT"
rw_wait_http "http://127.0.0.1:$PORT/"
SERVER=${RW_PID[gohttp]}

rw_bg load wrk -t1 -c10 -d30s "http://127.0.0.1:$PORT/"
sleep 1
rw_attach -f "$SERVER"
rw_note "go-http ($(go version | cut -d' ' -f3)), pid $SERVER"
rw_snapshot "$SERVER"
rw_strace_burst "$SERVER" 2
# Which threads wait in epoll_pwait, and how many reads end in EAGAIN (the ET contract).
{
  echo "== strace -f -e trace=epoll_pwait,epoll_wait,epoll_ctl,read for 1.5s: calls per thread"
  timeout -s INT 1.5 strace -f -e trace=epoll_pwait,epoll_wait,epoll_ctl,read -p "$SERVER" 2>&1 |
    awk '/^\[pid/ && !/unfinished/ && !/ --- / {
           t=$2; sub(/\]/,"",t);
           if ($3 == "<...") c=$4; else { c=$3; sub(/\(.*/,"",c) }
           k=t" "c; if (/EAGAIN/) k=k" EAGAIN"; n[k]++ }
         /epoll_ctl\(/ { m=$0; sub(/.*epoll_ctl\([0-9]+, /,"",m); sub(/, [0-9]+,.*events=/," ",m);
           sub(/,.*/,"",m); ctl[m]++ }
         END { for (k in n) print "   tid " k " " n[k];
               for (m in ctl) print "   epoll_ctl " m " x" ctl[m] }' | sort
} >> "$OUTDIR/evidence.txt" || true  # evidence is best effort: a grep that finds nothing must not end the case
rt_load_summary
