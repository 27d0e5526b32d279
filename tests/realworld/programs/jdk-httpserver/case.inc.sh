# Case body for cases/jdk-httpserver{,-default}.sh, sourced after rw_init with JAVA_MODE set
# to the server's arguments after the port (empty: the fixed pool of four handler threads).
source "$RW_TOP/tests/realworld/programs/runtime-common/load_summary.inc.sh"
rw_need_pkgs openjdk-17-jdk-headless wrk curl strace
CLASSES=$(bash "$RW_TOP/tests/realworld/programs/jdk-httpserver/build.sh")

PORT=$(rw_free_port)
# nodelay: the server writes headers and body separately; with Nagle on, every keep-alive
# response waits ~40 ms for the client's delayed ACK.
rw_bg java java -Xmx128m -Xlog:gc,safepoint:file="$WORK/gc.log" -Dsun.net.httpserver.nodelay=true -cp "$CLASSES" Hello "$PORT" ${JAVA_MODE:+$JAVA_MODE}
rw_wait_http "http://127.0.0.1:$PORT/" 30
SERVER=${RW_PID[java]}

rw_bg load wrk -t1 -c10 -d30s "http://127.0.0.1:$PORT/"
sleep 2
rw_attach -f "$SERVER"
rw_note "$(java -version 2>&1 | head -1), pid $SERVER"
rw_snapshot "$SERVER"
rw_strace_burst "$SERVER" 2
# Per thread (by name): which calls it makes. The selector thread is HTTP-Dispatcher.
{
  echo "== strace -f -e trace=epoll_wait,epoll_ctl,read,write,accept,fcntl for 1.5s: calls per thread name"
  timeout -s INT 1.5 strace -f -e trace=epoll_wait,epoll_ctl,read,write,accept,fcntl \
    -o "$WORK/java.strace" -p "$SERVER" > /dev/null 2>&1 || true
  awk '!/unfinished/ && !/ --- / && !/ \+\+\+ / {
         if ($2 == "<...") c=$3; else { c=$2; sub(/\(.*/,"",c) }
         print $1, c }' "$WORK/java.strace" | sort | uniq -c |
    while read -r n tid call; do
      printf '   %s(%s) %s %s\n' "$(cat /proc/"$SERVER"/task/"$tid"/comm 2>/dev/null || echo '?')" \
        "$tid" "$call" "$n"
    done | sort
  grep -o 'epoll_ctl([0-9]*, EPOLL_CTL_[A-Z]*' "$WORK/java.strace" | sed 's/.*, //' |
    sort | uniq -c | sed 's/^ */   epoll_ctl /'
  grep -o 'fcntl([0-9]*, F_SETFL, [A-Z_|]*' "$WORK/java.strace" | sed 's/.*F_SETFL, //' |
    sort | uniq -c | sed 's/^ */   fcntl F_SETFL /'
} >> "$OUTDIR/evidence.txt"
# Safepoints (GC, deoptimisation...) stop every Java thread, the dispatcher included.
{
  echo "== JVM log (-Xlog:gc,safepoint): GC pauses and safepoints over the whole run"
  grep -c 'Pause' "$WORK/gc.log" | sed 's/^/   GC pauses: /'
  grep -o 'Pause.* [0-9.]*ms' "$WORK/gc.log" | awk '{v=$NF; sub(/ms/,"",v); if (v+0 > m) m=v+0}
    END {printf "   longest GC pause: %.2f ms\n", m}'
  grep -o 'Total: [0-9]* ns' "$WORK/gc.log" | awk '{n++; if ($2 > m) m=$2}
    END {printf "   safepoints: %d, longest %.2f ms\n", n, m / 1e6}'
} >> "$OUTDIR/evidence.txt"
rt_load_summary
