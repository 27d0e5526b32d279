#!/usr/bin/env bash
# PostgreSQL 15 (Debian 12): one backend process per connection; pgbench, 4 clients, the
# TPC-B-like script (each transaction commits: the WAL is flushed with fdatasync).
source "$(dirname "$0")/../lib.sh"
rw_init "$@"
rw_need_pkgs postgresql-15 postgresql-client-15

PGBIN=/usr/lib/postgresql/15/bin
PORT=$(rw_free_port)
DATA=$WORK/data
chown postgres: "$WORK"
runuser -u postgres -- "$PGBIN/initdb" -D "$DATA" -A trust > "$WORK/initdb.log" 2>&1 ||
  { cat "$WORK/initdb.log" >&2; rw_die "initdb failed"; }
rw_bg postgres runuser -u postgres -- "$PGBIN/postgres" -D "$DATA" -p "$PORT" -k "$WORK" \
  -c listen_addresses=127.0.0.1 -c shared_buffers=32MB
rw_wait_port "$PORT"
runuser -u postgres -- "$PGBIN/pgbench" -h 127.0.0.1 -p "$PORT" -i -s 2 postgres > "$WORK/init.log" 2>&1 ||
  { cat "$WORK/init.log" >&2; rw_die "pgbench -i failed"; }
MASTER=$(head -1 "$DATA/postmaster.pid")

# 4 connections for about 20 s; pgbench paces nothing: each client runs transactions back to
# back, each ending in a commit that waits for the WAL flush
rw_bg load runuser -u postgres -- "$PGBIN/pgbench" -h 127.0.0.1 -p "$PORT" -c 4 -j 1 -T 20 postgres
sleep 2
BACKENDS=$(for c in $(rw_children "$MASTER"); do
  tr '\0' ' ' < /proc/"$c"/cmdline | grep -q '127.0.0.1' && echo "$c"; done | tr '\n' ' ')
[ -n "$BACKENDS" ] || rw_die "no client backend of $MASTER"
rw_attach $BACKENDS
rw_note "$("$PGBIN/postgres" --version), postmaster $MASTER, client backends: $BACKENDS"
rw_snapshot $BACKENDS
rw_strace_burst "$(echo "$BACKENDS" | cut -d' ' -f1)" 2
rw_eustack "$(echo "$BACKENDS" | cut -d' ' -f1)"
