# Case body for cases/python-asyncio{,-blocking,-sync-client,-sync-client-dns}.sh, sourced
# after rw_init with MODE set (correct|blocking|sync-client|sync-client-dns): the asyncio
# server on a free port, wrk with CONNS (default 10) keep-alive connections; sync-client
# also starts the slow backend. sync-client-dns names the backend backend.test, answered by a
# dnsmasq on 127.0.0.1:53 that the server's own mount namespace's /etc/resolv.conf names
# (the host's resolver is left alone).
source "$RW_TOP/tests/realworld/programs/runtime-common/load_summary.inc.sh"
rw_need_pkgs python3 wrk curl strace

PORT=$(rw_free_port)
BACKEND_ARGS=()
if [ "$MODE" = sync-client ] || [ "$MODE" = sync-client-dns ]; then
  BACKEND_PORT=$(rw_free_port)
  rw_bg backend /usr/bin/python3 "$RW_TOP/tests/realworld/programs/python-asyncio/backend.py" "$BACKEND_PORT"
  rw_wait_port "$BACKEND_PORT"
  BACKEND_ARGS=("$BACKEND_PORT")
fi
SERVER_CMD=(/usr/bin/python3 "$RW_TOP/tests/realworld/programs/python-asyncio/server.py" "$MODE" "$PORT"
  "${BACKEND_ARGS[@]}")
if [ "$MODE" = sync-client-dns ]; then
  rw_need_pkgs dnsmasq-base util-linux
  rw_bg dns dnsmasq --keep-in-foreground --conf-file=/dev/null --port=53 --listen-address=127.0.0.1 \
    --bind-interfaces --no-resolv --no-hosts --address=/backend.test/127.0.0.1 --log-facility=-
  sleep 0.5
  printf 'nameserver 127.0.0.1\noptions attempts:1 timeout:1\n' > "$WORK/resolv.conf"
  # unshare and sh exec: the server keeps the pid started here
  SERVER_CMD=(unshare -m sh -c 'mount --bind "$0" /etc/resolv.conf && exec "$@"' "$WORK/resolv.conf"
    "${SERVER_CMD[@]}")
fi
rw_bg pyasyncio "${SERVER_CMD[@]}"
rw_wait_http "http://127.0.0.1:$PORT/"
SERVER=${RW_PID[pyasyncio]}

rw_bg load wrk -t1 -c"${CONNS:-10}" -d30s "http://127.0.0.1:$PORT/"
sleep 1
rw_attach -f "$SERVER"
rw_note "asyncio server $MODE ($(/usr/bin/python3 --version)), pid $SERVER"
rw_snapshot "$SERVER"
{
  echo "== strace -f -c -p $SERVER for 2s"
  timeout -s INT 2 strace -f -c -o "$WORK/count.strace" -p "$SERVER" > /dev/null 2>&1 || true
  head -30 "$WORK/count.strace"
  # Per thread: the waits, the socket calls, and every call of 20 ms or more.
  echo "== strace -f -T for 1.5s: calls per thread, calls >= 20 ms"
  timeout -s INT 1.5 strace -f -T -o "$WORK/py.strace" -p "$SERVER" > /dev/null 2>&1 || true
  awk '!/unfinished/ && !/ --- / && !/ \+\+\+ / {
         if ($2 == "<...") c=$3; else { c=$2; sub(/\(.*/,"",c) }
         n[$1" "c]++; d=$NF; gsub(/[<>]/,"",d);
         if (c != "epoll_wait" && d+0 >= 0.02) slow[$1" "c]++ }
       END { for (k in n) print "   tid " k " " n[k];
             for (k in slow) print "   tid " k " >= 20ms: " slow[k] }' "$WORK/py.strace" | sort
  grep -o 'epoll_ctl([0-9]*, EPOLL_CTL_[A-Z]*' "$WORK/py.strace" | sed 's/.*, //' |
    sort | uniq -c | sed 's/^ */   epoll_ctl /'
  # Resolver traffic: calls naming port 53, and the getaddrinfo calls' UDP exchanges.
  echo "   calls naming port 53: $(grep -c 'htons(53)' "$WORK/py.strace")"
  grep 'htons(53)' "$WORK/py.strace" | head -3 | sed 's/^/   /'
} >> "$OUTDIR/evidence.txt" || true  # evidence is best effort: a grep that finds nothing must not end the case
rt_load_summary
