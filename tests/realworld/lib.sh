# Shared helpers for the real-server conformance cases. Source it from a case script.
#
# The case contract
# -----------------
# A case is tests/realworld/cases/NAME.sh, run as `bash cases/NAME.sh OUTDIR` by run.sh
# (as root). It must:
#   1. source this file and call `rw_init "$@"` first (sets OUTDIR, WORK, strict mode and
#      the cleanup trap);
#   2. install what it needs with `rw_need_pkgs PKG...` (Debian packages, idempotent);
#   3. write its program's config into "$WORK" (a private temp dir, removed on exit) and
#      start the program with `rw_bg NAME CMD...` in the foreground mode of the program
#      (no self-daemonising): rw_bg records the pid in RW_PID[NAME] and puts the program
#      in a session of its own so that cleanup ends it and everything it forked;
#   4. listen on 127.0.0.1 on a port from `rw_free_port`, and wait with `rw_wait_port` or
#      `rw_wait_http` until it answers;
#   5. start a BOUNDED load, also with rw_bg (wrk -c small -d ~RW_LOAD_SECS, ab -n, a
#      curl loop...), long enough to cover the whole trace;
#   6. attach with `rw_attach [-f] PID...` (writes OUTDIR/report.json and
#      OUTDIR/capture.json, traces RW_TRACE, default 6s);
#   7. record independent facts in OUTDIR/evidence.txt (`rw_snapshot PID...` writes
#      /proc facts: threads, wchan, fds, epoll registrations; `rw_strace_burst PID` adds
#      a short strace -f -c summary taken after the trace; `rw_note TEXT` adds a line);
#   8. exit 0. Everything started with rw_bg is ended by the trap; nothing stays running.
# A whole case must finish within ~40 s. The expectation for the case lives in
# tests/realworld/expect/NAME.json (format documented in compare.py).
#
# Environment: IOTRACE (binary; default <top>/build/iotrace), RW_TRACE (trace length,
# default 6s), RW_KEEP_WORK=1 keeps the temp dir for inspection.

RW_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
: "${IOTRACE:=$RW_TOP/build/iotrace}"
: "${RW_TRACE:=6s}"
declare -gA RW_PID=()
RW_PIDS=()

rw_log() { printf '[%s] %s\n' "${RW_CASE:-case}" "$*" >&2; }
rw_die() { rw_log "error: $*"; exit 1; }

