// Every finding iotrace can report. Ids are stable: CI policies and suppressions name them.
#include "src/findings/findings.hpp"

namespace iotrace {

std::string_view severity_name(Severity s) {
  switch (s) {
    case Severity::info: return "info";
    case Severity::low: return "low";
    case Severity::medium: return "medium";
    case Severity::high: return "high";
  }
  return "info";
}

const std::vector<FindingDef>& finding_registry() {
  static const std::vector<FindingDef> defs = {
      {"blocking-call-on-loop", Severity::high, "blocking call on an event-loop thread",
       "move the call off the loop: a worker pool, or an asynchronous API for it"},
      {"slow-call-on-loop", Severity::medium, "slow call on an event-loop thread (on CPU in the kernel)",
       "the kernel spent this time on CPU for the call: make it smaller or move it off the loop"},
      {"preempted-on-loop", Severity::info, "event-loop thread waited for a CPU during a call",
       "not the call's fault: the machine is short of CPU; check load, CPU limits and pinning"},
      {"blocking-risk-on-loop", Severity::high, "call that can block runs on an event-loop thread",
       "fast this time, but it can block (disk, locks, blocking fds): move it off the loop"},
      {"lock-wait-on-loop", Severity::info, "event-loop thread asleep on a futex (a lock, or a runtime parking an idle worker)",
       "if requests were waiting meanwhile, find the lock the loop shares with other threads and "
       "shorten or remove it; a runtime parking an idle worker needs no fix"},
      {"loop-preempted", Severity::info, "event-loop iterations long because the thread waited for a CPU",
       "not the code's fault: the machine is short of CPU; check load, CPU limits and pinning"},
      {"loop-stall", Severity::high, "event-loop iteration longer than the stall threshold",
       "every connection on this loop waited: find the work done between waits and move it off"},
      {"cpu-stall", Severity::medium, "event-loop iteration spent on CPU past the stall threshold",
       "a CPU-heavy handler: split the work into chunks or move it to worker threads"},
      {"sync-dns-on-loop", Severity::high, "synchronous DNS resolution on an event-loop thread",
       "use an asynchronous resolver (c-ares, getaddrinfo_a, the runtime's async DNS) or a pool"},
      {"et-not-drained", Severity::high, "edge-triggered socket not drained before the loop waited again",
       "with EPOLLET, read (or accept) until EAGAIN after every notification: data left behind "
       "raises no new event, so that connection stalls until more data arrives"},
      {"select-fd-over-setsize", Severity::high, "select() given an fd at or above FD_SETSIZE (1024)",
       "glibc's fd_set holds 1024 bits: higher fds corrupt memory; switch to poll or epoll"},
      {"scan-waste", Severity::medium, "select/poll scans many fds for few ready ones",
       "epoll returns only ready fds: O(ready) instead of O(watched) per wait"},
      {"busy-poll", Severity::high, "non-blocking calls polled with no wait call (CPU burned)",
       "wait for readiness with epoll/poll, or for completion with io_uring, instead of spinning"},
      {"eagain-waste", Severity::medium, "many reads/writes return EAGAIN",
       "only read/write fds the multiplexer reported ready, and stop at the first EAGAIN"},
      {"epoll-ctl-churn", Severity::low, "epoll_ctl called often relative to events",
       "register fds once (edge-triggered, or level with a stable mask) instead of re-arming per event"},
      {"tiny-reads", Severity::low, "reads and writes move few bytes per call",
       "read into larger buffers, batch writes (writev), or use io_uring to amortise syscalls"},
      {"uring-unbatched", Severity::low, "io_uring submits about one SQE per io_uring_enter",
       "queue several SQEs before each submit, or use SQPOLL, so one syscall covers many operations"},
      {"uring-iowq-punts", Severity::medium, "io_uring requests punted to io-wq worker threads",
       "these ran as blocking kernel work: use O_DIRECT or registered buffers for files, check "
       "IOSQE_ASYNC use, and size io-wq with IORING_REGISTER_IOWQ_MAX_WORKERS"},
      {"uring-cq-overflow", Severity::high, "io_uring completion queue overflowed",
       "reap completions sooner or create the ring with a larger CQ (IORING_SETUP_CQSIZE)"},
      {"aio-submit-blocked", Severity::medium, "io_submit blocked: Linux AIO completed synchronously",
       "Linux AIO is only asynchronous with O_DIRECT; use io_uring or a thread pool for buffered files"},
      {"thread-per-connection-scale", Severity::medium, "thread-per-connection at a scale where memory and context switches dominate",
       "move to an event loop (epoll) or io_uring: one thread serves thousands of connections"},
  };
  return defs;
}

const FindingDef* finding_def(std::string_view id) {
  for (const auto& d : finding_registry())
    if (d.id == id) return &d;
  return nullptr;
}

double Metrics::get(std::string_view id, uint32_t tid, double def) const {
  for (const auto& m : values)
    if (m.id == id && m.tid == tid) return m.value;
  return def;
}

}  // namespace iotrace
