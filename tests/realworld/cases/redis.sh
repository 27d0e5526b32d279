#!/usr/bin/env bash
# redis-server: one event loop; redis-benchmark, 10 connections, GET/SET, bounded by count.
source "$(dirname "$0")/../lib.sh"
rw_init "$@"
rw_need_pkgs redis-server redis-tools

PORT=$(rw_free_port)
rw_bg redis redis-server --port "$PORT" --bind 127.0.0.1 --save "" --appendonly no \
  --daemonize no --dir "$WORK" --logfile "$WORK/redis-server.log"
rw_wait_port "$PORT"
REDIS=${RW_PID[redis]}

# About 15 s of load at the rate this machine sustains; ended by cleanup if still running.
rw_bg load redis-benchmark -h 127.0.0.1 -p "$PORT" -c 10 -n 4000000 -t get,set -q
sleep 1
rw_attach "$REDIS"
rw_note "$(redis-server --version | cut -d' ' -f1-3), pid $REDIS"
rw_snapshot "$REDIS"
rw_strace_burst "$REDIS" 2
rw_eustack "$REDIS"