rw_init() {
  set -euo pipefail
  [ $# -ge 1 ] || rw_die "usage: $0 OUTDIR"
  OUTDIR=$1
  mkdir -p "$OUTDIR"
  OUTDIR=$(cd "$OUTDIR" && pwd)
  RW_CASE=$(basename "$0" .sh)
  WORK=$(mktemp -d "${TMPDIR:-/tmp}/iotrace-rw-$RW_CASE.XXXXXX")
  chmod 755 "$WORK"
  rm -f "$OUTDIR/report.json" "$OUTDIR/capture.json" "$OUTDIR/evidence.txt"
  : > "$OUTDIR/evidence.txt"
  trap rw_cleanup EXIT
  trap 'exit 130' INT TERM
  [ -x "$IOTRACE" ] || rw_die "no iotrace binary at $IOTRACE"
}

# rw_session_alive SID: true while a live (non-zombie) process is left in session SID.
rw_session_alive() {
  ps -o stat= --sid "$1" 2>/dev/null | grep -qv '^Z'
}

rw_cleanup() {
  local rc=$? pid i
  set +e
  # Newest first: the load before the server.
  for ((i = ${#RW_PIDS[@]} - 1; i >= 0; i--)); do
    pid=${RW_PIDS[i]}
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null
  done
  for pid in "${RW_PIDS[@]}"; do
    for _ in $(seq 50); do
      rw_session_alive "$pid" || break
      sleep 0.1
    done
    kill -KILL -- "-$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  done
  if [ -n "${WORK:-}" ] && [ -d "$WORK" ] && [ "${RW_KEEP_WORK:-0}" != 1 ]; then
    rm -rf "$WORK"
  fi
  exit $rc
}

# rw_need_pkgs PKG...: install the Debian packages that are not installed yet.
rw_need_pkgs() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
      missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  rw_log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1; then
    apt-get update -qq >/dev/null 2>&1 || true
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
      rw_die "cannot install ${missing[*]}"
  fi
}

# rw_free_port: print a TCP port on 127.0.0.1 that nobody listens on.
rw_free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# rw_wait_port PORT [SECS]: wait until 127.0.0.1:PORT accepts a connection.
rw_wait_port() {
  local port=$1 secs=${2:-15} i
  for ((i = 0; i < secs * 10; i++)); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  rw_die "nothing answers on 127.0.0.1:$port after ${secs}s"
}

# rw_wait_http URL [SECS]: wait until URL answers 2xx.
rw_wait_http() {
  local url=$1 secs=${2:-15} i
  for ((i = 0; i < secs * 10; i++)); do
    if curl -sf -o /dev/null --max-time 1 "$url"; then return 0; fi
    sleep 0.1
  done
  rw_die "$url does not answer after ${secs}s"
}

# rw_bg NAME CMD...: start CMD in a session of its own; RW_PID[NAME] is its pid.
# Output goes to $WORK/NAME.log.
rw_bg() {
  local name=$1
  shift
  setsid "$@" > "$WORK/$name.log" 2>&1 < /dev/null &
  RW_PID[$name]=$!
  RW_PIDS+=("$!")
}

# rw_load_wrk CONNS DELAY_MS URL [WRK-ARGS...]: start wrk (as rw_bg "load") with CONNS
# keep-alive connections, each pausing DELAY_MS between its requests, for RW_LOAD_SECS
# (default 20; cleanup ends it). The pause keeps the load below what saturates this
# machine: on a saturated box every thread waits for a CPU, which says nothing about the
# server under test.
# rw_nginx_backend PORT PATH: a one-process nginx serving $WORK/html on 127.0.0.1:PORT with
# long keep-alive (a backend for the proxy and relay cases), started as "backend"; returns once
# http://127.0.0.1:PORT/PATH answers.
rw_nginx_backend() {
  mkdir -p "$WORK/html" "$WORK/tmp"
  chmod -R a+rX "$WORK/html"
  cat > "$WORK/nginx.conf" <<CONF
daemon off;
master_process off;
worker_processes 1;
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log warn;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path $WORK/tmp;
  proxy_temp_path $WORK/tmp;
  fastcgi_temp_path $WORK/tmp;
  uwsgi_temp_path $WORK/tmp;
  scgi_temp_path $WORK/tmp;
  keepalive_timeout 60;
  keepalive_requests 1000000;
  server { listen 127.0.0.1:$1; root $WORK/html; }
}
CONF
  rw_bg backend nginx -c "$WORK/nginx.conf" -p "$WORK"
  rw_wait_http "http://127.0.0.1:$1/$2"
}

rw_load_wrk() {
  local conns=$1 delay=$2 url=$3
  shift 3
  printf 'function delay()\n  return %d\nend\n' "$delay" > "$WORK/pace.lua"
  rw_bg load wrk -t1 -c"$conns" -d"${RW_LOAD_SECS:-20}s" -s "$WORK/pace.lua" "$@" "$url"
}

# rw_children PID: the pids of PID's children (one level).
rw_children() {
  cat /proc/"$1"/task/*/children 2>/dev/null | tr ' ' '\n' | grep -E '^[0-9]+$' || true
}

# rw_attach [IOTRACE-ATTACH-ARGS...] PID...: trace for RW_TRACE into OUTDIR.
# RW_ATTACH_ARGS: more attach options for every case (--loop-watch: the loop-watch tier).
rw_attach() {
  rw_log "attach $* ${RW_ATTACH_ARGS:-} for $RW_TRACE"
  # shellcheck disable=SC2086 # options, split on spaces
  "$IOTRACE" attach "$@" ${RW_ATTACH_ARGS:-} -d "$RW_TRACE" --json -o "$OUTDIR/report.json" \
    --save-capture "$OUTDIR/capture.json" > "$WORK/iotrace.log" 2>&1 ||
    { cat "$WORK/iotrace.log" >&2; rw_die "iotrace attach failed"; }
}

rw_note() { printf '%s\n' "$*" >> "$OUTDIR/evidence.txt"; }

# rw_snapshot PID...: /proc facts for each PID: threads (comm, wchan, state), fds, and the
# registrations of every epoll fd (fdinfo: events mask; 0x80000000 = EPOLLET,
# 0x10000000 = EPOLLEXCLUSIVE).
# rw_eustack PID...: each thread's stack as elfutils' eu-stack unwinds it (ptrace, DWARF),
# independent evidence of which functions a server's threads run (its loop, its main).
rw_eustack() {
  local pid
  command -v eu-stack > /dev/null || rw_need_pkgs elfutils
  for pid in "$@"; do
    [ -d /proc/"$pid" ] || continue
    echo "== eu-stack -p $pid (the first 12 frames of each thread)"
    timeout 10 eu-stack -p "$pid" 2>&1 | awk '/^TID/ {n = 0} {if (n++ < 13) print "   " $0}' | head -120
  done >> "$OUTDIR/evidence.txt" || true
}

rw_snapshot() {
  local pid t fd target
  for pid in "$@"; do
    [ -d /proc/"$pid" ] || continue
    {
      echo "== pid $pid comm=$(cat /proc/"$pid"/comm) ppid=$(awk '/^PPid:/{print $2}' /proc/"$pid"/status)"
      echo "   cmdline: $(tr '\0' ' ' < /proc/"$pid"/cmdline | cut -c1-200)"
      for t in /proc/"$pid"/task/*; do
        printf '   task %s comm=%s state=%s wchan=%s\n' "${t##*/}" "$(cat "$t"/comm)" \
          "$(awk '{print $3}' "$t"/stat 2>/dev/null)" "$(cat "$t"/wchan 2>/dev/null)"
      done | sort -k4 | awk '{k=$3" "$4" "$5; n[k]++; if (n[k]<=3) print; else if (n[k]==4) print "   ... more like " k}'
      for fd in /proc/"$pid"/fd/*; do
        target=$(readlink "$fd" 2>/dev/null) || continue
        echo "   fd ${fd##*/} -> $target"
        if [ "$target" = "anon_inode:[eventpoll]" ]; then
          grep -E '^tfd:' /proc/"$pid"/fdinfo/"${fd##*/}" 2>/dev/null |
            awk '{print "      " $1, $2, $3, $4}' | head -20
        fi
      done | head -80
    } >> "$OUTDIR/evidence.txt"
  done
}

