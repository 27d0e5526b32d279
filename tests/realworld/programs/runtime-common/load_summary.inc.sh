# Shared by the language-runtime cases (tokio, go-http, jdk-httpserver, python-*).

# rt_load_summary: stop the load (RW_PID[load], wrk or ab: both print their summary on
# SIGINT) and add its summary to evidence.txt. No timeouts and no failed requests means no
# connection was left waiting for an event that never came.
rt_load_summary() {
  local pid=${RW_PID[load]} cmd i
  cmd=$(tr '\0' ' ' < /proc/"$pid"/cmdline 2>/dev/null | cut -c1-120)
  kill -INT "$pid" 2>/dev/null || true
  for i in $(seq 30); do
    ps -o stat= -p "$pid" 2>/dev/null | grep -qv '^Z' || break
    sleep 0.1
  done
  {
    echo "== load summary: $cmd"
    grep -E 'Latency|requests in|Socket errors|Non-2xx|Requests/sec|Complete requests|Failed requests|Requests per second|Time per request.*\(mean\)|100% ' \
      "$WORK/load.log" | sed 's/^ */   /'
  } >> "$OUTDIR/evidence.txt"
}
