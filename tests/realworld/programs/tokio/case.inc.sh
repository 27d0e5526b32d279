# tokio-httpd case body, sourced by cases/tokio-{offload,blocking}.sh after rw_init with
# MODE set. Builds if needed, serves on a free port, wrk with 8 keep-alive connections.
source "$RW_TOP/tests/realworld/programs/runtime-common/load_summary.inc.sh"
rw_need_pkgs librust-tokio-dev wrk curl strace
command -v cargo > /dev/null || rw_need_pkgs cargo
BIN=$(bash "$RW_TOP/tests/realworld/programs/tokio/build.sh")

PORT=$(rw_free_port)
rw_bg tokio "$BIN" "$MODE" "$PORT"
rw_wait_http "http://127.0.0.1:$PORT/"
SERVER=${RW_PID[tokio]}

rw_bg load wrk -t1 -c8 -d30s "http://127.0.0.1:$PORT/"
sleep 1
rw_attach -f "$SERVER"
rw_note "tokio-httpd $MODE (tokio $(ls /usr/share/cargo/registry | sed -n 's/^tokio-\([0-9.]*\)$/\1/p')), pid $SERVER"
rw_snapshot "$SERVER"
rw_strace_burst "$SERVER" 2
# Which threads wait in epoll_wait, and which sleep (2 ms = blocking pool, 30 ms = the bug);
# futex waits of 5 ms or more are parked (idle) threads.
{
  echo "== strace -f -T -e trace=epoll_wait,clock_nanosleep,futex,accept4 for 1.5s: calls per thread"
  timeout -s INT 1.5 strace -f -T -e trace=epoll_wait,clock_nanosleep,futex,accept4 -p "$SERVER" 2>&1 |
    awk '/^\[pid/ && !/unfinished/ {
           t=$2; sub(/\]/,"",t);
           if ($3 == "<...") c=$4; else { c=$3; sub(/\(.*/,"",c) }
           d=$NF; gsub(/[<>]/,"",d); n[t" "c]++;
           if (c=="clock_nanosleep" && d+0 >= 0.02) long[t]++;
           if (c=="futex" && d+0 >= 0.005) park[t]++ }
         END { for (k in n) print "   tid " k " " n[k];
               for (t in long) print "   tid " t " clock_nanosleep >= 20ms: " long[t];
               for (t in park) print "   tid " t " futex >= 5ms: " park[t] }' | sort
} >> "$OUTDIR/evidence.txt" || true  # evidence is best effort: a grep that finds nothing must not end the case
rt_load_summary