# rw_strace_burst PID [SECS] [STRACE-ARGS...]: a short strace -f -c summary of PID and its
# child processes (strace -f follows threads, not children that exist already), taken
# after the trace so it does not disturb it.
rw_strace_burst() {
  local pid=$1 secs=${2:-2} p
  shift 2 || shift $#
  command -v strace > /dev/null || rw_need_pkgs strace
  local targets=(-p "$pid")
  for p in $(rw_children "$pid"); do targets+=(-p "$p"); done
  {
    echo "== strace -f -c ${targets[*]} for ${secs}s $*"
    timeout -s INT "$secs" strace -f -c "$@" "${targets[@]}" 2>&1 |
      grep -v -E '^strace: Process [0-9]+ (attached|detached)' | head -40 || true
  } >> "$OUTDIR/evidence.txt"
}

# rw_wait_child PARENT COMM [SECS]: print the first child of PARENT whose comm is COMM.
rw_wait_child() {
  local parent=$1 comm=$2 secs=${3:-10} i c
  for ((i = 0; i < secs * 10; i++)); do
    for c in $(rw_children "$parent"); do
      if [ "$(cat /proc/"$c"/comm 2>/dev/null)" = "$comm" ]; then
        echo "$c"
        return 0
      fi
    done
    sleep 0.1
  done
  rw_die "no child $comm of $parent after ${secs}s"
}

# rw_strace_sample PID LINES [STRACE-ARGS...]: the first LINES calls of PID's threads with
# their durations (strace -f -tt -T), cut to 200 columns.
rw_strace_sample() {
  local pid=$1 lines=$2
  shift 2
  command -v strace > /dev/null || rw_need_pkgs strace
  {
    echo "== strace -f -tt -T $* -p $pid (first $lines lines)"
    timeout -s INT 2 strace -f -tt -T "$@" -p "$pid" 2>&1 |
      grep -v -E '^strace: Process' | head -"$lines" | cut -c1-200 || true
  } >> "$OUTDIR/evidence.txt"
}

# rw_sample_threads PID [SECS]: sample every thread of PID every 5 ms for SECS (default 2):
# counts of (comm, state, syscall number or "running", wchan), the threads' voluntary and
# involuntary context switches over the window, and the process's storage bytes.
rw_sample_threads() {
  local pid=$1 secs=${2:-2}
  python3 - "$pid" "$secs" >> "$OUTDIR/evidence.txt" <<'PY'
import collections, glob, os, re, sys, time
pid, secs = sys.argv[1], float(sys.argv[2])
def read(p):
    try:
        with open(p) as f: return f.read()
    except OSError: return ""
def switches():
    out = {}
    for t in glob.glob("/proc/%s/task/*" % pid):
        st = read(t + "/status")
        v = re.search(r"voluntary_ctxt_switches:\s+(\d+)", st)
        n = re.search(r"nonvoluntary_ctxt_switches:\s+(\d+)", st)
        if v and n: out[os.path.basename(t)] = (read(t + "/comm").strip(), int(v.group(1)), int(n.group(1)))
    return out
def io():
    return dict(l.split(": ") for l in read("/proc/%s/io" % pid).split("\n") if ": " in l)
s0, io0, c = switches(), io(), collections.Counter()
end = time.time() + secs
while time.time() < end:
    for t in glob.glob("/proc/%s/task/*" % pid):
        stat = read(t + "/stat")
        state = stat[stat.rfind(")") + 2:][:1] if stat else "?"
        sc = (read(t + "/syscall").split() or ["?"])[0]
        c[(read(t + "/comm").strip(), state, sc, read(t + "/wchan").strip() or "0")] += 1
    time.sleep(0.005)
s1, io1 = switches(), io()
print("== /proc samples of pid %s over %.1fs (comm state syscall-nr wchan)" % (pid, secs))
for k, v in c.most_common(14):
    print("   %5d %s" % (v, " ".join(k)))
for tid in sorted(s1):
    if tid in s0:
        print("   tid %s %s: %d voluntary, %d involuntary switches in %.1fs" % (
            tid, s1[tid][0], s1[tid][1] - s0[tid][1], s1[tid][2] - s0[tid][2], secs))
for key in ("read_bytes", "write_bytes"):
    if key in io0 and key in io1:
        print("   %s +%d KiB" % (key, (int(io1[key]) - int(io0[key])) // 1024))
PY
}
