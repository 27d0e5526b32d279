#!/usr/bin/env bash
# gunicorn, sync workers (2), a tiny WSGI app; wrk, 4 clients, one request per connection.
source "$(dirname "$0")/../lib.sh"
rw_init "$@"
rw_need_pkgs gunicorn wrk curl

PORT=$(rw_free_port)
cat > "$WORK/app.py" <<'EOF'
BODY = b"hello from a sync worker\n" * 40

def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain"),
                              ("Content-Length", str(len(BODY)))])
    return [BODY]
EOF
rw_bg gunicorn gunicorn --chdir "$WORK" --worker-class sync --workers 2 \
  --bind "127.0.0.1:$PORT" --access-logfile - app:app
rw_wait_http "http://127.0.0.1:$PORT/"
MASTER=${RW_PID[gunicorn]}

# Sync workers close each connection after its response: wrk asks for that itself.
rw_load_wrk 4 2 "http://127.0.0.1:$PORT/" -H "Connection: close"
sleep 1
rw_attach -f "$MASTER"
rw_note "$(gunicorn --version 2>&1 | head -1), master $MASTER, workers: $(rw_children "$MASTER" | tr '\n' ' ')"
rw_snapshot "$MASTER" $(rw_children "$MASTER")
rw_strace_burst "$MASTER" 2
