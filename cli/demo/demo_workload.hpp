// The sample workload behind 'iotrace demo': a small epoll HTTP-like server on loopback with a
// client thread driving it. Its request handler does something worth noticing: every 50th
// request it appends to a log file and fsync()s it, and every 100th it makes a 25 ms
// synchronous call (a sleep standing in for a slow upstream) on the event-loop thread.
#pragma once
#include <cstdint>

namespace iotrace::cli {

// Waits for one byte on start_fd, then serves for duration_ns and exits.
[[noreturn]] void run_demo_workload(int start_fd, uint64_t duration_ns);

}  // namespace iotrace::cli
