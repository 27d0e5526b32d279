# Sourced by the bench scripts. perf trace says nothing when it is ready:
# wait_perf_ready PID ERRFILE waits until the process's perf event fds stop growing (up to
# 10 s). Returns 1 with WHY set when perf exits or opens no perf events.
wait_perf_ready() {
  local rpid=$1 err=$2 n=0 prev=-1 i
  for ((i = 0; i < 100; i++)); do
    sleep 0.1
    kill -0 "$rpid" 2>/dev/null || { WHY="exited: $(head -3 "$err" | tr '\n' ' ')"; return 1; }
    n=$(ls -l /proc/"$rpid"/fd 2>/dev/null | grep -c perf_event)
    ((n > 0 && n == prev)) && break
    prev=$n
  done
  ((n > 0)) || { WHY="opened no perf events"; return 1; }
  sleep 0.5
}
