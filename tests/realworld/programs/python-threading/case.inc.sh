# Helpers for cases/python-threading.sh.

# py_thread_census PID SECS: sample /proc/PID/task every ~20 ms for SECS seconds; print the
# peak number of live threads (the peak concurrency of connection threads, plus main).
py_thread_census() {
  local pid=$1 secs=$2 end n peak=0 samples=0
  end=$((SECONDS + secs))
  while [ $SECONDS -lt $end ] && [ -d /proc/"$pid" ]; do
    n=$(ls /proc/"$pid"/task | wc -l)
    [ "$n" -gt "$peak" ] && peak=$n
    samples=$((samples + 1))
    sleep 0.02
  done
  echo "   thread census over ${secs}s ($samples samples): peak live threads $peak"
}

# py_strace_count PID SECS: strace -f -c summary (the per-thread attach lines left out).
py_strace_count() {
  echo "== strace -f -c -p $1 for ${2}s"
  timeout -s INT "$2" strace -f -c -o "$WORK/count.strace" -p "$1" > /dev/null 2>&1 || true
  head -30 "$WORK/count.strace"
}
