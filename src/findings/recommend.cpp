// The seed's decision tree, applied to what was measured.
#include <fmt/format.h>

#include "src/findings/findings.hpp"
#include "src/output/report.hpp"

namespace iotrace {

std::string recommend(const ProcessReport& pr) {
  const std::string& model = pr.model.model;
  uint32_t conns = pr.process.sockets_open;
  uint64_t file_ns = 0, all_ns = 0;
  for (const auto& cat : pr.categories) {
    all_ns += cat.stats.total_ns;
    if (cat.category == Category::file || cat.category == Category::sync) file_ns += cat.stats.total_ns;
  }
  bool disk_heavy = all_ns > 0 && file_ns * 4 > all_ns;
  bool loop_blocking = false;
  for (const auto& f : pr.findings)
    if (f.id == "blocking-call-on-loop" || f.id == "loop-stall" || f.id == "sync-dns-on-loop")
      loop_blocking = true;

  if (model == "idle" || model == "unknown")
    return "not enough I/O was seen to recommend a model; trace longer or under load";
  if (model == "blocking") {
    if (conns < 100)
      return fmt::format("blocking thread-per-connection suits this service: {} sockets open, "
                         "under the ~100 where an event loop starts to pay", conns);
    return fmt::format("move to epoll (or an async runtime): {} sockets open, and each blocking "
                       "thread costs a stack and context switches", conns);
  }
  if (model == "busy-poll")
    return "wait for readiness (epoll) instead of spinning: the same latency without burning a CPU";
  if (model == "select" || model == "poll")
    return conns > 100 ? fmt::format("move to epoll: {} sockets make every {} call an O(N) scan", conns, model)
                       : fmt::format("{} is adequate for {} sockets; epoll pays off beyond ~100", model, conns);
  if (loop_blocking)
    return disk_heavy ? "keep the event loop, but move disk I/O to a thread pool or io_uring: it "
                        "blocks the loop because files are always 'ready' to epoll"
                      : "keep the event loop, but move the blocking calls found above off it";
  if (model == "epoll" && conns > 10000)
    return fmt::format("epoll serves {} sockets; if latency is critical, io_uring saves the per-ready-fd "
                       "syscalls", conns);
  if (disk_heavy && model == "epoll")
    return "disk I/O dominates: a thread pool for file I/O or io_uring would keep the loop free";
  return fmt::format("{} fits this workload ({} sockets open): no change needed", model, conns);
}

}  // namespace iotrace
