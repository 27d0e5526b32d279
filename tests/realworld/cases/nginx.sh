#!/usr/bin/env bash
# nginx: master + 2 worker processes serving one static file; wrk, 20 connections.
source "$(dirname "$0")/../lib.sh"
rw_init "$@"
rw_need_pkgs nginx wrk curl

PORT=$(rw_free_port)
mkdir -p "$WORK/html" "$WORK/tmp"
head -c 4096 /dev/urandom | base64 > "$WORK/html/index.html"
cat > "$WORK/nginx.conf" <<EOF
daemon off;
master_process on;
worker_processes 2;
user www-data;
pid $WORK/nginx.pid;
error_log $WORK/error.log warn;
events { worker_connections 256; }
http {
  access_log $WORK/access.log;
  client_body_temp_path $WORK/tmp;
  proxy_temp_path $WORK/tmp;
  fastcgi_temp_path $WORK/tmp;
  uwsgi_temp_path $WORK/tmp;
  scgi_temp_path $WORK/tmp;
  sendfile on;
  keepalive_timeout 30;
  server {
    listen 127.0.0.1:$PORT;
    root $WORK/html;
  }
}
EOF
chown -R www-data "$WORK/tmp"
rw_bg nginx nginx -c "$WORK/nginx.conf" -p "$WORK"
rw_wait_http "http://127.0.0.1:$PORT/index.html"
MASTER=${RW_PID[nginx]}

rw_load_wrk 20 4 "http://127.0.0.1:$PORT/index.html"
sleep 1
rw_attach -f "$MASTER"
rw_note "nginx $(nginx -v 2>&1 | sed 's/.*\///'), master $MASTER, workers: $(rw_children "$MASTER" | tr '\n' ' ')"
rw_snapshot "$MASTER" $(rw_children "$MASTER")
rw_strace_burst "$MASTER" 2
rw_eustack "$MASTER" $(rw_children "$MASTER")
