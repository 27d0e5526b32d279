# Case body for cases/redis-replica-{dns,numeric}.sh, sourced after rw_init with MODE set
# (dns|numeric): redis-server started as the replica of a master that is down, named
# master.test (answered by a dnsmasq on 127.0.0.1:53 that the server's own mount namespace's
# /etc/resolv.conf names; the host's resolver is left alone) or 127.0.0.1. Every second
# replicationCron reconnects on the loop thread, and the connect resolves the master's host
# with getaddrinfo first. redis-benchmark serves the replica's loop GETs, 4 connections,
# bounded by count.
rw_need_pkgs redis-server redis-tools strace bpftrace

PORT=$(rw_free_port)
MASTER_PORT=$(rw_free_port)  # nobody listens there: the master is down
SERVER_CMD=(redis-server --port "$PORT" --bind 127.0.0.1 --save "" --appendonly no
  --daemonize no --dir "$WORK" --logfile "$WORK/redis-server.log")
if [ "$MODE" = dns ]; then
  rw_need_pkgs dnsmasq-base util-linux
  rw_bg dns dnsmasq --keep-in-foreground --conf-file=/dev/null --port=53 --listen-address=127.0.0.1 \
    --bind-interfaces --no-resolv --no-hosts --address=/master.test/127.0.0.1 --log-facility=-
  sleep 0.5
  printf 'nameserver 127.0.0.1\noptions attempts:1 timeout:1\n' > "$WORK/resolv.conf"
  # unshare and sh exec: the server keeps the pid started here
  SERVER_CMD=(unshare -m sh -c 'mount --bind "$0" /etc/resolv.conf && exec "$@"' "$WORK/resolv.conf"
    "${SERVER_CMD[@]}" --replicaof master.test "$MASTER_PORT")
else
  SERVER_CMD+=(--replicaof 127.0.0.1 "$MASTER_PORT")
fi
rw_bg redis "${SERVER_CMD[@]}"
rw_wait_port "$PORT"
REDIS=${RW_PID[redis]}

rw_bg load redis-benchmark -h 127.0.0.1 -p "$PORT" -c 4 -n 2000000 -t get -q
sleep 1
rw_attach "$REDIS"
rw_note "$(redis-server --version | cut -d' ' -f1-3), pid $REDIS, replica of $(redis-cli -p "$PORT" info replication | tr -d '\r' | awk -F: '/^master_(host|port)/ {printf "%s ", $2}')"
rw_snapshot "$REDIS"
LIBC=$(awk '$6 ~ /\/libc\.so\.6$/ {print $6; exit}' /proc/"$REDIS"/maps)
{
  # bpftrace over 4 s: getaddrinfo calls (host, hints->ai_flags, thread, duration), the
  # connects (by port), datagrams sent and files opened, the loop's iterations (an
  # epoll_wait's return to the next one's entry) and the calls of 5 ms or more.
  echo "== bpftrace for 4s on pid $REDIS (libc $LIBC)"
  timeout 20 bpftrace -q -e '
    uprobe:'"$LIBC"':getaddrinfo /pid == $1/ {
      @gai_node_tid[str(arg0), tid] = count(); @gai_hints_flags[arg2 ? *(int32 *)arg2 : -1] = count();
      @g[tid] = nsecs; }
    uretprobe:'"$LIBC"':getaddrinfo /@g[tid]/ { @gai_us = stats((nsecs - @g[tid]) / 1000); delete(@g[tid]); }
    tracepoint:syscalls:sys_enter_connect /pid == $1/ {
      $sa = (struct sockaddr_in *)args->uservaddr;
      if ($sa->sin_family == 2) { @connect_port[(($sa->sin_port & 0xff) << 8) | ($sa->sin_port >> 8)] = count(); } }
    tracepoint:syscalls:sys_enter_sendmmsg, tracepoint:syscalls:sys_enter_sendto /pid == $1/ { @sends[probe] = count(); }
    tracepoint:syscalls:sys_enter_openat /pid == $1/ { @opened[str(args->filename)] = count(); }
    tracepoint:syscalls:sys_enter_epoll_wait /pid == $1/ {
      if (@ret[tid]) { $it = (nsecs - @ret[tid]) / 1000; @iteration_us = stats($it);
        if ($it >= 20000) { @iterations_over_20ms_us = stats($it); } } }
    tracepoint:syscalls:sys_exit_epoll_wait /pid == $1/ { @ret[tid] = nsecs; }
    tracepoint:raw_syscalls:sys_enter /pid == $1/ { @s[tid] = nsecs; }
    tracepoint:raw_syscalls:sys_exit /pid == $1 && @s[tid]/ {
      $d = (nsecs - @s[tid]) / 1000; delete(@s[tid]);
      if (args->id != 232 && $d >= 5000) { @calls_over_5ms_us_by_nr[args->id] = stats($d); } }
    interval:s:4 { exit(); }
    END { clear(@ret); clear(@s); clear(@g); }' "$REDIS" 2>&1 | grep -v -E '^$|RLIMIT_MEMLOCK' | sed 's/^/   /'
  # One reconnect with the calls around it, as strace sees them.
  echo "== strace -tt -T -e trace=openat,newfstatat,socket,connect,sendmmsg,sendto,poll,recvfrom -p $REDIS for 2.5s"
  timeout -s INT 2.5 strace -tt -T -e trace=openat,newfstatat,socket,connect,sendmmsg,sendto,poll,recvfrom \
    -o "$WORK/reconnect.strace" -p "$REDIS" > /dev/null 2>&1 || true
  echo "   calls naming port 53: $(grep -c 'htons(53)' "$WORK/reconnect.strace")," \
    "reads of /etc/hosts, stats of resolv.conf: $(grep -c -E '/etc/(hosts|resolv.conf)' "$WORK/reconnect.strace")," \
    "connects to the master's port: $(grep -c "htons($MASTER_PORT)" "$WORK/reconnect.strace")"
  grep -v '/proc/self/stat' "$WORK/reconnect.strace" | grep -m1 -B8 -A1 "htons($MASTER_PORT)" | cut -c1-170 | sed 's/^/   /'
} >> "$OUTDIR/evidence.txt" || true
rw_strace_burst "$REDIS" 2
