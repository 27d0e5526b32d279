#!/usr/bin/env bash
# squid 5.7 as a forward proxy (memory cache only) for an nginx backend named by its
# address: every request's URL is http://127.0.0.1:PORT/obj.bin?UNIQUE, and squid's loop
# parses each URL's host with getaddrinfo(AI_NUMERICHOST) (Ip::Address::lookupHostIP): a
# numeric conversion that asks no resolver. wrk, 4 keep-alive connections 5 ms apart.
source "$(dirname "$0")/../lib.sh"
rw_init "$@"
rw_need_pkgs squid nginx wrk curl strace bpftrace

BACKEND=$(rw_free_port)
PORT=$(rw_free_port)
mkdir -p "$WORK/html" "$WORK/tmp" "$WORK/squid"
head -c 6144 /dev/urandom | base64 > "$WORK/html/obj.bin"
rw_nginx_backend "$BACKEND" obj.bin

chown proxy "$WORK/squid"
cat > "$WORK/squid.conf" <<CONF
http_port 127.0.0.1:$PORT
http_access allow all
pid_filename $WORK/squid/squid.pid
cache_effective_user proxy
access_log none
cache_store_log none
cache_log $WORK/squid/cache.log
coredump_dir $WORK/squid
pinger_enable off
shutdown_lifetime 1 seconds
CONF
rw_bg squid squid -N -f "$WORK/squid.conf"
rw_wait_port "$PORT"
SQUID=${RW_PID[squid]}
for _ in $(seq 50); do
  curl -sf -o /dev/null -x "http://127.0.0.1:$PORT" "http://127.0.0.1:$BACKEND/obj.bin?warmup" && break
  sleep 0.2
done

cat > "$WORK/forward.lua" <<LUA
counter = 0
request = function()
  counter = counter + 1
  return wrk.format("GET", "http://127.0.0.1:$BACKEND/obj.bin?" .. counter .. "-" .. math.random(1, 1000000000))
end
function delay()
  return 5
end
LUA
rw_bg load wrk -t1 -c4 -d30s -s "$WORK/forward.lua" "http://127.0.0.1:$PORT/"
sleep 2
rw_attach "$SQUID"
rw_note "$(squid -v | head -1), pid $SQUID"
rw_snapshot "$SQUID"
LIBC=$(awk '$6 ~ /\/libc\.so\.6$/ {print $6; exit}' /proc/"$SQUID"/maps)
{
  # bpftrace over 4 s: squid's getaddrinfo calls (host, hints->ai_flags: 4 = AI_NUMERICHOST,
  # duration, caller), the files it opens, the datagrams it sends, the loop's iterations
  # and every other call of 5 ms or more.
  echo "== bpftrace for 4s on pid $SQUID (libc $LIBC)"
  timeout 20 bpftrace -q -e '
    uprobe:'"$LIBC"':getaddrinfo /pid == $1/ {
      @gai_node[str(arg0)] = count(); @gai_hints_flags[arg2 ? *(int32 *)arg2 : -1] = count();
      @gai_caller[usym(*(uint64 *)reg("sp"))] = count(); @g[tid] = nsecs; }
    uretprobe:'"$LIBC"':getaddrinfo /@g[tid]/ { @gai_us = stats((nsecs - @g[tid]) / 1000); delete(@g[tid]); }
    tracepoint:syscalls:sys_enter_openat /pid == $1/ { @opened[str(args->filename)] = count(); }
    tracepoint:syscalls:sys_enter_sendto, tracepoint:syscalls:sys_enter_sendmsg,
    tracepoint:syscalls:sys_enter_sendmmsg /pid == $1/ { @send_calls[probe] = count(); }
    tracepoint:syscalls:sys_enter_epoll_wait /pid == $1/ {
      if (@ret[tid]) { $it = (nsecs - @ret[tid]) / 1000; @iteration_us = stats($it);
        if ($it >= 20000) { @iterations_over_20ms_us = stats($it); } } }
    tracepoint:syscalls:sys_exit_epoll_wait /pid == $1/ { @ret[tid] = nsecs; }
    tracepoint:raw_syscalls:sys_enter /pid == $1/ { @s[tid] = nsecs; }
    tracepoint:raw_syscalls:sys_exit /pid == $1 && @s[tid]/ {
      $d = (nsecs - @s[tid]) / 1000; delete(@s[tid]);
      if (args->id != 232 && $d >= 5000) { @calls_over_5ms_us_by_nr[args->id] = stats($d); } }
    interval:s:4 { exit(); }
    END { clear(@ret); clear(@s); clear(@g); }' "$SQUID" 2>&1 |
    grep -v -E '^$|RLIMIT_MEMLOCK' | sed 's/^/   /'
  # strace of the calls a resolver makes: files opened, sockets connected, datagrams sent.
  echo "== strace -e trace=openat,socket,connect,sendto,sendmsg,sendmmsg -p $SQUID for 2s"
  timeout -s INT 2 strace -e trace=openat,socket,connect,sendto,sendmsg,sendmmsg \
    -o "$WORK/resolver.strace" -p "$SQUID" > /dev/null 2>&1 || true
  echo "   calls: $(grep -c -v -E '^(\+\+\+|---)' "$WORK/resolver.strace")," \
    "naming port 53: $(grep -c 'htons(53)' "$WORK/resolver.strace")," \
    "opening /etc/hosts, resolv.conf, nsswitch.conf: $(grep -c -E 'hosts|resolv|nsswitch' "$WORK/resolver.strace")"
  head -4 "$WORK/resolver.strace" | cut -c1-160 | sed 's/^/   /'
} >> "$OUTDIR/evidence.txt" || true
rw_strace_burst "$SQUID" 2
rw_eustack "$SQUID"
