#!/usr/bin/env bash
# Python http.server.ThreadingHTTPServer (a new thread per connection, blocking I/O);
# ab, 10 concurrent clients, one request per connection, bounded by count.
source "$(dirname "$0")/../lib.sh"
rw_init "$@"
source "$RW_TOP/tests/realworld/programs/runtime-common/load_summary.inc.sh"
rw_need_pkgs python3 apache2-utils curl strace
source "$RW_TOP/tests/realworld/programs/python-threading/case.inc.sh"

PORT=$(rw_free_port)
rw_bg pythreads /usr/bin/python3 "$RW_TOP/tests/realworld/programs/python-threading/server.py" "$PORT"
rw_wait_http "http://127.0.0.1:$PORT/"
SERVER=${RW_PID[pythreads]}

rw_bg load ab -q -c 10 -n 200000 -s 5 "http://127.0.0.1:$PORT/"
sleep 1
rw_attach -f "$SERVER"
rw_note "ThreadingHTTPServer ($(/usr/bin/python3 --version)), pid $SERVER"
rw_snapshot "$SERVER"
py_thread_census "$SERVER" 2 >> "$OUTDIR/evidence.txt"
py_strace_count "$SERVER" 2 >> "$OUTDIR/evidence.txt"
# Per thread: what the main thread waits in, and what a connection thread does.
{
  echo "== strace -f -e trace=poll,accept4,clone3,recvfrom,sendto,write,shutdown,close for 1s"
  timeout -s INT 1 strace -f -e trace=poll,accept4,clone3,recvfrom,sendto,write,shutdown,close \
    -o "$WORK/py.strace" -p "$SERVER" > /dev/null 2>&1 || true
  awk '!/unfinished/ && !/ --- / && !/ \+\+\+ / {
         if ($2 == "<...") c=$3; else { c=$2; sub(/\(.*/,"",c) }
         if ($1 == main) who="main"; else who="other"; n[who" "c]++; tids[$1]=1 }
       END { for (k in n) print "   " k " " n[k]; print "   threads seen " length(tids) }' \
    main="$SERVER" "$WORK/py.strace" | sort
  grep -m1 -o "^$SERVER poll(.*" "$WORK/py.strace" | sed 's/^/   main: /' || true
} >> "$OUTDIR/evidence.txt"
rt_load_summary
