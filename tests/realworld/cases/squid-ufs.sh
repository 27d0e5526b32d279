#!/usr/bin/env bash
# squid 5.7 as a reverse proxy with a small ufs cache_dir and no memory cache, in front of
# nginx serving a 64 KiB file; wrk, 4 keep-alive connections 5 ms apart, every URL new (a
# unique query): every response is a miss that squid's loop writes to the cache_dir, so the
# full cache_dir evicts objects every second (Store::Maintain) and hands their files to its
# unlinkd helper; when unlinkd's queue is full, the loop sleeps 10 ms in
# select(0, NULL, NULL, NULL, ...) (xusleep) before it queues the next one.
source "$(dirname "$0")/../lib.sh"
rw_init "$@"
rw_need_pkgs squid nginx wrk curl strace bpftrace linux-perf

BACKEND=$(rw_free_port)
PORT=$(rw_free_port)
mkdir -p "$WORK/html" "$WORK/tmp" "$WORK/cache"
head -c 65536 /dev/urandom > "$WORK/html/obj.bin"
rw_nginx_backend "$BACKEND" obj.bin

cat > "$WORK/squid.conf" <<CONF
http_port 127.0.0.1:$PORT accel defaultsite=127.0.0.1 no-vhost
cache_peer 127.0.0.1 parent $BACKEND 0 no-query originserver name=backend
cache_peer_access backend allow all
http_access allow all
pid_filename $WORK/squid.pid
cache_effective_user proxy
cache_dir ufs $WORK/cache 20 4 16
cache_mem 0 MB
maximum_object_size_in_memory 0 KB
refresh_pattern . 60 50% 600
access_log none
cache_store_log none
cache_log $WORK/cache.log
coredump_dir $WORK
pinger_enable off
shutdown_lifetime 1 seconds
CONF
chown -R proxy "$WORK/cache"
squid -N -z -f "$WORK/squid.conf" > "$WORK/squid-z.log" 2>&1
rw_bg squid squid -N -f "$WORK/squid.conf"
rw_wait_http "http://127.0.0.1:$PORT/obj.bin?warmup"
SQUID=${RW_PID[squid]}

cat > "$WORK/unique.lua" <<'LUA'
counter = 0
request = function()
  counter = counter + 1
  return wrk.format("GET", "/obj.bin?" .. counter .. "-" .. math.random(1, 1000000000))
end
function delay()
  return 5
end
LUA
rw_bg load wrk -t1 -c4 -d40s -s "$WORK/unique.lua" "http://127.0.0.1:$PORT/"
sleep 3  # the 20 MB cache_dir is full after a second of this load
rw_attach "$SQUID"
rw_note "$(squid -v | head -1), pid $SQUID, children: $(for c in $(rw_children "$SQUID"); do printf '%s=%s ' "$c" "$(cat /proc/"$c"/comm)"; done)"
rw_snapshot "$SQUID"
{
  # bpftrace over 5 s: squid's zero-fd pselect6 calls and their durations, unlinkd's unlinks,
  # the loop's iterations (an epoll_wait's return to the next one's entry), every other call
  # of 5 ms or more, and the reads and writes that returned EAGAIN.
  echo "== bpftrace for 5s on pid $SQUID"
  timeout 20 bpftrace -q -e '
    tracepoint:syscalls:sys_enter_pselect6 /pid == $1 && args->n == 0/ { @zs[tid] = nsecs; }
    tracepoint:syscalls:sys_exit_pselect6 /@zs[tid]/ {
      @zero_fd_pselect6_us = stats((nsecs - @zs[tid]) / 1000); delete(@zs[tid]); }
    tracepoint:syscalls:sys_enter_unlink* /comm == "unlinkd"/ { @unlinkd_unlinks = count(); }
    tracepoint:syscalls:sys_enter_epoll_wait /pid == $1/ {
      if (@ret[tid]) { $it = (nsecs - @ret[tid]) / 1000; @iteration_us = stats($it);
        if ($it >= 20000) { @iterations_over_20ms_us = stats($it); } } }
    tracepoint:syscalls:sys_exit_epoll_wait /pid == $1/ { @ret[tid] = nsecs; }
    tracepoint:raw_syscalls:sys_enter /pid == $1/ { @s[tid] = nsecs; }
    tracepoint:raw_syscalls:sys_exit /pid == $1 && @s[tid]/ {
      $d = (nsecs - @s[tid]) / 1000; delete(@s[tid]);
      if (args->id != 232 && $d >= 5000) { @calls_over_5ms_us_by_nr[args->id] = stats($d); }
      if (args->id == 0 || args->id == 1 || args->id == 44 || args->id == 45 ||
          args->id == 19 || args->id == 20 || args->id == 288) {
        @rw_calls = count(); if (args->ret == -11) { @rw_eagain = count(); } } }
    interval:s:5 { exit(); }
    END { clear(@ret); clear(@s); clear(@zs); }' "$SQUID" 2>&1 |
    grep -v -E '^$|RLIMIT_MEMLOCK' | sed 's/^/   /'
  # perf, DWARF call graphs: where the zero-fd pselect6 calls come from.
  echo "== perf record -e syscalls:sys_enter_pselect6 --call-graph dwarf -p $SQUID for 4s: first zero-fd call"
  timeout -s INT 4 perf record -q -e syscalls:sys_enter_pselect6 --call-graph dwarf,16384 \
    -p "$SQUID" -o "$WORK/perf.data" > /dev/null 2>&1 || true
  perf script -i "$WORK/perf.data" 2>/dev/null | awk '/n: 0x00000000/ {p = 1; n++} p && n == 1 && NF == 0 {p = 0} p && n == 1' |
    head -20 | cut -c1-160 | sed 's/^/   /'
  echo "   zero-fd pselect6 calls recorded: $(perf script -i "$WORK/perf.data" 2>/dev/null | grep -c 'n: 0x00000000')"
} >> "$OUTDIR/evidence.txt" || true
rw_strace_burst "$SQUID" 2
rw_eustack "$SQUID"
